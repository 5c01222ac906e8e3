/* Installation configuration from the environment (docs/ARCHITECTURE.md, Configuration). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "secret.h"

struct store;

/* The configuration file read when IBCHANNEL_CONFIG is unset. */
#define CONFIG_FILE	"/etc/ibchannel/ibchannel.conf"

/*
 * Reads the configuration file (IBCHANNEL_CONFIG, else CONFIG_FILE; set
 * empty, none) into the environment: each NAME=VALUE line sets NAME
 * unless the environment already has it, so that a variable given to
 * one program wins over the file. Lines are those systemd's
 * EnvironmentFile= reads the same way: NAME=VALUE, blanks around either
 * side ignored, a value optionally in matching quotes, "#" or ";"
 * comments and blank lines; names from a fixed list, each once; no
 * backslash and no quote inside a value. The file is never run. A
 * missing file is no error (an installation without one uses the
 * defaults). Returns 1 ok, 0 refused with *why (for people, naming the
 * file and the line) and the environment unchanged. Every main calls it
 * first.
 */
int	 config_file_load(const char **why);
/*
 * The key file path: IBCHANNEL_KEY_FILE, else ibchannel.key beside the
 * store, or, for a store on a server, in the directory of the default
 * store file (store_default_file). 1 ok, 0 too long.
 */
int	 config_key_path(char *buf, size_t bufsz);
/*
 * The public base URL used in the webhook URLs given to Infobip, the one
 * every program shows and sends (docs page, admin, sender, command line):
 * the public_url setting, else IBCHANNEL_PUBLIC_URL (a fallback for a
 * store without the setting); no trailing slash. 1 ok, 0 unset, < 0 store
 * error.
 */
int	 config_public_url(struct store *, char *buf, size_t bufsz);
/*
 * Whether Infobip can reach this installation's webhooks (delivery reports,
 * clicks): the public URL (config_public_url, written to buf, "" when
 * unset) is set, valid, and does not name this machine. Returns 1 yes, 0
 * no with *why (static text for people), < 0 store error.
 */
int	 config_public_url_check(struct store *, char *buf, size_t bufsz,
	    const char **why);
/*
 * The base URL the public docs page may show a viewer at remote_addr
 * (REMOTE_ADDR; NULL when unknown): the public URL when Infobip can reach
 * it, a loopback one only to a viewer on this machine (the local demo),
 * since anyone else would copy an address that leads nowhere. Returns 1
 * with base set, 0 with base "" (show a warning instead), < 0 store error.
 */
int	 config_docs_base(struct store *, const char *remote_addr, char *base,
	    size_t basesz);
/*
 * Loads the key file named by config_key_path and checks that it belongs
 * to the store: it must open the store's key check (a fixed text sealed
 * under it). A store made before the check gets one now when the key
 * opens a secret already there, or when it holds none. Every program
 * that uses secrets calls it at start and refuses to run on anything but
 * 1. Returns 1 with key; 0 when the file is missing or unusable or
 * belongs to another store; < 0 on an error: *why says which (static
 * text for people, naming the file, never the key).
 */
int	 config_load_key(struct store *, unsigned char key[SECRET_KEY_LEN], const char **why);
/*
 * init's part: creates the key file when it is missing, unless the store
 * holds encrypted API keys (a new key could never decrypt them); checks
 * an existing one like config_load_key, so init refuses what every other
 * program would; writes the key check. *created is 1 when it made the
 * file. Returns 1 ok, 0 refused, < 0 error, with *why as above.
 */
int	 config_key_init(struct store *, int *created, const char **why);
/*
 * ibchannel init: creates the missing directories above the store (a
 * file; a server's URI names none) and the key file (mode 0750), creates or migrates the store, then
 * config_key_init; in a set-group-ID directory the store becomes 0660
 * and the key file 0640, the directory group's to share. Returns 1 with the schema *version and *created; 0
 * with *why (static text for people); never a partial key file.
 */
int	 config_install(int *version, int *created, const char **why);
/*
 * Reads a file an operator names (an API key file, an instructions file):
 * all of it, or with first_line its first line without the line end; at
 * most 1 MiB. Returns the text (malloc'd: the caller frees it, with
 * secret_free for a key), or NULL with *why (for people, valid until the
 * next call).
 */
char	*config_read_file(const char *path, int first_line, const char **why);

#endif

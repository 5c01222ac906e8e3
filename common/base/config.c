/* Installation configuration from the environment (docs/ARCHITECTURE.md, Configuration). */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "secret.h"
#include "settings.h"
#include "store.h"
#include "url.h"

/*
 * What the configuration file may set: the store, the key file, the
 * public URL, the log level, the durability. Nothing that is for
 * make run only (IBCHANNEL_ADMIN_NO_AUTH).
 */
static const char *const config_names[] = {
	"IBCHANNEL_DB",
	"IBCHANNEL_KEY_FILE",
	"IBCHANNEL_PUBLIC_URL",
	"IBCHANNEL_LOG",
	"IBCHANNEL_SYNC",
};
#define CONFIG_NAMES	(sizeof(config_names) / sizeof(config_names[0]))
/* Far above any real file: a longer one is not ours. */
#define CONFIG_FILE_MAX	(64 * 1024)

/* A line's blanks at either end away: the span [*s, *e). */
static void
config_trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' ||
	    (*e)[-1] == '\r'))
		(*e)--;
}

/*
 * Reads one NAME=VALUE line, [s, e) trimmed, into values[] (a copy; the
 * caller frees). 1 ok, 0 refused with msg.
 */
static int
config_line(const char *s, const char *e, char *values[CONFIG_NAMES],
    char *msg, size_t msgsz)
{
	const char	*eq, *ne, *vs;
	size_t		 i, len;

	if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL) {
		snprintf(msg, msgsz, "not NAME=VALUE");
		return 0;
	}
	ne = eq;
	config_trim(&s, &ne);
	vs = eq + 1;
	config_trim(&vs, &e);
	for (i = 0; i < CONFIG_NAMES; i++)
		if (strlen(config_names[i]) == (size_t)(ne - s) &&
		    memcmp(config_names[i], s, (size_t)(ne - s)) == 0)
			break;
	if (i == CONFIG_NAMES) {
		snprintf(msg, msgsz, "unknown name '%.*s' (the file sets"
		    " IBCHANNEL_DB, IBCHANNEL_KEY_FILE, IBCHANNEL_PUBLIC_URL,"
		    " IBCHANNEL_LOG, IBCHANNEL_SYNC)", (int)(ne - s > 64 ? 64 :
		    ne - s), s);
		return 0;
	}
	if (values[i] != NULL) {
		snprintf(msg, msgsz, "%s is set twice", config_names[i]);
		return 0;
	}
	len = (size_t)(e - vs);
	if (len >= 2 && (*vs == '"' || *vs == '\'') && e[-1] == *vs) {
		vs++;
		len -= 2;
	}
	/* What systemd would read otherwise than we do: refused, not guessed. */
	for (s = vs; s < vs + len; s++)
		if (*s == '\\' || *s == '"' || *s == '\'' ||
		    (unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(msg, msgsz, "%s: a backslash, a quote or a"
			    " control character inside the value",
			    config_names[i]);
			return 0;
		}
	if ((values[i] = strndup(vs, len)) == NULL) {
		snprintf(msg, msgsz, "out of memory");
		return 0;
	}
	return 1;
}

int
config_file_load(const char **why)
{
	static char	 msg[PATH_MAX + 256];
	char		*values[CONFIG_NAMES] = { NULL }, *buf = NULL, err[200];
	const char	*path, *s, *e, *end;
	FILE		*f;
	size_t		 n = 0, i, line;
	int		 ok = 0;

	*why = msg;
	if ((path = getenv("IBCHANNEL_CONFIG")) == NULL)
		path = CONFIG_FILE;
	if (*path == '\0')
		return 1;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(msg, sizeof(msg), "the configuration file %s cannot"
		    " be read: %s (it is root's and the group ibchannel's: run"
		    " as root or a member, or set IBCHANNEL_CONFIG)", path,
		    strerror(errno));
		return 0;
	}
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) != NULL)
		n = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (buf == NULL || ferror(f) || n > CONFIG_FILE_MAX) {
		snprintf(msg, sizeof(msg), "the configuration file %s cannot"
		    " be read (at most %d bytes)", path, CONFIG_FILE_MAX);
		goto out;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(msg, sizeof(msg), "%s is not a text file", path);
		goto out;
	}
	for (s = buf, end = buf + n, line = 1; s < end; s = e + 1, line++) {
		if ((e = memchr(s, '\n', (size_t)(end - s))) == NULL)
			e = end;
		config_trim(&s, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (!config_line(s, e, values, err, sizeof(err))) {
			snprintf(msg, sizeof(msg), "%s, line %zu: %s", path,
			    line, err);
			goto out;
		}
	}
	/* All or nothing: the environment changes only for a sound file. */
	for (i = 0; i < CONFIG_NAMES; i++)
		if (values[i] != NULL && setenv(config_names[i], values[i],
		    0) == -1) {
			snprintf(msg, sizeof(msg), "setenv: %s",
			    strerror(errno));
			goto out;
		}
	*why = NULL;
	ok = 1;
out:
	for (i = 0; i < CONFIG_NAMES; i++)
		free(values[i]);
	free(buf);
	fclose(f);
	return ok;
}

int
config_key_path(char *buf, size_t bufsz)
{
	const char	*p, *db, *slash;
	int		 n;

	if ((p = getenv("IBCHANNEL_KEY_FILE")) != NULL && *p != '\0')
		n = snprintf(buf, bufsz, "%s", p);
	else {
		/* A store on a server has no directory: the default file's is used. */
		db = store_on_server(NULL) ? store_default_file() :
		    store_default_path();
		if ((slash = strrchr(db, '/')) == NULL)
			n = snprintf(buf, bufsz, "ibchannel.key");
		else
			n = snprintf(buf, bufsz, "%.*s/ibchannel.key",
			    (int)(slash - db), db);
	}
	return n >= 0 && (size_t)n < bufsz;
}

int
config_public_url(struct store *st, char *buf, size_t bufsz)
{
	const char	*p;
	size_t		 n;
	int		 rc;

	/*
	 * The setting first: every program reads the one store, but each has
	 * an environment of its own (the web server's, cron's, a shell's),
	 * so the variable would let them disagree.
	 */
	if ((rc = settings_get(st, SET_PUBLIC_URL, buf, bufsz)) < 0)
		return rc;
	if (rc == 0 || buf[0] == '\0') {
		if ((p = getenv("IBCHANNEL_PUBLIC_URL")) == NULL)
			p = "";
		if ((size_t)snprintf(buf, bufsz, "%s", p) >= bufsz)
			return 0;
	}
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return n > 0;
}

/* What the public URL is good for; see public_url_state. */
enum public_url {
	PUBLIC_UNSET,
	PUBLIC_INVALID,
	PUBLIC_LOOPBACK,	/* reaches this machine only */
	PUBLIC_OK,		/* Infobip can reach it */
};

/*
 * Reads the public URL into buf ("" when unset) and says what it is good
 * for in *state, with why it cannot serve Infobip in *why (static text)
 * unless PUBLIC_OK. Returns 1, or < 0 on a store error.
 */
static int
public_url_state(struct store *st, char *buf, size_t bufsz,
    enum public_url *state, const char **why)
{
	static _Thread_local char msg[512];
	char		 bad[256];
	int		 rc, https, loopback;

	*why = msg;
	*state = PUBLIC_UNSET;
	if ((rc = config_public_url(st, buf, bufsz)) < 0)
		return rc;
	if (rc == 0) {
		buf[0] = '\0';
		snprintf(msg, sizeof(msg), "the public URL is not set, so"
		    " Infobip's delivery reports and clicks cannot arrive; set"
		    " it to the https address at which Infobip reaches this"
		    " installation (Settings, public_url; or the command"
		    " ibchannel settings set public_url https://...)");
	} else if (!url_check(buf, "the public URL", &https, &loopback, bad,
	    sizeof(bad))) {
		*state = PUBLIC_INVALID;
		snprintf(msg, sizeof(msg), "%s, so Infobip's delivery reports"
		    " and clicks cannot arrive", bad);
	} else if (loopback) {
		*state = PUBLIC_LOOPBACK;
		snprintf(msg, sizeof(msg), "the public URL names this machine"
		    " (loopback), so Infobip's delivery reports and clicks"
		    " cannot arrive (only a local simulator reaches it); set"
		    " it to the https address at which Infobip reaches this"
		    " installation (Settings, public_url; or the command"
		    " ibchannel settings set public_url https://...)");
	} else {
		*state = PUBLIC_OK;
		*why = NULL;
	}
	return 1;
}

int
config_public_url_check(struct store *st, char *buf, size_t bufsz,
    const char **why)
{
	enum public_url	 state;
	int		 rc;

	if ((rc = public_url_state(st, buf, bufsz, &state, why)) < 0)
		return rc;
	return state == PUBLIC_OK;
}

int
config_docs_base(struct store *st, const char *remote_addr, char *base,
    size_t basesz)
{
	enum public_url	 state;
	const char	*why;
	int		 rc;

	if ((rc = public_url_state(st, base, basesz, &state, &why)) < 0)
		return rc;
	if (state == PUBLIC_OK)
		return 1;
	/* A loopback URL is right for a viewer on the same machine only. */
	if (state == PUBLIC_LOOPBACK && remote_addr != NULL &&
	    url_host_is_loopback(remote_addr, strlen(remote_addr)))
		return 1;
	base[0] = '\0';
	return 0;
}

/* The fixed text the key check seals (sql/003-key-check.sql). */
#define KEY_CHECK_TEXT	"ibchannel key check v1"

/* Why the last key call refused, for people; it names files, never keys. */
static _Thread_local char key_msg[PATH_MAX + 512];

/* What a walk over the store's secrets found. */
struct secrets_walk {
	const unsigned char	*key;		/* NULL: only look for one */
	int			 found;		/* the store holds a secret */
	int			 opened;	/* one decrypts under key */
	int			 failed;	/* decryption failed on a system error */
};

static int
secrets_walk_one(const char *enc, void *arg)
{
	struct secrets_walk	*w = arg;
	char			*plain = NULL;
	int			 rc;

	w->found = 1;
	if (w->key == NULL)
		return 0;
	rc = secret_decrypt(w->key, enc, &plain);
	secret_free(plain);
	if (rc < 0)
		w->failed = 1;
	else if (rc > 0)
		w->opened = 1;
	/* One secret that opens proves the key: GCM opens nothing else. */
	return rc == 0;
}

/* Walks the store's secrets with key (NULL: only whether there are any). 1 done, < 0 error (key_msg). */
static int
secrets_walk(struct store *st, const unsigned char *key,
    struct secrets_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->key = key;
	if (store_secret_each(st, secrets_walk_one, w) < 0) {
		snprintf(key_msg, sizeof(key_msg), "store error reading the"
		    " encrypted API keys: %s", store_errmsg(st));
		return -1;
	}
	if (w->failed) {
		snprintf(key_msg, sizeof(key_msg), "%s", secret_error());
		return -1;
	}
	return 1;
}

/* Seals the check text under key into the store. 1 done, < 0 error (key_msg). */
static int
key_check_write(struct store *st, const unsigned char *key, int replace)
{
	char	*sealed;
	int	 rc;

	if ((sealed = secret_encrypt(key, KEY_CHECK_TEXT)) == NULL) {
		snprintf(key_msg, sizeof(key_msg), "%s", secret_error());
		return -1;
	}
	rc = store_key_check_set(st, sealed, replace);
	free(sealed);
	if (rc <= 0) {
		snprintf(key_msg, sizeof(key_msg), "store error writing the key"
		    " check: %s", store_errmsg(st));
		return -1;
	}
	return 1;
}

/* Refuses the key file at path as not this store's; says how to recover. Returns 0, or < 0 on an error. */
static int
key_mismatch(struct store *st, const char *path)
{
	struct secrets_walk	 w;

	if (secrets_walk(st, NULL, &w) < 0)
		return -1;
	snprintf(key_msg, sizeof(key_msg), "%s does not belong to"
	    " this store: it cannot decrypt the store's %s; set"
	    " IBCHANNEL_KEY_FILE to the key file the store was set up with%s",
	    path, w.found ? "encrypted API keys" : "key check", w.found ? "" :
	    " (the store holds no encrypted API key yet, so nothing is lost"
	    " with a new key: remove this key file and run 'ibchannel init')");
	return 0;
}

/*
 * Checks key against the store: it must open the key check; a store made
 * before the check gets one when key opens a secret already there (or
 * there is none yet). 1 matches, 0 does not (key_msg), < 0 error (key_msg).
 */
static int
key_verify(struct store *st, const unsigned char *key, const char *path)
{
	struct secrets_walk	 w;
	char			 check[512], *plain = NULL;
	int			 rc, ok, round;

	for (round = 0; round < 2; round++) {
		if ((rc = store_key_check_get(st, check, sizeof(check))) < 0) {
			snprintf(key_msg, sizeof(key_msg), "store error reading"
			    " the key check: %s", store_errmsg(st));
			return -1;
		}
		if (rc > 0) {
			rc = secret_decrypt(key, check, &plain);
			ok = rc > 0 && strcmp(plain, KEY_CHECK_TEXT) == 0;
			secret_free(plain);
			if (rc < 0) {
				snprintf(key_msg, sizeof(key_msg), "%s",
				    secret_error());
				return -1;
			}
			return ok ? 1 : key_mismatch(st, path);
		}
		/* A store from before the key check: its secrets decide. */
		if (secrets_walk(st, key, &w) < 0)
			return -1;
		if (w.found && !w.opened)
			return key_mismatch(st, path);
		/* Keeps one another process may have written: read it back. */
		if (key_check_write(st, key, 0) < 0)
			return -1;
	}
	snprintf(key_msg, sizeof(key_msg), "the key check cannot be read back");
	return -1;
}

int
config_load_key(struct store *st, unsigned char key[SECRET_KEY_LEN],
    const char **why)
{
	char	 path[PATH_MAX];
	int	 rc;

	*why = NULL;
	if (!config_key_path(path, sizeof(path))) {
		*why = "key file path too long";
		return 0;
	}
	if ((rc = secret_key_load(path, key)) <= 0) {
		*why = secret_error();
		return rc;
	}
	if ((rc = key_verify(st, key, path)) <= 0) {
		explicit_bzero(key, SECRET_KEY_LEN);
		*why = key_msg;
	}
	return rc;
}

int
config_key_init(struct store *st, int *created, const char **why)
{
	struct secrets_walk	 w;
	unsigned char		 key[SECRET_KEY_LEN];
	char			 path[PATH_MAX];
	struct stat		 sb;
	int			 rc;

	*created = 0;
	*why = key_msg;
	if (!config_key_path(path, sizeof(path))) {
		*why = "key file path too long";
		return 0;
	}
	if (lstat(path, &sb) == -1 && errno == ENOENT) {
		if (secrets_walk(st, NULL, &w) < 0)
			return -1;
		if (w.found) {
			snprintf(key_msg, sizeof(key_msg), "%s is"
			    " missing, but the store holds API keys encrypted"
			    " under it, which a new key could never decrypt;"
			    " restore it, or set IBCHANNEL_KEY_FILE to where it"
			    " is", path);
			return 0;
		}
		if ((rc = secret_key_create(path)) < 0) {
			*why = secret_error();
			return -1;
		}
		/* A check left by a lost key guards nothing now: replace it. */
		if ((*created = rc > 0)) {
			if ((rc = secret_key_load(path, key)) <= 0) {
				*why = secret_error();
				return rc < 0 ? -1 : 0;
			}
			rc = key_check_write(st, key, 1);
			explicit_bzero(key, sizeof(key));
			if (rc < 0)
				return -1;
		}
	}
	rc = config_load_key(st, key, why);
	explicit_bzero(key, sizeof(key));
	return rc;
}

/* Creates the missing directories above file (mode 0750), like mkdir -p. 1 ok, 0 with *why. */
static int
mkdir_parents(const char *file, const char **why)
{
	static char	 msg[PATH_MAX + 104];
	char		 dir[PATH_MAX], *p, c;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", file) >= sizeof(dir) ||
	    (p = strrchr(dir, '/')) == NULL || p == dir)
		return 1;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
			snprintf(msg, sizeof(msg), "mkdir %s: %s", dir,
			    strerror(errno));
			*why = msg;
			return 0;
		}
		if ((*p = c) == '\0')
			return 1;
	}
}

/*
 * A file in a set-group-ID directory is the directory group's too (the
 * store's directory of deploy/INSTALL.md, 2770, whose group holds the web
 * server's user): gives it mode. A file elsewhere, or none (a server's
 * store), is left as it is. 1 ok, 0 with *why.
 */
static int
share_with_group(const char *file, mode_t mode, const char **why)
{
	static char	 msg[PATH_MAX + 104];
	char		 dir[PATH_MAX], *slash;
	struct stat	 sb;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", file) >= sizeof(dir))
		return 1;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == -1 || !(sb.st_mode & S_ISGID) ||
	    stat(file, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_mode & 07777) == mode)
		return 1;
	if (chmod(file, mode) == -1) {
		snprintf(msg, sizeof(msg), "chmod %s: %s", file,
		    strerror(errno));
		*why = msg;
		return 0;
	}
	return 1;
}

int
config_install(int *version, int *created, const char **why)
{
	static char	 msg[PATH_MAX + 104];
	struct store	*st;
	const char	*bad;
	char		 path[PATH_MAX];
	int		 rc;

	*why = NULL;
	if (!config_key_path(path, sizeof(path))) {
		*why = "key file path too long";
		return 0;
	}
	if (!store_name_valid(&bad)) {
		snprintf(msg, sizeof(msg), "store %s: %s", store_display_name(),
		    bad);
		*why = msg;
		return 0;
	}
	/* A server's URI is no path: only a file's directories are made. */
	if ((!store_on_server(NULL) && !mkdir_parents(store_default_path(), why)) ||
	    !mkdir_parents(path, why))
		return 0;
	if (store_open(NULL, STORE_OPEN_CREATE, &st) <= 0) {
		snprintf(msg, sizeof(msg), "cannot create or migrate %s%s%s",
		    store_display_name(), *store_open_error() != '\0' ? ": " :
		    "", store_open_error());
		*why = msg;
		return 0;
	}
	*version = store_version(st);
	rc = config_key_init(st, created, why);
	store_close(st);
	if (rc <= 0) {
		snprintf(msg, sizeof(msg), "key file: %s", *why != NULL ? *why :
		    "cannot be created");
		*why = msg;
		return 0;
	}
	/* The group writes the store and reads the key (deploy/INSTALL.md). */
	return share_with_group(store_default_path(), 0660, why) &&
	    share_with_group(path, 0640, why);
}

char *
config_read_file(const char *path, int first_line, const char **why)
{
	FILE	*f;
	char	*buf = NULL, *nl;
	size_t	 n = 0;

	if ((f = store_input_open(path)) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	if ((buf = calloc(1, 1024 * 1024 + 1)) != NULL)
		n = fread(buf, 1, 1024 * 1024 + 1, f);
	fclose(f);
	if (buf == NULL || n > 1024 * 1024) {
		*why = "cannot read (at most 1 MiB)";
		free(buf);
		return NULL;
	}
	if (first_line && (nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = '\0';
	return buf;
}

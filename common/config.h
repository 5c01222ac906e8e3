/* Installation configuration from the environment (DESIGN.md 6). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

struct store;

/* The key file path: IBCHANNEL_KEY_FILE, else ibchannel.key beside the store. 1 ok, 0 too long. */
int	 config_key_path(char *buf, size_t bufsz);
/*
 * The public base URL used in the webhook URLs given to Infobip:
 * IBCHANNEL_PUBLIC_URL, else the public_url setting; no trailing slash.
 * 1 ok, 0 unset, < 0 store error.
 */
int	 config_public_url(struct store *, char *buf, size_t bufsz);
/* Loads the secret key named by config_key_path. 1 ok, 0 missing or unusable (why set), < 0 error. */
int	 config_load_key(unsigned char key[32], const char **why);

#endif

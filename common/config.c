/* Installation configuration from the environment (DESIGN.md 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "secret.h"
#include "settings.h"
#include "store.h"

int
config_key_path(char *buf, size_t bufsz)
{
	const char	*p, *db, *slash;
	int		 n;

	if ((p = getenv("IBCHANNEL_KEY_FILE")) != NULL && *p != '\0')
		n = snprintf(buf, bufsz, "%s", p);
	else {
		db = store_default_path();
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

	if ((p = getenv("IBCHANNEL_PUBLIC_URL")) != NULL && *p != '\0') {
		if ((size_t)snprintf(buf, bufsz, "%s", p) >= bufsz)
			return 0;
	} else if ((rc = settings_get(st, "public_url", buf, bufsz)) <= 0)
		return rc;
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return n > 0;
}

int
config_load_key(unsigned char key[32], const char **why)
{
	char	 path[4096];
	int	 rc;

	*why = NULL;
	if (!config_key_path(path, sizeof(path))) {
		*why = "key file path too long";
		return 0;
	}
	if ((rc = secret_key_load(path, key)) <= 0)
		*why = secret_error();
	return rc;
}

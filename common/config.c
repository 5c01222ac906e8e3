/* Installation configuration from the environment (DESIGN.md 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "secret.h"
#include "settings.h"
#include "store.h"
#include "url.h"

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
	static char	 msg[512];
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
		    " it to the https address Infobip reaches this installation"
		    " at: ibchannel settings set public_url https://...");
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
		    " public_url (or IBCHANNEL_PUBLIC_URL) to the https address"
		    " Infobip reaches this installation at");
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

/* Connection lifecycle (docs/ARCHITECTURE.md, Connection lifecycle): Start validates and snapshots, Stop stops. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "connection.h"
#include "infobip.h"
#include "log.h"
#include "payload.h"
#include "secret.h"
#include "store.h"

int
connection_valid_name(const char *s, const char **why)
{
	*why = NULL;
	if (s == NULL || *s == '\0')
		*why = "name is required";
	else if (strlen(s) > 200)
		*why = "name is longer than 200 characters";
	else if (log_has_control(s))
		*why = "name contains control characters";
	return *why == NULL;
}

/* Optional one-line text of at most max bytes (NULL: none given). 1 valid, 0 with *why. */
static int
valid_line(const char *s, size_t max, const char *too_long,
    const char *control, const char **why)
{
	*why = NULL;
	if (s != NULL && strlen(s) > max)
		*why = too_long;
	else if (log_has_control(s))
		*why = control;
	return *why == NULL;
}

int
connection_valid_description(const char *s, const char **why)
{
	return valid_line(s, CONNECTION_DESCRIPTION_MAX,
	    "description is too long",
	    "description contains control characters", why);
}

int
connection_valid_env_value(const char *s, const char **why)
{
	return valid_line(s, CONNECTION_ENV_VALUE_MAX,
	    "variable value is too long",
	    "variable value contains control characters", why);
}

/*
 * A sender is a phone number (digits, optional leading '+', 3 to 16 digits)
 * or an alphanumeric name of 1 to 11 letters, digits and spaces.
 */
int
connection_valid_sender(const char *s, const char **why)
{
	const char	*p;
	size_t		 n, digits = 0, other = 0;

	*why = NULL;
	if (s == NULL || *s == '\0') {
		*why = "sender is required";
		return 0;
	}
	p = *s == '+' ? s + 1 : s;
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (isalpha((unsigned char)*p) || *p == ' ')
			other++;
		else {
			*why = "sender may hold only letters, digits and"
			    " spaces (or a '+' before a number)";
			return 0;
		}
	}
	n = digits + other;
	if (other == 0) {
		if (digits < 3 || digits > 16)
			*why = "a numeric sender has 3 to 16 digits";
	} else if (*s == '+')
		*why = "an alphanumeric sender cannot start with '+'";
	else if (n > 11)
		*why = "an alphanumeric sender has at most 11 characters";
	else if (s[0] == ' ' || s[n - 1] == ' ')
		*why = "sender cannot start or end with a space";
	return *why == NULL;
}

int
connection_valid_api_key(const char *s, const char **why)
{
	const unsigned char	*p;

	*why = NULL;
	if (s == NULL || *s == '\0')
		*why = "API key is required";
	else if (strlen(s) > 512)
		*why = "API key is longer than 512 characters";
	else if (strncmp(s, "App ", 4) == 0)
		*why = "paste the key itself, without the \"App \" prefix";
	else
		for (p = (const unsigned char *)s; *p != '\0'; p++)
			if (*p <= 0x20 || *p >= 0x7f)
				*why = "API key contains spaces or characters"
				    " other than printable ASCII";
	return *why == NULL;
}

int
connection_valid_env_name(const char *s, const char **why)
{
	const char	*p;

	*why = NULL;
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		*why = "variable name must have 1 to 64 characters";
	else if (isdigit((unsigned char)*s))
		*why = "variable name cannot start with a digit";
	else
		for (p = s; *p != '\0'; p++)
			if (!(isupper((unsigned char)*p) ||
			    isdigit((unsigned char)*p) || *p == '_'))
				*why = "variable name may hold only A-Z,"
				    " 0-9 and _";
	return *why == NULL;
}

static int
env_pick(const char *name, const char *value, void *arg)
{
	struct connection_config	*cfg = arg;

	if (strcmp(name, "INFOBIP_SHORT_DOMAIN") == 0)
		snprintf(cfg->short_domain, sizeof(cfg->short_domain), "%s",
		    value);
	return 1;
}

int
connection_saved_config(struct store *st, const struct store_connection *c,
    struct connection_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->api_url, sizeof(cfg->api_url), "%s", c->api_url);
	snprintf(cfg->sender, sizeof(cfg->sender), "%s", c->sender);
	snprintf(cfg->api_key_enc, sizeof(cfg->api_key_enc), "%s",
	    c->api_key_enc);
	return store_env_each(st, c->id, env_pick, cfg) < 0 ? -1 : 1;
}

/* Whether the key may read Infobip's message logs, which settle unsure sends. */
enum logs_access {
	LOGS_READABLE,
	LOGS_FORBIDDEN,		/* 403: the key lacks the logs scope */
	LOGS_UNKNOWN,		/* the check itself failed (err says why) */
};

/*
 * Looks up a made-up message id: an answer (found or, as expected, not)
 * means the logs can be read; 403 means the key may not read them.
 */
static enum logs_access
logs_check(struct ib_client *ib, const char *api_url, const char *apikey,
    struct ib_error *err)
{
	struct ib_result	 r;

	if (ib_lookup(ib, api_url, apikey, "ibchannel-start-logs-check", &r,
	    err) >= 0)
		return LOGS_READABLE;
	return err->http_status == 403 ? LOGS_FORBIDDEN : LOGS_UNKNOWN;
}

/*
 * Writes a Start's outcome (cs, text, snapshot unless NULL) if its claim
 * token still holds; else logs that a Stop or another change came first
 * and the outcome is discarded, and says so in msg. 1 written, 0
 * discarded, < 0 store error.
 */
static int
start_end(struct store *st, const char *id, const char *token,
    enum conn_status cs, const char *text, const char *snapshot, char *msg,
    size_t msgsz)
{
	int	 rc;

	if ((rc = store_connection_start_end(st, id, token, cs, text,
	    snapshot)) != 0)
		return rc;
	snprintf(msg, msgsz, "the connection was stopped (or changed) while"
	    " Start was checking it; the check's result (%s: %s) is discarded",
	    conn_status_name(cs), text);
	if (store_log(st, id, "warn", "start", "Start's check ended after a"
	    " Stop: its result (%s: %s) is discarded", conn_status_name(cs),
	    text) < 0)
		return -1;
	return 0;
}

/* Ends a Start in ERROR with reason; returns 0, or < 0 if the store failed. */
static int
start_failed(struct store *st, const char *id, const char *token,
    const char *reason, char *msg, size_t msgsz)
{
	int	 rc;

	if ((rc = start_end(st, id, token, CONN_ERROR, reason, NULL, msg,
	    msgsz)) <= 0)
		return rc;
	snprintf(msg, msgsz, "%s", reason);
	if (store_log(st, id, "error", "start", "Start failed: %s",
	    reason) < 0)
		return -1;
	return 0;
}

/* connection_start's work; on < 0 the claim may still hold. */
static int
start_check(struct store *st, struct ib_client *ib,
    const unsigned char key[SECRET_KEY_LEN], const char *id, const char *token,
    char *msg, size_t msgsz)
{
	struct store_connection		 c;
	struct connection_config	 cfg;
	struct ib_balance		 bal;
	struct ib_error			 err;
	char				 status[512], pub[1024];
	char				*apikey = NULL, *snap = NULL;
	const char			*why;
	enum logs_access		 logs = LOGS_READABLE;
	int				 rc, scope_missing;

	if ((rc = store_connection_get(st, id, &c)) <= 0) {
		snprintf(msg, msgsz, "no such connection");
		return rc;
	}
	if (store_log(st, id, "info", "start", "Start requested") < 0)
		return -1;
	if (c.api_url[0] == '\0' || c.sender[0] == '\0' ||
	    c.api_key_enc[0] == '\0')
		return start_failed(st, id, token, c.api_url[0] == '\0' ?
		    "API URL is not set" : c.sender[0] == '\0' ?
		    "sender is not set" : "API key is not set", msg, msgsz);
	if ((rc = secret_decrypt(key, c.api_key_enc, &apikey)) <= 0) {
		if (rc < 0)
			return -1;
		return start_failed(st, id, token, "API key cannot be"
		    " decrypted with this installation's key file; enter it"
		    " again", msg, msgsz);
	}
	memset(&bal, 0, sizeof(bal));
	rc = ib_validate(ib, c.api_url, apikey, &bal, &err);
	if (rc > 0)
		logs = logs_check(ib, c.api_url, apikey, &err);
	secret_free(apikey);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return start_failed(st, id, token, err.text, msg, msgsz);

	if (connection_saved_config(st, &c, &cfg) < 0)
		return -1;
	if ((snap = payload_snapshot_build(&cfg)) == NULL)
		return -1;
	scope_missing = rc == 2;
	if (scope_missing)
		snprintf(status, sizeof(status), "running; the API key is"
		    " valid but may not read the account balance");
	else
		snprintf(status, sizeof(status), "running; balance %.2f %s",
		    bal.balance, bal.currency);
	if (logs == LOGS_FORBIDDEN)
		snprintf(status + strlen(status), sizeof(status) -
		    strlen(status), "; the API key may not read Infobip's"
		    " message logs, so a send whose outcome is unknown waits"
		    " for an operator (ibchannel outbox)");
	rc = start_end(st, id, token, CONN_RUNNING, status, snap, msg, msgsz);
	free(snap);
	if (rc <= 0)
		return rc;
	if (store_log(st, id, logs == LOGS_FORBIDDEN ? "warn" :
	    "info", "start", "RUNNING: %s%s%s", status, scope_missing ?
	    " (403 on /account/1/balance: the key has no account scope, which"
	    " sending does not need)" : "", logs == LOGS_FORBIDDEN ? " (403 on"
	    " /sms/3/logs: the key has no sms:logs:read or sms:manage scope)" :
	    "") < 0)
		return -1;
	if (logs == LOGS_UNKNOWN && store_log(st, id, "warn", "start", "could"
	    " not check whether the API key may read Infobip's message logs:"
	    " %s %s", err.code, err.text) < 0)
		return -1;
	/* Sending works without it, but reports and clicks would be lost. */
	if ((rc = config_public_url_check(st, pub, sizeof(pub), &why)) < 0 ||
	    (rc == 0 && store_log(st, id, "warn", "start", "%s", why) < 0))
		return -1;
	snprintf(msg, msgsz, "RUNNING: %s%s%s", status,
	    rc == 0 ? "\nwarning: " : "", rc == 0 ? why : "");
	return 1;
}

int
connection_start(struct store *st, struct ib_client *ib,
    const unsigned char key[SECRET_KEY_LEN], const char *id, const char *token,
    char *msg, size_t msgsz)
{
	int	 rc;

	/* A failure here must not leave the claim behind: no Start could follow. */
	if ((rc = start_check(st, ib, key, id, token, msg, msgsz)) < 0)
		store_connection_start_end(st, id, token, CONN_ERROR, "Start"
		    " failed on this machine; the program's log says why",
		    NULL);
	return rc;
}

int
connection_stop(struct store *st, const char *id)
{
	struct store_connection	 c;
	int			 rc;

	if ((rc = store_connection_get(st, id, &c)) <= 0)
		return rc;
	if (store_connection_set_status(st, id, CONN_STOPPING, "", NULL) < 0 ||
	    store_connection_set_status(st, id, CONN_STOPPED, "stopped", NULL) < 0 ||
	    store_log(st, id, "info", "stop", "Stopped") < 0)
		return -1;
	return 1;
}

int
connection_config(struct store *st, const char *id,
    struct connection_config *cfg)
{
	struct store_connection	 c;
	int			 rc;

	if ((rc = store_connection_get(st, id, &c)) <= 0)
		return rc;
	if (c.status != CONN_RUNNING || c.config_snapshot[0] == '\0')
		return 0;
	return payload_snapshot_parse(c.config_snapshot, cfg);
}

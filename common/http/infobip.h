/* Infobip HTTP API client: send SMS, check a key, look a message up in logs. */
#ifndef INFOBIP_H
#define INFOBIP_H

#include <stddef.h>

/*
 * Every function returning int follows one rule unless its comment says
 * otherwise: < 0 retry later (network, timeout, 5xx, 429, out of memory),
 * 0 permanent outcome (refused, invalid, not found), > 0 success.
 * The API key is never logged and never copied into an error text.
 */

#define IB_UID_MAX	64	/* our message id, sent as Infobip's messageId */
#define IB_ID_MAX	208	/* Infobip's messageId and bulkId (at most 200) */
#define IB_URL_MAX	512	/* a normalised base URL */

/* Default timeouts in milliseconds. */
#define IB_CONNECT_MS	5000
#define IB_TOTAL_MS	30000

/* Largest response body read; a longer one is a BAD_RESPONSE. */
#define IB_BODY_MAX	(1024 * 1024)

/* Status groups Infobip reports (groupId). */
enum ib_group {
	IB_GROUP_NONE = -1,		/* no status in the answer */
	IB_GROUP_ACCEPTED = 0,		/* v1 era */
	IB_GROUP_PENDING = 1,
	IB_GROUP_UNDELIVERABLE = 2,
	IB_GROUP_DELIVERED = 3,
	IB_GROUP_EXPIRED = 4,
	IB_GROUP_REJECTED = 5,
};

/* One error type for Infobip's two error shapes and for transport failures. */
struct ib_error {
	long	 http_status;		/* 0 when no HTTP answer */
	int	 retryable;		/* network error, timeout, 5xx, 429 */
	/*
	 * E400, E401, ... (legacy names mapped), or NETWORK, TIMEOUT,
	 * BAD_RESPONSE, BAD_URL, BAD_REQUEST (our refusal), NOMEM.
	 */
	char	 code[32];
	char	 text[512];		/* Infobip's description, or curl's exact reason */
	char	 violations[1024];	/* "property: violation; ..." */
	long	 retry_after;		/* seconds from Retry-After, 0 if none */
	/*
	 * ib_send only: 1 when the request may have reached Infobip and what
	 * became of its messages is unknown (it went out and no answer came,
	 * a 5xx, or a 2xx whose body cannot be read). Look the messages up
	 * with ib_lookup before sending them again.
	 */
	int	 unsure;
};

/* One outbound SMS of a send request (one destination). */
struct ib_outmsg {
	const char	*uid;		/* our id, < IB_UID_MAX bytes */
	const char	*to;		/* "+digits" or digits; sent without '+' */
	const char	*text;
};

/* Per-request settings; NULL or "" omits the field. */
struct ib_send_opts {
	const char	*sender;
	const char	*delivery_url;	/* webhooks.delivery.url */
	const char	*tracking_url;	/* options.tracking.trackingUrl; "" = no tracking */
	const char	*custom_domain;	/* options.tracking.customDomain */
};

/* Per-message outcome of a send or a log lookup. */
struct ib_result {
	char	 uid[IB_UID_MAX];
	int	 accepted;		/* group PENDING or DELIVERED (or v1 ACCEPTED) */
	int	 group_id;		/* enum ib_group; IB_GROUP_NONE if no status */
	int	 status_id;		/* Infobip's status id, -1 if none */
	char	 group_name[32];
	char	 status_name[64];
	char	 description[256];
	char	 infobip_id[IB_ID_MAX];
	char	 bulk_id[IB_ID_MAX];
	int	 message_count;		/* SMS segments, 0 if not reported */
};

/* Account balance from GET /account/1/balance. */
struct ib_balance {
	double	 balance;
	char	 currency[16];
	int	 scope_missing;		/* key valid, no account scope (403) */
};

struct ib_client;

/*
 * Opens a client: one reusable curl handle, so connections are kept alive
 * between requests; use one per process. user_agent_version is put after
 * "ibchannel/" in User-Agent. Returns NULL on failure (logged). Free with
 * ib_close.
 */
struct ib_client *ib_open(const char *user_agent_version);

/* Closes the client and its connections; NULL is allowed. */
void	 ib_close(struct ib_client *);

/*
 * Sets the connect and total timeouts in milliseconds for later requests;
 * a value <= 0 restores the default (IB_CONNECT_MS, IB_TOTAL_MS).
 */
void	 ib_set_timeouts(struct ib_client *, long connect_ms, long total_ms);

/*
 * Normalises an API base URL: surrounding white space dropped, "https://"
 * added when there is no scheme, trailing slashes removed. Refuses other
 * schemes than http and https, "http://" unless the host is loopback
 * (localhost, 127.x.x.x, [::1]), a missing host, user info, a query or
 * fragment, spaces, control characters and non-ASCII bytes.
 * Returns 1 and writes the URL to out; 0 with *why (static English text)
 * and out set to "".
 */
int	 ib_base_url_normalize(const char *in, char *out, size_t outsz,
	    const char **why);

/*
 * POSTs n messages to {base}/sms/3/messages in one request. res[i] is
 * filled for msgs[i], matched by messageId, else in order. A message
 * missing from the answer (description "missing from Infobip's response"),
 * or listed without a status, keeps group IB_GROUP_NONE: what became of it
 * is unknown, so settle it with ib_lookup before sending it again. On any
 * other return every res[i] holds only its uid and IB_GROUP_NONE (err says
 * why). An HTTP 200 is not success by itself: check res[i].accepted. The
 * request is never sent twice: if the connection dies after the body went
 * out, the result is a retryable NETWORK error with err->unsure set.
 * Returns > 0 when Infobip answered 2xx with a readable body; 0 on a
 * permanent error (4xx other than 429, bad URL or input; err filled); < 0
 * on a retryable error (network, timeout, 5xx, 429, a 2xx whose body
 * cannot be read; err filled, retry_after set when Infobip sent
 * Retry-After, unsure set when the request may have reached Infobip).
 */
int	 ib_send(struct ib_client *, const char *base_url, const char *api_key,
	    const struct ib_send_opts *, const struct ib_outmsg *msgs, size_t n,
	    struct ib_result *res, struct ib_error *err);

/*
 * Checks a base URL and key with GET {base}/account/1/balance.
 * Returns 1 when valid (bal filled); 2 when the key is valid but lacks the
 * account scope (403; bal->scope_missing set); 0 when invalid, with
 * err->text exactly "API key rejected" (401), "API URL invalid: <why>", or
 * "API URL unreachable or not Infobip: <reason>" (DNS, connection, TLS,
 * timeout, other HTTP status, non-JSON or non-Infobip body; the reason is
 * curl's text, "HTTP 404", "response is not JSON" and so on); < 0 only on
 * out of memory.
 */
int	 ib_validate(struct ib_client *, const char *base_url,
	    const char *api_key, struct ib_balance *bal, struct ib_error *err);

/*
 * Looks our message id up with GET {base}/sms/3/logs?messageId=<uid>.
 * Infobip keeps logs for 48 hours and may list a message a little after
 * accepting it. Returns 1 when found (res filled with Infobip's status),
 * 0 when not found, < 0 when it cannot tell (any error; err filled: a 403
 * means the key lacks the logs scope, and asking again changes nothing).
 */
int	 ib_lookup(struct ib_client *, const char *base_url,
	    const char *api_key, const char *uid, struct ib_result *res,
	    struct ib_error *err);

#endif

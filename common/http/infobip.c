/* Infobip HTTP API client: send SMS, check a key, look a message up in logs. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "infobip.h"
#include "httpc.h"
#include "log.h"
#include "payload_infobip.h"
#include "url.h"

#define IB_KEY_MAX	512	/* longest API key accepted */
#define IB_RETRY_MAX	86400	/* Retry-After is capped at one day */
#define IB_IDLE_MAX	30L	/* seconds an idle connection is reused */

struct ib_client {
	CURL	*curl;
	long	 connect_ms;
	long	 total_ms;
	char	 user_agent[96];
	char	 errbuf[CURL_ERROR_SIZE];
};

/* A response body, capped at IB_BODY_MAX; data is NUL-terminated. */
/* A POST body handed to libcurl through the read callback. */
struct ib_upload {
	const char	*data;
	size_t		 len;
	size_t		 pos;
};

/* What came back from one request. */
struct ib_answer {
	long		 status;	/* 0 when no HTTP status line came */
	long		 retry_after;
	int		 sent;		/* some of the request went out */
	struct body	 body;
};

static const char ib_unreachable[] = "API URL unreachable or not Infobip: ";

static void
ib_error_clear(struct ib_error *err)
{
	memset(err, 0, sizeof(*err));
}

/* Sets code, retryability and the formatted text of err. */
static void
ib_error_set(struct ib_error *err, const char *code, int retryable,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
ib_error_set(struct ib_error *err, const char *code, int retryable,
    const char *fmt, ...)
{
	va_list	 ap;

	snprintf(err->code, sizeof(err->code), "%s", code);
	err->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
}

/* Puts prefix before err->text, cutting the end if both do not fit. */
static void
ib_error_prefix(struct ib_error *err, const char *prefix)
{
	size_t	 plen, tlen;

	plen = strlen(prefix);
	tlen = strlen(err->text);
	if (plen >= sizeof(err->text))
		return;
	if (plen + tlen >= sizeof(err->text))
		tlen = sizeof(err->text) - plen - 1;
	memmove(err->text + plen, err->text, tlen);
	memcpy(err->text, prefix, plen);
	err->text[plen + tlen] = '\0';
}

/*
 * Replaces any text that came from the network and contains the key (a
 * server echoing our headers back) so the key cannot reach a log or a page.
 */
static void
ib_scrub(const char *api_key, struct ib_error *err, struct ib_result *res,
    size_t n)
{
	static const char	 withheld[] = "(withheld: it contained the API key)";
	size_t			 i;

	if (api_key == NULL || api_key[0] == '\0')
		return;
	if (err != NULL) {
		if (strstr(err->text, api_key) != NULL)
			snprintf(err->text, sizeof(err->text), "%s", withheld);
		if (strstr(err->violations, api_key) != NULL)
			snprintf(err->violations, sizeof(err->violations),
			    "%s", withheld);
		if (strstr(err->code, api_key) != NULL)
			snprintf(err->code, sizeof(err->code), "BAD_RESPONSE");
	}
	for (i = 0; res != NULL && i < n; i++)
		if (strstr(res[i].description, api_key) != NULL ||
		    strstr(res[i].status_name, api_key) != NULL ||
		    strstr(res[i].group_name, api_key) != NULL ||
		    strstr(res[i].infobip_id, api_key) != NULL ||
		    strstr(res[i].bulk_id, api_key) != NULL) {
			snprintf(res[i].description,
			    sizeof(res[i].description), "%s", withheld);
			res[i].status_name[0] = res[i].group_name[0] = '\0';
			res[i].infobip_id[0] = res[i].bulk_id[0] = '\0';
		}
}

struct ib_client *
ib_open(const char *user_agent_version)
{
	struct ib_client	*c;

	if (!httpc_init())
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_error("calloc: out of memory");
		return NULL;
	}
	if ((c->curl = curl_easy_init()) == NULL) {
		log_error("curl_easy_init failed");
		free(c);
		return NULL;
	}
	c->connect_ms = IB_CONNECT_MS;
	c->total_ms = IB_TOTAL_MS;
	snprintf(c->user_agent, sizeof(c->user_agent), "ibchannel/%s",
	    user_agent_version != NULL ? user_agent_version : "0");
	return c;
}

void
ib_close(struct ib_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void
ib_set_timeouts(struct ib_client *c, long connect_ms, long total_ms)
{
	c->connect_ms = connect_ms > 0 ? connect_ms : IB_CONNECT_MS;
	c->total_ms = total_ms > 0 ? total_ms : IB_TOTAL_MS;
}

int
ib_base_url_normalize(const char *in, char *out, size_t outsz,
    const char **why)
{
	static _Thread_local char ib_reason[128];
	const char	*end, *p, *host, *hend, *reason;
	size_t		 hostlen;
	int		 plain = 0;

	if (outsz > 0)
		out[0] = '\0';
	if (why != NULL)
		*why = NULL;
	reason = "API URL is empty";
	if (in == NULL)
		goto refuse;
	while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
		in++;
	end = in + strlen(in);
	while (end > in && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end == in)
		goto refuse;
	for (p = in; p < end; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			reason = "API URL contains a space, a control "
			    "character or a non-ASCII byte";
			goto refuse;
		}

	/* A scheme is letters, digits, '+', '-', '.' before "://". */
	for (p = in; p < end && (isalnum((unsigned char)*p) || *p == '+' ||
	    *p == '-' || *p == '.'); p++)
		continue;
	if (p > in && end - p >= 3 && strncmp(p, "://", 3) == 0) {
		if (p - in == 5 && strncasecmp(in, "https", 5) == 0)
			plain = 0;
		else if (p - in == 4 && strncasecmp(in, "http", 4) == 0)
			plain = 1;
		else {
			reason = "API URL scheme must be https";
			goto refuse;
		}
		p += 3;
	} else
		p = in;

	if ((p = url_authority(p, end, "API URL", &host, &hostlen, ib_reason,
	    sizeof(ib_reason))) == NULL) {
		reason = ib_reason;
		goto refuse;
	}
	hend = host + hostlen;
	for (; p < end; p++)
		if (strchr("?#", *p) != NULL) {
			reason = "API URL must not have a query or fragment";
			goto refuse;
		} else if (strchr("\"<>\\^`{|}", *p) != NULL) {
			reason = "API URL has a character not allowed in a "
			    "path";
			goto refuse;
		}
	while (end > hend && end[-1] == '/')
		end--;
	if (plain && !url_host_is_loopback(host, hostlen)) {
		reason = "API URL must use https (http only for loopback)";
		goto refuse;
	}
	if ((size_t)(end - host) + sizeof("https://") > outsz) {
		reason = "API URL is too long";
		goto refuse;
	}
	snprintf(out, outsz, "%s://%.*s", plain ? "http" : "https",
	    (int)(end - host), host);
	return 1;
refuse:
	if (why != NULL)
		*why = reason;
	return 0;
}

/*
 * Writes {base}{path} (with "?query" when query is not NULL) to url.
 * Returns 1, or 0 with err set to a permanent BAD_URL.
 */
static int
ib_url(const char *base, const char *path, const char *query, char *url,
    size_t urlsz, struct ib_error *err)
{
	char		 norm[IB_URL_MAX];
	const char	*why;
	int		 n;

	if (!ib_base_url_normalize(base, norm, sizeof(norm), &why)) {
		ib_error_set(err, "BAD_URL", 0, "%s", why);
		return 0;
	}
	n = snprintf(url, urlsz, "%s%s%s%s", norm, path,
	    query != NULL ? "?" : "", query != NULL ? query : "");
	if (n < 0 || (size_t)n >= urlsz) {
		ib_error_set(err, "BAD_URL", 0, "API URL is too long");
		return 0;
	}
	return 1;
}

/* Returns 1 when the key can go into a header: printable ASCII, no space. */
static int
ib_key_ok(const char *api_key, struct ib_error *err)
{
	const char	*p;

	if (api_key == NULL || api_key[0] == '\0') {
		ib_error_set(err, "BAD_REQUEST", 0, "API key missing");
		return 0;
	}
	if (strlen(api_key) > IB_KEY_MAX) {
		ib_error_set(err, "BAD_REQUEST", 0, "API key too long");
		return 0;
	}
	for (p = api_key; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			ib_error_set(err, "BAD_REQUEST", 0,
			    "API key contains a character not allowed");
			return 0;
		}
	return 1;
}

/* curl read callback: hands out the POST body. */
static size_t
ib_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct ib_upload	*u = arg;
	size_t			 n = size * nitems;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/*
 * curl seek callback: a body already handed out is never rewound. libcurl
 * resends a request whose reused connection died before any answer; for a
 * send that could deliver every SMS twice, so it must fail instead and let
 * the caller settle the outcome with ib_lookup.
 */
static int
ib_seek(void *arg, curl_off_t offset, int origin)
{
	struct ib_upload	*u = arg;

	if (origin == SEEK_SET && offset == 0 && u->pos == 0)
		return CURL_SEEKFUNC_OK;
	return CURL_SEEKFUNC_CANTSEEK;
}

/*
 * Sends one request, a POST of post when it is not NULL (never sent twice,
 * see ib_seek), else a GET.
 * Returns 1 when an HTTP answer came (ans filled; the caller frees
 * ans->body.data, also on the other returns); 0 when none did (err filled:
 * NETWORK or TIMEOUT retryable, BAD_RESPONSE or BAD_URL permanent); < 0
 * on out of memory or a curl setup failure (err filled). On every return
 * ans->sent says whether any of the request went out, and ans->status
 * holds the HTTP status when one came (also with an oversized body).
 */
static int
ib_request(struct ib_client *c, const char *url, const char *api_key,
    const char *post, struct ib_answer *ans, struct ib_error *err)
{
	CURL			*h = c->curl;
	struct curl_slist	*hdrs = NULL;
	struct ib_upload	 up;
	struct httpc_request	 req;
	curl_off_t		 retry = 0;
	CURLcode		 rc;
	long			 sent = 0;
	const char		*method = post != NULL ? "POST" : "GET";
	int			 rv = -1;

	memset(ans, 0, sizeof(*ans));
	ans->body.max = IB_BODY_MAX;
	up.data = post;
	up.len = post != NULL ? strlen(post) : 0;
	up.pos = 0;
	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	if ((hdrs = httpc_headers("App", api_key)) == NULL) {
		log_error("curl_slist_append: out of memory");
		ib_error_set(err, "NOMEM", 1, "out of memory");
		goto out;
	}
	req.url = url;
	req.errbuf = c->errbuf;
	req.connect_ms = c->connect_ms;
	req.total_ms = c->total_ms;
	req.user_agent = c->user_agent;
	req.headers = hdrs;
	req.body = &ans->body;
	if ((rc = httpc_setup(h, &req)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, IB_IDLE_MAX)) !=
	    CURLE_OK) {
		log_error("curl_easy_setopt: %s", curl_easy_strerror(rc));
		ib_error_set(err, "NOMEM", 1, "curl_easy_setopt: %s",
		    curl_easy_strerror(rc));
		goto out;
	}
	if (post == NULL)
		rc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if ((rc = curl_easy_setopt(h, CURLOPT_POST, 1L)) == CURLE_OK &&
	    (rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)up.len)) == CURLE_OK &&
	    (rc = curl_easy_setopt(h, CURLOPT_READFUNCTION, ib_read)) ==
	    CURLE_OK &&
	    (rc = curl_easy_setopt(h, CURLOPT_READDATA, &up)) == CURLE_OK &&
	    (rc = curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, ib_seek)) ==
	    CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_SEEKDATA, &up);
	if (rc != CURLE_OK) {
		log_error("curl_easy_setopt: %s", curl_easy_strerror(rc));
		ib_error_set(err, "NOMEM", 1, "curl_easy_setopt: %s",
		    curl_easy_strerror(rc));
		goto out;
	}

	rc = curl_easy_perform(h);
	/* Bytes of the request written: 0 when it never left (no connection). */
	if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK)
		ans->sent = sent > 0 || rc == CURLE_SEND_FAIL_REWIND;
	else
		ans->sent = 1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans->status);
	if (ans->body.nomem || rc == CURLE_OUT_OF_MEMORY) {
		log_error("%s %s: out of memory", method, url);
		ib_error_set(err, "NOMEM", 1, "out of memory");
		goto out;
	}
	rv = 0;
	if (ans->body.over) {
		ib_error_set(err, "BAD_RESPONSE", 0,
		    "response larger than %d bytes", IB_BODY_MAX);
		log_debug("%s %s: %s", method, url, err->text);
		goto out;
	}
	if (rc == CURLE_SEND_FAIL_REWIND) {
		ib_error_set(err, "NETWORK", 1, "connection lost after the "
		    "request was sent; outcome unknown");
		log_debug("%s %s: %s", method, url, err->text);
		goto out;
	}
	if (rc != CURLE_OK) {
		ib_error_set(err, rc == CURLE_OPERATION_TIMEDOUT ? "TIMEOUT" :
		    rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ?
		    "BAD_URL" : "NETWORK",
		    rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL,
		    "%s", c->errbuf[0] != '\0' ? c->errbuf :
		    curl_easy_strerror(rc));
		log_debug("%s %s: %s", method, url, err->text);
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK &&
	    retry > 0)
		ans->retry_after = retry > IB_RETRY_MAX ? IB_RETRY_MAX :
		    (long)retry;
	log_debug("%s %s: HTTP %ld, %zu bytes", method, url, ans->status,
	    ans->body.len);
	rv = 1;
out:
	/* The handle must not keep a pointer to the freed list. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	httpc_headers_free(hdrs);
	return rv;
}

/* Frees an answer's body. */
static void
ib_answer_free(struct ib_answer *ans)
{
	free(ans->body.data);
	ans->body.data = NULL;
}

/*
 * Fills err from an HTTP answer that is not 2xx: Infobip's code and text
 * when the body is one of its errors, else "E<status>" and "HTTP <status>".
 */
static void
ib_http_error(const struct ib_answer *ans, struct ib_error *err)
{
	err->http_status = ans->status;
	err->retry_after = ans->retry_after;
	err->retryable = ans->status == 429 || ans->status >= 500;
	if (payload_error(ans->body.data, ans->body.len, err) <= 0 ||
	    err->code[0] == '\0')
		snprintf(err->code, sizeof(err->code), "E%03ld", ans->status);
	if (err->text[0] == '\0')
		snprintf(err->text, sizeof(err->text), "HTTP %ld",
		    ans->status);
}

/* Sets a BAD_RESPONSE error naming what is wrong with a 2xx body. */
static void
ib_bad_body(const struct ib_answer *ans, const char *what,
    struct ib_error *err)
{
	err->http_status = ans->status;
	ib_error_set(err, "BAD_RESPONSE", 0, "%s",
	    payload_is_json(ans->body.data, ans->body.len) ?
	    what : "response is not JSON");
}

/* Logs an error once, with the text escaped by log_write. */
static void
ib_log_error(const char *what, const struct ib_error *err)
{
	log_warn("infobip %s: %s %s%s%s%s", what, err->code, err->text,
	    err->violations[0] != '\0' ? " (" : "", err->violations,
	    err->violations[0] != '\0' ? ")" : "");
}

/* Sets every result to "our id, no status", so res is sound on every return. */
static void
ib_results_init(struct ib_result *res, const struct ib_outmsg *msgs,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		if (msgs[i].uid != NULL)
			snprintf(res[i].uid, sizeof(res[i].uid), "%s",
			    msgs[i].uid);
		res[i].group_id = IB_GROUP_NONE;
		res[i].status_id = -1;
	}
}

int
ib_send(struct ib_client *c, const char *base_url, const char *api_key,
    const struct ib_send_opts *opts, const struct ib_outmsg *msgs, size_t n,
    struct ib_result *res, struct ib_error *err)
{
	struct ib_answer	 ans;
	char			 url[IB_URL_MAX + 64];
	char			*body = NULL;
	size_t			 i, accepted;
	int			 rv = 0, p;

	memset(&ans, 0, sizeof(ans));
	ib_error_clear(err);
	if (n == 0) {
		ib_error_set(err, "BAD_REQUEST", 0, "no messages to send");
		goto out;
	}
	ib_results_init(res, msgs, n);
	for (i = 0; i < n; i++)
		if (msgs[i].uid == NULL || msgs[i].uid[0] == '\0' ||
		    strlen(msgs[i].uid) >= IB_UID_MAX || msgs[i].to == NULL ||
		    msgs[i].to[0] == '\0' || msgs[i].text == NULL) {
			ib_error_set(err, "BAD_REQUEST", 0, "message %zu: "
			    "id, number or text missing or too long", i);
			goto out;
		}
	if (!ib_key_ok(api_key, err) ||
	    !ib_url(base_url, "/sms/3/messages", NULL, url, sizeof(url), err))
		goto out;
	if ((body = payload_send_request(opts, msgs, n)) == NULL) {
		ib_error_set(err, "NOMEM", 1, "out of memory");
		rv = -1;
		goto out;
	}
	if ((p = ib_request(c, url, api_key, body, &ans, err)) <= 0) {
		/* It went out and no whole answer came back: Infobip may have it. */
		if (ans.sent && (ans.status == 0 || ans.status >= 500 ||
		    (ans.status >= 200 && ans.status <= 299)))
			err->unsure = err->retryable = 1;
		err->http_status = ans.status;
		rv = p < 0 || err->retryable ? -1 : 0;
		goto out;
	}
	if (ans.status < 200 || ans.status > 299) {
		ib_http_error(&ans, err);
		err->unsure = ans.status >= 500;
		rv = err->retryable ? -1 : 0;
		goto out;
	}
	p = payload_send_response(ans.body.data, ans.body.len, msgs, n, res);
	if (p <= 0) {
		/* Infobip answered, but what it said of the messages is unknown. */
		if (p < 0)
			ib_error_set(err, "NOMEM", 1, "out of memory");
		else
			ib_bad_body(&ans, "response is not a send result", err);
		err->unsure = err->retryable = 1;
		rv = -1;
	} else {
		ib_scrub(api_key, NULL, res, n);
		for (i = accepted = 0; i < n; i++)
			accepted += res[i].accepted != 0;
		log_debug("infobip send: %zu messages, %zu accepted", n,
		    accepted);
		rv = 1;
	}
out:
	if (rv <= 0) {
		ib_scrub(api_key, err, NULL, 0);
		ib_log_error("send", err);
	}
	free(body);
	ib_answer_free(&ans);
	return rv;
}

int
ib_validate(struct ib_client *c, const char *base_url, const char *api_key,
    struct ib_balance *bal, struct ib_error *err)
{
	struct ib_answer	 ans;
	char			 url[IB_URL_MAX + 64];
	int			 rv = 0, p;

	memset(&ans, 0, sizeof(ans));
	memset(bal, 0, sizeof(*bal));
	ib_error_clear(err);
	if (!ib_key_ok(api_key, err))
		goto out;
	if (!ib_url(base_url, "/account/1/balance", NULL, url, sizeof(url),
	    err)) {
		ib_error_prefix(err, "API URL invalid: ");
		goto out;
	}
	if ((p = ib_request(c, url, api_key, NULL, &ans, err)) < 0) {
		rv = -1;
		goto out;
	}
	if (p == 0) {
		ib_error_prefix(err, ib_unreachable);
		goto out;
	}
	if (ans.status == 200) {
		if ((p = payload_balance(ans.body.data, ans.body.len,
		    bal)) > 0) {
			log_debug("infobip balance: %.4f %s", bal->balance,
			    bal->currency);
			rv = 1;
		} else if (p < 0) {
			ib_error_set(err, "NOMEM", 1, "out of memory");
			rv = -1;
		} else {
			ib_bad_body(&ans, "response is not an Infobip balance",
			    err);
			ib_error_prefix(err, ib_unreachable);
		}
		goto out;
	}
	ib_http_error(&ans, err);
	if (ans.status == 403) {
		bal->scope_missing = 1;
		log_info("infobip: API key valid but without the account "
		    "scope (%s)", err->code);
		rv = 2;
	} else if (ans.status == 401)
		snprintf(err->text, sizeof(err->text), "API key rejected");
	else
		snprintf(err->text, sizeof(err->text), "%sHTTP %ld",
		    ib_unreachable, ans.status);
out:
	if (rv <= 0) {
		ib_scrub(api_key, err, NULL, 0);
		ib_log_error("validate", err);
	}
	ib_answer_free(&ans);
	return rv;
}

int
ib_lookup(struct ib_client *c, const char *base_url, const char *api_key,
    const char *uid, struct ib_result *res, struct ib_error *err)
{
	struct ib_answer	 ans;
	char			 url[IB_URL_MAX + 64 + 3 * IB_UID_MAX];
	char			 query[sizeof("messageId=") + 3 * IB_UID_MAX];
	char			*esc = NULL;
	int			 rv = -1, p, found;

	memset(&ans, 0, sizeof(ans));
	ib_error_clear(err);
	if (uid == NULL || uid[0] == '\0' || strlen(uid) >= IB_UID_MAX) {
		ib_error_set(err, "BAD_REQUEST", 0,
		    "message id missing or too long");
		goto out;
	}
	if (!ib_key_ok(api_key, err))
		goto out;
	if ((esc = curl_easy_escape(c->curl, uid, 0)) == NULL) {
		ib_error_set(err, "NOMEM", 1, "out of memory");
		goto out;
	}
	snprintf(query, sizeof(query), "messageId=%s", esc);
	if (!ib_url(base_url, "/sms/3/logs", query, url, sizeof(url), err))
		goto out;
	if (ib_request(c, url, api_key, NULL, &ans, err) <= 0)
		goto out;
	if (ans.status < 200 || ans.status > 299) {
		ib_http_error(&ans, err);
		goto out;
	}
	p = payload_logs_find(ans.body.data, ans.body.len, uid, res, &found);
	if (p < 0)
		ib_error_set(err, "NOMEM", 1, "out of memory");
	else if (p == 0)
		ib_bad_body(&ans, "response is not a log list", err);
	else {
		rv = found ? 1 : 0;
		if (found)
			ib_scrub(api_key, NULL, res, 1);
		log_debug("infobip lookup %s: %s", uid, found ?
		    res->group_name : "not found");
	}
out:
	if (rv < 0) {
		ib_scrub(api_key, err, NULL, 0);
		ib_log_error("lookup", err);
	}
	curl_free(esc);
	ib_answer_free(&ans);
	return rv;
}

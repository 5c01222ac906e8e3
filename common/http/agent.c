/* The agents that answer customers' SMS: a pool of calls in flight, the only user of libcurl's multi interface. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "agent.h"
#include "enums.h"
#include "httpc.h"
#include "log.h"
#include "smstext.h"
#include "payload_agent.h"
#include "rules.h"
#include "url.h"

#define AGENT_KEY_MAX	1024	/* longest API key put into a header */
#define AGENT_URL_MAX	2048	/* longest agent URL */
#define AGENT_MSG_MAX	300	/* most of a server's error message kept */

/* An answer body, capped at AGENT_BODY_MAX; data is NUL-terminated. */
/* One job: a transfer in flight, or a reply waiting for the next perform. */
struct agent_call {
	struct agent_call	*next;
	CURL			*easy;		/* NULL when no transfer */
	int			 added;		/* easy is in the multi */
	struct curl_slist	*headers;	/* one line may hold the key */
	char			*post;		/* the request body */
	char			*api_key;	/* to scrub answers; wiped */
	enum agent_kind		 kind;
	int64_t			 agent, message;
	struct body	 body;
	char			 errbuf[CURL_ERROR_SIZE];
	void			*tag;
	struct agent_reply	 reply;
	int			 ready;		/* reply made, hand it over */
};

struct agent_pool {
	CURLM			*multi;
	struct agent_call	*calls;		/* newest first */
	size_t			 ncalls;
	size_t			 max;
	long			 timeout_ms;
};

void
agent_reply_clear(struct agent_reply *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->session_data);
	memset(r, 0, sizeof(*r));
}

/* Sets the reply's error; it is cut, if it must be, between characters. */
static void
agent_error(struct agent_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
agent_error(struct agent_call *c, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	smstext_copy(c->reply.error, sizeof(c->reply.error), buf);
}

/* s when it is short printable ASCII, safe to quote in an error. */
static const char *
agent_shown(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return "(none)";
	for (i = 0; s[i] != '\0'; i++)
		if (i >= 32 || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return "...";
	return s;
}

/* Milliseconds of a monotonic clock. */
static long long
agent_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the key can go into a header: printable ASCII without spaces. */
static int
agent_key_ok(const char *key)
{
	const char	*p;

	if (strlen(key) > AGENT_KEY_MAX)
		return 0;
	for (p = key; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* Whether s (len bytes) ends in suffix. */
static int
agent_ends(const char *s, size_t len, const char *suffix)
{
	size_t	 n = strlen(suffix);

	return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

int
agent_url_valid(const char *kind, const char *url, int has_key,
    const char **why)
{
	static _Thread_local char msg[256];
	enum agent_kind	 k;
	int		 https, loopback;

	*why = msg;
	if (!agent_kind_find(kind, &k)) {
		snprintf(msg, sizeof(msg), "unknown agent kind \"%s\"",
		    agent_shown(kind));
		return 0;
	}
	if (k == AGENT_RULES) {
		if (url == NULL || *url == '\0') {
			*why = NULL;
			return 1;
		}
		snprintf(msg, sizeof(msg), "a rules agent takes no URL");
		return 0;
	}
	if (url == NULL || *url == '\0') {
		snprintf(msg, sizeof(msg), "the agent has no URL");
		return 0;
	}
	if (strlen(url) >= AGENT_URL_MAX) {
		snprintf(msg, sizeof(msg), "the agent URL is longer than %d"
		    " bytes", AGENT_URL_MAX - 1);
		return 0;
	}
	if (!url_check(url, "the agent URL", &https, &loopback, msg,
	    sizeof(msg)))
		return 0;
	/* Over plain http the key would cross the network readable. */
	if (has_key && !https && !loopback) {
		snprintf(msg, sizeof(msg), "the agent URL must use https when"
		    " the agent has an API key (http only for loopback)");
		return 0;
	}
	*why = NULL;
	return 1;
}

/*
 * Writes the URL to POST to: the http agent's URL as it is, or for openai
 * {base}/v1/chat/completions, where base may already end in /v1 or even
 * in /v1/chat/completions. Returns 1, or 0 with the reply's error set
 * (agent_url_valid refused the URL, or it is too long).
 */
static int
agent_url(struct agent_call *c, const char *in, int has_key, char *url,
    size_t urlsz)
{
	const char	*path = "", *why;
	size_t		 len;

	if (!agent_url_valid(agent_kind_name(c->kind), in, has_key, &why)) {
		agent_error(c, "%s", why);
		return 0;
	}
	len = strlen(in);
	if (c->kind == AGENT_OPENAI) {
		while (len > 0 && in[len - 1] == '/')
			len--;
		if (agent_ends(in, len, "/chat/completions"))
			path = "";
		else if (agent_ends(in, len, "/v1"))
			path = "/chat/completions";
		else
			path = "/v1/chat/completions";
	}
	if (len + strlen(path) >= urlsz) {
		agent_error(c, "the agent URL is too long");
		return 0;
	}
	snprintf(url, urlsz, "%.*s%s", (int)len, in, path);
	return 1;
}

/* Makes the transfer of call c to url. 1 ok, 0 on a curl error (logged). */
static int
agent_easy(const struct agent_pool *p, struct agent_call *c, const char *url)
{
	struct httpc_request	 req;
	CURL			*h;
	CURLcode		 rc;
	long			 connect_ms;

	c->body.max = AGENT_BODY_MAX;
	if ((h = c->easy = curl_easy_init()) == NULL) {
		log_error("curl_easy_init failed");
		return 0;
	}
	connect_ms = p->timeout_ms < AGENT_CONNECT_MS ? p->timeout_ms :
	    AGENT_CONNECT_MS;
	req.url = url;
	req.errbuf = c->errbuf;
	req.connect_ms = connect_ms;
	req.total_ms = p->timeout_ms;
	req.user_agent = "ibchannel";
	req.headers = c->headers;
	req.body = &c->body;
	if ((rc = httpc_setup(h, &req)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_PRIVATE, c)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->post)) !=
	    CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(c->post))) != CURLE_OK) {
		log_error("curl_easy_setopt: %s", curl_easy_strerror(rc));
		return 0;
	}
	return 1;
}

/* Frees a call and everything it holds, wiping the key. */
static void
agent_call_free(struct agent_pool *p, struct agent_call *c)
{
	if (c == NULL)
		return;
	if (c->added)
		curl_multi_remove_handle(p->multi, c->easy);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	httpc_headers_free(c->headers);
	free(c->post);
	if (c->api_key != NULL) {
		explicit_bzero(c->api_key, strlen(c->api_key));
		free(c->api_key);
	}
	free(c->body.data);
	agent_reply_clear(&c->reply);
	free(c);
}

int
agent_pool_add(struct agent_pool *p, const struct agent_job *job, void *tag)
{
	struct agent_call	*c;
	char			 url[AGENT_URL_MAX];
	CURLMcode		 mc;

	if (p->ncalls >= p->max)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_error("calloc: out of memory");
		return -1;
	}
	c->tag = tag;
	c->agent = job->agent;
	c->message = job->message;
	c->reply.collect_step = job->collect_step;
	if (!agent_kind_find(job->kind, &c->kind)) {
		agent_error(c, "unknown agent kind \"%s\"",
		    agent_shown(job->kind));
		goto ready;
	}
	if (c->kind == AGENT_RULES) {
		if (rules_answer(job, &c->reply) < 0) {
			log_error("agent %lld: rules: out of memory",
			    (long long)job->agent);
			goto fail;
		}
		goto ready;
	}
	if (!agent_url(c, job->url, job->api_key != NULL &&
	    job->api_key[0] != '\0', url, sizeof(url)))
		goto ready;
	if (job->api_key != NULL && job->api_key[0] != '\0') {
		if (!agent_key_ok(job->api_key)) {
			agent_error(c, "the API key is too long or holds a "
			    "character that cannot be sent");
			goto ready;
		}
		if ((c->api_key = strdup(job->api_key)) == NULL) {
			log_error("strdup: out of memory");
			goto fail;
		}
	}
	c->post = c->kind == AGENT_HTTP ? payload_agent_http_request(job) :
	    payload_agent_openai_request(job);
	if (c->post == NULL ||
	    (c->headers = httpc_headers("Bearer", c->api_key)) == NULL) {
		log_error("agent %lld: request: out of memory",
		    (long long)job->agent);
		goto fail;
	}
	if (!agent_easy(p, c, url))
		goto fail;
	if ((mc = curl_multi_add_handle(p->multi, c->easy)) != CURLM_OK) {
		log_error("curl_multi_add_handle: %s", curl_multi_strerror(mc));
		goto fail;
	}
	c->added = 1;
	goto link;
ready:
	c->ready = 1;
link:
	c->next = p->calls;
	p->calls = c;
	p->ncalls++;
	return 1;
fail:
	agent_call_free(p, c);
	return -1;
}

/*
 * Replaces whatever came back holding the key, so that it reaches neither
 * a log nor a customer.
 */
static void
agent_scrub(struct agent_call *c)
{
	if (c->api_key == NULL)
		return;
	if (strstr(c->reply.error, c->api_key) != NULL)
		agent_error(c, "error withheld: it contained the API key");
	if (c->reply.text != NULL && strstr(c->reply.text, c->api_key) !=
	    NULL) {
		free(c->reply.text);
		c->reply.text = NULL;
		agent_error(c, "reply withheld: it contained the API key");
	}
}

/* Reads the answer of a finished transfer into the call's reply. */
static void
agent_finish(struct agent_call *c, CURLcode result)
{
	char	 msg[AGENT_MSG_MAX], err[256];
	long	 status = 0;
	int	 rv;

	if (c->body.nomem || result == CURLE_OUT_OF_MEMORY) {
		log_error("agent %lld: answer: out of memory",
		    (long long)c->agent);
		agent_error(c, "out of memory");
		goto out;
	}
	if (c->body.over) {
		agent_error(c, "answer larger than %d bytes", AGENT_BODY_MAX);
		goto out;
	}
	if (result == CURLE_OPERATION_TIMEDOUT) {
		agent_error(c, "timeout: %s", c->errbuf[0] != '\0' ?
		    c->errbuf : curl_easy_strerror(result));
		goto out;
	}
	if (result != CURLE_OK) {
		agent_error(c, "network error: %s", c->errbuf[0] != '\0' ?
		    c->errbuf : curl_easy_strerror(result));
		goto out;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		if (payload_agent_error_message(c->body.data, c->body.len, msg,
		    sizeof(msg)))
			agent_error(c, "HTTP %ld: %s", status, msg);
		else
			agent_error(c, "HTTP %ld", status);
		goto out;
	}
	if (status == 204)		/* No Content: nothing to say */
		goto out;
	rv = c->kind == AGENT_HTTP ?
	    payload_agent_http_reply(c->body.data, c->body.len,
	    &c->reply.text, err, sizeof(err)) :
	    payload_agent_openai_reply(c->body.data, c->body.len,
	    &c->reply.text, err, sizeof(err));
	if (rv < 0) {
		log_error("agent %lld: answer: out of memory",
		    (long long)c->agent);
		agent_error(c, "out of memory");
	} else if (rv == 0)
		agent_error(c, "unreadable answer: %s", err);
	else if (c->reply.text == NULL)
		agent_error(c, "%s", err);
out:
	agent_scrub(c);
	log_debug("agent %lld message %lld: HTTP %ld, %zu bytes%s%s",
	    (long long)c->agent, (long long)c->message, status, c->body.len,
	    c->reply.error[0] != '\0' ? ": " : "", c->reply.error);
}

/* Takes c out of the pool's list. */
static void
agent_unlink(struct agent_pool *p, struct agent_call *c)
{
	struct agent_call	**pp;

	for (pp = &p->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			p->ncalls--;
			return;
		}
}

int
agent_pool_perform(struct agent_pool *p, long wait_ms,
    void (*done)(void *, const struct agent_reply *, void *), void *arg)
{
	struct agent_call	*ready = NULL, *c, **pp;
	CURLMsg			*m;
	CURLMcode		 mc;
	CURLcode		 result;
	char			*priv;
	long long		 deadline;
	long			 left;
	int			 running, queued, ndone = 0;

	/*
	 * Hand over the replies made at add time, oldest first; those added
	 * by done() itself wait for the next call, so this always ends.
	 */
	for (pp = &p->calls; (c = *pp) != NULL;)
		if (c->ready) {
			*pp = c->next;
			p->ncalls--;
			c->next = ready;
			ready = c;
		} else
			pp = &c->next;
	while ((c = ready) != NULL) {
		ready = c->next;
		ndone++;
		done(c->tag, &c->reply, arg);
		agent_call_free(p, c);
	}

	deadline = agent_now_ms() + (wait_ms > 0 ? wait_ms : 0);
	for (;;) {
		if ((mc = curl_multi_perform(p->multi, &running)) !=
		    CURLM_OK) {
			log_error("curl_multi_perform: %s",
			    curl_multi_strerror(mc));
			return -1;
		}
		while ((m = curl_multi_info_read(p->multi, &queued)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			result = m->data.result;
			priv = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    &priv);
			if ((c = (struct agent_call *)priv) == NULL)
				continue;
			agent_finish(c, result);
			agent_unlink(p, c);
			ndone++;
			done(c->tag, &c->reply, arg);
			agent_call_free(p, c);
		}
		if (ndone > 0 || p->ncalls == 0)
			break;
		if ((left = (long)(deadline - agent_now_ms())) <= 0)
			break;
		if ((mc = curl_multi_poll(p->multi, NULL, 0, (int)left,
		    NULL)) != CURLM_OK) {
			log_error("curl_multi_poll: %s",
			    curl_multi_strerror(mc));
			return -1;
		}
	}
	return (int)p->ncalls;
}

struct agent_pool *
agent_pool_open(size_t max_inflight, long timeout_ms)
{
	struct agent_pool	*p;

	if (!httpc_init())
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_error("calloc: out of memory");
		return NULL;
	}
	if ((p->multi = curl_multi_init()) == NULL) {
		log_error("curl_multi_init failed");
		free(p);
		return NULL;
	}
	p->max = max_inflight > 0 ? max_inflight : 1;
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : AGENT_TIMEOUT_MS;
	return p;
}

void
agent_pool_close(struct agent_pool *p)
{
	struct agent_call	*c;

	if (p == NULL)
		return;
	while ((c = p->calls) != NULL) {
		p->calls = c->next;
		agent_call_free(p, c);
	}
	curl_multi_cleanup(p->multi);
	free(p);
}

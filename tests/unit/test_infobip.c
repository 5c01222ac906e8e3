/* Infobip client tests against tests/sim/ibsim.py and small canned servers. */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "check.h"
#include "child.h"
#include "infobip.h"
#include "log.h"

/*
 * The keys the simulator knows. They are long and unusual so that finding
 * one in the captured log can only mean it leaked.
 */
#define KEY		"simkey-7f3a9c21d4e84b6f-full-scope"
#define KEY_SMS		"simkey-0b5e6d7c8a9f1e2d-sms-only"
#define KEY_WRONG	"simkey-ffffeeeeddddcccc-unknown"
#define NO_CREDIT	"41790000001"
#define UA_VERSION	"test-1.0"

static const char unreachable[] = "API URL unreachable or not Infobip: ";

static char	 sim_url[128];		/* http://127.0.0.1:PORT */
static struct child sim = CHILD_NONE;
static int	 real_stderr = -1;

/* --- base URL rule (no network) ------------------------------------ */

static void
test_base_url(void)
{
	static const struct {
		const char	*in;
		const char	*want;		/* NULL: refused */
	} cases[] = {
		{ "example.api.infobip.com", "https://example.api.infobip.com" },
		{ "https://example.api.infobip.com/",
		    "https://example.api.infobip.com" },
		{ "https://example.api.infobip.com///",
		    "https://example.api.infobip.com" },
		{ "HTTPS://Example.api.infobip.com",
		    "https://Example.api.infobip.com" },
		{ "  https://x.api.infobip.com/ \n", "https://x.api.infobip.com" },
		{ "https://x.example.com:8443/base/",
		    "https://x.example.com:8443/base" },
		{ "localhost:9090", "https://localhost:9090" },
		{ "http://127.0.0.1:9", "http://127.0.0.1:9" },
		{ "http://127.12.0.1:9/", "http://127.12.0.1:9" },
		{ "http://localhost", "http://localhost" },
		{ "http://LOCALHOST:8080/", "http://LOCALHOST:8080" },
		{ "http://[::1]:9090", "http://[::1]:9090" },
		{ "https://[2001:db8::1]/", "https://[2001:db8::1]" },
		{ "http://example.com", NULL },
		{ "http://127.0.0.1.example.com", NULL },
		{ "http://localhost.example.com", NULL },
		{ "http://128.0.0.1", NULL },
		{ "http://127.0.0.256", NULL },
		{ "http://127.1", NULL },
		{ "http://[::2]", NULL },
		{ "http://127.0.0.1:9@evil.example", NULL },
		{ "ftp://example.com", NULL },
		{ "https://example.com:11111111111111111111111", NULL },
		{ "https://example.com:65536", NULL },
		{ "file:///etc/passwd", NULL },
		{ "javascript:alert(1)", NULL },
		{ "", NULL },
		{ "   ", NULL },
		{ NULL, NULL },
		{ "https://", NULL },
		{ "https:///path", NULL },
		{ "https://exa mple.com", NULL },
		{ "https://example.com/a b", NULL },
		{ "https://example.com\r\nX-Evil: 1", NULL },
		{ "https://user:pw@example.com", NULL },
		{ "https://example.com?x=1", NULL },
		{ "https://example.com/#frag", NULL },
		{ "https://example.com/p?q", NULL },
		{ "https://example.com:0", NULL },
		{ "https://example.com:99999", NULL },
		{ "https://example.com:", NULL },
		{ "https://ex\xc3\xa4mple.com", NULL },
		{ "https://example.com/\"<x>", NULL },
		{ "https://[::1", NULL },
	};
	char		 out[IB_URL_MAX];
	const char	*why;
	size_t		 i;
	int		 rv;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		why = "unset";
		rv = ib_base_url_normalize(cases[i].in, out, sizeof(out), &why);
		if (cases[i].want != NULL) {
			CHECK(rv == 1, "base URL %zu \"%s\" accepted (%s)", i,
			    cases[i].in, why ? why : "");
			CHECK_STR(out, cases[i].want, "base URL %zu", i);
			CHECK(why == NULL, "base URL %zu: no reason", i);
		} else {
			CHECK(rv == 0, "base URL %zu \"%s\" refused", i,
			    cases[i].in ? cases[i].in : "(null)");
			CHECK(out[0] == '\0', "base URL %zu: out emptied", i);
			CHECK(why != NULL && why[0] != '\0',
			    "base URL %zu: a reason", i);
		}
	}
	CHECK(ib_base_url_normalize("https://example.com", out, 10, &why) == 0,
	    "base URL: too small a buffer is refused");
	CHECK(ib_base_url_normalize("https://example.com", out, 20, &why) == 1,
	    "base URL: an exact fit is accepted");
	CHECK(ib_base_url_normalize("ftp://example.com", out, sizeof(out),
	    &why) == 0 && strcmp(why, "API URL scheme must be https") == 0,
	    "base URL: scheme reason");
}

/* --- the simulator ------------------------------------------------- */

/* Starts ibsim on a free port; its URL goes to sim_url. */
static int
sim_start(void)
{
	static const char *const argv[] = { "python3", "tests/sim/ibsim.py",
	    "--port", "0", "--keys", KEY, "--sms-only-keys", KEY_SMS,
	    "--no-credit", NO_CREDIT, "--quiet", NULL };

	return child_start(&sim, argv, real_stderr, "simulator", sim_url,
	    sizeof(sim_url));
}

/* One call to the simulator's control API; returns the body (free it). */
static char *
sim_call(const char *method, const char *path, const char *json)
{
	char	 url[512], *body;
	long	 status;

	snprintf(url, sizeof(url), "%s%s", sim_url, path);
	body = child_call(method, url, json, &status);
	CHECK(status == 200, "control %s %s: HTTP %ld", method, path, status);
	return body;
}

static void
sim_fault(const char *endpoint, const char *kind, double delay)
{
	char	 json[256];

	snprintf(json, sizeof(json), "{\"endpoint\":\"%s\",\"kind\":\"%s\","
	    "\"count\":1,\"delay\":%g}", endpoint, kind, delay);
	free(sim_call("POST", "/_sim/fault", json));
}

/* What the simulator recorded of one request. */
struct recorded {
	char	 method[8];
	char	 query[256];
	char	 body[8192];
	char	 auth[256];
	char	 content_type[128];
	char	 accept[128];
	char	 user_agent[128];
	int	 status;		/* -1 when it got no answer */
	int	 count;			/* requests recorded for the path */
};

/* Fills r with the last request the simulator saw on path; 1 if any. */
static int
sim_last(const char *path, struct recorded *r)
{
	struct json_object	*root = NULL, *arr, *last, *v;
	char			 q[300], *body;
	int			 rv = 0;

	memset(r, 0, sizeof(*r));
	snprintf(q, sizeof(q), "/_sim/requests?path=%s", path);
	if ((body = sim_call("GET", q, NULL)) == NULL)
		return 0;
	root = json_tokener_parse(body);
	free(body);
	if (!json_object_object_get_ex(root, "requests", &arr) ||
	    (r->count = (int)json_object_array_length(arr)) == 0)
		goto out;
	last = json_object_array_get_idx(arr, r->count - 1);
	if (json_object_object_get_ex(last, "method", &v))
		snprintf(r->method, sizeof(r->method), "%s",
		    json_object_get_string(v));
	if (json_object_object_get_ex(last, "query", &v))
		snprintf(r->query, sizeof(r->query), "%s",
		    json_object_get_string(v));
	if (json_object_object_get_ex(last, "body", &v))
		snprintf(r->body, sizeof(r->body), "%s",
		    json_object_get_string(v));
	r->status = json_object_object_get_ex(last, "status", &v) &&
	    json_object_is_type(v, json_type_int) ? json_object_get_int(v) : -1;
	if (json_object_object_get_ex(last, "headers", &v)) {
		child_header(v, "Authorization", "", r->auth,
		    sizeof(r->auth));
		child_header(v, "Content-Type", "", r->content_type,
		    sizeof(r->content_type));
		child_header(v, "Accept", "", r->accept, sizeof(r->accept));
		child_header(v, "User-Agent", "", r->user_agent,
		    sizeof(r->user_agent));
	}
	rv = 1;
out:
	json_object_put(root);
	return rv;
}

/* --- canned servers: one fixed answer, for what the simulator cannot say */

/*
 * Answers every connection on s with resp, each "@AUTH@" in it replaced
 * by the request's Authorization value.
 */
static void
canned_serve(int s, const char *resp, size_t resplen)
{
	char		 req[65536], *hdr_end, *p, *auth, *at;
	size_t		 len, need, alen, left;
	ssize_t		 r;
	int		 c;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			continue;
		len = 0;
		hdr_end = NULL;
		while (len < sizeof(req) - 1 &&
		    (r = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
			len += (size_t)r;
			req[len] = '\0';
			if ((hdr_end = strstr(req, "\r\n\r\n")) == NULL)
				continue;
			need = 0;
			if ((p = strcasestr(req, "\r\nContent-Length:")) != NULL)
				need = strtoul(p + 17, NULL, 10);
			if (len >= (size_t)(hdr_end + 4 - req) + need)
				break;
		}
		auth = "";
		alen = 0;
		if ((p = strcasestr(req, "\r\nAuthorization: ")) != NULL) {
			auth = p + 17;
			alen = strcspn(auth, "\r\n");
		}
		for (p = (char *)resp, left = resplen;
		    (at = memmem(p, left, "@AUTH@", 6)) != NULL;
		    left -= (size_t)(at - p) + 6, p = at + 6) {
			(void)!write(c, p, (size_t)(at - p));
			(void)!write(c, auth, alen);
		}
		(void)!write(c, p, left);
		shutdown(c, SHUT_WR);
		close(c);
	}
}

/* Starts a canned server; returns its pid and writes its base URL. */
static pid_t
canned_start(const char *resp, size_t resplen, char *url, size_t urlsz)
{
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof(sa);
	pid_t			 pid;
	int			 s, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(s, 16) == -1 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) == -1) {
		close(s);
		return -1;
	}
	snprintf(url, urlsz, "http://127.0.0.1:%d", ntohs(sa.sin_port));
	fflush(NULL);
	if ((pid = fork()) == 0) {
		canned_serve(s, resp, resplen);
		_exit(0);
	}
	close(s);
	return pid;
}

static void
canned_stop(pid_t pid)
{
	int	 status;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* A port on loopback where nothing listens. */
static int
closed_port(void)
{
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof(sa);
	int			 s, port = 9;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return port;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(s);
	return port;
}

/* --- helpers ------------------------------------------------------- */

/* No error text may ever hold a key. */
static void
check_no_key(const char *what, const struct ib_error *err)
{
	static const char *const keys[] = { KEY, KEY_SMS, KEY_WRONG };
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(strstr(err->text, keys[i]) == NULL &&
		    strstr(err->violations, keys[i]) == NULL &&
		    strstr(err->code, keys[i]) == NULL,
		    "%s: error holds an API key", what);
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct ib_send_opts opts = {
	"IBTest",
	"http://127.0.0.1:9/channel/c0ffee/webhook/reports",
	"https://ib.example.org/channel/c0ffee/webhook/clicks",
	"go.example.org",
};

/* One message to a good number. */
static int
send_one(struct ib_client *c, const char *base, const char *key,
    const struct ib_send_opts *o, const char *uid, struct ib_result *res,
    struct ib_error *err)
{
	struct ib_outmsg	 m = { uid, "+41793026727", "Hello" };

	return ib_send(c, base, key, o, &m, 1, res, err);
}

/* --- send ---------------------------------------------------------- */

static void
test_send_accepted(struct ib_client *c)
{
	static const struct ib_outmsg msgs[] = {
		{ "t-acc-1", "+41793026727",
		    "Hi \"there\" \\ \xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 "
		    "\xf0\x9f\x98\x80\nline2 </b>" },
		{ "t-acc-2", "41793026834", "Second" },
	};
	static const char want_body[] =
	    "{\"messages\":["
	    "{\"sender\":\"IBTest\",\"destinations\":[{\"to\":\"41793026727\","
	    "\"messageId\":\"t-acc-1\"}],\"content\":{\"text\":\"Hi \\\"there\\\""
	    " \\\\ \xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 "
	    "\xf0\x9f\x98\x80\\nline2 "
	    "</b>\"},\"webhooks\":{\"delivery\":{\"url\":\"http://127.0.0.1:9/"
	    "channel/c0ffee/webhook/reports\"},\"contentType\":"
	    "\"application/json\"}},"
	    "{\"sender\":\"IBTest\",\"destinations\":[{\"to\":\"41793026834\","
	    "\"messageId\":\"t-acc-2\"}],\"content\":{\"text\":\"Second\"},"
	    "\"webhooks\":{\"delivery\":{\"url\":\"http://127.0.0.1:9/channel/"
	    "c0ffee/webhook/reports\"},\"contentType\":\"application/json\"}}],"
	    "\"options\":{\"tracking\":{\"shortenUrl\":true,\"trackClicks\":true,"
	    "\"trackingUrl\":\"https://ib.example.org/channel/c0ffee/webhook/"
	    "clicks\",\"customDomain\":\"go.example.org\"}}}";
	struct ib_result	 res[2], found;
	struct ib_error		 err;
	struct recorded		 r;
	size_t			 i;
	int			 rv;

	rv = ib_send(c, sim_url, KEY, &opts, msgs, 2, res, &err);
	CHECK(rv > 0, "accepted: rv %d (%s %s)", rv, err.code, err.text);
	for (i = 0; i < 2; i++) {
		CHECK_STR(res[i].uid, msgs[i].uid, "accepted [%zu] uid", i);
		CHECK(res[i].accepted == 1, "accepted [%zu]", i);
		CHECK(res[i].group_id == IB_GROUP_PENDING,
		    "accepted [%zu] group %d", i, res[i].group_id);
		CHECK_STR(res[i].group_name, "PENDING", "accepted [%zu]", i);
		CHECK_STR(res[i].status_name, "PENDING_ACCEPTED",
		    "accepted [%zu]", i);
		CHECK(res[i].status_id == 26, "accepted [%zu] id", i);
		CHECK_STR(res[i].infobip_id, msgs[i].uid,
		    "accepted [%zu] Infobip echoes our id", i);
		CHECK(res[i].bulk_id[0] != '\0', "accepted [%zu] bulk id", i);
		CHECK(res[i].message_count == 1, "accepted [%zu] count %d", i,
		    res[i].message_count);
	}
	CHECK_STR(res[0].bulk_id, res[1].bulk_id, "accepted: one bulk");

	CHECK(sim_last("/sms/3/messages", &r) == 1, "accepted: recorded");
	CHECK_STR(r.method, "POST", "accepted: method");
	CHECK_STR(r.body, want_body, "accepted: exact request body");
	CHECK(strcmp(r.auth, "App " KEY) == 0,
	    "accepted: Authorization header is not \"App <key>\"");
	CHECK_STR(r.content_type, "application/json", "accepted: Content-Type");
	CHECK_STR(r.accept, "application/json", "accepted: Accept");
	CHECK_STR(r.user_agent, "ibchannel/" UA_VERSION, "accepted: User-Agent");
	CHECK(r.status == 200, "accepted: sim answered %d", r.status);

	/* The same message found in Infobip's logs. */
	rv = ib_lookup(c, sim_url, KEY, "t-acc-2", &found, &err);
	CHECK(rv == 1, "lookup found: rv %d (%s %s)", rv, err.code, err.text);
	CHECK_STR(found.uid, "t-acc-2", "lookup found: uid");
	CHECK_STR(found.infobip_id, "t-acc-2", "lookup found: id");
	CHECK(found.group_id == IB_GROUP_PENDING && found.accepted == 1,
	    "lookup found: group %d", found.group_id);
	CHECK_STR(found.bulk_id, res[1].bulk_id, "lookup found: bulk id");
	CHECK(found.message_count == 1, "lookup found: count");
	CHECK(sim_last("/sms/3/logs", &r) == 1, "lookup: recorded");
	CHECK_STR(r.method, "GET", "lookup: method");
	CHECK_STR(r.query, "messageId=t-acc-2", "lookup: query");
	CHECK(strcmp(r.auth, "App " KEY) == 0, "lookup: Authorization");

	rv = ib_lookup(c, sim_url, KEY, "t-never-sent", &found, &err);
	CHECK(rv == 0, "lookup not found: rv %d", rv);
}

/* An id with characters that need escaping in a query string. */
static void
test_lookup_escaped(struct ib_client *c)
{
	struct ib_result	 res;
	struct ib_error		 err;
	struct recorded		 r;
	int			 rv;

	rv = send_one(c, sim_url, KEY, &opts, "t a&b=c/%d+", &res, &err);
	CHECK(rv > 0 && res.accepted, "escaped id sent");
	rv = ib_lookup(c, sim_url, KEY, "t a&b=c/%d+", &res, &err);
	CHECK(rv == 1, "escaped id found: rv %d", rv);
	CHECK_STR(res.infobip_id, "t a&b=c/%d+", "escaped id");
	CHECK(sim_last("/sms/3/logs", &r) == 1, "escaped: recorded");
	CHECK_STR(r.query, "messageId=t%20a%26b%3Dc%2F%25d%2B",
	    "escaped: query");
}

static void
test_send_rejected(struct ib_client *c)
{
	static const struct ib_outmsg msgs[] = {
		{ "t-rej-1", "+12", "bad number" },
		{ "t-rej-2", "+" NO_CREDIT, "no credit" },
		{ "t-rej-3", "+41793026727", "fine" },
	};
	struct ib_result	 res[3];
	struct ib_error		 err;
	int			 rv;

	rv = ib_send(c, sim_url, KEY, &opts, msgs, 3, res, &err);
	CHECK(rv > 0, "rejected within 200: rv %d", rv);
	CHECK(res[0].accepted == 0 && res[0].group_id == IB_GROUP_REJECTED,
	    "bad number rejected");
	CHECK_STR(res[0].status_name, "REJECTED_DESTINATION", "bad number");
	CHECK(res[1].accepted == 0 && res[1].group_id == IB_GROUP_REJECTED,
	    "no credit rejected");
	CHECK_STR(res[1].status_name, "REJECTED_NOT_ENOUGH_CREDITS",
	    "no credit");
	CHECK_STR(res[1].description, "Not enough credits", "no credit");
	CHECK(res[2].accepted == 1, "good number in the same batch accepted");
}

static void
test_send_errors(struct ib_client *c)
{
	static const struct ib_send_opts no_sender = { NULL, NULL, NULL, NULL };
	struct ib_result	 res;
	struct ib_error		 err;
	struct recorded		 r;
	char			 url[64];
	double			 t0;
	int			 rv, before;

	/* 400 with violations. */
	rv = send_one(c, sim_url, KEY, &no_sender, "t-400", &res, &err);
	CHECK(rv == 0, "400: permanent, rv %d", rv);
	CHECK(err.http_status == 400 && !err.retryable && !err.unsure,
	    "400: status %ld", err.http_status);
	CHECK_STR(err.code, "E400", "400: code");
	CHECK_STR(err.text, "Request cannot be processed.", "400: text");
	CHECK_STR(err.violations, "messages[0].sender: must not be null",
	    "400: violations");
	check_no_key("400", &err);

	/* 401 in the new shape. */
	rv = send_one(c, sim_url, KEY_WRONG, &opts, "t-401", &res, &err);
	CHECK(rv == 0 && err.http_status == 401 && !err.retryable,
	    "401: permanent, rv %d", rv);
	CHECK_STR(err.code, "E401", "401: code");
	CHECK_STR(err.text, "The request lacks valid authentication "
	    "credentials for the requested resource.", "401: text");
	check_no_key("401", &err);

	/* 429 and 5xx are retried later. */
	sim_fault("/sms/3/messages", "429", 0);
	rv = send_one(c, sim_url, KEY, &opts, "t-429", &res, &err);
	CHECK(rv < 0 && err.retryable && err.http_status == 429,
	    "429: retryable, rv %d", rv);
	CHECK(!err.unsure, "429: Infobip refused it, so it is not unsure");
	CHECK_STR(err.code, "E429", "429: code");
	CHECK(err.retry_after == 0, "429 without Retry-After");
	sim_fault("/sms/3/messages", "500", 0);
	rv = send_one(c, sim_url, KEY, &opts, "t-500", &res, &err);
	CHECK(rv < 0 && err.retryable && err.http_status == 500 && err.unsure,
	    "500: retryable and unsure, rv %d", rv);
	CHECK_STR(err.code, "E500", "500: code");
	CHECK_STR(err.text, "Something went wrong.", "500: text");
	sim_fault("/sms/3/messages", "503", 0);
	rv = send_one(c, sim_url, KEY, &opts, "t-503", &res, &err);
	CHECK(rv < 0 && err.retryable && err.http_status == 503 && err.unsure,
	    "503: retryable and unsure, rv %d", rv);

	/* Timeout. */
	ib_set_timeouts(c, 1000, 1500);
	/* Infobip holds the answer for 20 s: the client gives up long before. */
	sim_fault("/sms/3/messages", "timeout", 20);
	t0 = now_s();
	rv = send_one(c, sim_url, KEY, &opts, "t-timeout", &res, &err);
	CHECK(rv < 0 && err.retryable && err.http_status == 0 && err.unsure,
	    "timeout: retryable and unsure, rv %d", rv);
	CHECK_STR(err.code, "TIMEOUT", "timeout: code");
	CHECK(strstr(err.text, "timed out") != NULL, "timeout: curl's text "
	    "\"%s\"", err.text);
	CHECK(now_s() - t0 < 15, "timeout: gave up after %.1f s, before the"
	    " answer came", now_s() - t0);
	ib_set_timeouts(c, 0, 0);

	/* Connection reset. */
	sim_fault("/sms/3/messages", "reset", 0);
	rv = send_one(c, sim_url, KEY, &opts, "t-reset", &res, &err);
	CHECK(rv < 0 && err.retryable && err.http_status == 0 && err.unsure,
	    "reset: retryable and unsure, rv %d", rv);
	CHECK_STR(err.code, "NETWORK", "reset: code");
	CHECK(err.text[0] != '\0', "reset: curl's reason");

	/* A 200 that cannot be read: what became of the message is unknown. */
	sim_fault("/sms/3/messages", "malformed", 0);
	rv = send_one(c, sim_url, KEY, &opts, "t-malformed", &res, &err);
	CHECK(rv < 0 && err.retryable && err.unsure && err.http_status == 200,
	    "malformed 200: unsure, rv %d", rv);
	CHECK_STR(err.code, "BAD_RESPONSE", "malformed: code");
	CHECK_STR(err.text, "response is not JSON", "malformed: text");
	CHECK(res.accepted == 0 && res.group_id == IB_GROUP_NONE,
	    "malformed: res has no status");

	/* {"messages": []} after accepting: the message is unknown, not failed. */
	sim_fault("/sms/3/messages", "accept_then_empty", 0);
	rv = send_one(c, sim_url, KEY, &opts, "t-empty", &res, &err);
	CHECK(rv > 0 && res.accepted == 0 && res.group_id == IB_GROUP_NONE,
	    "empty answer: rv %d, group %d", rv, res.group_id);
	CHECK_STR(res.description, "missing from Infobip's response",
	    "empty answer: description");
	rv = ib_lookup(c, sim_url, KEY, "t-empty", &res, &err);
	CHECK(rv == 1 && res.accepted, "empty answer: found in logs, rv %d",
	    rv);

	/* Nothing left this machine: Infobip cannot have it. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	rv = send_one(c, url, KEY, &opts, "t-refused", &res, &err);
	CHECK(rv < 0 && err.retryable && !err.unsure,
	    "connection refused: retryable, not unsure, rv %d", rv);

	/*
	 * Accepted, then the (reused) connection dies: the client must not
	 * send again by itself; the logs tell what happened.
	 */
	sim_last("/sms/3/messages", &r);
	before = r.count;
	sim_fault("/sms/3/messages", "accept_then_reset", 0);
	rv = send_one(c, sim_url, KEY, &opts, "t-lost-answer", &res, &err);
	CHECK(rv < 0 && err.retryable && err.unsure,
	    "accept_then_reset: retryable and unsure");
	CHECK_STR(err.code, "NETWORK", "accept_then_reset: code");
	CHECK_STR(res.uid, "t-lost-answer", "accept_then_reset: res uid");
	CHECK(res.accepted == 0 && res.group_id == IB_GROUP_NONE,
	    "accept_then_reset: res has no status");
	sim_last("/sms/3/messages", &r);
	CHECK(r.count == before + 1, "accept_then_reset: sent %d times, "
	    "not once", r.count - before);
	rv = ib_lookup(c, sim_url, KEY, "t-lost-answer", &res, &err);
	CHECK(rv == 1 && res.accepted, "accept_then_reset: found in logs, "
	    "rv %d", rv);

	/* Bad input never reaches the network. */
	sim_last("/sms/3/messages", &r);
	before = r.count;
	rv = send_one(c, "http://example.com", KEY, &opts, "t-x", &res, &err);
	CHECK(rv == 0 && strcmp(err.code, "BAD_URL") == 0,
	    "plain http to a public host refused");
	rv = send_one(c, sim_url, "abc\r\nX-Evil: 1", &opts, "t-x", &res,
	    &err);
	CHECK(rv == 0 && strcmp(err.code, "BAD_REQUEST") == 0,
	    "key with CR LF refused");
	rv = send_one(c, sim_url, "", &opts, "t-x", &res, &err);
	CHECK(rv == 0 && strcmp(err.code, "BAD_REQUEST") == 0,
	    "empty key refused");
	rv = ib_send(c, sim_url, KEY, &opts, NULL, 0, &res, &err);
	CHECK(rv == 0 && strcmp(err.code, "BAD_REQUEST") == 0,
	    "no messages refused");
	rv = send_one(c, sim_url, KEY, &opts,
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    &res, &err);
	CHECK(rv == 0 && strcmp(err.code, "BAD_REQUEST") == 0,
	    "over-long uid refused");
	sim_last("/sms/3/messages", &r);
	CHECK(r.count == before, "refused sends made no request");
}

/* Answers only a canned server can give. */
static void
test_send_canned(struct ib_client *c)
{
	static const char legacy401[] =
	    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
	    "Content-Length: 97\r\nConnection: close\r\n\r\n"
	    "{\"requestError\":{\"serviceException\":{\"messageId\":"
	    "\"UNAUTHORIZED\",\"text\":\"Invalid login details\"}}}";
	static const char retry429[] =
	    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
	    "Content-Type: application/json\r\nContent-Length: 98\r\n"
	    "Connection: close\r\n\r\n"
	    "{\"requestError\":{\"serviceException\":{\"messageId\":"
	    "\"TOO_MANY_REQUESTS\",\"text\":\"Too many requests\"}}}";
	static const char notsend[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 9\r\nConnection: close\r\n\r\n{\"foo\":1}";
	static const char redirect[] =
	    "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:9/\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	static const char echo[] =
	    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
	    "Connection: close\r\n\r\n"
	    "{\"errorCode\":\"E401\",\"description\":\"you sent @AUTH@\","
	    "\"violations\":[{\"property\":\"h\",\"violation\":\"@AUTH@\"}]}";
	static const char head200[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 1200000\r\nConnection: close\r\n\r\n";
	struct ib_result	 res;
	struct ib_error		 err;
	char			 url[64], *big;
	pid_t			 pid;
	size_t			 n;
	int			 rv;

	pid = canned_start(legacy401, sizeof(legacy401) - 1, url, sizeof(url));
	rv = send_one(c, url, KEY, &opts, "t-l401", &res, &err);
	CHECK(rv == 0 && err.http_status == 401 && !err.retryable,
	    "legacy 401: permanent, rv %d", rv);
	CHECK_STR(err.code, "E401", "legacy 401: UNAUTHORIZED mapped");
	CHECK_STR(err.text, "Invalid login details", "legacy 401: text");
	canned_stop(pid);

	pid = canned_start(retry429, sizeof(retry429) - 1, url, sizeof(url));
	rv = send_one(c, url, KEY, &opts, "t-r429", &res, &err);
	CHECK(rv < 0 && err.retryable && err.http_status == 429,
	    "429 with Retry-After: retryable, rv %d", rv);
	CHECK(err.retry_after == 7, "Retry-After honoured: %ld",
	    err.retry_after);
	CHECK_STR(err.code, "E429", "legacy 429 mapped");
	canned_stop(pid);

	pid = canned_start(notsend, sizeof(notsend) - 1, url, sizeof(url));
	rv = send_one(c, url, KEY, &opts, "t-notsend", &res, &err);
	CHECK(rv < 0 && err.unsure && strcmp(err.code, "BAD_RESPONSE") == 0,
	    "200 that is no send result: unsure");
	CHECK_STR(err.text, "response is not a send result", "not a result");
	canned_stop(pid);

	pid = canned_start(redirect, sizeof(redirect) - 1, url, sizeof(url));
	rv = send_one(c, url, KEY, &opts, "t-redirect", &res, &err);
	CHECK(rv == 0 && err.http_status == 301,
	    "redirect not followed: rv %d, status %ld", rv, err.http_status);
	CHECK_STR(err.code, "E301", "redirect code");
	canned_stop(pid);

	pid = canned_start(echo, sizeof(echo) - 1, url, sizeof(url));
	rv = send_one(c, url, KEY, &opts, "t-echo", &res, &err);
	CHECK(rv == 0 && err.http_status == 401, "echo: 401");
	CHECK_STR(err.text, "(withheld: it contained the API key)",
	    "echoed key withheld from text");
	CHECK_STR(err.violations, "(withheld: it contained the API key)",
	    "echoed key withheld from violations");
	check_no_key("echo", &err);
	canned_stop(pid);

	/* A body over 1 MiB is refused, not read on. */
	n = sizeof(head200) - 1;
	if ((big = malloc(n + 1200000)) != NULL) {
		memcpy(big, head200, n);
		memset(big + n, ' ', 1200000);
		big[n] = '{';
		pid = canned_start(big, n + 1200000, url, sizeof(url));
		rv = send_one(c, url, KEY, &opts, "t-big", &res, &err);
		CHECK(rv < 0 && err.unsure && err.http_status == 200,
		    "oversized 200: unsure, rv %d", rv);
		CHECK_STR(err.code, "BAD_RESPONSE", "oversized: code");
		CHECK_STR(err.text, "response larger than 1048576 bytes",
		    "oversized: text");
		canned_stop(pid);
		free(big);
	}
}

/* --- validate ------------------------------------------------------ */

static void
test_validate(struct ib_client *c)
{
	static const char html[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	    "Content-Length: 28\r\nConnection: close\r\n\r\n"
	    "<html><body>hi</body></html>";
	static const char other[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}";
	struct ib_balance	 bal;
	struct ib_error		 err;
	struct recorded		 r;
	char			 url[160], want[256];
	pid_t			 pid;
	int			 rv;

	rv = ib_validate(c, sim_url, KEY, &bal, &err);
	CHECK(rv == 1, "validate: rv %d (%s)", rv, err.text);
	CHECK(bal.balance > 47.79133 && bal.balance < 47.79135,
	    "validate: balance %f", bal.balance);
	CHECK_STR(bal.currency, "EUR", "validate: currency");
	CHECK(bal.scope_missing == 0, "validate: scope");
	CHECK(sim_last("/account/1/balance", &r) == 1, "validate: recorded");
	CHECK_STR(r.method, "GET", "validate: method");
	CHECK(strcmp(r.auth, "App " KEY) == 0, "validate: Authorization");
	CHECK_STR(r.accept, "application/json", "validate: Accept");
	CHECK_STR(r.content_type, "application/json", "validate: Content-Type");

	rv = ib_validate(c, sim_url, KEY_SMS, &bal, &err);
	CHECK(rv == 2 && bal.scope_missing == 1, "validate 403: rv %d", rv);
	CHECK_STR(err.code, "E403", "validate 403: code");

	rv = ib_validate(c, sim_url, KEY_WRONG, &bal, &err);
	CHECK(rv == 0, "validate 401: rv %d", rv);
	CHECK_STR(err.text, "API key rejected", "validate 401: text");
	CHECK_STR(err.code, "E401", "validate 401: code");
	check_no_key("validate 401", &err);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	rv = ib_validate(c, url, KEY, &bal, &err);
	CHECK(rv == 0, "validate refused: rv %d", rv);
	CHECK(strncmp(err.text, unreachable, sizeof(unreachable) - 1) == 0 &&
	    strstr(err.text, "onnect") != NULL,
	    "validate refused: text \"%s\"", err.text);
	CHECK_STR(err.code, "NETWORK", "validate refused: code");
	check_no_key("validate refused", &err);

	snprintf(url, sizeof(url), "%s/nothing", sim_url);
	rv = ib_validate(c, url, KEY, &bal, &err);
	CHECK(rv == 0, "validate 404: rv %d", rv);
	snprintf(want, sizeof(want), "%sHTTP 404", unreachable);
	CHECK_STR(err.text, want, "validate 404: text");

	sim_fault("/account/1/balance", "malformed", 0);
	rv = ib_validate(c, sim_url, KEY, &bal, &err);
	snprintf(want, sizeof(want), "%sresponse is not JSON", unreachable);
	CHECK(rv == 0, "validate malformed: rv %d", rv);
	CHECK_STR(err.text, want, "validate malformed: text");

	pid = canned_start(html, sizeof(html) - 1, url, sizeof(url));
	rv = ib_validate(c, url, KEY, &bal, &err);
	CHECK(rv == 0, "validate HTML: rv %d", rv);
	CHECK_STR(err.text, want, "validate HTML: text");
	canned_stop(pid);

	pid = canned_start(other, sizeof(other) - 1, url, sizeof(url));
	rv = ib_validate(c, url, KEY, &bal, &err);
	snprintf(want, sizeof(want), "%sresponse is not an Infobip balance",
	    unreachable);
	CHECK(rv == 0, "validate other JSON: rv %d", rv);
	CHECK_STR(err.text, want, "validate other JSON: text");
	canned_stop(pid);

	ib_set_timeouts(c, 1000, 1500);
	sim_fault("/account/1/balance", "timeout", 3);
	rv = ib_validate(c, sim_url, KEY, &bal, &err);
	CHECK(rv == 0 && strncmp(err.text, unreachable,
	    sizeof(unreachable) - 1) == 0 && strcmp(err.code, "TIMEOUT") == 0,
	    "validate timeout: rv %d \"%s\"", rv, err.text);
	ib_set_timeouts(c, 0, 0);

	rv = ib_validate(c, "ftp://example.com", KEY, &bal, &err);
	CHECK(rv == 0, "validate ftp: rv %d", rv);
	CHECK_STR(err.text, "API URL invalid: API URL scheme must be https",
	    "validate ftp: text");
	rv = ib_validate(c, "http://example.com", KEY, &bal, &err);
	CHECK(rv == 0 && strncmp(err.text, "API URL invalid: ", 17) == 0,
	    "validate plain http refused");
}

/* --- lookup errors ------------------------------------------------- */

static void
test_lookup_errors(struct ib_client *c)
{
	struct ib_result	 res;
	struct ib_error		 err;
	int			 rv;

	rv = ib_lookup(c, sim_url, KEY_WRONG, "t-acc-1", &res, &err);
	CHECK(rv < 0 && strcmp(err.code, "E401") == 0 && !err.retryable,
	    "lookup 401: rv %d %s", rv, err.code);
	rv = ib_lookup(c, sim_url, KEY_SMS, "t-acc-1", &res, &err);
	CHECK(rv < 0 && err.http_status == 403 && !err.retryable,
	    "lookup without the logs scope: 403, rv %d %ld", rv,
	    err.http_status);
	sim_fault("/sms/3/logs", "empty", 0);
	rv = ib_lookup(c, sim_url, KEY, "t-acc-1", &res, &err);
	CHECK(rv == 0, "lookup answered empty: not found, rv %d", rv);
	sim_fault("/sms/3/logs", "429", 0);
	rv = ib_lookup(c, sim_url, KEY, "t-acc-1", &res, &err);
	CHECK(rv < 0 && err.retryable && err.http_status == 429,
	    "lookup 429: rv %d", rv);
	sim_fault("/sms/3/logs", "malformed", 0);
	rv = ib_lookup(c, sim_url, KEY, "t-acc-1", &res, &err);
	CHECK(rv < 0 && strcmp(err.code, "BAD_RESPONSE") == 0,
	    "lookup malformed: rv %d %s", rv, err.code);
	/* A GET may be repeated: libcurl retries it on a fresh connection. */
	sim_fault("/sms/3/logs", "reset", 0);
	rv = ib_lookup(c, sim_url, KEY, "t-acc-1", &res, &err);
	CHECK(rv == 1 || (rv < 0 && strcmp(err.code, "NETWORK") == 0),
	    "lookup reset: rv %d %s", rv, err.code);
	rv = ib_lookup(c, sim_url, KEY, "", &res, &err);
	CHECK(rv < 0 && strcmp(err.code, "BAD_REQUEST") == 0,
	    "lookup empty id");
	rv = ib_lookup(c, sim_url, KEY, "t-acc-1", &res, &err);
	CHECK(rv == 1, "lookup after the faults: rv %d", rv);
}

/* --- the log must never hold a key --------------------------------- */

/* Restores stderr, copies the captured log to it and looks for the keys. */
static void
check_log(FILE *cap)
{
	static const char *const keys[] = { KEY, KEY_SMS, KEY_WRONG, "App " };
	char		*buf = NULL;
	long		 sz;
	size_t		 i, n;

	fflush(stderr);
	dup2(real_stderr, STDERR_FILENO);
	if (fseek(cap, 0, SEEK_END) != 0 || (sz = ftell(cap)) < 0 ||
	    fseek(cap, 0, SEEK_SET) != 0 || (buf = malloc(sz + 1)) == NULL) {
		CHECK(0, "cannot read the captured log");
		return;
	}
	n = fread(buf, 1, sz, cap);
	buf[n] = '\0';
	fwrite(buf, 1, n, stderr);
	CHECK(n > 0 && strstr(buf, "infobip") != NULL,
	    "the client logged something at debug level");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(memmem(buf, n, keys[i], strlen(keys[i])) == NULL,
		    "the log holds key %zu", i);
	free(buf);
}

int
main(void)
{
	struct ib_client	*c = NULL;
	FILE			*cap;

	signal(SIGPIPE, SIG_IGN);
	test_base_url();

	/* Everything the client logs, at every level, goes to cap. */
	setenv("IBCHANNEL_LOG", "debug", 1);
	log_init("test_infobip");
	if ((cap = tmpfile()) == NULL ||
	    (real_stderr = dup(STDERR_FILENO)) == -1) {
		CHECK(0, "cannot capture stderr");
		return check_done();
	}
	fflush(stderr);
	dup2(fileno(cap), STDERR_FILENO);

	if (!sim_start())
		goto out;
	free(sim_call("POST", "/_sim/config", "{\"dlr_outcome\":\"none\"}"));
	if ((c = ib_open(UA_VERSION)) == NULL) {
		CHECK(0, "ib_open");
		goto out;
	}
	test_send_accepted(c);
	test_lookup_escaped(c);
	test_send_rejected(c);
	test_send_errors(c);
	test_send_canned(c);
	test_validate(c);
	test_lookup_errors(c);
out:
	ib_close(c);
	child_stop(&sim);
	check_log(cap);
	fclose(cap);
	return check_done();
}

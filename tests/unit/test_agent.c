/* Tests of the agent pool against tests/unit/fake_agent.py: HTTP and OpenAI-compatible agents, timeouts, concurrency. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "agent.h"
#include "check.h"
#include "child.h"
#include "log.h"

/* Keys long and odd enough that finding one in the log can only be a leak. */
#define KEY		"fake-openai-key-3b8e1d0c7a"
#define KEY_WRONG	"sk-wrong-7d1c9e4f2a6b"
#define TOKEN		"http-token-5e1f90ab"
#define PHONE		"+14155550100"

static char	 base[128];		/* http://127.0.0.1:PORT */
static struct child fake = CHILD_NONE;
static int	 real_stderr = -1;
static FILE	*log_cap;		/* where the log goes */

/* What a finished job handed back, copied out of the pool's reply. */
struct got {
	int		 done;
	char		*text;
	char		 error[512];
	int		 collect_step;
	long long	 ms;		/* since the start of the run */
	int		 order;		/* 1 for the first handed over, ... */
};

static long long	 t0;
static int		 ndelivered;

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
got_free(struct got *g)
{
	free(g->text);
	memset(g, 0, sizeof(*g));
}

static void
on_done(void *tag, const struct agent_reply *r, void *arg)
{
	struct got	*g = tag;

	(void)arg;
	g->done++;
	free(g->text);
	g->text = r->text != NULL ? strdup(r->text) : NULL;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	g->collect_step = r->collect_step;
	g->ms = now_ms() - t0;
	g->order = ++ndelivered;
}

/* Drives the pool until every job in gots[0..n) is done or 10 s pass. */
static void
run_until_done(struct agent_pool *pool, struct got *gots, size_t n)
{
	long long	 deadline = now_ms() + 10000;
	size_t		 i, left;

	do {
		CHECK(agent_pool_perform(pool, 200, on_done, NULL) >= 0,
		    "perform");
		for (i = 0, left = 0; i < n; i++)
			left += gots[i].done == 0;
	} while (left > 0 && now_ms() < deadline);
	CHECK(left == 0, "all jobs done in time");
}

/* Runs one job in a fresh pool with the given timeout. */
static void
run_one(const struct agent_job *job, long timeout_ms, struct got *g)
{
	struct agent_pool	*pool;

	memset(g, 0, sizeof(*g));
	if ((pool = agent_pool_open(4, timeout_ms)) == NULL) {
		CHECK(0, "agent_pool_open");
		return;
	}
	t0 = now_ms();
	CHECK(agent_pool_add(pool, job, g) > 0, "agent_pool_add");
	run_until_done(pool, g, 1);
	CHECK(g->done == 1, "handed over once, got %d", g->done);
	agent_pool_close(pool);
}

/* --- the fake server -------------------------------------------------- */

/* Starts tests/unit/fake_agent.py on a free port; its URL goes to base. */
static int
fake_start(void)
{
	static const char *const argv[] = { "python3",
	    "tests/unit/fake_agent.py", "--port", "0", "--key", KEY, NULL };

	return child_start(&fake, argv, real_stderr, "fake agent", base,
	    sizeof(base));
}

/* The fake's records: {"requests": [...]}; put it when done. */
static struct json_object *
requests(void)
{
	struct json_object	*o = NULL;
	char			 url[256], *body;
	long			 status;

	snprintf(url, sizeof(url), "%s/_requests", base);
	if ((body = child_call("GET", url, NULL, &status)) != NULL)
		o = json_tokener_parse(body);
	free(body);
	return o;
}

static size_t
nrequests(void)
{
	struct json_object	*o, *a;
	size_t			 n = 0;

	o = requests();
	if (json_object_object_get_ex(o, "requests", &a))
		n = json_object_array_length(a);
	json_object_put(o);
	return n;
}

/* What the fake recorded of the last POST to path. */
struct recorded {
	int			 found;
	char			 auth[256];	/* "(none)" when absent */
	char			 ctype[128];
	char			*raw;		/* the body as sent */
	struct json_object	*body;		/* parsed; NULL if it was not JSON */
};

static void
recorded_free(struct recorded *r)
{
	free(r->raw);
	json_object_put(r->body);
	memset(r, 0, sizeof(*r));
}

static void
last_request(const char *path, struct recorded *r)
{
	struct json_object	*o, *a, *e, *v;
	size_t			 i;

	memset(r, 0, sizeof(*r));
	o = requests();
	if (!json_object_object_get_ex(o, "requests", &a))
		goto out;
	for (i = json_object_array_length(a); i > 0; i--) {
		e = json_object_array_get_idx(a, i - 1);
		if (!json_object_object_get_ex(e, "path", &v) ||
		    strcmp(json_object_get_string(v), path) != 0)
			continue;
		r->found = 1;
		if (json_object_object_get_ex(e, "headers", &v)) {
			child_header(v, "Authorization", "(none)", r->auth,
			    sizeof(r->auth));
			child_header(v, "Content-Type", "(none)", r->ctype,
			    sizeof(r->ctype));
		}
		if (json_object_object_get_ex(e, "body", &v)) {
			r->raw = strdup(json_object_get_string(v));
			r->body = json_tokener_parse(r->raw);
		}
		break;
	}
out:
	json_object_put(o);
	CHECK(r->found, "a request to %s was recorded", path);
}

/* The string at key of o (or of o's array element idx when idx >= 0). */
static const char *
str_at(struct json_object *o, int idx, const char *key)
{
	struct json_object	*v;

	if (idx >= 0)
		o = json_object_array_get_idx(o, (size_t)idx);
	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "(missing)";
	return json_object_get_string(v);
}

/* --- tests ------------------------------------------------------------ */

static const struct agent_turn history[] = {
	{ 1, "Hi" },
	{ 0, "Hello! How can I help?" },
	{ 1, "My order \xf0\x9f\x93\xa6" },
};

static void
job_init(struct agent_job *job, const char *kind, const char *url)
{
	memset(job, 0, sizeof(*job));
	job->message = 7;
	job->session = 42;
	job->contact = 3;
	job->agent = 2;
	job->kind = kind;
	job->url = url;
	job->phone = PHONE;
	job->text = "hello";
	job->session_data = "{}";
}

static void
test_http(void)
{
	static const char	 text[] = "Where is my order? <b>\"now\"</b> "
	    "\\ \xf0\x9f\x98\x80\n";
	struct agent_job	 job;
	struct recorded		 rec;
	struct json_object	*v, *hist;
	struct got		 g;
	char			 url[256], want[256];

	snprintf(url, sizeof(url), "%s/agent", base);
	job_init(&job, "http", url);
	job.text = text;
	job.history = history;
	job.nhistory = 3;
	job.api_key = TOKEN;
	job.collect_step = 3;
	run_one(&job, 5000, &g);
	snprintf(want, sizeof(want), "echo: %s", text);
	want[strlen(want) - 1] = '\0';		/* the reply is trimmed */
	CHECK_STR(g.text, want, "http: reply");
	CHECK_STR(g.error, "", "http: no error");
	CHECK(g.collect_step == 3, "http: collect_step kept");
	got_free(&g);

	last_request("/agent", &rec);
	CHECK_STR(rec.ctype, "application/json", "http: content type");
	CHECK_STR(rec.auth, "Bearer " TOKEN, "http: bearer token");
	CHECK(rec.body != NULL, "http: body is JSON: %s", rec.raw);
	CHECK(json_object_object_get_ex(rec.body, "session", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == 42, "http: session 42");
	CHECK_STR(str_at(rec.body, -1, "contact"), PHONE, "http: contact");
	CHECK_STR(str_at(rec.body, -1, "message"), text, "http: message");
	CHECK(json_object_object_get_ex(rec.body, "history", &hist) &&
	    json_object_is_type(hist, json_type_array) &&
	    json_object_array_length(hist) == 3, "http: three turns");
	CHECK_STR(str_at(hist, 0, "role"), "customer", "http: turn 0 role");
	CHECK_STR(str_at(hist, 0, "text"), "Hi", "http: turn 0 text");
	CHECK_STR(str_at(hist, 1, "role"), "agent", "http: turn 1 role");
	CHECK_STR(str_at(hist, 1, "text"), "Hello! How can I help?",
	    "http: turn 1 text");
	CHECK_STR(str_at(hist, 2, "role"), "customer", "http: turn 2 role");
	CHECK_STR(str_at(hist, 2, "text"), "My order \xf0\x9f\x93\xa6",
	    "http: turn 2 text");
	CHECK(strstr(rec.raw, TOKEN) == NULL, "http: token not in the body");
	recorded_free(&rec);

	/* Without a key there is no Authorization header; no history is []. */
	job.api_key = NULL;
	job.history = NULL;
	job.nhistory = 0;
	job.text = "plain";
	run_one(&job, 5000, &g);
	CHECK_STR(g.text, "echo: plain", "http without key: reply");
	got_free(&g);
	last_request("/agent", &rec);
	CHECK_STR(rec.auth, "(none)", "http without key: no Authorization");
	CHECK(json_object_object_get_ex(rec.body, "history", &hist) &&
	    json_object_array_length(hist) == 0, "http: empty history");
	recorded_free(&rec);
}

/* A slow agent must not hold up a fast one started at the same time. */
static void
test_concurrency(void)
{
	struct agent_pool	*pool;
	struct agent_job	 slow, fast;
	struct got		 g[2];
	char			 url_slow[256], url_fast[256];

	memset(g, 0, sizeof(g));
	snprintf(url_slow, sizeof(url_slow), "%s/slow", base);
	snprintf(url_fast, sizeof(url_fast), "%s/agent", base);
	job_init(&slow, "http", url_slow);
	job_init(&fast, "http", url_fast);
	slow.text = "slow one";
	fast.text = "fast one";
	if ((pool = agent_pool_open(4, 1000)) == NULL) {
		CHECK(0, "agent_pool_open");
		return;
	}
	t0 = now_ms();
	ndelivered = 0;
	CHECK(agent_pool_add(pool, &slow, &g[0]) > 0, "slow added");
	CHECK(agent_pool_add(pool, &fast, &g[1]) > 0, "fast added");
	run_until_done(pool, g, 2);
	agent_pool_close(pool);

	CHECK_STR(g[1].text, "echo: fast one", "fast: reply");
	CHECK_STR(g[1].error, "", "fast: no error");
	CHECK(g[1].order == 1, "fast handed over first");
	CHECK(g[1].ms < 500, "fast reply in %lld ms, want < 500", g[1].ms);
	CHECK(g[0].text == NULL, "slow: no reply");
	CHECK(strncmp(g[0].error, "timeout", 7) == 0, "slow: timeout error, "
	    "got \"%s\"", g[0].error);
	CHECK(g[0].ms >= 900 && g[0].ms < 2500, "slow gave up after %lld ms, "
	    "want about 1000", g[0].ms);
	CHECK(g[0].ms - g[1].ms >= 500, "fast %lld ms well before slow "
	    "%lld ms", g[1].ms, g[0].ms);
	got_free(&g[0]);
	got_free(&g[1]);
}

static void
test_errors(void)
{
	static const struct {
		const char	*kind;
		const char	*path;		/* after base; NULL: url as is */
		const char	*url;
		const char	*key;
		const char	*want;		/* the error starts with this */
	} cases[] = {
		{ "http", "/fail", NULL, NULL, "HTTP 500" },
		{ "http", "/badjson", NULL, NULL,
		    "unreadable answer: answer is not a JSON object" },
		{ "http", "/noreply", NULL, NULL,
		    "unreadable answer: answer has no \"reply\" member" },
		{ "http", "/silent", NULL, NULL, "" },
		{ "http", "/blank", NULL, NULL, "" },
		{ "http", "/big", NULL, NULL, "answer larger than 262144 bytes" },
		{ "http", "/nothere", NULL, NULL, "HTTP 404: not found" },
		{ "http", NULL, "http://127.0.0.1:1/agent", NULL,
		    "network error: " },
		{ "http", NULL, "ftp://127.0.0.1/agent", NULL,
		    "the agent URL must start with http:// or https://" },
		{ "http", NULL, "", NULL, "the agent has no URL" },
		{ "http", NULL, "http://127.0.0.1/a b", NULL,
		    "the agent URL holds a space or a control character" },
		{ "http", NULL, "http://agent.example.com/agent", "a-key",
		    "the agent URL must use https when the agent has an API"
		    " key" },
		{ "http", "/agent", NULL, "bad\r\nX-Injected: 1",
		    "the API key is too long or holds a character that cannot "
		    "be sent" },
		{ "smoke", "/agent", NULL, NULL,
		    "unknown agent kind \"smoke\"" },
		{ NULL, "/agent", NULL, NULL, "unknown agent kind \"(none)\"" },
	};
	struct agent_job	 job;
	struct got		 g;
	char			 url[256];
	size_t			 i, before;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].path != NULL)
			snprintf(url, sizeof(url), "%s%s", base, cases[i].path);
		else
			snprintf(url, sizeof(url), "%s", cases[i].url);
		job_init(&job, cases[i].kind, url);
		job.api_key = cases[i].key;
		before = nrequests();
		run_one(&job, 5000, &g);
		CHECK(g.text == NULL, "error %zu: no reply, got \"%s\"", i,
		    g.text);
		if (cases[i].want[0] == '\0')
			CHECK_STR(g.error, "", "error %zu: none", i);
		else
			CHECK(strncmp(g.error, cases[i].want,
			    strlen(cases[i].want)) == 0, "error %zu: \"%s\", "
			    "want \"%s...\"", i, g.error, cases[i].want);
		if (cases[i].key != NULL || cases[i].kind == NULL ||
		    strcmp(cases[i].kind, "http") != 0)
			CHECK(nrequests() == before, "error %zu: nothing sent",
			    i);
		got_free(&g);
	}
}

static void
test_openai(void)
{
	static const char *const bases[] = { "", "/", "/v1", "/v1/",
	    "/v1/chat/completions" };
	struct agent_job	 job;
	struct recorded		 rec;
	struct json_object	*msgs;
	struct got		 g;
	char			 url[256];
	size_t			 i;

	job_init(&job, "openai", base);
	job.model = "test-model";
	job.api_key = KEY;
	job.instructions = "You are Acme's assistant. Be \"brief\".";
	job.history = history;
	job.nhistory = 2;
	job.text = "hello there";
	run_one(&job, 5000, &g);
	CHECK_STR(g.text, "ai: hello there", "openai: reply");
	CHECK_STR(g.error, "", "openai: no error");
	got_free(&g);

	last_request("/v1/chat/completions", &rec);
	CHECK_STR(rec.auth, "Bearer " KEY, "openai: bearer key");
	CHECK_STR(rec.ctype, "application/json", "openai: content type");
	CHECK_STR(str_at(rec.body, -1, "model"), "test-model", "openai: model");
	CHECK(json_object_object_get_ex(rec.body, "messages", &msgs) &&
	    json_object_array_length(msgs) == 4, "openai: four messages");
	CHECK_STR(str_at(msgs, 0, "role"), "system", "openai: system role");
	CHECK_STR(str_at(msgs, 0, "content"), job.instructions,
	    "openai: system prompt");
	CHECK_STR(str_at(msgs, 1, "role"), "user", "openai: history user");
	CHECK_STR(str_at(msgs, 1, "content"), "Hi", "openai: history 1");
	CHECK_STR(str_at(msgs, 2, "role"), "assistant",
	    "openai: history assistant");
	CHECK_STR(str_at(msgs, 2, "content"), "Hello! How can I help?",
	    "openai: history 2");
	CHECK_STR(str_at(msgs, 3, "role"), "user", "openai: last role");
	CHECK_STR(str_at(msgs, 3, "content"), "hello there",
	    "openai: last content");
	CHECK(strstr(rec.raw, KEY) == NULL, "openai: key not in the body");
	recorded_free(&rec);

	/* Any spelling of the base reaches the same endpoint. */
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(url, sizeof(url), "%s%s", base, bases[i]);
		job.url = url;
		job.text = bases[i];
		job.instructions = NULL;
		job.nhistory = 0;
		run_one(&job, 5000, &g);
		CHECK(g.text != NULL && strncmp(g.text, "ai:", 3) == 0,
		    "openai base \"%s\": reply (%s)", bases[i], g.error);
		got_free(&g);
		last_request("/v1/chat/completions", &rec);
		CHECK_STR(str_at(msgs = json_object_object_get(rec.body,
		    "messages"), 0, "content"), bases[i],
		    "openai base \"%s\": reached", bases[i]);
		CHECK_STR(str_at(msgs, 0, "role"), "user",
		    "openai: no system message without instructions");
		recorded_free(&rec);
	}

	/* A wrong key: the server's message, never the key. */
	job.url = base;
	job.api_key = KEY_WRONG;
	run_one(&job, 5000, &g);
	CHECK(g.text == NULL, "openai wrong key: no reply");
	CHECK_STR(g.error, "HTTP 401: Invalid API key", "openai wrong key");
	CHECK(strstr(g.error, KEY_WRONG) == NULL, "wrong key not in error");
	got_free(&g);

	/* A server that quotes the key back gets its message withheld. */
	snprintf(url, sizeof(url), "%s/leak", base);
	job.url = url;
	run_one(&job, 5000, &g);
	CHECK(g.text == NULL, "openai leak: no reply");
	CHECK_STR(g.error, "error withheld: it contained the API key",
	    "openai leak: withheld");
	got_free(&g);

	/* No key: no header at all (llama.cpp and Ollama need none). */
	job.url = base;
	job.api_key = NULL;
	run_one(&job, 5000, &g);
	CHECK_STR(g.error, "HTTP 401: Invalid API key", "openai without key");
	got_free(&g);
	last_request("/v1/chat/completions", &rec);
	CHECK_STR(rec.auth, "(none)", "openai without key: no Authorization");
	recorded_free(&rec);

	/* A null content is no reply, said so. */
	snprintf(url, sizeof(url), "%s/nocontent", base);
	job.url = url;
	job.api_key = KEY;
	run_one(&job, 5000, &g);
	CHECK(g.text == NULL, "openai null content: no reply");
	CHECK_STR(g.error, "the model returned no content",
	    "openai null content: error");
	got_free(&g);
}

static struct agent_pool	*reentrant_pool;
static struct got		 reentrant_extra;

/* Adds one more job from inside the callback. */
static void
on_done_add(void *tag, const struct agent_reply *r, void *arg)
{
	struct agent_job	*more = arg;

	on_done(tag, r, NULL);
	CHECK(agent_pool_add(reentrant_pool, more, &reentrant_extra) > 0,
	    "add from done()");
}

static void
test_rules_pool(void)
{
	struct agent_pool	*pool;
	struct agent_job	 a, b, c, more;
	struct agent_turn	 one[1] = { { 1, "earlier" } };
	struct got		 g[3];
	long long		 start;

	memset(g, 0, sizeof(g));
	if ((pool = agent_pool_open(2, 5000)) == NULL) {
		CHECK(0, "agent_pool_open");
		return;
	}
	start = now_ms();
	CHECK(agent_pool_perform(pool, 2000, on_done, NULL) == 0,
	    "empty pool: nothing in flight");
	CHECK(now_ms() - start < 500, "empty pool: no wait");

	job_init(&a, "rules", NULL);
	a.instructions = "greeting: Hi {phone}";
	job_init(&b, "rules", NULL);
	b.instructions = "ask: name => Name?";
	b.history = one;
	b.nhistory = 1;
	job_init(&c, "rules", NULL);
	ndelivered = 0;
	t0 = now_ms();
	CHECK(agent_pool_add(pool, &a, &g[0]) > 0, "rules a added");
	CHECK(agent_pool_add(pool, &b, &g[1]) > 0, "rules b added");
	CHECK(agent_pool_add(pool, &c, &g[2]) == 0, "pool of 2 is full");
	CHECK(g[0].done == 0, "nothing handed over before perform");
	CHECK(agent_pool_perform(pool, 1000, on_done, NULL) == 0,
	    "perform: none left");
	CHECK(g[0].done == 1 && g[1].done == 1, "both handed over");
	CHECK(g[0].order == 1 && g[1].order == 2, "in the order added");
	CHECK(g[0].ms < 500, "rules answered at once");
	CHECK_STR(g[0].text, "Hi " PHONE, "rules a: greeting");
	CHECK_STR(g[1].text, "Name?", "rules b: question");
	CHECK(g[1].collect_step == 1, "rules b: collect_step 1");

	/* done() may add a job; it is handed over at the next perform. */
	got_free(&g[0]);
	more = a;
	reentrant_pool = pool;
	CHECK(agent_pool_add(pool, &a, &g[0]) > 0, "rules a again");
	CHECK(agent_pool_perform(pool, 100, on_done_add, &more) == 1,
	    "perform: the job added from done() is still in flight");
	CHECK(g[0].done == 1 && reentrant_extra.done == 0,
	    "the added job waits for the next perform");
	CHECK(agent_pool_perform(pool, 100, on_done, NULL) == 0,
	    "perform: the added job handed over");
	CHECK_STR(reentrant_extra.text, "Hi " PHONE, "added job's reply");
	got_free(&reentrant_extra);
	got_free(&g[0]);
	got_free(&g[1]);
	agent_pool_close(pool);
}

/* Closing a pool with calls in flight frees them without calling done(). */
static void
test_close_inflight(void)
{
	struct agent_pool	*pool;
	struct agent_job	 job;
	struct got		 g;
	char			 url[256];

	memset(&g, 0, sizeof(g));
	snprintf(url, sizeof(url), "%s/slow", base);
	job_init(&job, "http", url);
	job.api_key = TOKEN;
	if ((pool = agent_pool_open(1, 5000)) == NULL) {
		CHECK(0, "agent_pool_open");
		return;
	}
	CHECK(agent_pool_add(pool, &job, &g) > 0, "slow added");
	CHECK(agent_pool_perform(pool, 200, on_done, NULL) == 1,
	    "still in flight after 200 ms");
	agent_pool_close(pool);
	CHECK(g.done == 0, "close: done() not called");
}

/* The log must never hold a key. */
static void
check_log(void)
{
	char	 line[4096];
	int	 leaks = 0, lines = 0;

	rewind(log_cap);
	while (fgets(line, sizeof(line), log_cap) != NULL) {
		lines++;
		if (strstr(line, KEY) != NULL ||
		    strstr(line, KEY_WRONG) != NULL ||
		    strstr(line, TOKEN) != NULL)
			leaks++;
		if (check_failed > 0)		/* the failures and their context */
			fputs(line, stderr);
	}
	CHECK(lines > 0, "the debug log was written");
	CHECK(leaks == 0, "no key in the log (%d lines leak)", leaks);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setenv("IBCHANNEL_LOG", "debug", 1);
	log_init("test_agent");
	/* The log goes to a file to be searched for keys. */
	real_stderr = dup(STDERR_FILENO);
	if ((log_cap = tmpfile()) == NULL ||
	    dup2(fileno(log_cap), STDERR_FILENO) == -1) {
		perror("log file");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (fake_start()) {
		test_http();
		test_concurrency();
		test_errors();
		test_openai();
		test_close_inflight();
	}
	test_rules_pool();
	child_stop(&fake);
	fflush(stderr);
	dup2(real_stderr, STDERR_FILENO);
	check_log();
	fclose(log_cap);
	curl_global_cleanup();
	return check_done();
}

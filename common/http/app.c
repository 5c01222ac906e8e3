/* The shared shape of the FastCGI programs: log, signals, store, request loop. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#ifndef APP_REPORTS_CACHE_KIB
#define APP_REPORTS_CACHE_KIB	512
#endif
#ifndef APP_REPORTS_JOURNAL_KIB
#define APP_REPORTS_JOURNAL_KIB	64
#endif
#define APP_REPORTS_TRIM_KIB	1024	/* free heap top kept between trims */
#ifndef APP_REPORTS_TCACHE
#define APP_REPORTS_TCACHE	0	/* blocks of a size class cached per thread */
#endif

#include "app.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "payload.h"
#include "settings.h"
#include "secret.h"
#include "store.h"
#include "webhook.h"
#include "writer.h"

static volatile sig_atomic_t	 app_quit;
static app_handler		 app_fn;
static const char		*app_prog;	/* the program, as the request counts name it */
/* The group-commit writer: every webhook write goes through it (NULL under plain CGI). */
static struct writer		*app_writer;
/* Each serving thread's own connection, opened when first needed. */
static _Thread_local struct store *app_thread_store;

static void
on_term(int sig)
{
	(void)sig;
	app_quit = 1;
	FCGX_ShutdownPending();
}

/*
 * Whether the key file decrypts the store's secrets (config_load_key):
 * 1 yes, 0 no, < 0 could not tell (a store error); logs why not.
 */
static int
key_check(struct store *st)
{
	unsigned char	 key[SECRET_KEY_LEN];
	const char	*why;
	int		 rc;

	rc = config_load_key(st, key, &why);
	explicit_bzero(key, sizeof(key));
	if (rc <= 0)
		log_error("key file: %s", why != NULL ? why : "unusable");
	return rc;
}

/*
 * Opened at the thread's first need; after a server refused or did not
 * answer, tried again at most once a second: a server that does not
 * answer holds each try for its connect timeout, which every request
 * would wait for.
 */
struct store *
app_store(void)
{
	static _Thread_local long	 failed_at;	/* monotonic s + 1; 0 not */
	struct timespec			 now;

	if (app_thread_store == NULL) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (failed_at != 0 && now.tv_sec + 1 - failed_at < 1)
			return NULL;
		failed_at = 0;
		if (store_open(NULL, STORE_OPEN_EXISTING,
		    &app_thread_store) <= 0) {
			store_say_unopened();
			/* A server's refusal or silence; a file costs nothing to retry. */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (*store_open_error() != '\0')
				failed_at = now.tv_sec + 1;
		} else if (key_check(app_thread_store) <= 0) {
			store_close(app_thread_store);
			app_thread_store = NULL;
		}
	}
	return app_thread_store;
}

/* The route each path under /channel/{id}/ is counted by. */
static const struct {
	const char		*rest;
	enum metrics_route	 route;
} counted_routes[] = {
	{ "webhook/sms", METRICS_ROUTE_SMS },
	{ "webhook/reports", METRICS_ROUTE_REPORTS },
	{ "webhook/clicks", METRICS_ROUTE_CLICKS },
	{ "docs", METRICS_ROUTE_DOCS },
	{ "messages", METRICS_ROUTE_MESSAGES },
};

/*
 * The route a request is counted by, from its path; -1 for the admin's
 * pages, which are not counted (they are not part of the line's traffic).
 */
static int
route_of(const char *path)
{
	char		 id[STORE_ID_LEN + 1];
	const char	*rest;
	size_t		 i;

	if (strcmp(path, "/health") == 0)
		return METRICS_ROUTE_HEALTH;
	if (strncmp(path, "/admin", 6) == 0 &&
	    (path[6] == '/' || path[6] == '\0'))
		return -1;
	if (app_channel_route(path, id, &rest))
		for (i = 0; i < sizeof(counted_routes) /
		    sizeof(counted_routes[0]); i++)
			if (strcmp(rest, counted_routes[i].rest) == 0)
				return counted_routes[i].route;
	return METRICS_ROUTE_OTHER;
}

/* Counts h's answer; one atomic increment: the hot path stays as it was. */
static void
counted(struct http *h)
{
	int	 route;

	if ((route = route_of(http_path(h))) >= 0)
		metrics_request((enum metrics_route)route, http_status(h));
}

static void
dispatch(struct http *h, void *arg)
{
	(void)arg;
	app_fn(h);
	/* A deferred request is counted when answered (webhook_done). */
	if (!http_deferred())
		counted(h);
}

/* The writer's extra work: the request counts, in the groups it commits. */
static int
counts_flush(struct store *st)
{
	return metrics_requests_flush(st, app_prog);
}

/* As plain CGI there is no writer: the one request is counted in a transaction of its own. */
static void
counts_flush_alone(void)
{
	struct store	*st;

	if (!metrics_requests_pending() || (st = app_store()) == NULL)
		return;
	if (store_begin(st) > 0 && metrics_requests_flush(st, app_prog) > 0 &&
	    store_commit(st) > 0)
		metrics_requests_flushed(1);
	else {
		store_rollback(st);
		metrics_requests_flushed(0);
	}
	store_close(app_thread_store);
	app_thread_store = NULL;
}

static void
thread_done(void *arg)
{
	(void)arg;
	store_close(app_thread_store);
	app_thread_store = NULL;
}

/*
 * SQLite's page cache per program, in KiB, where SQLite's default (about
 * 2 MiB, filled within seconds of load) is more than the program's work
 * needs: a delivery report finds its message by one index and adds an
 * event, and the B-trees' upper pages it walks fit in far less. Programs
 * not named keep the default (admin pages scan, inbound writes many
 * indexes).
 *
 * And the statement journal's part in memory, in KiB (0: the 1 MiB of
 * every program). SQLite allocates that part whole for each journal, and
 * each report's update (its kept-count triggers) opens one: at 1 MiB the
 * reports' writer allocated and freed 1 MiB per report, which made glibc
 * raise its mmap and trim thresholds and keep about 2 MiB more heap
 * resident. One report's journal is a few pages: 64 KiB holds it, and a
 * larger one goes on in a temporary file.
 */
static const struct {
	const char	*prog;
	long		 cache_kib;
	long		 journal_kib;
	long		 trim_kib;
	int		 tcache;	/* -1: glibc's own; see app_malloc_tunables */
} app_caches[] = {
	{ "reports", APP_REPORTS_CACHE_KIB, APP_REPORTS_JOURNAL_KIB,
	    APP_REPORTS_TRIM_KIB, APP_REPORTS_TCACHE },
};

/* Sets SQLite's page cache and statement journal for prog (app_caches); before the first open. */
static void
app_cache_limit(const char *prog)
{
	size_t	 i;

	for (i = 0; i < sizeof(app_caches) / sizeof(app_caches[0]); i++)
		if (strcmp(app_caches[i].prog, prog) == 0) {
			db_sqlite_cache_limit(app_caches[i].cache_kib);
			db_sqlite_journal_limit(app_caches[i].journal_kib);
		}
}

/*
 * glibc's heap trim threshold for prog (app_caches' trim_kib; 0 keeps
 * glibc's own). free() gives the heap's top back whenever more than the
 * threshold is free there: reports.fcgi's writer frees a 64 KiB statement
 * journal per report and would give back and take again pages each time;
 * the writer's malloc_trim after a busy spell gives them back once
 * instead. A fixed threshold also fixes glibc's mmap threshold at 128 KiB
 * (no longer raised as large blocks are freed), so every larger block is
 * mapped and unmapped anew: inbound.fcgi's 1 MiB statement journals made
 * that cost a fifth of its new-MO rate, so no other program sets it.
 */
static void
app_trim_threshold(const char *prog)
{
	size_t	 i;

	for (i = 0; i < sizeof(app_caches) / sizeof(app_caches[0]); i++)
		if (strcmp(app_caches[i].prog, prog) == 0 &&
		    app_caches[i].trim_kib > 0)
			mallopt(M_TRIM_THRESHOLD,
			    (int)(app_caches[i].trim_kib * 1024));
}

/*
 * glibc's per-thread cache of freed small blocks (tcache) keeps up to seven
 * blocks of each size class for each thread, out of the heap's reach. A
 * reports.fcgi request thread frees a whole JSON tree of a hundred reports
 * (blocks of many sizes), so each of its sixteen request threads ends up
 * holding about 200 KiB that way: about 3 of the 8 MiB it kept private
 * after the bench's 100-per-POST row, and the scattered blocks kept more
 * heap pages resident (without the cache: 3.0 MiB private; two blocks per
 * size class: 5.1). The cache can only be set before the program starts
 * (a GLIBC_TUNABLES setting, read by the loader), so a program whose
 * app_caches row sets tcache starts itself again once with the setting
 * added to its environment; the operator sets nothing (a tcache_count of
 * the operator's own is kept). Its parsing is gated to two at once
 * (PARSE_AT_ONCE), so the arenas' locks it then takes are seldom
 * contended. Returns only when the program goes on as it is: already
 * started so, not wanted, or the new start failed (logged; only memory is
 * lost).
 */
static void
app_malloc_tunables(const char *prog)
{
	const char		*now;
	char			 ours[64], *env = NULL, *argv[2], self[4096];
	size_t			 i, len;
	ssize_t			 n;
	int			 count = -1;

	for (i = 0; i < sizeof(app_caches) / sizeof(app_caches[0]); i++)
		if (strcmp(app_caches[i].prog, prog) == 0)
			count = app_caches[i].tcache;
	now = getenv("GLIBC_TUNABLES");
	if (count < 0 || (now != NULL && strstr(now, "tcache_count") != NULL))
		return;
	snprintf(ours, sizeof(ours), "glibc.malloc.tcache_count=%d", count);
	/* Keeps the operator's own tunables, ours after them. */
	len = (now != NULL ? strlen(now) + 1 : 0) + strlen(ours) + 1;
	if ((env = malloc(len)) == NULL)
		return;
	snprintf(env, len, "%s%s%s", now != NULL ? now : "",
	    now != NULL && *now != '\0' ? ":" : "", ours);
	if (setenv("GLIBC_TUNABLES", env, 1) != 0)
		goto out;
	/*
	 * By its own path, not /proc/self/exe, so that the process keeps its
	 * name (ps, pgrep). The FastCGI socket (descriptor 0) and the rest
	 * stay open across.
	 */
	if ((n = readlink("/proc/self/exe", self, sizeof(self))) < 0)
		goto fail;
	if ((size_t)n >= sizeof(self)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	self[n] = '\0';
	argv[0] = (char *)prog;
	argv[1] = NULL;
	execv(self, argv);
fail:
	log_init(prog);
	log_error("cannot start again without glibc's thread cache: %s",
	    strerror(errno));
out:
	free(env);
}

int
app_run(const char *prog, app_handler fn)
{
	struct sigaction	 sa;
	struct writer_opts	 wo = { 0 };
	struct store		*st = NULL;
	size_t			 threads = 1;
	const char		*why;
	char			 owner[1024];
	int			 rc;

	if (!http_is_cgi())
		app_malloc_tunables(prog);
	/* Before the log, whose level the file may set. */
	rc = config_file_load(&why);
	log_init(prog);
	app_prog = prog;
	if (rc == 0) {
		log_error("%s; not starting", why);
		return 1;
	}
	if (!store_sync_valid(&why)) {
		log_error("%s; not starting", why);
		return 1;
	}
	if (store_run_as_owner(NULL, 0, owner, sizeof(owner)) < 0) {
		log_error("%s; not starting", owner);
		return 1;
	}
	/*
	 * A key file that does not belong to the store stops us here,
	 * loudly. A store that does not exist yet, or cannot tell now, is
	 * checked again when a request opens it.
	 */
	app_cache_limit(prog);
	if ((rc = store_open(NULL, STORE_OPEN_EXISTING, &st)) < 0)
		store_say_unopened();
	else if (rc > 0 && (rc = key_check(st)) <= 0) {
		store_close(st);
		st = NULL;
		if (rc == 0) {
			log_error("not starting");
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	app_fn = fn;
	if (!http_is_cgi()) {
		/*
		 * glibc gives each thread its own heap arena; our threads
		 * allocate little and briefly, and two arenas keep the
		 * program's resident memory small.
		 */
		mallopt(M_ARENA_MAX, 2);
		app_trim_threshold(prog);
		/* The store may be missing now; its defaults apply until it is there. */
		threads = (size_t)settings_get_long(st, SET_WEBHOOK_THREADS);
		wo.max_items = (size_t)settings_get_long(st,
		    SET_WEBHOOK_BATCH_ITEMS);
		wo.wait_us = settings_get_long(st, SET_WEBHOOK_BATCH_WAIT_US);
		wo.on_open = key_check;
		/* PostgreSQL only: a round trip saved is worth it there alone. */
		if (store_on_server(NULL))
			wo.ahead = webhook_ahead;
		wo.extra = counts_flush;
		wo.extra_done = metrics_requests_flushed;
		wo.extra_pending = metrics_requests_pending;
		if (writer_start(&wo, &app_writer) < 0) {
			store_close(st);
			return 1;
		}
	}
	store_close(st);
	rc = http_serve(dispatch, thread_done, NULL, &app_quit, threads);
	if (app_writer == NULL)
		counts_flush_alone();
	/* Every request is answered: commit what is queued, then leave. */
	writer_stop(app_writer);
	app_writer = NULL;
	return rc == 0 ? 0 : 1;
}

int
app_channel_route(const char *path, char *id, const char **rest)
{
	const char	*p;

	if ((p = strstr(path, "/channel/")) == NULL)
		return 0;
	p += strlen("/channel/");
	if (strlen(p) < STORE_ID_LEN + 1 || p[STORE_ID_LEN] != '/')
		return 0;
	memcpy(id, p, STORE_ID_LEN);
	id[STORE_ID_LEN] = '\0';
	if (!store_id_valid(id))
		return 0;
	*rest = p + STORE_ID_LEN + 1;
	return 1;
}

void
app_method_not_allowed(struct http *h, const char *allow)
{
	char	 msg[128], *body;

	snprintf(msg, sizeof(msg), "method not allowed; use %s", allow);
	body = payload_error_body(msg);
	http_open_headers(h, 405, "application/json");
	http_header(h, "Allow", allow);
	http_header(h, NULL, NULL);
	http_puts(h, body != NULL ? body : PAYLOAD_ERROR_NOMEM);
	http_puts(h, "\n");
	free(body);
}

/* A refusal to log, through the writer like every other write. */
struct refusal {
	const char	*conn, *what, *kind;
	char		 text[512];
	int		 unknown;	/* set: no such connection */
};

static int
refusal_store(struct store *st, void *arg)
{
	struct refusal		*r = arg;
	struct store_connection	 c;
	int			 rc;

	if ((rc = store_connection_get(st, r->conn, &c)) <= 0) {
		r->unknown = rc == 0;
		return rc;
	}
	r->unknown = 0;
	return store_log_counted(st, r->conn, "warn", r->what, r->kind, "%s",
	    r->text);
}

int
app_write(writer_fn fn, void *arg, size_t items)
{
	struct store	*st = NULL;

	if (app_writer == NULL && (st = app_store()) == NULL)
		return -1;
	return writer_run(app_writer, st, fn, arg, items);
}

/*
 * Webhook bodies parsed at once. Parsing is all CPU, so more at once than
 * there are cores gains nothing, while each holds a whole JSON tree (a body
 * of 100 reports makes a few hundred KiB of it): with 16 request threads
 * that was most of reports.fcgi's memory under load.
 */
#define PARSE_AT_ONCE	2

static pthread_mutex_t	 parse_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 parse_free = PTHREAD_COND_INITIALIZER;
static int		 parsing;

/* webhook_parse, with at most PARSE_AT_ONCE running at any time. */
static int
parse_gated(enum webhook_kind kind, const char *id, const char *body,
    size_t len, struct webhook_job *job, const char **why)
{
	int	 rc;

	pthread_mutex_lock(&parse_mu);
	while (parsing >= PARSE_AT_ONCE)
		pthread_cond_wait(&parse_free, &parse_mu);
	parsing++;
	pthread_mutex_unlock(&parse_mu);
	rc = webhook_parse(kind, id, body, len, job, why);
	pthread_mutex_lock(&parse_mu);
	parsing--;
	pthread_cond_signal(&parse_free);
	pthread_mutex_unlock(&parse_mu);
	return rc;
}

/*
 * Refuses a request with status and msg, logging it on the connection
 * (counted per kind and minute); an unknown connection gets 404 instead.
 */
static void
refuse(struct http *h, const char *conn, const char *what, const char *kind,
    const char *text, int status, const char *msg)
{
	struct refusal	 r;

	memset(&r, 0, sizeof(r));
	r.conn = conn;
	r.what = what;
	r.kind = kind;
	snprintf(r.text, sizeof(r.text), "refused: %s", text);
	if (app_write(refusal_store, &r, 1) < 0)
		http_error(h, 503, "store unavailable; retry later");
	else if (r.unknown)
		http_error(h, 404, "unknown connection");
	else
		http_error(h, status, msg);
}

/*
 * Answers a webhook request whose job the writer ran (rc as writer_run's),
 * and frees the job.
 */
static void
webhook_answer(struct http *h, struct webhook_job *job, int rc)
{
	struct payload_summary	 sum;

	webhook_job_free(job);
	if (rc < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	if (job->unknown) {
		http_error(h, 404, "unknown connection");
		return;
	}
	sum.items = job->res.items;
	sum.stored = job->res.stored;
	sum.duplicates = job->res.duplicates;
	sum.pending = job->res.pending;
	sum.rejected = job->res.rejected;
	sum.nerrors = job->res.nerrors;
	sum.errors = job->res.errors;
	http_json(h, 200, payload_webhook_summary(&sum));
}

/* A webhook request the writer answers (http_defer). */
struct deferred {
	struct http		*h;
	struct webhook_job	 job;
};

/* The writer's end of a deferred webhook request (arg: its struct deferred): its answer, count and close. */
static void
webhook_done(void *arg, int rc)
{
	struct deferred	*d = arg;

	webhook_answer(d->h, &d->job, rc);
	counted(d->h);
	http_finish(d->h);
	free(d);
}

void
app_webhook(struct http *h, const char *id, const char *what,
    enum webhook_kind kind)
{
	struct deferred		*d;
	struct webhook_job	 job;
	const char		*body, *why = NULL;
	size_t			 len;
	int			 rc;

	if (strcmp(http_method(h), "POST") != 0) {
		app_method_not_allowed(h, "POST");
		return;
	}
	if (!http_content_is_json(h)) {
		refuse(h, id, what, "content type", "Content-Type is not JSON"
		    " in UTF-8", 415, "Content-Type must be application/json"
		    " (UTF-8: no charset, or charset=utf-8; each parameter"
		    " once)");
		return;
	}
	if ((rc = http_body(h, HTTP_BODY_MAX, &body, &len)) <= 0) {
		if (rc == 0)
			refuse(h, id, what, "too large", "body larger than 1"
			    " MiB", 413, "body larger than 1 MiB");
		else
			refuse(h, id, what, "unreadable", "body could not be"
			    " read", 400, "body could not be read");
		return;
	}
	rc = parse_gated(kind, id, body, len, &job, &why);
	http_body_release(h);
	if (rc < 0) {
		http_error(h, 500, "out of memory");
		return;
	}
	if (rc == 0) {
		refuse(h, id, what, why, why, 400, why);
		return;
	}
	/*
	 * The connection is looked up and the items stored by the writer;
	 * the answer waits until the group holding them is committed: given
	 * by the writer's thread (webhook_done), this thread going on to the
	 * next request, or else here after the wait.
	 */
	if (app_writer != NULL && http_defer(h)) {
		if ((d = malloc(sizeof(*d))) != NULL) {
			d->h = h;
			d->job = job;
			if (writer_submit(app_writer, webhook_store, &d->job,
			    job.n, webhook_done, d) > 0)
				return;
			job = d->job;
			free(d);
		}
		/* Out of memory: answered here after all, and ended by its thread. */
		http_undefer();
	}
	rc = app_write(webhook_store, &job, job.n);
	webhook_answer(h, &job, rc);
}

void
app_channel_dispatch(struct http *h, const struct app_route *routes)
{
	char		 id[STORE_ID_LEN + 1];
	const char	*rest;

	if (!app_channel_route(http_path(h), id, &rest)) {
		http_error(h, 404, "unknown connection");
		return;
	}
	for (; routes->rest != NULL; routes++)
		if (strcmp(rest, routes->rest) == 0) {
			routes->fn(h, id);
			return;
		}
	http_error(h, 404, "no such resource");
}

/* What the programs count for /admin/metrics: requests by route and status, and how long the sender waits. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "store.h"

#define STATUS_MIN	100
#define STATUS_SLOTS	500		/* 100-599 */

static const char *const route_names[METRICS_ROUTE__MAX] = {
	[METRICS_ROUTE_SMS] = "sms",
	[METRICS_ROUTE_REPORTS] = "reports",
	[METRICS_ROUTE_CLICKS] = "clicks",
	[METRICS_ROUTE_DOCS] = "docs",
	[METRICS_ROUTE_MESSAGES] = "messages",
	[METRICS_ROUTE_HEALTH] = "health",
	[METRICS_ROUTE_OTHER] = "other",
};

/*
 * Requests counted, by route and status: every serving thread adds with a
 * relaxed atomic increment and nothing else, so counting costs the hot
 * path one instruction. The flushing thread alone owns the rest: what the
 * store already holds (flushed), and what the open transaction adds
 * (inflight) until it is known to be committed.
 */
static _Atomic uint64_t	 req_count[METRICS_ROUTE__MAX][STATUS_SLOTS];
static uint64_t		 req_flushed[METRICS_ROUTE__MAX][STATUS_SLOTS];
static uint64_t		 req_inflight[METRICS_ROUTE__MAX][STATUS_SLOTS];

const char *
metrics_route_name(enum metrics_route r)
{
	return r >= 0 && r < METRICS_ROUTE__MAX ? route_names[r] : "other";
}

void
metrics_request(enum metrics_route r, int status)
{
	if (r < 0 || r >= METRICS_ROUTE__MAX || status < STATUS_MIN ||
	    status >= STATUS_MIN + STATUS_SLOTS)
		return;
	atomic_fetch_add_explicit(&req_count[r][status - STATUS_MIN], 1,
	    memory_order_relaxed);
}

int
metrics_requests_pending(void)
{
	size_t	 r, i;

	for (r = 0; r < METRICS_ROUTE__MAX; r++)
		for (i = 0; i < STATUS_SLOTS; i++)
			if (atomic_load_explicit(&req_count[r][i],
			    memory_order_relaxed) != req_flushed[r][i])
				return 1;
	return 0;
}

int
metrics_requests_flush(struct store *st, const char *program)
{
	uint64_t	 now;
	size_t		 r, i;
	int		 rc = 0;

	memset(req_inflight, 0, sizeof(req_inflight));
	for (r = 0; r < METRICS_ROUTE__MAX && rc >= 0; r++)
		for (i = 0; i < STATUS_SLOTS && rc >= 0; i++) {
			now = atomic_load_explicit(&req_count[r][i],
			    memory_order_relaxed);
			if (now == req_flushed[r][i])
				continue;
			if (rc == 0 && store_savepoint(st) < 0)
				return -1;
			rc = store_requests_add(st, program, route_names[r],
			    (int)i + STATUS_MIN,
			    (int64_t)(now - req_flushed[r][i])) < 0 ? -1 : 1;
			req_inflight[r][i] = now - req_flushed[r][i];
		}
	if (rc == 0)
		return 0;
	if (store_savepoint_end(st, rc > 0) < 0 || rc < 0) {
		memset(req_inflight, 0, sizeof(req_inflight));
		return -1;
	}
	return 1;
}

void
metrics_requests_flushed(int committed)
{
	size_t	 r, i;

	for (r = 0; r < METRICS_ROUTE__MAX; r++)
		for (i = 0; i < STATUS_SLOTS; i++) {
			if (committed)
				req_flushed[r][i] += req_inflight[r][i];
			req_inflight[r][i] = 0;
		}
}

/* --- latency ----------------------------------------------------------------- */

const double metrics_bucket_le[METRICS_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
	INFINITY
};

#define SERIES_MAX	16

/* One series' waits not yet in the store; inflight: what the open transaction adds. */
struct series {
	char	 name[32], label[32];
	int64_t	 bucket[METRICS_BUCKETS], n;
	double	 sum;
	int64_t	 in_bucket[METRICS_BUCKETS], in_n;
	double	 in_sum;
};

static struct series	 series[SERIES_MAX];
static size_t		 nseries;

/* A series against a name and label: < 0 before them, 0 theirs, > 0 after. */
static int
series_cmp(const struct series *s, const char *name, const char *label)
{
	int	 c;

	if ((c = strcmp(s->name, name)) != 0)
		return c;
	return strcmp(s->label, label);
}

void
metrics_observe(const char *name, const char *label, double seconds)
{
	struct series	*s;
	size_t		 i;
	int		 cmp = 1;

	if (!(seconds >= 0))
		seconds = 0;
	/*
	 * Kept in order of name and label, so that every process adds to the
	 * store's rows in one order: two senders flushing at once (on
	 * PostgreSQL) then wait for each other, never crosswise.
	 */
	for (i = 0; i < nseries && (cmp = series_cmp(&series[i], name,
	    label)) < 0; i++)
		;
	if (i == nseries || cmp != 0) {
		if (nseries == SERIES_MAX || strlen(name) >= sizeof(s->name) ||
		    strlen(label) >= sizeof(s->label)) {
			log_warn("latency %s/%s not recorded: too many series",
			    name, label);
			return;
		}
		memmove(&series[i + 1], &series[i],
		    (nseries - i) * sizeof(series[0]));
		nseries++;
		s = &series[i];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", name);
		snprintf(s->label, sizeof(s->label), "%s", label);
	}
	s = &series[i];
	for (i = 0; seconds > metrics_bucket_le[i]; i++)
		;	/* the last bound is infinite: always found */
	s->bucket[i]++;
	s->n++;
	s->sum += seconds;
}

int
metrics_latency_flush(struct store *st)
{
	struct series	*s;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < nseries && rc >= 0; i++) {
		s = &series[i];
		memcpy(s->in_bucket, s->bucket, sizeof(s->bucket));
		s->in_n = s->n;
		s->in_sum = s->sum;
		if (s->n == 0)
			continue;
		if (rc == 0 && store_savepoint(st) < 0)
			return -1;
		rc = store_latency_add(st, s->name, s->label,
		    metrics_bucket_le, s->in_bucket, METRICS_BUCKETS, s->in_n,
		    s->in_sum) < 0 ? -1 : 1;
	}
	if (rc == 0)
		return 0;
	if (store_savepoint_end(st, rc > 0) < 0 || rc < 0) {
		metrics_latency_flushed(0);
		return -1;
	}
	return 1;
}

void
metrics_latency_flushed(int committed)
{
	struct series	*s;
	size_t		 i, b;

	for (i = 0; i < nseries; i++) {
		s = &series[i];
		if (committed) {
			for (b = 0; b < METRICS_BUCKETS; b++)
				s->bucket[b] -= s->in_bucket[b];
			s->n -= s->in_n;
			s->sum = s->n > 0 ? s->sum - s->in_sum : 0;
		}
		memset(s->in_bucket, 0, sizeof(s->in_bucket));
		s->in_n = 0;
		s->in_sum = 0;
	}
}

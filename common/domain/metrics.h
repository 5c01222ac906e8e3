/* What the programs count for /admin/metrics: requests by route and status, and how long the sender waits. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* The routes requests are counted by: a small fixed set, whatever the paths asked for. */
enum metrics_route {
	METRICS_ROUTE_SMS,		/* POST /channel/{id}/webhook/sms */
	METRICS_ROUTE_REPORTS,		/* POST /channel/{id}/webhook/reports */
	METRICS_ROUTE_CLICKS,		/* POST /channel/{id}/webhook/clicks */
	METRICS_ROUTE_DOCS,		/* GET /channel/{id}/docs */
	METRICS_ROUTE_MESSAGES,		/* POST /channel/{id}/messages (the send API) */
	METRICS_ROUTE_HEALTH,		/* GET /health */
	METRICS_ROUTE_OTHER,		/* any other path */
	METRICS_ROUTE__MAX
};

/* The route's name in the store and the metrics ("sms", "reports", ...). */
const char	*metrics_route_name(enum metrics_route);

/*
 * Counts one request answered with status on route: one relaxed atomic
 * increment, safe from any thread. Statuses outside 100-599 are not
 * counted.
 */
void	 metrics_request(enum metrics_route, int status);

/*
 * Whether requests were counted since the last committed flush.
 */
int	 metrics_requests_pending(void);

/*
 * Adds the requests counted since the last committed flush to the store's
 * cumulative counts for program (request_counts), inside the caller's open
 * transaction, as a part of it that is undone alone if it fails. Then the
 * caller commits and says with metrics_requests_flushed(1) that it did
 * (0: it did not, and the same requests are added next time). Only one
 * thread flushes. > 0 written, 0 nothing to write, < 0 error (logged;
 * nothing of it written).
 */
int	 metrics_requests_flush(struct store *, const char *program);
void	 metrics_requests_flushed(int committed);

/* The upper bounds of the latency buckets, in seconds; the last is infinite. */
#define METRICS_BUCKETS	14
extern const double metrics_bucket_le[METRICS_BUCKETS];

/* The latency series the sender records. */
#define METRICS_SEND_BATCH	"send_batch"	/* one POST of a batch to Infobip; no label */
#define METRICS_AGENT		"agent"		/* one agent call; label: the agent's kind */

/*
 * Records one wait of seconds in the series name/label (both static
 * strings, or copied: at most 16 series, names and labels of up to 31
 * bytes; more are dropped with a log line). For one thread only.
 */
void	 metrics_observe(const char *name, const char *label, double seconds);

/*
 * Adds the waits recorded since the last committed flush to the store's
 * histograms (latency_buckets, latency_sums) inside the caller's open
 * transaction, as metrics_requests_flush does; confirm with
 * metrics_latency_flushed. > 0 written, 0 nothing to write, < 0 error.
 */
int	 metrics_latency_flush(struct store *);
void	 metrics_latency_flushed(int committed);

#endif

/* Metrics tests: request counts and latency buckets reach the store once, after a rolled-back flush too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "metrics.h"
#include "store.h"

static char	 dir[256];
static char	 dbpath[300];

/* The first column of the first row of sql on a separate connection, as a double (-1: none). */
static double
q(const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	double		 v = -1;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW &&
		    sqlite3_column_type(s, 0) != SQLITE_NULL)
			v = sqlite3_column_double(s, 0);
		sqlite3_finalize(s);
	} else
		fprintf(stderr, "q: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	return v;
}

/* Runs the flush of requests (which 0) or latencies (1) in a transaction, committed or rolled back. */
static int
flush(struct store *st, int which, int commit)
{
	int	 rc;

	if (store_begin(st) < 0)
		return -1;
	rc = which == 0 ? metrics_requests_flush(st, "inbound") :
	    metrics_latency_flush(st);
	if (commit && store_commit(st) > 0) {
		if (which == 0)
			metrics_requests_flushed(1);
		else
			metrics_latency_flushed(1);
	} else {
		store_rollback(st);
		if (which == 0)
			metrics_requests_flushed(0);
		else
			metrics_latency_flushed(0);
	}
	return rc;
}

static void
test_routes(void)
{
	static const struct {
		enum metrics_route	 r;
		const char		*name;
	} t[] = {
		{ METRICS_ROUTE_SMS, "sms" },
		{ METRICS_ROUTE_REPORTS, "reports" },
		{ METRICS_ROUTE_CLICKS, "clicks" },
		{ METRICS_ROUTE_DOCS, "docs" },
		{ METRICS_ROUTE_MESSAGES, "messages" },
		{ METRICS_ROUTE_HEALTH, "health" },
		{ METRICS_ROUTE_OTHER, "other" },
		{ (enum metrics_route)99, "other" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_STR(metrics_route_name(t[i].r), t[i].name, "route %zu", i);
}

static void
test_requests(struct store *st)
{
	int	 i;

	CHECK(!metrics_requests_pending(), "nothing pending at first");
	CHECK(flush(st, 0, 1) == 0, "an empty flush writes nothing");
	for (i = 0; i < 5; i++)
		metrics_request(METRICS_ROUTE_SMS, 200);
	metrics_request(METRICS_ROUTE_SMS, 413);
	metrics_request(METRICS_ROUTE_HEALTH, 503);
	metrics_request(METRICS_ROUTE_SMS, 99);		/* not a status: ignored */
	metrics_request(METRICS_ROUTE_SMS, 600);
	CHECK(metrics_requests_pending(), "pending after requests");

	/* A rolled-back flush leaves the counts pending, written once by the next. */
	CHECK(flush(st, 0, 0) > 0, "flush rolled back");
	CHECK(q("SELECT COUNT(*) FROM request_counts") == 0, "nothing stored");
	CHECK(metrics_requests_pending(), "still pending");
	CHECK(flush(st, 0, 1) > 0, "flush committed");
	CHECK(!metrics_requests_pending(), "nothing pending once committed");
	CHECK(q("SELECT count FROM request_counts WHERE program = 'inbound'"
	    " AND route = 'sms' AND status = 200") == 5, "5 x sms 200");
	CHECK(q("SELECT count FROM request_counts WHERE route = 'sms'"
	    " AND status = 413") == 1, "1 x sms 413");
	CHECK(q("SELECT count FROM request_counts WHERE route = 'health'"
	    " AND status = 503") == 1, "1 x health 503");
	CHECK(q("SELECT COUNT(*) FROM request_counts") == 3,
	    "no row for statuses out of range");

	/* Deltas add up: the store keeps the running total. */
	metrics_request(METRICS_ROUTE_SMS, 200);
	metrics_request(METRICS_ROUTE_SMS, 200);
	CHECK(flush(st, 0, 1) > 0, "second flush");
	CHECK(q("SELECT count FROM request_counts WHERE route = 'sms'"
	    " AND status = 200") == 7, "7 x sms 200 in all");
	CHECK(flush(st, 0, 1) == 0, "nothing left to flush");
}

static void
test_latency(struct store *st)
{
	static const struct {
		double	 seconds;
		double	 le;		/* the bucket it belongs to */
	} t[] = {
		{ 0, 0.005 },
		{ 0.005, 0.005 },	/* a bound is inclusive */
		{ 0.0051, 0.01 },
		{ 0.3, 0.5 },
		{ 1.2, 2.5 },
		{ 59.9, 60 },
		{ 61, INFINITY },
		{ -1, 0.005 },		/* a clock step back counts as 0 */
	};
	char	 sql[256];
	size_t	 i;

	CHECK(isinf(metrics_bucket_le[METRICS_BUCKETS - 1]),
	    "the last bucket is +Inf");
	for (i = 1; i < METRICS_BUCKETS; i++)
		CHECK(metrics_bucket_le[i] > metrics_bucket_le[i - 1],
		    "bounds increase at %zu", i);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		metrics_observe(METRICS_SEND_BATCH, "", t[i].seconds);
	metrics_observe(METRICS_AGENT, "rules", 0.001);
	metrics_observe(METRICS_AGENT, "http", 2);
	CHECK(flush(st, 1, 0) > 0, "latency flush rolled back");
	CHECK(q("SELECT COUNT(*) FROM latency_buckets") == 0, "nothing stored");
	CHECK(flush(st, 1, 1) > 0, "latency flush committed");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (isinf(t[i].le))
			snprintf(sql, sizeof(sql), "SELECT count FROM"
			    " latency_buckets WHERE name = 'send_batch' AND"
			    " le > 1e308");
		else
			snprintf(sql, sizeof(sql), "SELECT count FROM"
			    " latency_buckets WHERE name = 'send_batch' AND"
			    " le = %.17g", t[i].le);
		CHECK(q(sql) >= 1, "%g s in the bucket up to %g", t[i].seconds,
		    t[i].le);
	}
	CHECK(q("SELECT SUM(count) FROM latency_buckets WHERE name ="
	    " 'send_batch'") == 8, "8 waits in the buckets");
	CHECK(q("SELECT count FROM latency_sums WHERE name = 'send_batch'") == 8,
	    "8 waits in the totals");
	CHECK(fabs(q("SELECT sum_seconds FROM latency_sums WHERE name ="
	    " 'send_batch'") - (0.005 + 0.0051 + 0.3 + 1.2 + 59.9 + 61)) < 1e-9,
	    "their sum");
	CHECK(q("SELECT count FROM latency_sums WHERE name = 'agent' AND"
	    " label = 'http'") == 1, "agent series by kind");
	CHECK(flush(st, 1, 1) == 0, "nothing left to flush");
	metrics_observe(METRICS_SEND_BATCH, "", 0.3);
	CHECK(flush(st, 1, 1) > 0, "one more");
	CHECK(q("SELECT count FROM latency_buckets WHERE name = 'send_batch'"
	    " AND le = 0.5") == 2, "added to the bucket already there");
}

int
main(void)
{
	struct store	*st = NULL;
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/ibc-metrics-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : P_tmpdir);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	setenv("IBCHANNEL_SYNC", "normal", 1);
	CHECK(store_open(dbpath, STORE_OPEN_CREATE, &st) > 0, "store");
	if (st != NULL) {
		test_routes();
		test_requests(st);
		test_latency(st);
		store_close(st);
	}
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/t.db-wal", dir);
	unlink(dbpath);
	snprintf(dbpath, sizeof(dbpath), "%s/t.db-shm", dir);
	unlink(dbpath);
	rmdir(dir);
	return check_done();
}

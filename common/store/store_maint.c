/* Maintenance: heartbeats, request and latency rollups, retention in batches (backup and integrity: db_sqlite_file.c). */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "store.h"
#include "store_private.h"

/*
 * A message retention may remove (?1 < id <= ?2, created before ?3): one
 * the sender still has to send or to answer stays until it is done.
 */
#define RETAIN_MSG "id > ?1 AND id <= ?2 AND created_at < ?3" \
	" AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = messages.id)" \
	" AND NOT EXISTS (SELECT 1 FROM agent_queue q" \
	" WHERE q.message_id = messages.id)"

enum maint_stmt {
	STMT_HEARTBEAT_SET,
	STMT_HEARTBEAT_GET,
	STMT_REQUESTS_ADD,
	STMT_LATENCY_BUCKET_ADD,
	STMT_LATENCY_SUM_ADD,
	STMT_RETAIN_MSG_SCAN,
	STMT_RETAIN_MSG_UNLINK,
	STMT_RETAIN_MSG_DEL,
	STMT_RETAIN_EVENT_SCAN,
	STMT_RETAIN_EVENT_DEL,
	STMT_RETAIN_LOG_SCAN,
	STMT_RETAIN_LOG_DEL,
	STMT_TURN_TAKE,
	STMT_REPLICATION,
	STMT_DELTAS_ANY,
	STMT_FOLD_MESSAGES,
	STMT_FOLD_MESSAGES_CLEAR,
	STMT_FOLD_CAMPAIGNS,
	STMT_FOLD_CAMPAIGNS_CLEAR,
	STMT_FOLD_MINUTES,
	STMT_FOLD_MINUTES_CLEAR,
	MAINT__MAX
};

static const struct db_sql maint_stmt[MAINT__MAX] = {
	DB_SQL(STMT_HEARTBEAT_SET, "INSERT INTO heartbeats (name, at) VALUES (?, " NOW
	    ") ON CONFLICT (name) DO UPDATE SET at = excluded.at"),
	DB_SQL(STMT_HEARTBEAT_GET, "SELECT substr(at, 1, 19),"
	    " (julianday('now') - julianday(at)) * 86400.0,"
	    " (julianday(at) - 2440587.5) * 86400.0 FROM heartbeats"
	    " WHERE name = ?"),
	/* Counters only grow: each adds what was counted since the last. */
	DB_SQL(STMT_REQUESTS_ADD, "INSERT INTO request_counts (program, route,"
	    " status, count) VALUES (?, ?, ?, ?) ON CONFLICT (program, route,"
	    " status) DO UPDATE SET count = count + excluded.count"),
	DB_SQL(STMT_LATENCY_BUCKET_ADD, "INSERT INTO latency_buckets (name, label,"
	    " le, count) VALUES (?, ?, ?, ?) ON CONFLICT (name, label, le)"
	    " DO UPDATE SET count = count + excluded.count"),
	DB_SQL(STMT_LATENCY_SUM_ADD, "INSERT INTO latency_sums (name, label,"
	    " count, sum_seconds) VALUES (?, ?, ?, ?) ON CONFLICT (name, label)"
	    " DO UPDATE SET count = count + excluded.count,"
	    " sum_seconds = sum_seconds + excluded.sum_seconds"),
	/*
	 * Retention reads a batch in id order (ids grow with the time of a
	 * row), outside any transaction, then removes the old rows of that
	 * id range in a short transaction of its own: ?1 after this id,
	 * ?2 up to this id, ?3 older than this time.
	 */
	DB_SQL(STMT_RETAIN_MSG_SCAN, "SELECT id, created_at < ?2 FROM messages"
	    " WHERE id > ?1 ORDER BY id LIMIT ?3"),
	/* A campaign recipient keeps its status and reason, not its message. */
	DB_SQL(STMT_RETAIN_MSG_UNLINK, "UPDATE campaign_recipients SET"
	    " message_id = NULL WHERE message_id IN (SELECT id FROM messages"
	    " WHERE " RETAIN_MSG ")"),
	DB_SQL(STMT_RETAIN_MSG_DEL, "DELETE FROM messages WHERE " RETAIN_MSG),
	DB_SQL(STMT_RETAIN_EVENT_SCAN, "SELECT id, received_at < ?2"
	    " FROM message_events WHERE id > ?1 ORDER BY id LIMIT ?3"),
	DB_SQL(STMT_RETAIN_EVENT_DEL, "DELETE FROM message_events WHERE id > ?1"
	    " AND id <= ?2 AND received_at < ?3"),
	DB_SQL(STMT_RETAIN_LOG_SCAN, "SELECT id, at < ?2 FROM logs WHERE id > ?1"
	    " ORDER BY id LIMIT ?3"),
	DB_SQL(STMT_RETAIN_LOG_DEL, "DELETE FROM logs WHERE id > ?1 AND id <= ?2"
	    " AND at < ?3"),
	/*
	 * A step one sender at a time does (?1: enum store_turn, above 0):
	 * a row when it may. SQLite's write transaction already excludes
	 * every other writer, so there is always one; PostgreSQL's text tries
	 * an advisory lock.
	 */
	DB_SQL(STMT_TURN_TAKE, "SELECT 1 WHERE ?1 > 0"),
	/*
	 * The standbys of a store on a server (standbys streaming, of them
	 * synchronous): a file has none, so SQLite's text gives no row.
	 * PostgreSQL's reads pg_stat_replication.
	 */
	DB_SQL(STMT_REPLICATION, "SELECT 0, 0 WHERE 0"),
	/*
	 * A row when the counts have changes not folded yet (sql/019-counts.sql): only
	 * PostgreSQL's triggers write them, so on SQLite this finds none and
	 * the fold never starts.
	 */
	DB_SQL(STMT_DELTAS_ANY, "SELECT 1 WHERE EXISTS (SELECT 1 FROM message_count_deltas)"
	    " OR EXISTS (SELECT 1 FROM campaign_count_deltas)"
	    " OR EXISTS (SELECT 1 FROM campaign_minute_deltas)"),
	/*
	 * The fold: each table's changes added to its counts, then removed,
	 * inside the write transaction. PostgreSQL's text does both in one
	 * statement (one snapshot: a change committed meanwhile is neither
	 * added nor removed), and its CLEAR does nothing.
	 */
	DB_SQL(STMT_FOLD_MESSAGES, "INSERT INTO message_counts (direction, status, n)"
	    " SELECT direction, status, SUM(n) FROM message_count_deltas"
	    " WHERE true GROUP BY 1, 2 ON CONFLICT (direction, status)"
	    " DO UPDATE SET n = n + excluded.n"),
	DB_SQL(STMT_FOLD_MESSAGES_CLEAR, "DELETE FROM message_count_deltas"),
	DB_SQL(STMT_FOLD_CAMPAIGNS, "INSERT INTO campaign_counts (campaign_id, status, n)"
	    " SELECT campaign_id, status, SUM(n) FROM campaign_count_deltas"
	    " WHERE true GROUP BY 1, 2 ON CONFLICT (campaign_id, status)"
	    " DO UPDATE SET n = n + excluded.n"),
	DB_SQL(STMT_FOLD_CAMPAIGNS_CLEAR, "DELETE FROM campaign_count_deltas"),
	DB_SQL(STMT_FOLD_MINUTES, "INSERT INTO campaign_minutes (campaign_id, minute,"
	    " status, n) SELECT campaign_id, minute, status, SUM(n) FROM"
	    " campaign_minute_deltas WHERE true GROUP BY 1, 2, 3 ON CONFLICT"
	    " (campaign_id, minute, status) DO UPDATE SET n = n + excluded.n"),
	DB_SQL(STMT_FOLD_MINUTES_CLEAR, "DELETE FROM campaign_minute_deltas"),
};

const struct db_table maint_sql = { DB_SLOT_MAINT, MAINT__MAX, maint_stmt };

int
store_heartbeat(struct store *st, const char *name)
{
	return db_exec(st->db, &maint_sql, STMT_HEARTBEAT_SET, "s", name);
}

int
store_heartbeat_get(struct store *st, const char *name,
    struct store_heartbeat *hb)
{
	struct db_stmt	*s;
	int		 rc;

	memset(hb, 0, sizeof(*hb));
	rc = db_run(st->db, &maint_sql, STMT_HEARTBEAT_GET, &s, "s", name);
	if (rc == DB_ROW) {
		db_copy(s, 0, hb->at, sizeof(hb->at));
		hb->age_s = db_double(s, 1);
		hb->unix_s = db_double(s, 2);
	}
	db_reset(s);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_replication(struct store *st, struct store_replication *out)
{
	struct db_stmt	*s;
	int		 rc;

	memset(out, 0, sizeof(*out));
	rc = db_run(st->db, &maint_sql, STMT_REPLICATION, &s, "");
	if (rc == DB_ROW) {
		out->standbys = db_int(s, 0);
		out->synchronous = db_int(s, 1);
	}
	db_reset(s);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_requests_add(struct store *st, const char *program, const char *route,
    int status, int64_t n)
{
	return db_exec(st->db, &maint_sql, STMT_REQUESTS_ADD, "ssIi", program, route, status,
	    n);
}

int
store_latency_add(struct store *st, const char *name, const char *label,
    const double *le, const int64_t *counts, size_t nbuckets, int64_t n,
    double sum)
{
	size_t	 i;

	for (i = 0; i < nbuckets; i++)
		if (counts[i] != 0 && db_exec(st->db, &maint_sql, STMT_LATENCY_BUCKET_ADD,
		    "ssDi", name, label, le[i], counts[i]) <= 0)
			return -1;
	if (n == 0)
		return 1;
	return db_exec(st->db, &maint_sql, STMT_LATENCY_SUM_ADD, "ssiD", name, label, n,
	    sum) <= 0 ? -1 : 1;
}

/* What retention runs for each kind of row: the scan and the statements of its transaction. */
static const struct {
	const char	*table;		/* for the log */
	enum maint_stmt	 scan;
	enum maint_stmt	 del[2];	/* in order; MAINT__MAX: none */
} retain_stmts[] = {
	[STORE_RETAIN_MESSAGES] = { "messages", STMT_RETAIN_MSG_SCAN,
	    { STMT_RETAIN_MSG_UNLINK, STMT_RETAIN_MSG_DEL } },
	[STORE_RETAIN_EVENTS] = { "message_events", STMT_RETAIN_EVENT_SCAN,
	    { STMT_RETAIN_EVENT_DEL, MAINT__MAX } },
	[STORE_RETAIN_LOGS] = { "logs", STMT_RETAIN_LOG_SCAN,
	    { STMT_RETAIN_LOG_DEL, MAINT__MAX } },
};

int
store_turn_take(struct store *st, enum store_turn step)
{
	return db_exists(st->db, &maint_sql, STMT_TURN_TAKE, "i", (int64_t)step);
}

int
store_counts_fold(struct store *st)
{
	static const enum maint_stmt fold[] = {
		STMT_FOLD_MESSAGES, STMT_FOLD_MESSAGES_CLEAR,
		STMT_FOLD_CAMPAIGNS, STMT_FOLD_CAMPAIGNS_CLEAR,
		STMT_FOLD_MINUTES, STMT_FOLD_MINUTES_CLEAR,
	};
	size_t	 i;
	int	 rc;

	if ((rc = db_exists(st->db, &maint_sql, STMT_DELTAS_ANY, "")) <= 0)
		return rc;
	/* Lost on a power failure, the changes stay in the deltas: relaxed. */
	if (store_sync_relaxed(st, 1) < 0)
		return -1;
	if (store_begin(st) < 0) {
		store_sync_relaxed(st, 0);
		return -1;
	}
	/* Another sender folding now: the changes are its. */
	if ((rc = store_turn_take(st, STORE_TURN_COUNTS)) <= 0)
		goto out;
	for (i = 0; i < sizeof(fold) / sizeof(fold[0]) && rc > 0; i++)
		rc = db_exec(st->db, &maint_sql, fold[i], "") > 0 ? 1 : -1;
	if (rc > 0 && store_commit(st) < 0)
		rc = -1;
out:
	if (rc <= 0)
		store_rollback(st);
	if (store_sync_relaxed(st, 0) < 0)
		rc = -1;
	return rc;
}

static double
retain_ms_since(clockid_t clock, const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(clock, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int
store_retain_batch(struct store *st, enum store_retain what,
    const char *cutoff, int batch, int64_t *cursor, long *removed,
    double *held_ms)
{
	struct db_stmt	*s;
	struct timespec	 t0, c0;
	int64_t		 hi = *cursor, last = *cursor;
	int		 rc, rows = 0, old = 0;
	size_t		 i;

	*removed = 0;
	*held_ms = 0;
	/*
	 * The next batch of ids is read outside the transaction, so a
	 * webhook waits only for the removal itself. A batch without an old
	 * row ends the pass: ids grow with time, the rest is young.
	 */
	for (rc = db_run(st->db, &maint_sql, retain_stmts[what].scan, &s, "isI", *cursor, cutoff,
	    batch); rc == DB_ROW; rc = db_step(s)) {
		last = db_int64(s, 0);
		rows++;
		if (db_int(s, 1) != 0) {
			hi = last;
			old++;
		}
	}
	db_reset(s);
	if (rc < 0)
		return -1;
	if (old == 0)
		return 0;
	/*
	 * Without the commit's fsync (IBCHANNEL_SYNC=normal for this one): a
	 * removal lost to a power failure is only done again, and the next
	 * full commit makes it durable anyway. The fsync was most of the time
	 * the lock was held, and on a busy disk it took tens of ms.
	 */
	if (store_sync_relaxed(st, 1) < 0 || store_begin(st) < 0) {
		store_sync_relaxed(st, 0);
		return -1;
	}
	/*
	 * From holding the write lock to its release: what a webhook may
	 * wait. The CPU time beside it tells work from waiting for the disk
	 * or the scheduler.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	/* Another sender removing rows of this kind now ends this pass. */
	if ((rc = store_turn_take(st, STORE_TURN_RETAIN_MESSAGES + what)) <= 0) {
		store_rollback(st);
		store_sync_relaxed(st, 0);
		if (rc == 0)
			log_debug("retention: another sender removes %s now;"
			    " leaving it to that one", retain_stmts[what].table);
		return rc < 0 ? -1 : 0;
	}
	for (i = 0; i < 2 && retain_stmts[what].del[i] != MAINT__MAX; i++)
		if (db_exec(st->db, &maint_sql, retain_stmts[what].del[i], "iis", *cursor, hi,
		    cutoff) <= 0) {
			store_rollback(st);
			store_sync_relaxed(st, 0);
			return -1;
		}
	*removed = db_changes(st->db);
	if (store_commit(st) < 0) {
		store_sync_relaxed(st, 0);
		return -1;
	}
	*held_ms = retain_ms_since(CLOCK_MONOTONIC, &t0);
	if (store_sync_relaxed(st, 0) < 0)
		return -1;
	log_debug("retention: %ld %s removed in a transaction of %.2f ms"
	    " (%.2f ms of CPU)", *removed, retain_stmts[what].table, *held_ms,
	    retain_ms_since(CLOCK_THREAD_CPUTIME_ID, &c0));
	*cursor = rows == batch ? last : hi;
	return rows == batch;
}

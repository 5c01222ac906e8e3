/* The database kit (db.h) on SQLite: the one file of the store's statements that calls sqlite3_*. */
#include <sys/stat.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db_engine.h"
#include "db_sqlite.h"
#include "log.h"
#include "sqlembed.h"
#include "store_private.h"

/*
 * SQLite's own text of the statements whose portable text does not suit
 * it, by table and name: looked up once, when a connection prepares the
 * statement. The store's tables are written in the dialect SQLite reads,
 * so SQLite replaces none; another engine's file holds the same kind of
 * table with its own text of the statements that differ.
 */
static const struct db_override sqlite_sql[] = {
	{ DB_SLOT__MAX, { NULL, NULL } }
};

struct sq_db;

/* A statement: the kit's head first, so a struct db_stmt * is one of these. */
struct sq_stmt {
	struct db_stmt	 head;
	sqlite3_stmt	*s;
	struct sq_db	*db;
	const char	*name;
};

/* A connection: the kit's head first, so a struct db * is one of these. */
struct sq_db {
	struct db	 head;
	sqlite3		*h;
	struct sq_stmt	*cache[DB_SLOT__MAX];	/* each table's statements, by index */
	size_t		 cached[DB_SLOT__MAX];	/* how many each holds */
	int		 in_tx;
	int		 disk_full;	/* a write found no space since db_take_disk_full */
};

static const struct db_engine sqlite_engine;

/* The SQLite connection the kit's db is. */
static inline struct sq_db *
sq(struct db *db)
{
	return (struct sq_db *)db;
}

/* The SQLite statement the kit's statement is. */
static inline struct sq_stmt *
sqs(struct db_stmt *c)
{
	return (struct sq_stmt *)c;
}

sqlite3 *
db_sqlite_handle(struct db *db)
{
	return db->engine == &sqlite_engine ? sq(db)->h : NULL;
}

/*
 * Logs a failed call once, by name. A full disk is noted for
 * db_take_disk_full and logged at most once a minute by this process:
 * whoever waits for space tries again and again meanwhile.
 */
static void
log_failure(struct sq_db *db, const char *name)
{
	static time_t	 full_logged;
	time_t		 now;

	if ((sqlite3_errcode(db->h) & 0xff) != SQLITE_FULL) {
		log_error("%s: %s", name, sqlite3_errmsg(db->h));
		return;
	}
	db->disk_full = 1;
	now = time(NULL);
	if (full_logged != 0 && now - full_logged < 60 &&
	    now >= full_logged) {
		log_debug("%s: %s", name, sqlite3_errmsg(db->h));
		return;
	}
	full_logged = now;
	log_error("%s: %s (said once a minute while it lasts)", name,
	    sqlite3_errmsg(db->h));
}

/* Runs sql (no rows, no values): > 0 done, < 0 error (logged). */
static int
exec_sql(sqlite3 *h, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_error("sqlite3_exec: %s", err != NULL ? err :
		    sqlite3_errmsg(h));
		sqlite3_free(err);
		return -1;
	}
	return 1;
}

/* The schema version: PRAGMA user_version, < 0 error. */
static int
sqlite_version(struct db *kit)
{
	sqlite3_stmt	*s = NULL;
	int		 v = -1;

	if (sqlite3_prepare_v2(sq(kit)->h, "PRAGMA user_version", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Applies every embedded migration above the store's version, each in its own transaction. */
static int
migrate(struct sq_db *db)
{
	char	 pragma[64];
	int	 v;
	size_t	 i;

	if ((v = sqlite_version(&db->head)) < 0 ||
	    !db_schema_known(v, sqlembed[sqlembed_count - 1].version))
		return -1;
	for (i = 0; i < sqlembed_count; i++) {
		if (sqlembed[i].version <= v)
			continue;
		if (exec_sql(db->h, "BEGIN IMMEDIATE") < 0)
			return -1;
		/* Another process may have migrated while we waited. */
		if ((v = sqlite_version(&db->head)) >= sqlembed[i].version) {
			exec_sql(db->h, "ROLLBACK");
			continue;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    sqlembed[i].version);
		if (exec_sql(db->h, sqlembed[i].sql) < 0 ||
		    exec_sql(db->h, pragma) < 0 ||
		    exec_sql(db->h, "COMMIT") < 0) {
			log_error("migration %s failed", sqlembed[i].name);
			exec_sql(db->h, "ROLLBACK");
			return -1;
		}
		v = sqlembed[i].version;
	}
	return 1;
}

/*
 * Waits for another process's write lock. SQLite's own busy timeout sleeps
 * in steps of up to 100 ms, far longer than our write transactions (well
 * under a millisecond): a waiter slept long after the lock was free and
 * the 99th percentile of webhook answers reached half a second. Polling
 * every 50-400 us keeps it in milliseconds, for up to 10 s in all.
 */
static int
busy_wait(void *arg, int count)
{
	(void)arg;
	if (count >= 10000 * 4)
		return 0;
	usleep(count < 20 ? 50 : count < 200 ? 100 : 400);
	return 1;
}

/*
 * Whether a read-only verb must open path read-only: the file or the
 * directory that gets its -wal and -shm is not writable.
 */
static int
read_only_here(const char *path)
{
	char	 dir[4096];

	store_dir_of(path, dir, sizeof(dir));
	return eaccess(path, W_OK) == -1 || eaccess(dir, W_OK) == -1;
}

/*
 * Opens path read-only into db->h. A store in WAL mode needs its -shm
 * (made by the program that has it open); when there is no -wal either,
 * nothing is open and the file is whole: read it as an immutable file
 * (a URI, escaped). > 0 done, < 0 error (logged).
 */
static int
open_read_only(struct sq_db *db, const char *path)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct stat		 sb;
	char			 uri[3 * 4096 + 32], wal[4096 + 8], *u;
	const char		*p;

	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    sqlite_version(&db->head) >= 0)
		return 1;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (strlen(path) >= 4096 || stat(wal, &sb) == 0) {
		log_error("%s: cannot be read: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "out of memory");
		return -1;
	}
	sqlite3_close(db->h);
	db->h = NULL;
	u = uri + snprintf(uri, sizeof(uri), "file:");
	for (p = path; *p != '\0'; p++)
		if (*p == '%' || *p == '?' || *p == '#') {
			*u++ = '%';
			*u++ = hex[(unsigned char)*p >> 4];
			*u++ = hex[*p & 0xf];
		} else
			*u++ = *p;
	snprintf(u, sizeof(uri) - (size_t)(u - uri), "?immutable=1");
	if (sqlite3_open_v2(uri, &db->h, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
	    sqlite_version(&db->head) < 0) {
		log_error("%s: cannot be read: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "out of memory");
		return -1;
	}
	return 1;
}


static int	 sqlite_durability(struct db *, int);

/*
 * A statement that may fail halfway through writing several rows (an insert
 * that fires a trigger: the kept counts of migration 019) keeps what it
 * overwrote in a statement journal. SQLite holds that journal in memory
 * only up to 64 KiB, then in a temporary file for the rest of the
 * transaction, and a campaign import's statement journals crossed it: every
 * recipient then cost 14 writes to that file, and 400,000 of them took 21 s
 * instead of 6 s. One row's statement journal is a few pages; the limit
 * here is far above it, and a statement that writes more (a migration's
 * backfill) still goes to a file. SQLite also takes the limit as the size
 * of the journal's first allocation, so it is no larger than needed: at
 * 16 MiB every report's update in reports.fcgi allocated and freed 16 MiB
 * and its heap grew to 35 MiB around those blocks; at 1 MiB a 400,000-line
 * import takes as long as at 16 MiB (8.3-9.2 s against 8.3-8.6 s, in turn).
 */
#define STMT_JOURNAL_IN_MEMORY	(1024 * 1024)

/* The statement journal's limit in memory, in bytes (db_sqlite_journal_limit). */
static int	 sqlite_journal_bytes = STMT_JOURNAL_IN_MEMORY;

static void
sqlite_configure(void)
{
	/* Refused only once the library is in use: SQLite's default then. */
	sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, sqlite_journal_bytes);
}

void
db_sqlite_journal_limit(long kib)
{
	if (kib > 0 && kib <= STMT_JOURNAL_IN_MEMORY / 1024)
		sqlite_journal_bytes = (int)(kib * 1024);
}

/* The page cache of each connection opened, in KiB; 0: SQLite's default. */
static long	 sqlite_cache_kib;

void
db_sqlite_cache_limit(long kib)
{
	sqlite_cache_kib = kib > 0 ? kib : 0;
}

/* Applies db_sqlite_cache_limit to a new connection. 1, or -1 on error. */
static int
sqlite_cache(sqlite3 *h)
{
	char	 pragma[64];

	if (sqlite_cache_kib == 0)
		return 1;
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%ld",
	    sqlite_cache_kib);
	return exec_sql(h, pragma);
}

int
db_sqlite_open(const char *path, enum db_open_mode mode, int full,
    struct db **out)
{
	struct sq_db	*db;
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	static pthread_once_t	 configured = PTHREAD_ONCE_INIT;

	*out = NULL;
	pthread_once(&configured, sqlite_configure);
	if (mode == DB_OPEN_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -1;
	db->head.engine = &sqlite_engine;
	if (mode == DB_OPEN_READ && read_only_here(path)) {
		if (open_read_only(db, path) < 0 || !db_schema_known(
		    sqlite_version(&db->head), sqlembed[sqlembed_count - 1].version))
			goto err;
		sqlite3_busy_handler(db->h, busy_wait, NULL);
		*out = &db->head;
		return 1;
	}
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		log_error("sqlite3_open_v2: %s: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "out of memory");
		goto err;
	}
	sqlite3_busy_handler(db->h, busy_wait, NULL);
	if (exec_sql(db->h, "PRAGMA journal_mode = WAL") < 0 ||
	    exec_sql(db->h, "PRAGMA foreign_keys = ON") < 0 ||
	    sqlite_durability(&db->head, full) < 0 || sqlite_cache(db->h) < 0)
		goto err;
	if (migrate(db) < 0)
		goto err;
	*out = &db->head;
	return 1;
err:
	db_close(&db->head);
	return -1;
}

/* Finalizes every cached statement and closes. */
static void
sqlite_close(struct db *kit)
{
	struct sq_db	*db = sq(kit);
	size_t		 i, j;

	for (i = 0; i < DB_SLOT__MAX; i++) {
		for (j = 0; j < db->cached[i]; j++)
			sqlite3_finalize(db->cache[i][j].s);
		free(db->cache[i]);
	}
	sqlite3_close(db->h);
	free(db);
}

/* Whether the connection is read-only. */
static int
sqlite_readonly(struct db *kit)
{
	return sqlite3_db_readonly(sq(kit)->h, "main") == 1;
}

/* SQLite's data version: changes when another connection commits. */
static unsigned int
sqlite_data_version(struct db *kit)
{
	unsigned int	 v = 0;

	if (sqlite3_file_control(sq(kit)->h, "main",
	    SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK)
		return 0;
	return v;
}

/* The text of the last error. */
static const char *
sqlite_errmsg(struct db *kit)
{
	return sq(kit)->h != NULL ? sqlite3_errmsg(sq(kit)->h) :
	    "store not open";
}

/* SQLite's writers take turns whole (BEGIN IMMEDIATE): no conflict to try again. */
static int
sqlite_take_conflict(struct db *kit)
{
	(void)kit;
	return 0;
}

/* Whether a write found the disk full; clears the note. */
static int
sqlite_take_disk_full(struct db *kit)
{
	int	 full = sq(kit)->disk_full;

	sq(kit)->disk_full = 0;
	return full;
}

/* Whether the last refusal was by a foreign key. */
static int
sqlite_refused_by_foreign_key(struct db *kit)
{
	return sqlite3_extended_errcode(sq(kit)->h) ==
	    SQLITE_CONSTRAINT_FOREIGNKEY;
}

/*
 * Statement which of t, reset and unbound: prepared (and cached for the
 * life of the connection) on its first use. NULL when it cannot be (logged).
 */
static struct sq_stmt *
stmt_get(struct sq_db *db, const struct db_table *t, int which)
{
	struct sq_stmt	*c;

	if ((c = db->cache[t->slot]) == NULL) {
		if ((c = calloc(t->n, sizeof(*c))) == NULL) {
			log_error("%s: out of memory", t->stmt[which].name);
			return NULL;
		}
		db->cache[t->slot] = c;
		db->cached[t->slot] = t->n;
	}
	c += which;
	if (c->s == NULL) {
		if (sqlite3_prepare_v3(db->h, db_sql_text(sqlite_sql, t,
		    which), -1, SQLITE_PREPARE_PERSISTENT, &c->s, NULL) !=
		    SQLITE_OK) {
			log_error("%s: prepare: %s", t->stmt[which].name,
			    sqlite3_errmsg(db->h));
			sqlite3_finalize(c->s);
			c->s = NULL;
			return NULL;
		}
		c->head.engine = &sqlite_engine;
		c->db = db;
		c->name = t->stmt[which].name;
		return c;
	}
	sqlite3_reset(c->s);
	sqlite3_clear_bindings(c->s);
	return c;
}
/* Binds fmt's values in order (the letters of db_run). SQLITE_OK or the error. */
static int
bindv(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	const char	*t;
	size_t		 len;
	int64_t		 v;
	double		 d;
	int		 i, n, k, rc = SQLITE_OK;

	n = sqlite3_bind_parameter_count(s);
	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 's':
		case 'S':
			t = va_arg(ap, const char *);
			if (t == NULL && *fmt == 'S')
				t = "";
			if (i <= n)
				rc = t == NULL ? sqlite3_bind_null(s, i) :
				    sqlite3_bind_text(s, i, t, -1,
				    SQLITE_STATIC);
			break;
		case 'T':
			t = va_arg(ap, const char *);
			len = va_arg(ap, size_t);
			if (i <= n)
				rc = t == NULL ? sqlite3_bind_null(s, i) :
				    sqlite3_bind_text(s, i, t, (int)len,
				    SQLITE_STATIC);
			break;
		case 'i':
			v = va_arg(ap, int64_t);
			if (i <= n)
				rc = sqlite3_bind_int64(s, i, v);
			break;
		case 'N':
			v = va_arg(ap, int64_t);
			if (i <= n)
				rc = v <= 0 ? sqlite3_bind_null(s, i) :
				    sqlite3_bind_int64(s, i, v);
			break;
		case 'I':
			k = va_arg(ap, int);
			if (i <= n)
				rc = k < 0 ? sqlite3_bind_null(s, i) :
				    sqlite3_bind_int(s, i, k);
			break;
		case 'd':
		case 'D':
			d = va_arg(ap, double);
			if (i <= n)
				rc = d < 0 && *fmt == 'D' ?
				    sqlite3_bind_null(s, i) :
				    sqlite3_bind_double(s, i, d);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

/* The next row of statement c (db_step). */
static int
sqlite_step(struct db_stmt *kit)
{
	struct sq_stmt	*c = sqs(kit);
	int		 rc;

	rc = sqlite3_step(c->s);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		log_debug("%s: %s", c->name, sqlite3_errmsg(c->db->h));
		sqlite3_reset(c->s);
		return DB_CONSTRAINT;
	}
	log_failure(c->db, c->name);
	sqlite3_reset(c->s);
	return DB_ERROR;
}

/* Ends statement c's run. */
static void
sqlite_reset(struct db_stmt *c)
{
	sqlite3_reset(sqs(c)->s);
}

/* Prepares (once), binds and steps statement which of t (db_runv). */
static int
sqlite_runv(struct db *kit, const struct db_table *t, int which,
    struct db_stmt **out, const char *fmt, va_list ap)
{
	struct sq_db	*db = sq(kit);
	struct sq_stmt	*c;

	if (out != NULL)
		*out = NULL;
	if ((c = stmt_get(db, t, which)) == NULL)
		return DB_ERROR;
	if (bindv(c->s, fmt, ap) != SQLITE_OK) {
		log_error("%s: bind: %s", c->name, sqlite3_errmsg(db->h));
		return DB_ERROR;
	}
	if (out != NULL)
		*out = &c->head;
	return sqlite_step(&c->head);
}

/* The rows the last statement changed. */
static int64_t
sqlite_changes(struct db *kit)
{
	return sqlite3_changes(sq(kit)->h);
}

/* The rowid of the last insert. */
static int64_t
sqlite_last_id(struct db *kit)
{
	return sqlite3_last_insert_rowid(sq(kit)->h);
}

/* Column col as an int64. */
static int64_t
sqlite_col_int64(struct db_stmt *c, int col)
{
	return sqlite3_column_int64(sqs(c)->s, col);
}

/* Column col as an int. */
static int
sqlite_col_int32(struct db_stmt *c, int col)
{
	return sqlite3_column_int(sqs(c)->s, col);
}

/* Column col as a double. */
static double
sqlite_col_dbl(struct db_stmt *c, int col)
{
	return sqlite3_column_double(sqs(c)->s, col);
}

/* Column col as text, NULL for NULL. */
static const char *
sqlite_col_text(struct db_stmt *c, int col)
{
	return (const char *)sqlite3_column_text(sqs(c)->s, col);
}

/* Whether column col is NULL. */
static int
sqlite_col_null(struct db_stmt *c, int col)
{
	return sqlite3_column_type(sqs(c)->s, col) == SQLITE_NULL;
}

/* BEGIN, IMMEDIATE for a writer. */
static int
sqlite_begin(struct db *kit, enum db_begin_mode mode)
{
	if (exec_sql(sq(kit)->h, mode == DB_IMMEDIATE ? "BEGIN IMMEDIATE" :
	    "BEGIN") < 0)
		return -1;
	sq(kit)->in_tx = 1;
	return 1;
}

static void	 sqlite_rollback(struct db *);

/* COMMIT; a failed one rolls back. */
static int
sqlite_commit(struct db *kit)
{
	struct sq_db	*db = sq(kit);

	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_failure(db, "COMMIT");
		sqlite_rollback(kit);
		return -1;
	}
	db->in_tx = 0;
	return 1;
}

/* Ends any open transaction. */
static void
sqlite_rollback(struct db *kit)
{
	struct sq_db	*db = sq(kit);

	if (db->in_tx || !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
}

/* A savepoint inside the transaction. */
static int
sqlite_savepoint(struct db *kit)
{
	return exec_sql(sq(kit)->h, "SAVEPOINT part");
}

/* Ends the savepoint: kept, or undone. */
static int
sqlite_savepoint_end(struct db *kit, int keep)
{
	if (keep)
		return exec_sql(sq(kit)->h, "RELEASE part");
	if (exec_sql(sq(kit)->h, "ROLLBACK TO part") < 0)
		return -1;
	return exec_sql(sq(kit)->h, "RELEASE part");
}

/* PRAGMA synchronous: FULL, or NORMAL when relaxed. */
static int
sqlite_durability(struct db *kit, int full)
{
	return exec_sql(sq(kit)->h, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL");
}

/* SQLITE_DBCONFIG_ENABLE_TRIGGER: every prepared statement is prepared again at its next step. */
static int
sqlite_triggers(struct db *kit, int on)
{
	int	 now = -1;

	if (sqlite3_db_config(sq(kit)->h, SQLITE_DBCONFIG_ENABLE_TRIGGER,
	    on ? 1 : 0, &now) != SQLITE_OK || now != (on ? 1 : 0)) {
		log_error("sqlite3_db_config(ENABLE_TRIGGER, %d): %s", on,
		    sqlite3_errmsg(sq(kit)->h));
		return -1;
	}
	return 1;
}

static const struct db_engine sqlite_engine = {
	.name = "sqlite",
	.close = sqlite_close,
	.readonly = sqlite_readonly,
	.data_version = sqlite_data_version,
	.errmsg = sqlite_errmsg,
	.take_disk_full = sqlite_take_disk_full,
	.take_conflict = sqlite_take_conflict,
	.refused_by_foreign_key = sqlite_refused_by_foreign_key,
	.runv = sqlite_runv,
	.step = sqlite_step,
	.reset = sqlite_reset,
	.changes = sqlite_changes,
	.last_id = sqlite_last_id,
	.int64 = sqlite_col_int64,
	.int32 = sqlite_col_int32,
	.dbl = sqlite_col_dbl,
	.text = sqlite_col_text,
	.null = sqlite_col_null,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.savepoint = sqlite_savepoint,
	.savepoint_end = sqlite_savepoint_end,
	.durability = sqlite_durability,
	.version = sqlite_version,
	.triggers = sqlite_triggers,
};

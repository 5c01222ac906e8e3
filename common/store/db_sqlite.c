/* The database kit (db.h) on SQLite: the one file of the store's statements that calls sqlite3_*. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
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

struct db_stmt {
	sqlite3_stmt	*s;
	struct db	*db;
	const char	*name;
};

struct db {
	sqlite3		*h;
	struct db_stmt	*cache[DB_SLOT__MAX];	/* each table's statements, by index */
	size_t		 cached[DB_SLOT__MAX];	/* how many each holds */
	int		 in_tx;
	int		 disk_full;	/* a write found no space since db_take_disk_full */
};

sqlite3 *
db_sqlite_handle(struct db *db)
{
	return db->h;
}

/*
 * Logs a failed call once, by name. A full disk is noted for
 * db_take_disk_full and logged at most once a minute by this process:
 * whoever waits for space tries again and again meanwhile.
 */
static void
log_failure(struct db *db, const char *name)
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

int
db_version(struct db *db)
{
	sqlite3_stmt	*s = NULL;
	int		 v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Applies every embedded migration above the store's version, each in its own transaction. */
static int
migrate(struct db *db)
{
	char	 pragma[64];
	int	 v;
	size_t	 i;

	if ((v = db_version(db)) < 0)
		return -1;
	for (i = 0; i < sqlembed_count; i++) {
		if (sqlembed[i].version <= v)
			continue;
		if (exec_sql(db->h, "BEGIN IMMEDIATE") < 0)
			return -1;
		/* Another process may have migrated while we waited. */
		if ((v = db_version(db)) >= sqlembed[i].version) {
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
open_read_only(struct db *db, const char *path)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct stat		 sb;
	char			 uri[3 * 4096 + 32], wal[4096 + 8], *u;
	const char		*p;

	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
	    db_version(db) >= 0)
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
	    db_version(db) < 0) {
		log_error("%s: cannot be read: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "out of memory");
		return -1;
	}
	return 1;
}

int
db_open(const char *path, enum db_open_mode mode, int full, struct db **out)
{
	struct db	*db;
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if (mode == DB_OPEN_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -1;
	if (mode == DB_OPEN_READ && read_only_here(path)) {
		if (open_read_only(db, path) < 0)
			goto err;
		sqlite3_busy_handler(db->h, busy_wait, NULL);
		*out = db;
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
	    db_durability(db, full) < 0)
		goto err;
	if (migrate(db) < 0)
		goto err;
	*out = db;
	return 1;
err:
	db_close(db);
	return -1;
}

void
db_close(struct db *db)
{
	size_t	 i, j;

	if (db == NULL)
		return;
	for (i = 0; i < DB_SLOT__MAX; i++) {
		for (j = 0; j < db->cached[i]; j++)
			sqlite3_finalize(db->cache[i][j].s);
		free(db->cache[i]);
	}
	sqlite3_close(db->h);
	free(db);
}

int
db_readonly(struct db *db)
{
	return sqlite3_db_readonly(db->h, "main") == 1;
}

unsigned int
db_data_version(struct db *db)
{
	unsigned int	 v = 0;

	if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_DATA_VERSION,
	    &v) != SQLITE_OK)
		return 0;
	return v;
}

const char *
db_errmsg(struct db *db)
{
	return db != NULL && db->h != NULL ? sqlite3_errmsg(db->h) :
	    "store not open";
}

int
db_take_disk_full(struct db *db)
{
	int	 full = db->disk_full;

	db->disk_full = 0;
	return full;
}

int
db_refused_by_foreign_key(struct db *db)
{
	return sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_FOREIGNKEY;
}

/* The SQL SQLite runs for statement which of t: its override, else the table's. */
static const char *
sqlite_text(const struct db_table *t, int which)
{
	size_t	 i;

	for (i = 0; sqlite_sql[i].stmt.name != NULL; i++)
		if (sqlite_sql[i].slot == t->slot &&
		    strcmp(sqlite_sql[i].stmt.name, t->stmt[which].name) == 0)
			return sqlite_sql[i].stmt.sql;
	return t->stmt[which].sql;
}

/*
 * Statement which of t, reset and unbound: prepared (and cached for the
 * life of the connection) on its first use. NULL when it cannot be (logged).
 */
static struct db_stmt *
stmt_get(struct db *db, const struct db_table *t, int which)
{
	struct db_stmt	*c;

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
		if (sqlite3_prepare_v3(db->h, sqlite_text(t, which), -1,
		    SQLITE_PREPARE_PERSISTENT, &c->s, NULL) != SQLITE_OK) {
			log_error("%s: prepare: %s", t->stmt[which].name,
			    sqlite3_errmsg(db->h));
			sqlite3_finalize(c->s);
			c->s = NULL;
			return NULL;
		}
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

int
db_step(struct db_stmt *c)
{
	int	 rc;

	if (c == NULL)
		return DB_ERROR;
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

void
db_reset(struct db_stmt *c)
{
	if (c != NULL)
		sqlite3_reset(c->s);
}

int
db_runv(struct db *db, const struct db_table *t, int which,
    struct db_stmt **out, const char *fmt, va_list ap)
{
	struct db_stmt	*c;

	if (out != NULL)
		*out = NULL;
	if ((c = stmt_get(db, t, which)) == NULL)
		return DB_ERROR;
	if (bindv(c->s, fmt, ap) != SQLITE_OK) {
		log_error("%s: bind: %s", c->name, sqlite3_errmsg(db->h));
		return DB_ERROR;
	}
	if (out != NULL)
		*out = c;
	return db_step(c);
}

int
db_run(struct db *db, const struct db_table *t, int which,
    struct db_stmt **out, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = db_runv(db, t, which, out, fmt, ap);
	va_end(ap);
	return rc;
}

/* db_exec's work on a va_list. */
static int
exec_va(struct db *db, const struct db_table *t, int which, const char *fmt,
    va_list ap)
{
	struct db_stmt	*c;
	int		 rc;

	rc = db_runv(db, t, which, &c, fmt, ap);
	db_reset(c);
	if (rc == DB_CONSTRAINT)
		return 0;
	return rc == DB_DONE ? 1 : -1;
}

int
db_exec(struct db *db, const struct db_table *t, int which,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = exec_va(db, t, which, fmt, ap);
	va_end(ap);
	return rc;
}

int
db_exec_changed(struct db *db, const struct db_table *t, int which,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = exec_va(db, t, which, fmt, ap);
	va_end(ap);
	if (rc <= 0)
		return rc;
	return sqlite3_changes(db->h) > 0;
}

int
db_exists(struct db *db, const struct db_table *t, int which,
    const char *fmt, ...)
{
	struct db_stmt	*c;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = db_runv(db, t, which, &c, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	db_reset(c);
	return rc == DB_ROW;
}

int
db_exec_count(struct db *db, const struct db_table *t, int which,
    int64_t *changes, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = exec_va(db, t, which, fmt, ap);
	va_end(ap);
	if (rc > 0 && changes != NULL)
		*changes = sqlite3_changes(db->h);
	return rc;
}

int64_t
db_changes(struct db *db)
{
	return sqlite3_changes(db->h);
}

int64_t
db_last_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

int64_t
db_int64(struct db_stmt *c, int col)
{
	return sqlite3_column_int64(c->s, col);
}

int
db_int(struct db_stmt *c, int col)
{
	return sqlite3_column_int(c->s, col);
}

double
db_double(struct db_stmt *c, int col)
{
	return sqlite3_column_double(c->s, col);
}

const char *
db_text(struct db_stmt *c, int col)
{
	return (const char *)sqlite3_column_text(c->s, col);
}

const char *
db_str(struct db_stmt *c, int col)
{
	const unsigned char	*t = sqlite3_column_text(c->s, col);

	return t != NULL ? (const char *)t : "";
}

int
db_null(struct db_stmt *c, int col)
{
	return sqlite3_column_type(c->s, col) == SQLITE_NULL;
}

void
db_copy(struct db_stmt *c, int col, char *dst, size_t dstsz)
{
	snprintf(dst, dstsz, "%s", db_str(c, col));
}

int
db_begin(struct db *db, enum db_begin_mode mode)
{
	if (exec_sql(db->h, mode == DB_IMMEDIATE ? "BEGIN IMMEDIATE" :
	    "BEGIN") < 0)
		return -1;
	db->in_tx = 1;
	return 1;
}

int
db_commit(struct db *db)
{
	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_failure(db, "COMMIT");
		db_rollback(db);
		return -1;
	}
	db->in_tx = 0;
	return 1;
}

void
db_rollback(struct db *db)
{
	if (db == NULL)
		return;
	if (db->in_tx || !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
}

int
db_savepoint(struct db *db)
{
	return exec_sql(db->h, "SAVEPOINT part");
}

int
db_savepoint_end(struct db *db, int keep)
{
	if (keep)
		return exec_sql(db->h, "RELEASE part");
	if (exec_sql(db->h, "ROLLBACK TO part") < 0)
		return -1;
	return exec_sql(db->h, "RELEASE part");
}

int
db_durability(struct db *db, int full)
{
	return exec_sql(db->h, full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL");
}

/* The database kit (db.h) on PostgreSQL: the one file of the store that calls libpq. */
#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "db_copy.h"
#include "db_engine.h"
#include "db_pg_sql.h"
#include "log.h"
#include "parse.h"
#include "sqlembed.h"

/*
 * libpq is loaded at the first PostgreSQL open, not linked: a process on
 * SQLite (the default) never maps it nor what it pulls in (TLS, Kerberos,
 * LDAP). Each function this file calls is a pointer of this table, typed
 * by libpq-fe.h's own prototype.
 */
#define LIBPQ_SONAME	"libpq.so.5"

#define PQ_FUNCS(X) \
	X(PQclear) \
	X(PQcmdStatus) \
	X(PQcmdTuples) \
	X(PQconnectdbParams) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQenterPipelineMode) \
	X(PQexecPrepared) \
	X(PQexitPipelineMode) \
	X(PQfinish) \
	X(PQgetResult) \
	X(PQgetisnull) \
	X(PQgetvalue) \
	X(PQnfields) \
	X(PQntuples) \
	X(PQpipelineSync) \
	X(PQprepare) \
	X(PQputCopyData) \
	X(PQputCopyEnd) \
	X(PQreset) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsendQueryParams) \
	X(PQsendQueryPrepared) \
	X(PQsetNoticeProcessor) \
	X(PQstatus) \
	X(PQtransactionStatus)

#define PQ_FIELD(f)	__typeof__(f) *f;
static struct {
	PQ_FUNCS(PQ_FIELD)
} pq;
#undef PQ_FIELD

static pthread_once_t	 pq_once = PTHREAD_ONCE_INIT;
static int		 pq_loaded;	/* 1 all resolved, -1 not */

/* Loads libpq and resolves the table, once (pq_once); sets pq_loaded. */
static void
pq_load_once(void)
{
	void		*lib;
	const char	*missing = NULL;

	pq_loaded = -1;
	if ((lib = dlopen(LIBPQ_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_error("postgresql: cannot load %s: %s", LIBPQ_SONAME,
		    dlerror());
		log_error("PostgreSQL needs libpq5: apt-get install libpq5");
		return;
	}
#define PQ_RESOLVE(f) \
	if (missing == NULL && \
	    (*(void **)&pq.f = dlsym(lib, #f)) == NULL) \
		missing = #f;
	PQ_FUNCS(PQ_RESOLVE)
#undef PQ_RESOLVE
	if (missing != NULL) {
		log_error("postgresql: %s lacks %s", LIBPQ_SONAME, missing);
		log_error("PostgreSQL needs libpq5: apt-get install libpq5");
		memset(&pq, 0, sizeof(pq));
		dlclose(lib);
		return;
	}
	/* Kept loaded for the life of the process: the pointers stay good. */
	pq_loaded = 1;
}

/* Whether libpq is loaded: 1 yes, -1 not (logged once, at the try). */
static int
pq_load(void)
{
	if (pthread_once(&pq_once, pq_load_once) != 0)
		return -1;
	return pq_loaded;
}

/* The advisory lock that lets one process at a time migrate a database. */
#define MIGRATE_LOCK	"SELECT pg_advisory_xact_lock(7593861042)"

/*
 * The savepoint before each write in a transaction. PostgreSQL aborts the
 * whole transaction at any error, a refusal by a constraint included;
 * SQLite undoes the statement only, and the store's files go on after a
 * refusal (a duplicate is a soft outcome). Rolling back to this savepoint
 * gives the same: the transaction lives on without the refused statement.
 */
#define STMT_SP		"db_stmt"
/* The savepoint behind lastval() read in advance: its failure ends nothing. */
#define ID_SP		"db_stmt_id"

/*
 * The most commands one round trip carries: BEGIN, SET LOCAL, the release
 * of the last savepoint, the new one, the statement, ID_SP and lastval().
 */
#define PIPE_MAX	7

struct pg_db;

/* A statement: the kit's head first, so a struct db_stmt * is one of these. */
struct pg_stmt {
	struct db_stmt	  head;
	struct pg_db	 *db;
	const char	 *name;		/* the table's name, for log lines */
	char		  id[24];	/* its name on the server */
	unsigned int	  gen;		/* the session it was prepared in (0 never) */
	int		  nparams;
	int		  read;		/* a SELECT: changes nothing, needs no savepoint */
	char		 *each_run;	/* PG_PLAN_EACH_RUN: its text ($N), run unnamed; else NULL */
	int		  id_read;	/* its callers read db_last_id after it */
	int		  pending;	/* bound, not yet run */
	const char	**values;	/* nparams, each NULL or text */
	char		(*num)[32];	/* nparams: the text of numbers bound */
	char		**owned;	/* nparams: copies of 'T' text, freed at reset */
	PGresult	 *res;
	int		  row;		/* rows handed out so far */
	int		  nrows;
};

/* A connection: the kit's head first, so a struct db * is one of these. */
struct pg_db {
	struct db	 head;
	PGconn		*conn;
	unsigned int	 gen;		/* the session: grows at each reconnect */
	struct pg_stmt	*cache[DB_SLOT__MAX];	/* each table's statements, by index */
	size_t		 cached[DB_SLOT__MAX];
	int		 full;		/* the session's durability (db_open's) */
	int		 tx_full;	/* what db_durability asked for */
	int		 in_tx;
	int		 begin_due;	/* BEGIN not sent yet: it goes with the first statement */
	int		 sp_open;	/* STMT_SP is set in the transaction */
	struct pg_stmt	*last_write;	/* the last write run (db_last_id learns from it) */
	int64_t		 last_id;	/* lastval() as read after it, when id_known */
	int		 id_known;
	unsigned int	 version;	/* pg_data_version's count of snapshots seen to differ */
	unsigned int	 tx_version;	/* the transaction's, 0 not read yet */
	char		 snap[256];	/* the snapshot the count last moved at */
	int		 lost;		/* the connection broke: reset at the next call */
	long		 tried_at;	/* the last failed reset (monotonic s + 1); 0 none */
	int		 readonly;	/* a standby */
	int		 fk;		/* the last refusal was by a foreign key */
	int		 disk_full;
	int		 conflict;	/* a deadlock or serialization failure since db_take_conflict */
	int64_t		 changes;
	char		 err[512];	/* the last error, passwords cut */
	char		 secret[4][256];	/* the URI's passwords, as written and decoded, to cut */
};

static const struct db_engine pg_engine;

/* The PostgreSQL connection the kit's db is. */
static inline struct pg_db *
pg(struct db *db)
{
	return (struct pg_db *)db;
}

/* The PostgreSQL statement the kit's statement is. */
static inline struct pg_stmt *
pgs(struct db_stmt *c)
{
	return (struct pg_stmt *)c;
}

/* Replaces each what in buf (of bufsz) by with; what "" changes nothing. */
static void
replace_all(char *buf, size_t bufsz, const char *what, const char *with)
{
	char	 rest[512], *p = buf;
	size_t	 len = strlen(what);

	if (len == 0)
		return;
	while ((p = strstr(p, what)) != NULL) {
		snprintf(rest, sizeof(rest), "%s", p + len);
		snprintf(p, bufsz - (size_t)(p - buf), "%s%s", with, rest);
		p += strlen(with);
		if ((size_t)(p - buf) >= bufsz - 1)
			break;
	}
}

/*
 * Keeps the len bytes of a password at p as written in the URI in
 * db->secret[i], and as libpq reads it (percent-decoded) in
 * db->secret[i + 1]: a message may quote either.
 */
static void
keep_secret(struct pg_db *db, size_t i, const char *p, size_t len)
{
	char	*o = db->secret[i + 1];
	size_t	 k;
	int	 hi, lo;

	snprintf(db->secret[i], sizeof(db->secret[i]), "%.*s", (int)len, p);
	for (k = 0; k < len && o < db->secret[i + 1] +
	    sizeof(db->secret[i + 1]) - 1; k++) {
		if (p[k] == '%' && k + 2 < len &&
		    (hi = parse_hex_digit(p[k + 1])) >= 0 &&
		    (lo = parse_hex_digit(p[k + 2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			k += 2;
		} else
			*o++ = p[k];
	}
	*o = '\0';
}

/*
 * Keeps the password(s) written in uri (user:PASSWORD@ and ?password=)
 * in db->secret, so that keep_error can cut them from any message that
 * quotes the URI (libpq quotes it whole when it cannot parse it).
 */
static void
keep_secrets(struct pg_db *db, const char *uri)
{
	const char	*q;
	size_t		 start, len;

	if (db_uri_password(uri, &start, &len))
		keep_secret(db, 0, uri + start, len);
	for (q = strchr(uri, '?'); q != NULL; q = strchr(q + 1, '&'))
		if (strncmp(q + 1, "password=", 9) == 0)
			keep_secret(db, 2, q + 10, strcspn(q + 10, "&#"));
}

/*
 * Cuts from db->err each quoted piece ("...") that is part of a password
 * of the URI: libpq quotes the piece of a URI it cannot read, and a
 * password written with an unencoded '/' or ':' is read as a host or a
 * port.
 */
static void
cut_quoted_secrets(struct pg_db *db)
{
	char	 piece[256], *open, *close;
	size_t	 i;

	for (open = strchr(db->err, '"'); open != NULL &&
	    (close = strchr(open + 1, '"')) != NULL;
	    open = strchr(close + 1, '"')) {
		if (close == open + 1 || (size_t)(close - open - 1) >=
		    sizeof(piece))
			continue;
		snprintf(piece, sizeof(piece), "%.*s", (int)(close - open - 1),
		    open + 1);
		for (i = 0; i < sizeof(db->secret) / sizeof(db->secret[0]); i++)
			if (db->secret[i][0] != '\0' &&
			    strstr(db->secret[i], piece) != NULL) {
				replace_all(open + 1, sizeof(db->err) -
				    (size_t)(open + 1 - db->err), piece, "***");
				close = strchr(open + 1, '"');
				break;
			}
		if (close == NULL)
			break;
	}
}

/*
 * Copies libpq's message into db->err on one line. libpq names the host
 * and user, never the password, but it quotes a URI it cannot parse: the
 * URI's password is cut wherever it appears, whole or in a quoted piece,
 * and so is any "password=value" (a quoted connection string). What
 * libpq says about a password ("password authentication failed") stays.
 */
static const char *
keep_error(struct pg_db *db, const char *msg)
{
	char	 rest[512], *p;
	size_t	 i, n;

	snprintf(db->err, sizeof(db->err), "%s", msg != NULL && *msg != '\0' ?
	    msg : "unknown error");
	for (i = 0; i < sizeof(db->secret) / sizeof(db->secret[0]); i++)
		replace_all(db->err, sizeof(db->err), db->secret[i], "***");
	cut_quoted_secrets(db);
	for (p = db->err; (p = strstr(p, "password=")) != NULL; ) {
		p += 9;
		n = strcspn(p, " &'\"\n");
		snprintf(rest, sizeof(rest), "%s", p + n);
		snprintf(p, sizeof(db->err) - (size_t)(p - db->err), "***%s",
		    rest);
	}
	for (p = db->err; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	while (p > db->err && p[-1] == ' ')
		*--p = '\0';
	return db->err;
}

/* Notices (IF NOT EXISTS, ...) go to the debug log, not to standard error. */
static void
notice(void *arg, const char *msg)
{
	char	 line[512];
	char	*p;

	(void)arg;
	snprintf(line, sizeof(line), "%s", msg);
	if ((p = strchr(line, '\n')) != NULL)
		*p = '\0';
	log_debug("postgresql: %s", line);
}

/*
 * Logs what failed with db->err: a lost connection at most once a minute
 * (every session of every thread finds it, and every retry would say it
 * again), anything else each time.
 */
static void
say_failed(struct pg_db *db, const char *what)
{
	static struct log_limit	 lost_said;

	if (db->lost)
		log_limited(&lost_said, 60, LOGL_ERROR, "%s: the connection to"
		    " PostgreSQL is lost: %s", what, db->err);
	else
		log_error("%s: %s", what, db->err);
}

/*
 * Whether result r (or the connection, when r is NULL) says the
 * connection is gone: marks it for a reset at the next call.
 */
static int
note_lost(struct pg_db *db, const PGresult *r)
{
	const char	*state = r != NULL ?
	    pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int		 failed = r == NULL ||
	    pq.PQresultStatus(r) == PGRES_FATAL_ERROR;

	/*
	 * 08: connection exception; 57P01-03: the server shuts down or
	 * starts. A failure without a SQLSTATE is libpq's own, about the
	 * connection ("server closed the connection unexpectedly"), which
	 * does not always leave the connection marked bad: a new session
	 * settles it. 25006, a write refused as read-only, says the session
	 * is on a server that is no longer the primary (demoted, or made
	 * read-only by a failover in progress): a new session, which a URI
	 * with target_session_attrs=read-write takes to the primary.
	 */
	if (pq.PQstatus(db->conn) == CONNECTION_BAD ||
	    (failed && state == NULL) || (state != NULL &&
	    (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strcmp(state, "25006") == 0)))
		db->lost = 1;
	return db->lost;
}

/*
 * Runs sql (no values; several statements allowed) and keeps its error:
 * > 0 done, < 0 error (logged as what, unless quiet).
 */
static int
exec_sql(struct pg_db *db, const char *what, const char *sql)
{
	PGresult	*r;
	int		 ok;

	r = pq.PQexec(db->conn, sql);
	ok = r != NULL && (pq.PQresultStatus(r) == PGRES_COMMAND_OK ||
	    pq.PQresultStatus(r) == PGRES_TUPLES_OK);
	if (!ok) {
		keep_error(db, r != NULL ? pq.PQresultErrorMessage(r) :
		    pq.PQerrorMessage(db->conn));
		note_lost(db, r);
		say_failed(db, what);
	}
	pq.PQclear(r);
	return ok ? 1 : -1;
}

/* The first value of sql's first row, copied into buf; > 0, 0 no row or NULL, < 0 error (logged). */
static int
query_value(struct pg_db *db, const char *sql, char *buf, size_t bufsz)
{
	PGresult	*r;
	int		 rc = -1;

	r = pq.PQexec(db->conn, sql);
	if (r == NULL || pq.PQresultStatus(r) != PGRES_TUPLES_OK) {
		keep_error(db, r != NULL ? pq.PQresultErrorMessage(r) :
		    pq.PQerrorMessage(db->conn));
		note_lost(db, r);
		say_failed(db, sql);
	} else if (pq.PQntuples(r) < 1 || pq.PQgetisnull(r, 0, 0))
		rc = 0;
	else {
		snprintf(buf, bufsz, "%s", pq.PQgetvalue(r, 0, 0));
		rc = 1;
	}
	pq.PQclear(r);
	return rc;
}

/* What every session starts with: UTC (as SQLite's 'now') and the durability. */
static int
session_setup(struct pg_db *db)
{
	return exec_sql(db, "session", db->full ?
	    "SET TIME ZONE 'UTC'; SET synchronous_commit = on" :
	    "SET TIME ZONE 'UTC'; SET synchronous_commit = off");
}

/*
 * Makes the connection usable: after a loss, one reset (a new session,
 * whose statements are prepared again as they are used). A loss inside
 * a transaction waits for the caller's rollback: what followed would run
 * outside it. > 0 ready, < 0 not (logged once an outage).
 */
static int
ready(struct pg_db *db)
{
	static struct log_limit	 down_said, back_said;
	struct timespec		 now;

	if (!db->lost && pq.PQstatus(db->conn) == CONNECTION_OK)
		return 1;
	db->lost = 1;
	if (db->in_tx) {
		keep_error(db, "the connection to PostgreSQL was lost in a"
		    " transaction");
		return -1;
	}
	/*
	 * One try a second at most: a server that does not answer holds
	 * each try for connect_timeout, and every request would make one.
	 */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (db->tried_at != 0 && now.tv_sec + 1 - db->tried_at < 1)
		return -1;
	db->tried_at = now.tv_sec + 1;
	pq.PQreset(db->conn);
	if (pq.PQstatus(db->conn) != CONNECTION_OK) {
		keep_error(db, pq.PQerrorMessage(db->conn));
		log_limited(&down_said, 60, LOGL_ERROR, "postgresql: cannot"
		    " reconnect: %s", db->err);
		return -1;
	}
	db->tried_at = 0;
	db->gen++;
	db->lost = 0;
	db->sp_open = 0;
	db->id_known = 0;
	db->last_write = NULL;
	db->snap[0] = '\0';
	if (session_setup(db) < 0)
		return -1;
	log_limited(&back_said, 60, LOGL_WARN, "postgresql: reconnected");
	return 1;
}

/* The schema version: the number in schema_version, 0 when it has none; < 0 error. */
static int
pg_version(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	char		 buf[32];
	int		 rc;

	if (ready(db) < 0)
		return -1;
	if ((rc = query_value(db, "SELECT to_regclass('schema_version')"
	    " IS NOT NULL", buf, sizeof(buf))) < 0)
		return -1;
	if (rc == 0 || strcmp(buf, "t") != 0)
		return 0;
	if ((rc = query_value(db, "SELECT max(version) FROM schema_version",
	    buf, sizeof(buf))) <= 0)
		return rc;
	return atoi(buf);
}

/*
 * Applies embedded migration i of sql/pg/ and records its version, in the
 * transaction open. > 0 done, < 0 error (logged).
 */
static int
apply_migration(struct pg_db *db, size_t i)
{
	char	 set[160];

	/* The kit owns schema_version: created here when schema.sql has not. */
	snprintf(set, sizeof(set), "CREATE TABLE IF NOT EXISTS"
	    " schema_version (version integer NOT NULL);"
	    " DELETE FROM schema_version;"
	    " INSERT INTO schema_version (version) VALUES (%d)",
	    pgembed[i].version);
	if (exec_sql(db, pgembed[i].name, pgembed[i].sql) < 0 ||
	    exec_sql(db, "schema_version", set) < 0)
		return -1;
	return 1;
}

/*
 * Applies every embedded migration of sql/pg/ above the database's
 * version, each in its own transaction under an advisory lock (a second
 * process waits, then finds it done). An empty database (version 0) gets
 * the whole schema only when create. > 0 done, 0 an empty database not
 * to be created (db_open_failed says so), < 0 error (logged).
 */
static int
migrate(struct pg_db *db, int create)
{
	int	 v;
	size_t	 i;

	if ((v = pg_version(&db->head)) < 0)
		return -1;
	if (v == 0 && !create) {
		db_open_failed("the database holds no ibchannel store; run"
		    " 'ibchannel init'");
		return 0;
	}
	if (!db_schema_known(v, pgembed[pgembed_count - 1].version))
		return -1;
	for (i = 0; i < pgembed_count; i++) {
		if (pgembed[i].version <= v)
			continue;
		if (exec_sql(db, "BEGIN", "BEGIN") < 0 ||
		    exec_sql(db, "migration lock", MIGRATE_LOCK) < 0)
			goto err;
		if ((v = pg_version(&db->head)) < 0)
			goto err;
		if (v >= pgembed[i].version) {
			exec_sql(db, "ROLLBACK", "ROLLBACK");
			continue;
		}
		if (apply_migration(db, i) < 0 ||
		    exec_sql(db, "COMMIT", "COMMIT") < 0)
			goto err;
		v = pgembed[i].version;
	}
	return 1;
err:
	log_error("postgresql: migration %s failed", i < pgembed_count ?
	    pgembed[i].name : "?");
	exec_sql(db, "ROLLBACK", "ROLLBACK");
	return -1;
}

static void	 pg_close(struct db *);

/*
 * Connects to the database at uri and sets the session up (its
 * durability full or relaxed), noting whether it is a standby. > 0 with
 * *out; < 0 with the reason in why (one line, no password) and *out NULL.
 */
static int
pg_connect(const char *uri, int full, struct pg_db **out, char *why,
    size_t whysz)
{
	/* The URI's own settings come last and win over these defaults. */
	static const char *const keys[] = { "connect_timeout",
	    "application_name", "client_encoding", "dbname", NULL };
	const char	*values[5] = { "10", "ibchannel", "UTF8", uri, NULL };
	struct pg_db	*db;
	char		 buf[8];

	*out = NULL;
	if (pq_load() < 0) {
		snprintf(why, whysz, "cannot load %s (apt-get install libpq5)",
		    LIBPQ_SONAME);
		return -1;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	keep_secrets(db, uri);
	db->head.engine = &pg_engine;
	db->full = db->tx_full = full;
	db->gen = 1;
	buf[0] = '\0';
	db->conn = pq.PQconnectdbParams(keys, values, 1);
	/* Not logged here: the caller says it once, naming the store. */
	if (db->conn == NULL || pq.PQstatus(db->conn) != CONNECTION_OK) {
		keep_error(db, db->conn != NULL ? pq.PQerrorMessage(db->conn) :
		    "out of memory");
		goto err;
	}
	pq.PQsetNoticeProcessor(db->conn, notice, NULL);
	if (session_setup(db) < 0 ||
	    query_value(db, "SELECT pg_is_in_recovery()", buf,
	    sizeof(buf)) < 0)
		goto err;
	db->readonly = strcmp(buf, "t") == 0;
	*out = db;
	return 1;
err:
	snprintf(why, whysz, "%s", db->err);
	pg_close(&db->head);
	return -1;
}

int
db_pg_open(const char *uri, enum db_open_mode mode, int full,
    struct db **out)
{
	struct pg_db	*db;
	char		 why[512];
	int		 rc;

	*out = NULL;
	/* Not logged here: the caller says it once, naming the store. */
	if (pg_connect(uri, full, &db, why, sizeof(why)) < 0) {
		db_open_failed(why);
		return -1;
	}
	/*
	 * A read opens as it is, a standby cannot be migrated; but neither
	 * opens a store newer than these programs know.
	 */
	if (mode != DB_OPEN_READ && !db->readonly) {
		if ((rc = migrate(db, mode == DB_OPEN_CREATE)) <= 0) {
			if (rc < 0)
				db_open_failed(db->err);
			pg_close(&db->head);
			return -1;
		}
	} else if (!db_schema_known(pg_version(&db->head),
	    pgembed[pgembed_count - 1].version)) {
		db_open_failed("the store is newer than these programs");
		pg_close(&db->head);
		return -1;
	}
	*out = &db->head;
	return 1;
}

/* Frees statement c's result and its copies of text: it holds no row. */
static void
stmt_clear(struct pg_stmt *c)
{
	int	 i;

	pq.PQclear(c->res);
	c->res = NULL;
	c->row = c->nrows = 0;
	c->pending = 0;
	for (i = 0; c->owned != NULL && i < c->nparams; i++) {
		free(c->owned[i]);
		c->owned[i] = NULL;
	}
}

/* Frees what statement c holds (not c: it is a cache slot). */
static void
stmt_free(struct pg_stmt *c)
{
	stmt_clear(c);
	free(c->each_run);
	free(c->values);
	free(c->num);
	free(c->owned);
}

/* Closes the connection; prepared statements end with the session. */
static void
pg_close(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	size_t		 i, j;

	for (i = 0; i < DB_SLOT__MAX; i++) {
		for (j = 0; j < db->cached[i]; j++)
			stmt_free(&db->cache[i][j]);
		free(db->cache[i]);
	}
	pq.PQfinish(db->conn);
	free(db);
}

/* Whether the server is a standby (read-only). */
static int
pg_readonly(struct db *kit)
{
	return pg(kit)->readonly;
}

/* Whether the server is out of reach: the connection broke and was not made again yet. */
static int
pg_unreachable(struct db *kit)
{
	return pg(kit)->lost;
}

/* The last error, passwords cut. */
static const char *
pg_errmsg(struct db *kit)
{
	return pg(kit)->err[0] != '\0' ? pg(kit)->err : "not an error";
}

/* Whether a write found the server's disk full (SQLSTATE 53100); clears the note. */
static int
pg_take_disk_full(struct db *kit)
{
	int	 full = pg(kit)->disk_full;

	pg(kit)->disk_full = 0;
	return full;
}

/* Whether a statement lost to a deadlock or a serialization conflict; clears the note. */
static int
pg_take_conflict(struct db *kit)
{
	int	 lost = pg(kit)->conflict;

	pg(kit)->conflict = 0;
	return lost;
}

/* Whether the last refusal was by a foreign key (SQLSTATE 23503). */
static int
pg_refused_by_foreign_key(struct db *kit)
{
	return pg(kit)->fk;
}

/*
 * sql with SQLite's placeholders (? numbered in order, ?N) as
 * PostgreSQL's $N, outside literals, quoted names and comments; *n the
 * highest number. Its own $N count too. Returns memory the caller frees,
 * NULL when out of memory.
 */
static char *
translate(const char *sql, int *n)
{
	const char	*p;
	char		*out, *o;
	size_t		 marks = 0;
	long		 v;
	int		 max = 0;
	char		 quote = 0;

	for (p = sql; *p != '\0'; p++)
		marks += *p == '?';
	if ((out = malloc(strlen(sql) + 8 * marks + 1)) == NULL)
		return NULL;
	for (p = sql, o = out; *p != '\0'; ) {
		if (quote == '-') {
			if (*p == '\n')
				quote = 0;
			*o++ = *p++;
		} else if (quote == '*') {
			if (p[0] == '*' && p[1] == '/') {
				*o++ = *p++;
				quote = 0;
			}
			*o++ = *p++;
		} else if (quote != 0) {
			if (*p == quote)
				quote = 0;
			*o++ = *p++;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p++;
		} else if ((p[0] == '-' && p[1] == '-') ||
		    (p[0] == '/' && p[1] == '*')) {
			quote = p[0] == '-' ? '-' : '*';
			*o++ = *p++;
			*o++ = *p++;
		} else if (*p == '?' || (*p == '$' &&
		    isdigit((unsigned char)p[1]))) {
			if (isdigit((unsigned char)p[1])) {
				v = strtol(p + 1, (char **)&p, 10);
				if (v < 1 || v > 65535) {
					free(out);
					*n = -1;
					return NULL;
				}
			} else {
				v = max + 1;
				p++;
			}
			if (v > max)
				max = (int)v;
			o += sprintf(o, "$%ld", v);
		} else
			*o++ = *p++;
	}
	*o = '\0';
	*n = max;
	return out;
}

/* Whether sql only reads: it begins with SELECT (after spaces and parentheses). */
static int
only_reads(const char *sql)
{
	while (isspace((unsigned char)*sql) || *sql == '(')
		sql++;
	return strncasecmp(sql, "SELECT", 6) == 0 &&
	    !isalnum((unsigned char)sql[6]);
}

/*
 * Statement which of t, with no result: prepared on the server (once a
 * session; named by slot and index) and cached. NULL when it cannot be
 * (logged).
 */
static struct pg_stmt *
stmt_get(struct pg_db *db, const struct db_table *t, int which)
{
	struct pg_stmt	*c;
	PGresult	*r;
	const char	*sql;
	char		*text;
	int		 n;

	if ((c = db->cache[t->slot]) == NULL) {
		if ((c = calloc(t->n, sizeof(*c))) == NULL) {
			log_error("%s: out of memory", t->stmt[which].name);
			return NULL;
		}
		db->cache[t->slot] = c;
		db->cached[t->slot] = t->n;
	}
	c += which;
	stmt_clear(c);
	if (c->gen == db->gen)
		return c;
	sql = db_sql_text(pg_sql, t, which);
	if ((text = translate(sql, &n)) == NULL) {
		log_error("%s: %s", t->stmt[which].name, n < 0 ?
		    "a placeholder out of range" : "out of memory");
		return NULL;
	}
	if (c->values == NULL) {
		c->nparams = n;
		c->values = calloc((size_t)n + 1, sizeof(*c->values));
		c->num = calloc((size_t)n + 1, sizeof(*c->num));
		c->owned = calloc((size_t)n + 1, sizeof(*c->owned));
		if (c->values == NULL || c->num == NULL || c->owned == NULL) {
			log_error("%s: out of memory", t->stmt[which].name);
			stmt_free(c);
			memset(c, 0, sizeof(*c));
			free(text);
			return NULL;
		}
	}
	c->head.engine = &pg_engine;
	c->db = db;
	c->name = t->stmt[which].name;
	c->read = only_reads(sql);
	snprintf(c->id, sizeof(c->id), "ib_%d_%d", (int)t->slot, which);
	r = pq.PQprepare(db->conn, c->id, text, 0, NULL);
	free(c->each_run);
	c->each_run = NULL;
	if (strncmp(sql, PG_PLAN_EACH_RUN, strlen(PG_PLAN_EACH_RUN)) == 0)
		c->each_run = text;	/* kept: each run sends it */
	else
		free(text);
	if (r == NULL || pq.PQresultStatus(r) != PGRES_COMMAND_OK) {
		keep_error(db, r != NULL ? pq.PQresultErrorMessage(r) :
		    pq.PQerrorMessage(db->conn));
		note_lost(db, r);
		say_failed(db, c->name);
		pq.PQclear(r);
		return NULL;
	}
	pq.PQclear(r);
	c->gen = db->gen;
	return c;
}

/* Binds fmt's values (the letters of db_run) as text into c. > 0, < 0 error (logged). */
static int
bindv(struct pg_stmt *c, const char *fmt, va_list ap)
{
	const char	*t;
	size_t		 len;
	int64_t		 v;
	double		 d;
	int		 i, k;

	for (i = 0; i < c->nparams; i++)
		c->values[i] = NULL;
	for (i = 0; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 's':
		case 'S':
			t = va_arg(ap, const char *);
			if (t == NULL && *fmt == 'S')
				t = "";
			if (i < c->nparams)
				c->values[i] = t;
			break;
		case 'T':
			t = va_arg(ap, const char *);
			len = va_arg(ap, size_t);
			if (i >= c->nparams || t == NULL)
				break;
			/* Text of a length has no NUL: a copy that does. */
			if ((c->owned[i] = strndup(t, len)) == NULL) {
				log_error("%s: bind: out of memory", c->name);
				return -1;
			}
			c->values[i] = c->owned[i];
			break;
		case 'i':
		case 'N':
			v = va_arg(ap, int64_t);
			if (i >= c->nparams || (*fmt == 'N' && v <= 0))
				break;
			snprintf(c->num[i], sizeof(c->num[i]), "%lld",
			    (long long)v);
			c->values[i] = c->num[i];
			break;
		case 'I':
			k = va_arg(ap, int);
			if (i >= c->nparams || k < 0)
				break;
			snprintf(c->num[i], sizeof(c->num[i]), "%d", k);
			c->values[i] = c->num[i];
			break;
		case 'd':
		case 'D':
			d = va_arg(ap, double);
			if (i >= c->nparams || (*fmt == 'D' && d < 0))
				break;
			snprintf(c->num[i], sizeof(c->num[i]), "%.17g", d);
			c->values[i] = c->num[i];
			break;
		default:
			log_error("%s: bind: no format letter '%c'", c->name,
			    *fmt);
			return -1;
		}
	}
	return 1;
}

/* What a transaction's durability adds to its BEGIN, or NULL: nothing, it is the session's. */
static const char *
durability_sql(const struct pg_db *db)
{
	if (db->tx_full == db->full)
		return NULL;
	return db->tx_full ? "SET LOCAL synchronous_commit = on" :
	    "SET LOCAL synchronous_commit = off";
}

/*
 * One round trip of libpq's pipeline: commands sent together and ended by
 * one sync, each either a fixed text without values or (NULL) the
 * statement being run; then their results, in order.
 */
struct pipe {
	const char	*sql[PIPE_MAX];
	PGresult	*res[PIPE_MAX];
	int		 n;
};

/* Adds command sql (NULL: the statement) to p; its place. */
static int
pipe_add(struct pipe *p, const char *sql)
{
	p->sql[p->n] = sql;
	return p->n++;
}

/* Whether result r is a command's success. */
static int
res_ok(const PGresult *r)
{
	return r != NULL && (pq.PQresultStatus(r) == PGRES_COMMAND_OK ||
	    pq.PQresultStatus(r) == PGRES_TUPLES_OK);
}

/*
 * Sends p's commands (statement c for the NULL one) in one round trip
 * and reads each result into p->res, which the caller clears; a command
 * after a failed one reads PGRES_PIPELINE_ABORTED. > 0 all read (each
 * may be an error of its own), < 0 the connection failed: its error is
 * kept and the connection is reset at the next call (a pipeline left
 * half read cannot be used again).
 */
static int
pipe_run(struct pg_db *db, struct pg_stmt *c, struct pipe *p)
{
	PGresult	*r;
	int		 i, ok, spins, sync = 0;

	if (!pq.PQenterPipelineMode(db->conn))
		goto lost;
	for (i = 0, ok = 1; i < p->n && ok; i++)
		ok = p->sql[i] != NULL ? pq.PQsendQueryParams(db->conn,
		    p->sql[i], 0, NULL, NULL, NULL, NULL, 0) :
		    c->each_run != NULL ? pq.PQsendQueryParams(db->conn,
		    c->each_run, c->nparams, NULL, c->values, NULL, NULL, 0) :
		    pq.PQsendQueryPrepared(db->conn, c->id, c->nparams,
		    c->values, NULL, NULL, 0);
	if (!ok || !pq.PQpipelineSync(db->conn))
		goto lost;
	/* Each command gives its result, then NULL; a broken line, NULL early. */
	for (i = 0; i < p->n; i++) {
		if ((p->res[i] = pq.PQgetResult(db->conn)) == NULL)
			goto lost;
		if ((r = pq.PQgetResult(db->conn)) != NULL) {
			pq.PQclear(r);
			goto lost;
		}
	}
	/* Then the sync's own result (a NULL or two before it at most). */
	for (spins = 0; !sync; spins++) {
		if ((r = pq.PQgetResult(db->conn)) == NULL && spins > 2)
			goto lost;
		sync = r != NULL && pq.PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		pq.PQclear(r);
	}
	if (!pq.PQexitPipelineMode(db->conn))
		goto lost;
	return 1;
lost:
	keep_error(db, pq.PQerrorMessage(db->conn));
	pq.PQexitPipelineMode(db->conn);
	db->lost = 1;
	return -1;
}

/* Puts the transaction's BEGIN (and its durability) first in p when it is due; its place, -1 none. */
static int
pipe_begin(const struct pg_db *db, struct pipe *p)
{
	const char	*set;
	int		 at;

	if (!db->begin_due)
		return -1;
	at = pipe_add(p, "BEGIN");
	if ((set = durability_sql(db)) != NULL)
		pipe_add(p, set);
	return at;
}

/*
 * Whether a command of p before place end failed (the first one's error
 * kept and logged, for what): then nothing after it ran.
 */
static int
pipe_failed(struct pg_db *db, const struct pipe *p, int end, const char *what)
{
	int	 i;

	for (i = 0; i < end; i++)
		if (!res_ok(p->res[i])) {
			keep_error(db, p->res[i] != NULL ?
			    pq.PQresultErrorMessage(p->res[i]) :
			    pq.PQerrorMessage(db->conn));
			note_lost(db, p->res[i]);
			log_error("%s: %s: %s", what, p->sql[i], db->err);
			return 1;
		}
	return 0;
}

/* Frees p's results. */
static void
pipe_clear(struct pipe *p)
{
	int	 i;

	for (i = 0; i < p->n; i++) {
		pq.PQclear(p->res[i]);
		p->res[i] = NULL;
	}
}

/*
 * Runs bound statement c on the server; its result goes to c->res, or
 * NULL with the error kept and logged. A statement in a transaction goes
 * in one round trip with what must come before it (the BEGIN it waited
 * for; for a write, STMT_SP, releasing the last one) and, for a write whose
 * callers read its id, lastval() read in advance behind ID_SP, so that
 * db_last_id costs nothing. *marked says whether STMT_SP was set for it.
 * > 0 the statement ran (c->res is its own outcome, success or not), < 0
 * error before or around it (logged).
 */
static int
send_stmt(struct pg_stmt *c, int *marked)
{
	struct pg_db	*db = c->db;
	struct pipe	 p;
	int		 at, begin, rel = -1, sp = -1, id_sp = -1, id = -1;
	int		 rc = -1;

	*marked = 0;
	if (!c->read)
		db->id_known = 0;
	if (!db->begin_due && (!db->in_tx || c->read)) {
		c->res = c->each_run != NULL ? pq.PQexecParams(db->conn,
		    c->each_run, c->nparams, NULL, c->values, NULL, NULL, 0) :
		    pq.PQexecPrepared(db->conn, c->id, c->nparams, c->values,
		    NULL, NULL, 0);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	begin = pipe_begin(db, &p);
	if (!c->read) {
		if (db->sp_open)
			rel = pipe_add(&p, "RELEASE SAVEPOINT " STMT_SP);
		sp = pipe_add(&p, "SAVEPOINT " STMT_SP);
	}
	at = pipe_add(&p, NULL);
	if (!c->read && c->id_read) {
		id_sp = pipe_add(&p, "SAVEPOINT " ID_SP);
		id = pipe_add(&p, "SELECT lastval()");
	}
	if (pipe_run(db, c, &p) < 0) {
		log_error("%s: the connection to PostgreSQL is lost: %s",
		    c->name, db->err);
		goto out;
	}
	if (begin >= 0 && res_ok(p.res[begin]))
		db->begin_due = 0;
	if (rel >= 0 && res_ok(p.res[rel]))
		db->sp_open = 0;
	if (sp >= 0 && res_ok(p.res[sp]))
		db->sp_open = *marked = 1;
	/* What came before the statement failed: the statement did not run. */
	if (pipe_failed(db, &p, at, c->name))
		goto out;
	c->res = p.res[at];
	p.res[at] = NULL;
	rc = 1;
	if (id < 0 || !res_ok(c->res))
		goto out;
	if (res_ok(p.res[id]) && pq.PQntuples(p.res[id]) == 1 &&
	    !pq.PQgetisnull(p.res[id], 0, 0)) {
		db->last_id = strtoll(pq.PQgetvalue(p.res[id], 0, 0), NULL, 10);
		db->id_known = 1;
		goto out;
	}
	/* No id now: undone to ID_SP, and db_last_id asks, as it would have. */
	if (!res_ok(p.res[id_sp]) || exec_sql(db, "ROLLBACK TO",
	    "ROLLBACK TO SAVEPOINT " ID_SP) < 0) {
		/* The statement ran, but the transaction cannot go on. */
		keep_error(db, "lastval() read in advance failed");
		log_error("%s: %s", c->name, db->err);
		rc = -1;
	}
out:
	pipe_clear(&p);
	return rc;
}

/*
 * The data version inside a transaction: a count that moves when the
 * server's snapshot (pg_current_snapshot(): the oldest transaction still
 * running, the next to start, those running between) differs from the one
 * it last moved at, that is when some write was committed anywhere since,
 * this connection's included. It is read once a transaction, in the round
 * trip of its BEGIN when that is still due, and holds for the transaction:
 * what a caller caches under it is as of the transaction's start, as
 * SQLite's writer, which keeps others from committing while it writes,
 * sees it. Outside a transaction 0, unknown: callers read again. A
 * snapshot too long to keep moves the count every time.
 */
static unsigned int
pg_data_version(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	struct pipe	 p;
	const char	*snap;
	int		 begin, at;

	if (!db->in_tx || db->lost)
		return 0;
	if (db->tx_version != 0)
		return db->tx_version;
	memset(&p, 0, sizeof(p));
	begin = pipe_begin(db, &p);
	at = pipe_add(&p, "SELECT pg_current_snapshot()::text");
	if (pipe_run(db, NULL, &p) < 0) {
		log_error("data version: the connection to PostgreSQL is"
		    " lost: %s", db->err);
		goto out;
	}
	if (begin >= 0 && res_ok(p.res[begin]))
		db->begin_due = 0;
	if (pipe_failed(db, &p, at + 1, "data version"))
		goto out;
	snap = pq.PQntuples(p.res[at]) == 1 ? pq.PQgetvalue(p.res[at], 0, 0) :
	    "";
	if (strlen(snap) >= sizeof(db->snap) || strcmp(snap, db->snap) != 0) {
		snprintf(db->snap, sizeof(db->snap), "%s", snap);
		if (++db->version == 0)
			db->version = 1;
	}
	db->tx_version = db->version;
out:
	pipe_clear(&p);
	return db->tx_version;
}

/* Runs bound statement c on the server: DB_DONE (rows kept for handing out), DB_CONSTRAINT or DB_ERROR. */
static int
execute(struct pg_stmt *c)
{
	struct pg_db	*db = c->db;
	const char	*state, *n;
	ExecStatusType	 st;
	int		 marked;

	c->pending = 0;
	if (send_stmt(c, &marked) < 0) {
		stmt_clear(c);
		return DB_ERROR;
	}
	if (!c->read)
		db->last_write = c;
	st = c->res != NULL ? pq.PQresultStatus(c->res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		c->nrows = st == PGRES_TUPLES_OK ? pq.PQntuples(c->res) : 0;
		if (!c->read)
			db->changes = *(n = pq.PQcmdTuples(c->res)) != '\0' ?
			    strtoll(n, NULL, 10) : 0;
		return DB_DONE;
	}
	keep_error(db, c->res != NULL ? pq.PQresultErrorMessage(c->res) :
	    pq.PQerrorMessage(db->conn));
	state = c->res != NULL ? pq.PQresultErrorField(c->res,
	    PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL && strncmp(state, "23", 2) == 0) {
		db->fk = strcmp(state, "23503") == 0;
		log_debug("%s: %s", c->name, db->err);
		stmt_clear(c);
		/* Undone alone: the transaction goes on (unmarked, it cannot). */
		if (db->in_tx && (!marked || exec_sql(db,
		    "ROLLBACK TO SAVEPOINT", "ROLLBACK TO SAVEPOINT " STMT_SP) < 0))
			return DB_ERROR;
		return DB_CONSTRAINT;
	}
	if (state != NULL && strcmp(state, "53100") == 0)
		db->disk_full = 1;
	if (state != NULL && (strcmp(state, "40P01") == 0 ||
	    strcmp(state, "40001") == 0))
		db->conflict = 1;
	note_lost(db, c->res);
	say_failed(db, c->name);
	stmt_clear(c);
	return DB_ERROR;
}

/* The next row of statement c: the first step runs it. */
static int
pg_step(struct db_stmt *kit)
{
	struct pg_stmt	*c = pgs(kit);
	int		 rc;

	if (c->pending && (rc = execute(c)) != DB_DONE)
		return rc;
	if (c->res == NULL)
		return DB_DONE;
	if (c->row < c->nrows) {
		c->row++;
		return DB_ROW;
	}
	return DB_DONE;
}

/* Ends statement c's run: its rows go. */
static void
pg_reset(struct db_stmt *c)
{
	stmt_clear(pgs(c));
}

/* Prepares (once a session), binds and steps statement which of t (db_runv). */
static int
pg_runv(struct db *kit, const struct db_table *t, int which,
    struct db_stmt **out, const char *fmt, va_list ap)
{
	struct pg_db	*db = pg(kit);
	struct pg_stmt	*c;

	if (out != NULL)
		*out = NULL;
	if (ready(db) < 0) {
		log_debug("%s: %s", t->stmt[which].name, db->err);
		return DB_ERROR;
	}
	if ((c = stmt_get(db, t, which)) == NULL)
		return DB_ERROR;
	if (bindv(c, fmt, ap) < 0) {
		stmt_clear(c);
		return DB_ERROR;
	}
	c->pending = 1;
	if (out != NULL)
		*out = &c->head;
	return pg_step(&c->head);
}

/* The rows the last write changed. */
static int64_t
pg_changes(struct db *kit)
{
	return pg(kit)->changes;
}

/*
 * The id of the last row inserted: the session's lastval(), the value the
 * last insert drew from its table's sequence. The store's files read the
 * id after db_exec, with no row read; RETURNING id would change every
 * insert and its caller. A write whose id is read once has it read in
 * advance, in its own round trip, from then on (send_stmt). 0 when there
 * is none.
 */
static int64_t
pg_last_id(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	char		 buf[32];

	if (db->last_write != NULL)
		db->last_write->id_read = 1;
	if (db->id_known)
		return db->last_id;
	if (query_value(db, "SELECT lastval()", buf, sizeof(buf)) <= 0)
		return 0;
	return strtoll(buf, NULL, 10);
}

/* Column col of the current row as text, NULL for NULL or no row. */
static const char *
pg_col_text(struct db_stmt *kit, int col)
{
	struct pg_stmt	*c = pgs(kit);

	if (c->res == NULL || c->row < 1 || col < 0 ||
	    col >= pq.PQnfields(c->res) ||
	    pq.PQgetisnull(c->res, c->row - 1, col))
		return NULL;
	return pq.PQgetvalue(c->res, c->row - 1, col);
}

/* Column col as an int64: a boolean reads 1 or 0 (as SQLite's comparisons), NULL 0. */
static int64_t
pg_col_int64(struct db_stmt *c, int col)
{
	const char	*t = pg_col_text(c, col);

	if (t == NULL)
		return 0;
	if (t[0] == 't' && t[1] == '\0')
		return 1;
	return strtoll(t, NULL, 10);
}

/* Column col as an int. */
static int
pg_col_int32(struct db_stmt *c, int col)
{
	return (int)pg_col_int64(c, col);
}

/* Column col as a double, NULL 0. */
static double
pg_col_dbl(struct db_stmt *c, int col)
{
	const char	*t = pg_col_text(c, col);

	return t != NULL ? strtod(t, NULL) : 0;
}

/* Whether column col is NULL. */
static int
pg_col_null(struct db_stmt *c, int col)
{
	return pg_col_text(c, col) == NULL;
}

/*
 * BEGIN (both modes: PostgreSQL locks rows as they are written; the
 * claims lock theirs with FOR UPDATE), with the durability asked for
 * when it differs from the session's. Nothing is sent yet: the BEGIN goes
 * in the round trip of the transaction's first statement (send_stmt) or
 * savepoint, and a transaction with neither costs none.
 */
static int
pg_begin(struct db *kit, enum db_begin_mode mode)
{
	struct pg_db	*db = pg(kit);

	(void)mode;
	/* ready said why, at most once a minute: every retry would say it. */
	if (ready(db) < 0) {
		log_debug("BEGIN: %s", db->err);
		return -1;
	}
	db->in_tx = 1;
	db->begin_due = 1;
	db->sp_open = 0;
	db->tx_version = 0;
	return 1;
}

static void	 pg_rollback(struct db *);

/*
 * After the commit of a transaction that read the data version at its
 * start (snapshot db->snap) and wrote as transaction xid: whether the
 * snapshot now (after) is that one with this transaction's commit alone
 * (xid was the next to be assigned, and no other transaction began to
 * write or ended since), and if so it becomes the one the count last moved
 * at. The writer's own commits then keep the version, and what it caches
 * under it (settings, connections) lives across its groups, as it does on
 * SQLite, whose data version moves for other connections' commits only.
 * Anything else (another writer, a savepoint's subtransaction, which takes
 * an id of its own) leaves it, and the version moves at the next read.
 */
static void
snap_after_commit(struct pg_db *db, const char *xid, const char *after)
{
	unsigned long long	 xmin, xmax, x;
	char			 want[sizeof(db->snap)];
	const char		*xip;
	char			*end;
	int			 n;

	if (sscanf(db->snap, "%llu:%llu:%n", &xmin, &xmax, &n) != 2)
		return;
	xip = db->snap + n;
	x = strtoull(xid, &end, 10);
	if (*xid == '\0' || *end != '\0' || x != xmax)
		return;
	n = snprintf(want, sizeof(want), "%llu:%llu:%s", *xip == '\0' ?
	    x + 1 : xmin, x + 1, xip);
	if (n < 0 || (size_t)n >= sizeof(want) || strcmp(want, after) != 0)
		return;
	memcpy(db->snap, want, (size_t)n + 1);
}

/*
 * COMMIT; one that fails, or that the server turned into a rollback, is
 * an error. When the transaction read the data version, its id and the
 * snapshot after the commit ride along (snap_after_commit).
 */
static int
pg_commit(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	struct pipe	 p;
	PGresult	*r;
	int		 ok, xid = -1, at, snap = -1;

	if (db->lost) {
		say_failed(db, "COMMIT");
		pg_rollback(kit);
		return -1;
	}
	if (db->begin_due) {
		/* Nothing was sent: nothing to commit. */
		db->in_tx = db->begin_due = db->sp_open = 0;
		db->tx_version = 0;
		return 1;
	}
	memset(&p, 0, sizeof(p));
	if (db->tx_version != 0)
		xid = pipe_add(&p, "SELECT pg_current_xact_id_if_assigned()::text");
	at = pipe_add(&p, "COMMIT");
	if (db->tx_version != 0)
		snap = pipe_add(&p, "SELECT pg_current_snapshot()::text");
	if (pipe_run(db, NULL, &p) < 0)
		r = NULL;
	else if (xid >= 0 && !res_ok(p.res[xid]))
		r = p.res[xid];		/* then the COMMIT did not run */
	else
		r = p.res[at];
	ok = r != NULL && pq.PQresultStatus(r) == PGRES_COMMAND_OK &&
	    strcmp(pq.PQcmdStatus(r), "COMMIT") == 0;
	if (!ok) {
		keep_error(db, r == NULL ? pq.PQerrorMessage(db->conn) :
		    pq.PQresultStatus(r) == PGRES_COMMAND_OK ?
		    "the transaction had failed: rolled back" :
		    pq.PQresultErrorMessage(r));
		note_lost(db, r);
		say_failed(db, "COMMIT");
	} else if (xid >= 0 && res_ok(p.res[xid]) && res_ok(p.res[snap]) &&
	    pq.PQntuples(p.res[xid]) == 1 && pq.PQntuples(p.res[snap]) == 1 &&
	    !pq.PQgetisnull(p.res[xid], 0, 0))
		snap_after_commit(db, pq.PQgetvalue(p.res[xid], 0, 0),
		    pq.PQgetvalue(p.res[snap], 0, 0));
	pipe_clear(&p);
	if (!ok) {
		pg_rollback(kit);
		return -1;
	}
	db->in_tx = 0;
	db->sp_open = 0;
	db->tx_version = 0;
	return 1;
}

/* Ends any open transaction (a lost one ended with its session). */
static void
pg_rollback(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	PGresult	*r;

	if (!db->lost && pq.PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		r = pq.PQexec(db->conn, "ROLLBACK");
		note_lost(db, r);
		pq.PQclear(r);
	}
	db->in_tx = 0;
	db->begin_due = 0;
	db->sp_open = 0;
	db->tx_version = 0;
}

/* A savepoint inside the transaction (after its BEGIN, when due); the statement savepoints go on inside it. */
static int
pg_savepoint(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	const char	*set = durability_sql(db);
	char		 sql[128];

	snprintf(sql, sizeof(sql), "%s%s%sSAVEPOINT part", db->begin_due ?
	    "BEGIN; " : "", db->begin_due && set != NULL ? set : "",
	    db->begin_due && set != NULL ? "; " : "");
	if (exec_sql(db, "SAVEPOINT", sql) < 0)
		return -1;
	db->begin_due = 0;
	db->sp_open = 0;
	return 1;
}

/* Ends the savepoint: kept, or undone (then released, in the same round trip). */
static int
pg_savepoint_end(struct db *kit, int keep)
{
	struct pg_db	*db = pg(kit);

	db->sp_open = 0;
	return exec_sql(db, keep ? "RELEASE" : "ROLLBACK TO", keep ?
	    "RELEASE SAVEPOINT part" :
	    "ROLLBACK TO SAVEPOINT part; RELEASE SAVEPOINT part");
}

/*
 * The durability of the next transactions (synchronous_commit, set for
 * each transaction by pg_begin, or at once inside one); statements
 * outside a transaction keep the session's, db_open's.
 */
static int
pg_durability(struct db *kit, int full)
{
	struct pg_db	*db = pg(kit);

	db->tx_full = full;
	if (!db->in_tx || db->begin_due)
		return 1;	/* the BEGIN, when sent, sets it */
	return exec_sql(db, "synchronous_commit", full ?
	    "SET LOCAL synchronous_commit = on" :
	    "SET LOCAL synchronous_commit = off");
}

static const struct db_engine pg_engine = {
	.name = "postgresql",
	.close = pg_close,
	.readonly = pg_readonly,
	.data_version = pg_data_version,
	.errmsg = pg_errmsg,
	.take_disk_full = pg_take_disk_full,
	.take_conflict = pg_take_conflict,
	.refused_by_foreign_key = pg_refused_by_foreign_key,
	.runv = pg_runv,
	.step = pg_step,
	.reset = pg_reset,
	.changes = pg_changes,
	.last_id = pg_last_id,
	.int64 = pg_col_int64,
	.int32 = pg_col_int32,
	.dbl = pg_col_dbl,
	.text = pg_col_text,
	.null = pg_col_null,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.savepoint_end = pg_savepoint_end,
	.durability = pg_durability,
	.version = pg_version,
	.unreachable = pg_unreachable,
};

/* --- Copying a store in (db_copy.h; store_copy.c) ---------------------- */

/*
 * Sends the transaction's BEGIN now when it is still due: the copy's own
 * statements go by PQexec, outside the pipeline that would carry it.
 * > 0 done, < 0 error (logged).
 */
static int
begin_sent(struct pg_db *db)
{
	const char	*set;
	char		 sql[128];

	if (!db->begin_due)
		return 1;
	set = durability_sql(db);
	snprintf(sql, sizeof(sql), "BEGIN%s%s", set != NULL ? "; " : "",
	    set != NULL ? set : "");
	if (exec_sql(db, "BEGIN", sql) < 0)
		return -1;
	db->begin_due = 0;
	return 1;
}

int
db_pg_copy_connect(const char *uri, struct db **out, char *why, size_t whysz)
{
	struct pg_db	*db;

	*out = NULL;
	if (pg_connect(uri, 1, &db, why, whysz) < 0)
		return -1;
	if (db->readonly) {
		snprintf(why, whysz, "the server is a standby (read-only)");
		pg_close(&db->head);
		return 0;
	}
	*out = &db->head;
	return 1;
}

int
db_pg_copy_existing(struct db *kit, const char *names, char *found,
    size_t foundsz)
{
	static const char sql[] = "SELECT coalesce(string_agg(relname::text,"
	    " ', ' ORDER BY relname), '') FROM pg_class WHERE relnamespace ="
	    " (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
	    " AND relname = ANY (string_to_array($1, ','))";
	struct pg_db	*db = pg(kit);
	PGresult	*r;
	int		 rc = -1;

	if (begin_sent(pg(kit)) < 0)
		return -1;
	found[0] = '\0';
	r = pq.PQexecParams(db->conn, sql, 1, NULL, &names, NULL, NULL, 0);
	if (r == NULL || pq.PQresultStatus(r) != PGRES_TUPLES_OK ||
	    pq.PQntuples(r) != 1) {
		keep_error(db, r != NULL ? pq.PQresultErrorMessage(r) :
		    pq.PQerrorMessage(db->conn));
		log_error("postgresql: the tables there: %s", db->err);
	} else {
		snprintf(found, foundsz, "%s", pq.PQgetvalue(r, 0, 0));
		rc = 1;
	}
	pq.PQclear(r);
	return rc;
}

int
db_pg_copy_schema(struct db *kit)
{
	struct pg_db	*db = pg(kit);
	size_t		 i;

	if (begin_sent(pg(kit)) < 0)
		return -1;
	if (exec_sql(db, "migration lock", MIGRATE_LOCK) < 0)
		return -1;
	for (i = 0; i < pgembed_count; i++)
		if (apply_migration(db, i) < 0) {
			log_error("postgresql: migration %s failed",
			    pgembed[i].name);
			return -1;
		}
	return 1;
}

int
db_pg_copy_columns(struct db *kit, int (*fn)(const char *, const char *,
    const char *, void *), void *arg)
{
	/*
	 * depth: the longest chain of foreign keys from the table to one that
	 * names none, so that a table comes after every table it refers to.
	 */
	static const char sql[] = "WITH RECURSIVE"
	    " t AS (SELECT c.oid, c.relname::text AS name FROM pg_class c"
	    " WHERE c.relkind IN ('r', 'p') AND c.relnamespace ="
	    " (SELECT oid FROM pg_namespace WHERE nspname = current_schema())),"
	    " fk AS (SELECT conrelid AS child, confrelid AS parent"
	    " FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid),"
	    " d (oid, depth) AS (SELECT oid, 0 FROM t UNION ALL"
	    " SELECT fk.child, d.depth + 1 FROM d JOIN fk ON fk.parent = d.oid"
	    " WHERE d.depth < 64)"
	    " SELECT t.name, a.attname::text, format_type(a.atttypid,"
	    " a.atttypmod) FROM t"
	    " JOIN (SELECT oid, max(depth) AS depth FROM d GROUP BY oid) o"
	    " ON o.oid = t.oid"
	    " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0"
	    " AND NOT a.attisdropped"
	    " ORDER BY o.depth, t.name, a.attnum";
	struct pg_db	*db = pg(kit);
	PGresult	*r;
	int		 i, rc = 1;

	if (begin_sent(pg(kit)) < 0)
		return -1;
	r = pq.PQexec(db->conn, sql);
	if (r == NULL || pq.PQresultStatus(r) != PGRES_TUPLES_OK) {
		keep_error(db, r != NULL ? pq.PQresultErrorMessage(r) :
		    pq.PQerrorMessage(db->conn));
		log_error("postgresql: the schema's columns: %s", db->err);
		pq.PQclear(r);
		return -1;
	}
	for (i = 0; i < pq.PQntuples(r) && rc > 0; i++)
		rc = fn(pq.PQgetvalue(r, i, 0), pq.PQgetvalue(r, i, 1),
		    pq.PQgetvalue(r, i, 2), arg);
	pq.PQclear(r);
	return rc;
}

/*
 * Writes into buf the statement head, "table" and, when cols, its
 * quoted column list, then tail. The names were checked
 * (copy_name_valid): double quotes need no escaping. > 0, < 0 too long.
 */
static int
copy_statement(char *buf, size_t bufsz, const char *head,
    const struct copy_table *t, int cols, const char *tail)
{
	size_t	 len, i;

	len = (size_t)snprintf(buf, bufsz, "%s\"%s\"", head, t->name);
	for (i = 0; cols && i < t->ncol && len < bufsz; i++)
		len += (size_t)snprintf(buf + len, bufsz - len, "%s\"%s\"",
		    i == 0 ? " (" : ", ", t->col[i]);
	if (cols && len < bufsz)
		len += (size_t)snprintf(buf + len, bufsz - len, ")");
	if (len < bufsz)
		len += (size_t)snprintf(buf + len, bufsz - len, "%s", tail);
	if (len >= bufsz) {
		log_error("postgresql: %s: statement too long", t->name);
		return -1;
	}
	return 1;
}

int
db_pg_copy_clear(struct db *kit, const struct copy_table *t)
{
	char	 sql[256];

	if (begin_sent(pg(kit)) < 0)
		return -1;
	if (copy_statement(sql, sizeof(sql), "DELETE FROM ", t, 0, "") < 0)
		return -1;
	return exec_sql(pg(kit), sql, sql);
}

int
db_pg_copy_begin(struct db *kit, const struct copy_table *t)
{
	struct pg_db	*db = pg(kit);
	PGresult	*r;
	char		 sql[COPY_COLS_MAX * (COPY_NAME_MAX + 4) + 256];
	int		 ok;

	if (begin_sent(pg(kit)) < 0)
		return -1;
	/* ALTER TABLE ... DISABLE TRIGGER USER: the table's owner may, no superuser needed. */
	if (copy_statement(sql, sizeof(sql), "ALTER TABLE ", t, 0,
	    " DISABLE TRIGGER USER") < 0 || exec_sql(db, sql, sql) < 0 ||
	    copy_statement(sql, sizeof(sql), "COPY ", t, 1,
	    " FROM STDIN") < 0)
		return -1;
	r = pq.PQexec(db->conn, sql);
	ok = r != NULL && pq.PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok) {
		keep_error(db, r != NULL ? pq.PQresultErrorMessage(r) :
		    pq.PQerrorMessage(db->conn));
		log_error("postgresql: COPY %s: %s", t->name, db->err);
	}
	pq.PQclear(r);
	return ok ? 1 : -1;
}

int
db_pg_copy_put(struct db *kit, const char *line, size_t len)
{
	struct pg_db	*db = pg(kit);

	if (len > INT32_MAX || pq.PQputCopyData(db->conn, line,
	    (int)len) != 1) {
		keep_error(db, pq.PQerrorMessage(db->conn));
		log_error("postgresql: COPY: %s", db->err);
		return -1;
	}
	return 1;
}

int
db_pg_copy_end(struct db *kit, const struct copy_table *t, int failed,
    int64_t *rows)
{
	struct pg_db	*db = pg(kit);
	PGresult	*r;
	const char	*n;
	char		 sql[256];
	int		 rc = 1;

	*rows = 0;
	if (pq.PQputCopyEnd(db->conn, failed ? "the copy was abandoned" :
	    NULL) != 1) {
		keep_error(db, pq.PQerrorMessage(db->conn));
		log_error("postgresql: COPY %s: %s", t->name, db->err);
		rc = -1;
	}
	/* The copy's result, then NULL: every result is read, or the next statement fails. */
	while ((r = pq.PQgetResult(db->conn)) != NULL) {
		if (pq.PQresultStatus(r) == PGRES_COMMAND_OK && rc > 0) {
			n = pq.PQcmdTuples(r);
			*rows = *n != '\0' ? strtoll(n, NULL, 10) : 0;
		} else if (pq.PQresultStatus(r) != PGRES_COMMAND_OK) {
			keep_error(db, pq.PQresultErrorMessage(r));
			if (!failed)
				log_error("postgresql: COPY %s: %s", t->name,
				    db->err);
			rc = -1;
		}
		pq.PQclear(r);
	}
	if (rc < 0 || failed)
		return -1;
	if (copy_statement(sql, sizeof(sql), "ALTER TABLE ", t, 0,
	    " ENABLE TRIGGER USER") < 0 || exec_sql(db, sql, sql) < 0)
		return -1;
	return 1;
}

int
db_pg_copy_identities(struct db *kit)
{
	/* format's %I quotes each name as the server would; no name is written by hand. */
	static const char sql[] = "DO $copy$ DECLARE r record; m bigint;"
	    " BEGIN FOR r IN SELECT table_name::text AS t, column_name::text"
	    " AS c FROM information_schema.columns WHERE table_schema ="
	    " current_schema() AND is_identity = 'YES' LOOP"
	    " EXECUTE format('SELECT max(%I) FROM %I', r.c, r.t) INTO m;"
	    " PERFORM setval(pg_get_serial_sequence(quote_ident(r.t), r.c),"
	    " coalesce(m, 0) + 1, false);"
	    " END LOOP; END $copy$";

	if (begin_sent(pg(kit)) < 0)
		return -1;
	return exec_sql(pg(kit), "postgresql: identities", sql);
}

int
db_pg_copy_ints(struct db *kit, const char *sql, int64_t *v, size_t n)
{
	struct pg_db	*db = pg(kit);
	PGresult	*r;
	size_t		 i;
	int		 rc = -1;

	if (begin_sent(pg(kit)) < 0)
		return -1;
	r = pq.PQexec(db->conn, sql);
	if (r == NULL || pq.PQresultStatus(r) != PGRES_TUPLES_OK ||
	    pq.PQntuples(r) != 1 || pq.PQnfields(r) != (int)n) {
		keep_error(db, r != NULL && pq.PQresultStatus(r) !=
		    PGRES_TUPLES_OK ? pq.PQresultErrorMessage(r) :
		    r != NULL ? "not one row of the columns asked for" :
		    pq.PQerrorMessage(db->conn));
		log_error("postgresql: %.60s...: %s", sql, db->err);
	} else {
		for (i = 0; i < n; i++)
			v[i] = strtoll(pq.PQgetvalue(r, 0, (int)i), NULL, 10);
		rc = 1;
	}
	pq.PQclear(r);
	return rc;
}

int
db_pg_copy_keys(struct db *kit, int on)
{
	/*
	 * The foreign keys of the schema, kept for the transaction, dropped;
	 * then added back from what was kept. Names are quoted by the server
	 * (regclass, %I); the definitions are its own text.
	 */
	static const char off_sql[] = "CREATE TEMP TABLE copy_keys"
	    " ON COMMIT DROP AS SELECT c.conrelid::regclass::text AS rel,"
	    " c.conname::text AS name, pg_get_constraintdef(c.oid) AS def"
	    " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
	    " WHERE c.contype = 'f' AND t.relnamespace = (SELECT oid FROM"
	    " pg_namespace WHERE nspname = current_schema());"
	    " DO $copy$ DECLARE r record; BEGIN FOR r IN SELECT * FROM"
	    " copy_keys LOOP EXECUTE format('ALTER TABLE %s DROP CONSTRAINT"
	    " %I', r.rel, r.name); END LOOP; END $copy$";
	static const char on_sql[] = "DO $copy$ DECLARE r record; BEGIN"
	    " FOR r IN SELECT * FROM copy_keys LOOP EXECUTE format('ALTER"
	    " TABLE %s ADD CONSTRAINT %I %s', r.rel, r.name, r.def);"
	    " END LOOP; END $copy$";

	if (begin_sent(pg(kit)) < 0)
		return -1;
	return exec_sql(pg(kit), on ? "postgresql: foreign keys back" :
	    "postgresql: foreign keys aside", on ? on_sql : off_sql);
}

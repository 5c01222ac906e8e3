/* The database kit on PostgreSQL: open and migrate, every bind letter, refusals, transactions and their round trips, and a reconnect after the server restarts. */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "log.h"
#include "sqlembed.h"

/*
 * The test's own tables and statements, in a slot no store file shares
 * with it on this connection; the portable text, as the store's tables
 * are, so the ? placeholders are translated as theirs are.
 */
enum t {
	T_DROP,
	T_CREATE_P,
	T_CREATE_T,
	T_INS_P,
	T_INS_T,
	T_GET,
	T_COUNT,
	T_SET_S,
	T_QUOTE,
	T_PID,
	T_EQUAL,
	T_P_ID,
	T_CREATE_N,
	T_INS_N,
	T_N_COUNT,
	T_SYNC,
	T_CREATE_F,
	T_ADD_F,
	T__MAX
};

static const struct db_sql t_stmt[T__MAX] = {
	DB_SQL(T_DROP, "DROP TABLE IF EXISTS kit_t, kit_p, kit_n"),
	DB_SQL(T_CREATE_P, "CREATE TABLE kit_p (id bigserial PRIMARY KEY,"
	    " name text UNIQUE NOT NULL)"),
	DB_SQL(T_CREATE_T, "CREATE TABLE kit_t (id bigserial PRIMARY KEY,"
	    " p bigint REFERENCES kit_p (id), s text, i bigint, n integer,"
	    " d double precision, CHECK (i IS NULL OR i >= 0))"),
	DB_SQL(T_INS_P, "INSERT INTO kit_p (name) VALUES (?)"),
	DB_SQL(T_INS_T, "INSERT INTO kit_t (p, s, i, n, d)"
	    " VALUES (?, ?, ?, ?, ?)"),
	DB_SQL(T_GET, "SELECT p, s, i, n, d FROM kit_t WHERE id = ?"),
	DB_SQL(T_COUNT, "SELECT COUNT(*) FROM kit_t"),
	DB_SQL(T_SET_S, "UPDATE kit_t SET s = ?2 WHERE id = ?1"),
	/* A ? in a literal, a quoted name or a comment is text, not a value. */
	DB_SQL(T_QUOTE, "SELECT '?' || ? AS \"a?\", 'it''s ?' -- ?\n"),
	DB_SQL(T_PID, "SELECT pg_backend_pid()"),
	DB_SQL(T_EQUAL, "SELECT ? = 'a'"),
	DB_SQL(T_P_ID, "SELECT id FROM kit_p WHERE name = ?"),
	/* A table with no sequence: an insert into it gives lastval() nothing. */
	DB_SQL(T_CREATE_N, "CREATE TABLE kit_n (name text PRIMARY KEY)"),
	DB_SQL(T_INS_N, "INSERT INTO kit_n (name) VALUES (?)"),
	DB_SQL(T_N_COUNT, "SELECT COUNT(*) FROM kit_n WHERE name = ? OR name = ?"),
	DB_SQL(T_SYNC, "SELECT current_setting('synchronous_commit')"),
	/* A write that begins with SELECT, so without a savepoint (as inbound_mo). */
	DB_SQL(T_CREATE_F, "CREATE OR REPLACE FUNCTION kit_add(t text)"
	    " RETURNS bigint LANGUAGE sql AS"
	    " 'INSERT INTO kit_n (name) VALUES (t) RETURNING 1'"),
	DB_SQL(T_ADD_F, "SELECT kit_add(?)"),
};

static const struct db_table t_sql = { DB_SLOT_FILE, T__MAX, t_stmt };

/*
 * Every send(2) of the process, counted, then sent: libpq writes what one
 * round trip carries with one send (it buffers a pipeline's messages until
 * the sync), so the count is the round trips the kit makes. Defined here,
 * it takes the place of libc's for libpq too.
 */
static long	 sends;

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	sends++;
	return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

/* The rows of kit_t, -1 on error. */
static int64_t
count(struct db *db)
{
	struct db_stmt	*s;
	int64_t		 n = -1;

	if (db_run(db, &t_sql, T_COUNT, &s, "") == DB_ROW)
		n = db_int64(s, 0);
	db_reset(s);
	return n;
}

/* Inserts a row of kit_t with text s; what db_exec says. */
static int
insert(struct db *db, const char *s)
{
	return db_exec(db, &t_sql, T_INS_T, "NsiId", (int64_t)0, s,
	    (int64_t)1, 1, 1.0);
}

/* Inserts s into kit_n through kit_add(), a write the kit sends as a read (no savepoint): > 0 done. */
static int
add_f(struct db *db, const char *s)
{
	struct db_stmt	*st;
	int		 rc;

	rc = db_run(db, &t_sql, T_ADD_F, &st, "s", s) == DB_ROW;
	db_reset(st);
	return rc;
}

/* The backend's process id, -1 on error. */
static int64_t
backend(struct db *db)
{
	struct db_stmt	*s;
	int64_t		 pid = -1;

	if (db_run(db, &t_sql, T_PID, &s, "") == DB_ROW)
		pid = db_int64(s, 0);
	db_reset(s);
	return pid;
}

static void
test_display_name(void)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "postgresql://u:secret@h/db?sslmode=require",
		  "postgresql://u@h/db?sslmode=require" },
		{ "postgres://u@h:5433/db?password=secret", "postgres://u@h:5433/db" },
		{ "postgresql://h1,h2/db?target_session_attrs=read-write",
		  "postgresql://h1,h2/db?target_session_attrs=read-write" },
		{ "/var/lib/ibchannel/ibchannel.db", "/var/lib/ibchannel/ibchannel.db" },
		{ "u:secret@host", "u:secret@host" },
		/* A password with '/', ':' or '@' unencoded is still cut. */
		{ "postgresql://u:se/c:r@et@h:5432/db?port=1",
		  "postgresql://u@h:5432/db?port=1" },
		{ "postgresql://u@h/db", "postgresql://u@h/db" },
		/* Written as a URI, but not one the store takes: cut all the same. */
		{ "postgresql:/u:secret@h/db", "postgresql:/u@h/db" },
		{ "mysql://u:secret@h/db", "mysql://u@h/db" },
		{ "backup:2026.db", "backup:2026.db" },
	};
	const char	*why;
	char		 buf[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(db_display_name(cases[i].in, buf, sizeof(buf)),
		    cases[i].want, "display name of case %zu", i);
	CHECK(db_name_valid("postgresql://x/y", &why) &&
	    db_name_valid("var/ibchannel.db", &why) &&
	    db_name_valid("backup:2026.db", &why) &&
	    !db_name_valid("postgresql:/x/y", &why) && why != NULL &&
	    !db_name_valid("postgresq://x/y", &why) &&
	    !db_name_valid("mysql://x/y", &why), "which names can be stores");
	CHECK(db_on_server("postgresql://x/y") && db_on_server("postgres://x") &&
	    !db_on_server("var/ibchannel.db") && !db_on_server("host=x"),
	    "which names are servers");
}

/* Open on an empty database: the embedded schema and migrations apply. */
static struct db *
test_open(const char *uri)
{
	struct db	*db = NULL, *again = NULL;
	int		 want = pgembed_count > 0 ?
	    pgembed[pgembed_count - 1].version : 0;

	CHECK(db_open(uri, DB_OPEN_CREATE, 1, &db) > 0, "open %s", uri);
	if (db == NULL)
		return NULL;
	CHECK(db_version(db) == want, "version %d, want %d", db_version(db),
	    want);
	CHECK(!db_readonly(db), "a primary is not read-only");
	CHECK(db_data_version(db) == 0, "no data version outside a transaction");
	/* A second open finds it done (none to do without a schema). */
	if (pgembed_count > 0) {
		CHECK(db_open(uri, DB_OPEN_WRITE, 0, &again) > 0 &&
		    db_version(again) == want, "opened again, migrated");
		db_close(again);
	} else
		CHECK(db_open(uri, DB_OPEN_WRITE, 0, &again) < 0 &&
		    again == NULL, "no schema, no store to open for writing");
	return db;
}

/* Every bind letter, read back through every column reader. */
static void
test_binds(struct db *db)
{
	struct db_stmt	*s;
	int64_t		 p, big = INT64_C(9007199254740993), id;
	char		 small[4];

	CHECK(db_exec(db, &t_sql, T_INS_P, "s", "first") > 0, "insert p");
	p = db_last_id(db);
	CHECK(db_run(db, &t_sql, T_P_ID, &s, "s", "first") == DB_ROW &&
	    db_int64(s, 0) == p, "last id %lld", (long long)p);
	db_reset(s);

	/* 'N' an id, 's' text, 'i' int64, 'I' int, 'd' double. */
	CHECK(db_exec(db, &t_sql, T_INS_T, "NsiId", p, "text", big, 7, 2.5) > 0,
	    "insert N s i I d");
	id = db_last_id(db);
	CHECK(db_run(db, &t_sql, T_GET, &s, "i", id) == DB_ROW, "read back");
	CHECK(db_int64(s, 0) == p && db_int64(s, 2) == big &&
	    db_int(s, 3) == 7 && db_double(s, 4) == 2.5,
	    "N i I d read back: %lld %lld %d %g", (long long)db_int64(s, 0),
	    (long long)db_int64(s, 2), db_int(s, 3), db_double(s, 4));
	CHECK_STR(db_text(s, 1), "text", "s read back");
	db_copy(s, 1, small, sizeof(small));
	CHECK_STR(small, "tex", "db_copy cuts to its buffer");
	CHECK(db_step(s) == DB_DONE, "one row, then done");
	db_reset(s);

	/* The NULL forms: 'N' 0, 's' NULL, 'I' < 0, 'D' < 0. */
	CHECK(db_exec(db, &t_sql, T_INS_T, "NsiID", (int64_t)0,
	    (const char *)NULL, (int64_t)0, -1, -1.0) > 0, "insert NULLs");
	id = db_last_id(db);
	CHECK(db_run(db, &t_sql, T_GET, &s, "i", id) == DB_ROW, "read NULLs");
	CHECK(db_null(s, 0) && db_null(s, 1) && !db_null(s, 2) &&
	    db_null(s, 3) && db_null(s, 4), "NULLs where bound");
	CHECK(db_text(s, 1) == NULL && strcmp(db_str(s, 1), "") == 0 &&
	    db_int64(s, 0) == 0 && db_double(s, 4) == 0, "NULL reads");
	db_reset(s);

	/* 'S' NULL binds '', 'T' a length of text, ?N by number. */
	CHECK(db_exec(db, &t_sql, T_SET_S, "iS", id, (const char *)NULL) > 0 &&
	    db_changes(db) == 1, "S: NULL as ''");
	CHECK(db_run(db, &t_sql, T_GET, &s, "i", id) == DB_ROW &&
	    !db_null(s, 1) && strcmp(db_text(s, 1), "") == 0, "'' read back");
	db_reset(s);
	CHECK(db_exec_changed(db, &t_sql, T_SET_S, "iT", id, "hello world",
	    (size_t)5) > 0, "T: a length of text");
	CHECK(db_run(db, &t_sql, T_GET, &s, "i", id) == DB_ROW, "T read");
	CHECK_STR(db_text(s, 1), "hello", "T read back");
	db_reset(s);
	CHECK(db_exec_changed(db, &t_sql, T_SET_S, "is", INT64_C(999999),
	    "x") == 0, "no such row: 0 changed");

	CHECK(db_run(db, &t_sql, T_QUOTE, &s, "s", "x") == DB_ROW, "quoted ?");
	CHECK_STR(db_text(s, 0), "?x", "? in a literal stays");
	CHECK_STR(db_text(s, 1), "it's ?", "quote doubled");
	db_reset(s);
	CHECK(db_run(db, &t_sql, T_EQUAL, &s, "s", "a") == DB_ROW &&
	    db_int(s, 0) == 1, "a boolean reads 1");
	db_reset(s);
	/* Values past the statement's own count are skipped. */
	CHECK(db_exists(db, &t_sql, T_COUNT, "is", (int64_t)1, "extra") > 0,
	    "extra values skipped");
}

/* Unique, foreign-key and check refusals are soft; others not. */
static void
test_refusals(struct db *db)
{
	CHECK(db_exec(db, &t_sql, T_INS_P, "s", "first") == 0, "unique: 0");
	CHECK(!db_refused_by_foreign_key(db), "unique is not a foreign key");
	CHECK(db_exec(db, &t_sql, T_INS_T, "NsiId", INT64_C(424242), "x",
	    (int64_t)1, 1, 1.0) == 0, "foreign key: 0");
	CHECK(db_refused_by_foreign_key(db), "foreign key noted");
	CHECK(db_exec(db, &t_sql, T_INS_T, "NsiId", (int64_t)0, "x",
	    (int64_t)-5, 1, 1.0) == 0, "check: 0");
	CHECK(db_exec(db, &t_sql, T_CREATE_P, "") < 0, "an error is < 0");
	CHECK(strstr(db_errmsg(db), "already exists") != NULL, "errmsg: %s",
	    db_errmsg(db));
}

/* Commit keeps, rollback undoes; a refusal inside leaves the transaction going. */
static void
test_transactions(struct db *db)
{
	int64_t	 n = count(db);

	CHECK(db_begin(db, DB_IMMEDIATE) > 0 && insert(db, "a") > 0, "begin");
	db_rollback(db);
	CHECK(count(db) == n, "rolled back: %lld", (long long)count(db));

	CHECK(db_durability(db, 0) > 0 && db_begin(db, DB_DEFERRED) > 0,
	    "begin relaxed");
	CHECK(insert(db, "b") > 0, "insert in a transaction");
	CHECK(db_exec(db, &t_sql, T_INS_P, "s", "first") == 0,
	    "refused in a transaction");
	CHECK(insert(db, "c") > 0, "the transaction goes on after a refusal");
	CHECK(db_savepoint(db) > 0 && insert(db, "d") > 0 &&
	    db_savepoint_end(db, 0) > 0, "savepoint undone");
	CHECK(db_savepoint(db) > 0 && insert(db, "e") > 0 &&
	    db_savepoint_end(db, 1) > 0, "savepoint kept");
	CHECK(db_commit(db) > 0 && db_durability(db, 1) > 0, "commit");
	CHECK(count(db) == n + 3, "b, c and e kept: %lld", (long long)count(db));
	CHECK(db_exec_count(db, &t_sql, T_SET_S, NULL, "is", (int64_t)0, "x") > 0,
	    "exec_count with no out");
}

/* kit_p's id of name, -1 when none. */
static int64_t
p_id(struct db *db, const char *name)
{
	struct db_stmt	*s;
	int64_t		 id = -1;

	if (db_run(db, &t_sql, T_P_ID, &s, "s", name) == DB_ROW)
		id = db_int64(s, 0);
	db_reset(s);
	return id;
}

/* synchronous_commit as the server sees it now, in buf. */
static const char *
sync_now(struct db *db, char *buf, size_t bufsz)
{
	struct db_stmt	*s;

	snprintf(buf, bufsz, "?");
	if (db_run(db, &t_sql, T_SYNC, &s, "") == DB_ROW)
		db_copy(s, 0, buf, bufsz);
	db_reset(s);
	return buf;
}

/*
 * A transaction's round trips: its BEGIN goes with its first statement,
 * a write with its savepoint, the id of an insert whose id was read before
 * with it; a refusal in the middle costs one more and leaves the rest.
 */
static void
test_round_trips(struct db *db)
{
	int64_t	 id;
	char	 buf[16];
	long	 at;

	/* The id read once after this insert: from now on read in advance. */
	CHECK(db_exec(db, &t_sql, T_INS_P, "s", "pipe-0") > 0 &&
	    db_last_id(db) == p_id(db, "pipe-0"), "pipe-0 and its id");
	at = sends;
	CHECK(db_begin(db, DB_IMMEDIATE) > 0 && sends == at,
	    "BEGIN waits for the first statement: %ld sends", sends - at);
	CHECK(db_exec(db, &t_sql, T_INS_P, "s", "pipe-1") > 0 &&
	    sends == at + 1, "BEGIN, savepoint, insert and lastval() in one"
	    " round trip: %ld", sends - at);
	at = sends;
	id = db_last_id(db);
	CHECK(sends == at, "its id read in advance: %ld round trips",
	    sends - at);
	CHECK(id > 0 && id == p_id(db, "pipe-1"), "pipe-1's id %lld",
	    (long long)id);
	at = sends;
	CHECK(db_exec(db, &t_sql, T_INS_P, "s", "pipe-1") == 0 &&
	    sends == at + 2, "refused in the middle, then undone: %ld round"
	    " trips", sends - at);
	at = sends;
	CHECK(db_exec(db, &t_sql, T_INS_P, "s", "pipe-2") > 0 &&
	    sends == at + 1, "the next write goes on in one: %ld", sends - at);
	CHECK(db_last_id(db) == p_id(db, "pipe-2"), "pipe-2's id");
	at = sends;
	CHECK(db_commit(db) > 0 && sends == at + 1, "commit");
	CHECK(p_id(db, "pipe-1") > 0 && p_id(db, "pipe-2") > 0,
	    "the rows before and after the refusal are kept");

	/* Outside a transaction, a statement alone; an empty one costs none. */
	at = sends;
	CHECK(count(db) >= 0 && sends == at + 1, "a read alone: %ld",
	    sends - at);
	at = sends;
	CHECK(db_begin(db, DB_DEFERRED) > 0 && db_commit(db) > 0 &&
	    sends == at, "an empty transaction: %ld round trips", sends - at);
	CHECK(db_begin(db, DB_DEFERRED) > 0, "begin to roll back");
	db_rollback(db);
	CHECK(sends == at && count(db) >= 0, "an empty rollback: %ld",
	    sends - at);

	/* The durability travels with the BEGIN: a read, a savepoint first. */
	CHECK(db_durability(db, 0) > 0 && db_begin(db, DB_DEFERRED) > 0,
	    "begin relaxed");
	CHECK_STR(sync_now(db, buf, sizeof(buf)), "off", "relaxed from the"
	    " first statement, a read");
	CHECK(db_commit(db) > 0 && db_begin(db, DB_DEFERRED) > 0 &&
	    db_savepoint(db) > 0, "a savepoint first");
	CHECK_STR(sync_now(db, buf, sizeof(buf)), "off", "relaxed from a"
	    " savepoint first");
	CHECK(db_savepoint_end(db, 1) > 0 && db_commit(db) > 0 &&
	    db_durability(db, 1) > 0, "commit, durable again");
	CHECK(db_begin(db, DB_DEFERRED) > 0 && db_durability(db, 0) > 0,
	    "relaxed after the begin, before any statement");
	CHECK_STR(sync_now(db, buf, sizeof(buf)), "off", "relaxed all the"
	    " same");
	CHECK(db_commit(db) > 0 && db_durability(db, 1) > 0, "commit");
	CHECK_STR(sync_now(db, buf, sizeof(buf)), "on", "the session's own");
}

/*
 * The data version: unknown outside a transaction, read once in one
 * (with its BEGIN), moved by a write another connection committed since,
 * or one of its own behind a savepoint, and by nothing else: its own
 * commit alone keeps it.
 */
static void
test_data_version(struct db *db, const char *uri)
{
	struct db	*other = NULL;
	unsigned int	 v1 = 0, v2 = 0;
	long		 at;

	CHECK(db_data_version(db) == 0, "unknown outside a transaction");
	CHECK(db_open(uri, DB_OPEN_WRITE, 1, &other) > 0, "another session");
	if (other == NULL)
		return;
	at = sends;
	CHECK(db_begin(db, DB_IMMEDIATE) > 0 && (v1 = db_data_version(db)) != 0 &&
	    sends == at + 1, "read with the BEGIN: %ld round trips", sends - at);
	CHECK(db_data_version(db) == v1 && count(db) >= 0 && sends == at + 2,
	    "read once a transaction, the BEGIN not sent again: %ld",
	    sends - at);
	CHECK(db_commit(db) > 0, "commit, nothing written");
	CHECK(db_begin(db, DB_IMMEDIATE) > 0 && db_data_version(db) == v1,
	    "no write since: the same version");
	CHECK(db_commit(db) > 0 && db_exec(other, &t_sql, T_INS_P, "s",
	    "version-1") > 0, "another session writes");
	CHECK(db_begin(db, DB_IMMEDIATE) > 0 &&
	    (v2 = db_data_version(db)) != v1 && v2 != 0, "moved by the other");
	CHECK(insert(db, "version-2") > 0 && db_data_version(db) == v2 &&
	    db_commit(db) > 0, "held for the transaction");
	CHECK(db_begin(db, DB_IMMEDIATE) > 0 && (v1 = db_data_version(db)) !=
	    v2, "moved by its own write behind a savepoint (a subtransaction"
	    " of its own)");
	CHECK(add_f(db, "version-3a") > 0, "kit_add() prepared");
	at = sends;
	CHECK(add_f(db, "version-3") > 0 &&
	    db_commit(db) > 0 && sends == at + 2, "a write without a savepoint,"
	    " committed: %ld round trips", sends - at);
	CHECK(db_begin(db, DB_IMMEDIATE) > 0 && db_data_version(db) == v1,
	    "not moved by its own commit alone");
	CHECK(add_f(db, "version-4") > 0 &&
	    db_exec(other, &t_sql, T_INS_P, "s", "version-5") > 0 &&
	    db_commit(db) > 0, "another session writes while it writes");
	CHECK(db_begin(db, DB_IMMEDIATE) > 0 && (v2 = db_data_version(db)) !=
	    v1 && v2 != 0, "moved: the other's commit came with its own");
	CHECK(db_commit(db) > 0, "commit");
	db_close(other);
}

/*
 * lastval() read in advance fails (nothing drew from a sequence in the
 * session yet): the transaction goes on, the insert kept.
 */
static void
test_id_unknown(const char *uri)
{
	struct db	*fresh = NULL;
	struct db_stmt	*s;
	int64_t		 n = -1;

	CHECK(db_open(uri, DB_OPEN_WRITE, 1, &fresh) > 0, "a new session");
	if (fresh == NULL)
		return;
	CHECK(db_exec(fresh, &t_sql, T_INS_N, "s", "n-0") > 0, "insert n-0");
	log_info("test_db_pg: an error on lastval() follows, as expected");
	CHECK(db_last_id(fresh) == 0, "no sequence drawn from: no id");
	CHECK(db_begin(fresh, DB_IMMEDIATE) > 0 &&
	    db_exec(fresh, &t_sql, T_INS_N, "s", "n-1") > 0,
	    "insert n-1, its lastval() read in advance failing");
	CHECK(db_exec(fresh, &t_sql, T_INS_N, "s", "n-2") > 0 &&
	    db_commit(fresh) > 0, "the transaction went on");
	if (db_run(fresh, &t_sql, T_N_COUNT, &s, "ss", "n-1", "n-2") == DB_ROW)
		n = db_int64(s, 0);
	db_reset(s);
	CHECK(n == 2, "n-1 and n-2 kept: %lld", (long long)n);
	db_close(fresh);
}

/* The server restarts under an open connection: the kit reconnects by itself. */
static void
test_reconnect(struct db *db)
{
	const char	*restart = getenv("IBCHANNEL_TEST_PG_RESTART");
	int64_t		 before, after = -1, n;
	int		 i, errors = 0;

	if (restart == NULL) {
		CHECK(0, "IBCHANNEL_TEST_PG_RESTART unset: cannot restart");
		return;
	}
	before = backend(db);
	n = count(db);
	CHECK(system(restart) == 0, "restart: %s", restart);
	/* The first call may find the old session gone; one error at most. */
	for (i = 0; i < 50 && (after = backend(db)) < 0; i++) {
		errors++;
		usleep(100000);
	}
	CHECK(after > 0 && after != before, "a new session: %lld, was %lld",
	    (long long)after, (long long)before);
	CHECK(errors <= 1, "%d errors before the reconnect", errors);
	CHECK(count(db) == n, "the data is there (prepared again)");

	/* Lost inside a transaction: errors until the rollback, then fine. */
	CHECK(db_begin(db, DB_IMMEDIATE) > 0, "begin before a restart");
	CHECK(system(restart) == 0, "restart again");
	CHECK(insert(db, "lost") < 0, "a write on a lost session fails");
	CHECK(insert(db, "lost") < 0, "and the next, inside the transaction");
	CHECK(db_commit(db) < 0, "its commit fails");
	for (i = 0; i < 50 && count(db) < 0; i++)
		usleep(100000);
	CHECK(count(db) == n, "nothing of it kept, and working again");
}

/*
 * A store that cannot be opened says why (db_open_error), never with the
 * password, even when libpq quotes the URI or a piece of it (a password
 * with '/' unencoded is read as a host and port), and the kit logs none
 * of it: the caller says it.
 */
static void
test_open_errors(const char *uri)
{
	static const struct {
		const char	*uri, *reason;
	} cases[] = {
		{ "postgresql://u:s3cr%2Fet@[::1/db", "IPv6" },
		{ "postgresql://u:s3cr/et@h:5432/db", "port" },
		{ "postgresql://u:s3cr%3Aet@h/db?nosuchoption=1", "nosuchoption" },
		{ "postgres://u@h/db?password=s3cret&port=x", "port" },
	};
	struct db	*db;
	char		 dead[1024];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(db_open(cases[i].uri, DB_OPEN_WRITE, 1, &db) < 0 &&
		    db == NULL, "case %zu opens nothing", i);
		CHECK(strstr(db_open_error(), cases[i].reason) != NULL &&
		    strstr(db_open_error(), "s3cr") == NULL,
		    "case %zu says why without the password: %s", i,
		    db_open_error());
	}
	/* A server that is not there: the reason, for the caller to say. */
	snprintf(dead, sizeof(dead), "%s%sconnect_timeout=2&port=1", uri,
	    strchr(uri, '?') != NULL ? "&" : "?");
	CHECK(db_open(dead, DB_OPEN_WRITE, 1, &db) < 0 &&
	    *db_open_error() != '\0', "no server: %s", db_open_error());
	/* A file's open (here one that fails) leaves no reason of the last. */
	db_open("no-such-dir/none.db", DB_OPEN_READ, 1, &db);
	db_close(db);
	CHECK(*db_open_error() == '\0', "a file's open keeps no old reason: %s",
	    db_open_error());
}

int
main(int argc, char **argv)
{
	const char	*uri = getenv("IBCHANNEL_TEST_PG");
	struct db	*db;

	(void)argc;
	log_init("test_db_pg");
	/* No server given: run again under a throwaway cluster (tests/pg.py). */
	if (uri == NULL || *uri == '\0') {
		execlp("python3", "python3", "tests/pg.py", "exec", "--", argv[0],
		    (char *)NULL);
		perror("python3 tests/pg.py");
		CHECK(0, "no PostgreSQL to test with");
		return check_done();
	}
	test_display_name();
	test_open_errors(uri);
	if ((db = test_open(uri)) == NULL)
		return check_done();
	CHECK(db_exec(db, &t_sql, T_DROP, "") > 0 &&
	    db_exec(db, &t_sql, T_CREATE_P, "") > 0 &&
	    db_exec(db, &t_sql, T_CREATE_T, "") > 0 &&
	    db_exec(db, &t_sql, T_CREATE_N, "") > 0 &&
	    db_exec(db, &t_sql, T_CREATE_F, "") > 0, "stand-in tables");
	test_binds(db);
	test_refusals(db);
	test_transactions(db);
	test_round_trips(db);
	test_data_version(db, uri);
	test_id_unknown(uri);
	test_reconnect(db);
	db_close(db);
	return check_done();
}

/* The store's database kit: the one seam between the store's files and a database engine (db.c dispatches to db_sqlite.c or db_pg.c). */
#ifndef DB_H
#define DB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct db;		/* a connection: opaque */
struct db_stmt;		/* a prepared statement, cached by its connection */

/*
 * What a step gives: a row left for reading, the end, a refusal by a
 * constraint (a soft outcome the caller names; the statement is reset),
 * or DB_ERROR for anything else (logged once with the statement's name;
 * the statement is reset). Every value but DB_ERROR is > 0.
 */
enum db_rc {
	DB_ERROR = -1,
	DB_CONSTRAINT = 1,
	DB_ROW,
	DB_DONE
};

/*
 * The places of the statement tables in a connection's cache: one per
 * file of the store, so a statement is found by two array indexes.
 */
enum db_slot {
	DB_SLOT_STORE,
	DB_SLOT_CONN,
	DB_SLOT_MSG,
	DB_SLOT_OUTBOX,
	DB_SLOT_MAINT,
	DB_SLOT_CAMPAIGN,
	DB_SLOT_API,
	DB_SLOT_ADMIN,
	DB_SLOT_FILE,
	DB_SLOT__MAX
};

/* One statement of a table: its name (for log lines and overrides) and its SQL. */
struct db_sql {
	const char	*name;
	const char	*sql;
};

/*
 * A file's statement table: the portable SQL of each statement, indexed
 * by the file's enum. An engine whose dialect differs for a statement
 * replaces it by name in its own override table (see db_sqlite.c); the
 * choice is made once, when the statement is prepared.
 */
struct db_table {
	enum db_slot		 slot;
	size_t			 n;
	const struct db_sql	*stmt;
};

/*
 * One statement an engine writes in its own dialect: the file's slot and
 * the statement's name (as its table names it), with the engine's SQL. An
 * engine's override table ends with a row whose name is NULL.
 */
struct db_override {
	enum db_slot	 slot;
	struct db_sql	 stmt;
};

/* Declares one row of a statement table: its enum value names it. */
#define DB_SQL(x, text)	[x] = { #x, text }

/* How db_open opens a store. */
enum db_open_mode {
	DB_OPEN_WRITE,		/* read and write an existing store */
	DB_OPEN_CREATE,		/* read and write, creating it when missing */
	DB_OPEN_READ		/* read; read-only where it cannot be written */
};

/*
 * Opens the store at path, creating and migrating its schema as the mode
 * allows, commits durable when full (else relaxed; see db_durability):
 * > 0 with *out, < 0 error (logged; *out NULL). path is a SQLite file, or
 * a PostgreSQL URI (postgresql:// or postgres://, libpq's syntax), whose
 * database gets the schema only with DB_OPEN_CREATE. DB_OPEN_READ opens
 * read-only (no journal change, no migration) when the file or its
 * directory is not writable; a server is never migrated by it. Close with
 * db_close.
 */
int	 db_open(const char *path, enum db_open_mode, int full, struct db **out);
/*
 * Why the last db_open of this thread failed, in words for people, when
 * the engine gave a reason it did not log (a PostgreSQL server that
 * refused the connection or could not be reached, a database that holds
 * no store); "" otherwise. The caller says it, once, with the store's
 * display name. Never holds a password.
 */
const char *db_open_error(void);
/*
 * Caps the page cache of every SQLite connection opened from now on at
 * kib KiB (0: SQLite's default, about 2 MiB). A program calls it once,
 * before its threads open the store; PostgreSQL connections ignore it.
 */
void	 db_sqlite_cache_limit(long kib);
/*
 * Lowers the part of each SQLite statement journal kept in memory to kib
 * KiB (the rest goes to a temporary file), from the 1 MiB every program
 * has; SQLite allocates that part whole for each journal. A program whose
 * statements each write a row or two calls it once, before the first
 * open; values outside 1 KiB..1 MiB are ignored.
 */
void	 db_sqlite_journal_limit(long kib);
/*
 * Whether the connection's server cannot be reached now (the connection
 * broke and could not be made again): 1 yes, 0 no (never for a file). The
 * next call tries again, so a caller may wait and retry.
 */
int	 db_unreachable(struct db *);
/* Whether path names a database server (a PostgreSQL URI) rather than a file. */
int	 db_on_server(const char *path);
/*
 * Whether path can name a store: a file's path or a PostgreSQL URI. A
 * name written as another URI ("mysql://", "postgresql:/host" with one
 * slash) is refused: 0 with *why (static text), before anything makes a
 * file or a directory of that name. 1 yes.
 */
int	 db_name_valid(const char *path, const char **why);
/*
 * An engine's check of a store's schema version against the newest its
 * migrations reach (known): a store newer than these programs was made
 * by a later ibchannel, whose tables they would misread. Returns 1 when
 * version <= known, else 0 after logging what to do.
 */
int	 db_schema_known(int version, int known);
/*
 * path as a log line or a page may show it: a name written as a URI
 * without its password (nor its options, when they name one). Written
 * into buf.
 */
const char *db_display_name(const char *path, char *buf, size_t bufsz);
/* Finalizes every cached statement and closes; db_close(NULL) does nothing. */
void	 db_close(struct db *);
/* Whether the connection was opened read-only. */
int	 db_readonly(struct db *);
/*
 * A number that changes when another connection commits (it may change
 * more often; 0 unknown, so read again). On PostgreSQL it is known inside
 * a transaction only and holds for it (db_pg.c).
 */
unsigned int db_data_version(struct db *);
/* The text of the connection's last error. */
const char *db_errmsg(struct db *);
/* Whether a write found the disk full since the last call; clears the note. */
int	 db_take_disk_full(struct db *);
/* Whether the last refusal was by a foreign key. */
int	 db_refused_by_foreign_key(struct db *);
/*
 * Whether a statement failed since the last call because the server broke
 * a deadlock or a serialization conflict between transactions (PostgreSQL's
 * SQLSTATE 40P01, 40001): the whole transaction may be tried again. Clears
 * the note. Never on SQLite, whose writers take turns whole.
 */
int	 db_take_conflict(struct db *);

/*
 * Statement which of table t, reset and unbound, its values bound from
 * fmt and stepped once: what db_step returns. *out (when not NULL) is the
 * statement for reading rows and stepping on, or NULL when it could not be
 * prepared or bound; db_reset(*out) is always safe. The format letters:
 *   's' text (NULL binds NULL)       'S' text (NULL binds '')
 *   'T' text of a length: const char *, size_t (NULL binds NULL)
 *   'i' int64_t                      'I' int (< 0 binds NULL)
 *   'N' int64_t, an id (<= 0 binds NULL)
 *   'd' double                       'D' double (< 0 binds NULL)
 * Text is bound in place: it must live until the statement is reset.
 * Values past the statement's own parameter count are skipped, so
 * variants of a query share one list.
 */
int	 db_run(struct db *, const struct db_table *t, int which,
	    struct db_stmt **out, const char *fmt, ...);
int	 db_runv(struct db *, const struct db_table *t, int which,
	    struct db_stmt **out, const char *fmt, va_list);
/* The next row: DB_ROW, DB_DONE, DB_CONSTRAINT or DB_ERROR (as db_run). */
int	 db_step(struct db_stmt *);
/* Ends a statement's run (its read, its locks); NULL does nothing. */
void	 db_reset(struct db_stmt *);
/*
 * db_run for a statement that returns no row, reset after: > 0 done, 0
 * refused by a constraint (the caller says which), < 0 error.
 */
int	 db_exec(struct db *, const struct db_table *t, int which,
	    const char *fmt, ...);
/* db_exec for an update of one row: > 0 changed, 0 no such row (or refused), < 0 error. */
int	 db_exec_changed(struct db *, const struct db_table *t, int which,
	    const char *fmt, ...);
/*
 * Whether statement which of t finds any row (read and reset): > 0 yes,
 * 0 no, < 0 error. A poll reads without taking a write lock this way.
 */
int	 db_exists(struct db *, const struct db_table *t, int which,
	    const char *fmt, ...);
/* db_exec that also gives the rows it changed in *changes (when done; may be NULL). */
int	 db_exec_count(struct db *, const struct db_table *t, int which,
	    int64_t *changes, const char *fmt, ...);
/* The rows the last statement changed. */
int64_t	 db_changes(struct db *);
/* The id of the last row inserted. */
int64_t	 db_last_id(struct db *);

/* Column col of the current row: NULL reads as 0, or as NULL text. */
int64_t	 db_int64(struct db_stmt *, int col);
int	 db_int(struct db_stmt *, int col);
double	 db_double(struct db_stmt *, int col);
/* Text valid until the next step or reset; NULL for NULL. */
const char *db_text(struct db_stmt *, int col);
/* As db_text, but "" for NULL. */
const char *db_str(struct db_stmt *, int col);
/* Whether column col is NULL. */
int	 db_null(struct db_stmt *, int col);
/* Copies column col (as db_str) into dst, cut to dstsz. */
void	 db_copy(struct db_stmt *, int col, char *dst, size_t dstsz);

/*
 * Transactions: > 0 done, < 0 error (logged). DB_IMMEDIATE takes the
 * write lock at the start (a writer), DB_DEFERRED at the first write.
 * A failed commit rolls back. db_rollback ends any open transaction.
 */
enum db_begin_mode {
	DB_DEFERRED,
	DB_IMMEDIATE
};
int	 db_begin(struct db *, enum db_begin_mode);
int	 db_commit(struct db *);
void	 db_rollback(struct db *);
/* A nested part of a transaction: ended by db_savepoint_end, kept or undone. */
int	 db_savepoint(struct db *);
int	 db_savepoint_end(struct db *, int keep);

/* Durability of commits: full (each commit on disk) or relaxed. > 0, < 0 error. */
int	 db_durability(struct db *, int full);

/* The version of the schema applied, < 0 error. */
int	 db_version(struct db *);

/*
 * Turns the schema's triggers off (on = 0) or back on for this connection's
 * next statements: 1 done, 0 not on this engine (its triggers stay on),
 * < 0 error. The caller then does the triggers' work itself, in the same
 * transaction, and turns them on again before anything else runs. SQLite
 * prepares every statement again after a switch.
 */
int	 db_triggers(struct db *, int on);

#endif

/* Between store_copy.c and the engines: what copying a SQLite store into an empty PostgreSQL database needs of each side. */
#ifndef DB_COPY_H
#define DB_COPY_H

#include <stddef.h>
#include <stdint.h>

struct db;

/* Tables and columns a copy can hold, and the length of their names. */
#define COPY_TABLES_MAX	64
#define COPY_COLS_MAX	48
#define COPY_NAME_MAX	64

/* How a value is held: the source's storage class, or a column's kind in the target. */
enum copy_type {
	COPY_NULL,
	COPY_INT,
	COPY_REAL,
	COPY_TEXT,
	COPY_BLOB,
	COPY_BOOL
};

/* One value of a source row; p (text or blob) is valid during the callback. */
struct copy_value {
	enum copy_type	 type;
	int64_t		 i;
	double		 d;
	const char	*p;
	size_t		 len;
};

/*
 * A table as a copy sees it: its columns, in the order the rows carry
 * them, each with its kind in the target. The names come from the
 * engines' catalogs and are checked (copy_name_valid) before any
 * statement is made with them.
 */
struct copy_table {
	char		 name[COPY_NAME_MAX];
	size_t		 ncol;
	char		 col[COPY_COLS_MAX][COPY_NAME_MAX];
	enum copy_type	 kind[COPY_COLS_MAX];
};

/*
 * Whether name may be written into a statement, between double quotes:
 * a lower-case letter or '_', then letters, digits and '_', shorter than
 * COPY_NAME_MAX (every name of the schema is so). store_copy.c.
 */
int	 copy_name_valid(const char *name);

/* --- The source: a SQLite file (db_sqlite_file.c) ------------------------ */

struct copy_source;

/*
 * Opens the store at path alone, as restore does: refused (0, why) while
 * another program has it open, and held locked until copy_source_close,
 * so that nothing writes it meanwhile; then checks it (integrity_check,
 * foreign_key_check: refused when either finds a problem). > 0 with
 * *out and *version (PRAGMA user_version), 0 refused, < 0 error (why).
 */
int	 copy_source_open(const char *path, struct copy_source **out,
	    int *version, char *why, size_t whysz);
/* Releases the store; NULL does nothing. */
void	 copy_source_close(struct copy_source *);
/*
 * Calls fn for every column of every table of the store (not SQLite's
 * own), table by table in name order, columns in their order; stops when
 * fn returns <= 0 and returns that. > 0 done, < 0 error (logged).
 */
int	 copy_source_columns(struct copy_source *,
	    int (*fn)(const char *table, const char *column, void *),
	    void *arg);
/*
 * Calls fn with each row of the columns of t, in rowid order (ncol
 * values, as stored); stops when fn returns <= 0 and returns that.
 * > 0 done, < 0 error (logged).
 */
int	 copy_source_rows(struct copy_source *, const struct copy_table *t,
	    int (*fn)(const struct copy_value *, size_t ncol, void *),
	    void *arg);
/*
 * Runs sql, a query both engines take that answers one row of n
 * integers, into v. > 0, < 0 error (logged).
 */
int	 copy_source_ints(struct copy_source *, const char *sql, int64_t *v,
	    size_t n);

/* --- The target: a PostgreSQL database (db_pg.c) ------------------------ */

/*
 * Connects to the database at uri without touching it (no schema is made
 * nor migrated). > 0 with *out (db_close), < 0 when it cannot (why: one
 * line, no password); a standby is refused (0, why).
 */
int	 db_pg_copy_connect(const char *uri, struct db **out, char *why,
	    size_t whysz);
/*
 * Which of the comma-separated names are relations of the current schema,
 * comma-separated into found ("" none). > 0, < 0 error (logged).
 */
int	 db_pg_copy_existing(struct db *, const char *names, char *found,
	    size_t foundsz);
/* Applies the whole embedded schema inside the open transaction, as db_open makes a store. > 0, < 0 error (logged). */
int	 db_pg_copy_schema(struct db *);
/*
 * Calls fn for every column of every table of the current schema, tables
 * in an order where each comes after those its foreign keys name (then
 * by name), columns in their order, with the column's type as
 * format_type gives it ("bigint", "text", ...). Stops when fn returns
 * <= 0 and returns that. > 0 done, < 0 error (logged).
 */
int	 db_pg_copy_columns(struct db *,
	    int (*fn)(const char *table, const char *column, const char *type,
	    void *), void *arg);
/* Empties table t (a fresh schema's seed rows go). > 0, < 0 error (logged). */
int	 db_pg_copy_clear(struct db *, const struct copy_table *t);
/*
 * Starts copying rows into the columns of t (COPY ... FROM STDIN), with
 * t's own triggers off until db_pg_copy_end: a trigger is for what the
 * programs do, and must not rewrite a copied row. Checks and unique
 * indexes stay on (foreign keys: db_pg_copy_keys). > 0, < 0 error
 * (logged).
 */
int	 db_pg_copy_begin(struct db *, const struct copy_table *t);
/* One row in COPY's text format, ending with a newline. > 0, < 0 error (logged). */
int	 db_pg_copy_put(struct db *, const char *line, size_t len);
/*
 * Ends the copy (abandoned when failed: the transaction is then lost)
 * and turns t's triggers on again. > 0 with *rows, < 0 error (logged:
 * a row the schema refuses names its line and value).
 */
int	 db_pg_copy_end(struct db *, const struct copy_table *t, int failed,
	    int64_t *rows);
/*
 * Sets the schema's foreign keys aside for the copy (on 0), then adds
 * them back (on 1), which checks every row against them in one pass
 * rather than one query per row copied: a row that names a missing one
 * makes it fail. Within one transaction. > 0, < 0 error (logged).
 */
int	 db_pg_copy_keys(struct db *, int on);
/*
 * Sets each identity column's sequence past the largest id of its table,
 * so that new rows take new ids. > 0, < 0 error (logged).
 */
int	 db_pg_copy_identities(struct db *);
/* copy_source_ints on the target. */
int	 db_pg_copy_ints(struct db *, const char *sql, int64_t *v, size_t n);

#endif

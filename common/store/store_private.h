/* Between the store's own files (store.c and its second files): not for other modules. */
#ifndef STORE_PRIVATE_H
#define STORE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct store;

/* Fills buf with n (at most 32) random bytes as lowercase hex (2n + 1 bytes). > 0, < 0 error (logged). */
int	 store_random_hex(char *buf, size_t n);

/* The directory of path into dir ("." when it has none; store_file.c). */
void	 store_dir_of(const char *path, char *dir, size_t dirsz);

/* The store's SQLite connection. */
sqlite3	*store_sqlite(struct store *);

/*
 * The one step of every statement of the store's files (store.c's step()):
 * SQLITE_ROW, SQLITE_DONE, SQLITE_CONSTRAINT (a soft outcome; reset), or
 * -1 for anything else, logged once with the statement's name (reset).
 */
int	 store_step(struct store *, const char *name, sqlite3_stmt *);

/*
 * One statement of a second file (store_admin.c, store_campaign.c,
 * store_api.c) being run: prepared when used from the file's own table,
 * named in its log lines, finalized by store_q_close. Text is bound as a
 * copy; a bind format holds 's' text (NULL binds NULL), 'i' int64 and 'd'
 * double, and values past the statement's own parameter count are skipped,
 * so variants of a query share one parameter list.
 */
struct store_q {
	struct store	*st;
	const char	*name;
	sqlite3_stmt	*s;
};

/*
 * Prepares sql, binds fmt's values and steps once: SQLITE_ROW (the row is
 * left for reading), SQLITE_DONE, SQLITE_CONSTRAINT (a soft outcome), or -1
 * logged once by name. Close q with store_q_close in every case.
 */
int	 store_q_open(struct store_q *, struct store *, const char *name,
	    const char *sql, const char *fmt, ...);
/* The next row: what store_q_open returns. */
int	 store_q_step(struct store_q *);
/* Finalizes the statement; safe after a failed open and twice. */
void	 store_q_close(struct store_q *);

/*
 * A statement prepared once and run many times (the campaign import's
 * writer): store_q_prepare returns 0 or -1 (logged; q stays closable);
 * store_q_run resets, binds fmt's values and steps once, returning what
 * store_q_open returns.
 */
int	 store_q_prepare(struct store_q *, struct store *, const char *name,
	    const char *sql);
int	 store_q_run(struct store_q *, const char *fmt, ...);

/*
 * Runs a statement that returns no row: > 0 done, with the rows it changed
 * in *changes (may be NULL); 0 refused by a constraint; < 0 error (logged).
 */
int	 store_q_exec(struct store *, const char *name, const char *sql,
	    int64_t *changes, const char *fmt, ...);

/* Column col of the current row as text, "" for NULL; valid until the next step. */
const char *store_q_text(const struct store_q *, int col);
/* Copies column col (as store_q_text) into dst, cut to dstsz. */
void	 store_q_copy(const struct store_q *, int col, char *dst, size_t dstsz);

#endif

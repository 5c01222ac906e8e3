/* The runner of the store's second files' statements: prepared when used, bound from a format, stepped through store_step. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "log.h"
#include "store_private.h"

/*
 * Resets q's statement and binds fmt's values in order: 's' text (NULL
 * binds NULL), 'i' int64, 'd' double. Values past the statement's own
 * parameter count are skipped, so variants of a query share one list.
 * Returns 0, or -1 logged once with the statement's name.
 */
static int
q_bindv(struct store_q *q, const char *fmt, va_list ap)
{
	const char	*t;
	int64_t		 v;
	double		 d;
	int		 i, n, rc = SQLITE_OK;

	sqlite3_reset(q->s);
	sqlite3_clear_bindings(q->s);
	n = sqlite3_bind_parameter_count(q->s);
	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 's':
			t = va_arg(ap, const char *);
			if (i <= n)
				rc = t == NULL ? sqlite3_bind_null(q->s, i) :
				    sqlite3_bind_text(q->s, i, t, -1,
				    SQLITE_TRANSIENT);
			break;
		case 'i':
			v = va_arg(ap, int64_t);
			if (i <= n)
				rc = sqlite3_bind_int64(q->s, i, v);
			break;
		case 'd':
			d = va_arg(ap, double);
			if (i <= n)
				rc = sqlite3_bind_double(q->s, i, d);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	if (rc != SQLITE_OK) {
		log_error("%s: bind: %s", q->name,
		    sqlite3_errmsg(store_sqlite(q->st)));
		return -1;
	}
	return 0;
}

/* store_q_run's work on a va_list. */
static int
q_runv(struct store_q *q, const char *fmt, va_list ap)
{
	if (q->s == NULL || q_bindv(q, fmt, ap) < 0)
		return -1;
	return store_q_step(q);
}

int
store_q_prepare(struct store_q *q, struct store *st, const char *name,
    const char *sql)
{
	sqlite3	*db = store_sqlite(st);

	q->st = st;
	q->name = name;
	q->s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &q->s, NULL) != SQLITE_OK) {
		log_error("%s: prepare: %s", name, sqlite3_errmsg(db));
		sqlite3_finalize(q->s);
		q->s = NULL;
		return -1;
	}
	return 0;
}

int
store_q_run(struct store_q *q, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = q_runv(q, fmt, ap);
	va_end(ap);
	return rc;
}

int
store_q_open(struct store_q *q, struct store *st, const char *name,
    const char *sql, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	if (store_q_prepare(q, st, name, sql) < 0)
		return -1;
	va_start(ap, fmt);
	rc = q_runv(q, fmt, ap);
	va_end(ap);
	return rc;
}

int
store_q_step(struct store_q *q)
{
	return store_step(q->st, q->name, q->s);
}

void
store_q_close(struct store_q *q)
{
	sqlite3_finalize(q->s);
	q->s = NULL;
}

int
store_q_exec(struct store *st, const char *name, const char *sql,
    int64_t *changes, const char *fmt, ...)
{
	struct store_q	 q;
	va_list		 ap;
	int		 rc = -1;

	if (store_q_prepare(&q, st, name, sql) == 0) {
		va_start(ap, fmt);
		rc = q_runv(&q, fmt, ap);
		va_end(ap);
	}
	store_q_close(&q);
	if (rc == SQLITE_CONSTRAINT)
		return 0;
	if (rc != SQLITE_DONE)
		return -1;
	if (changes != NULL)
		*changes = sqlite3_changes(store_sqlite(st));
	return 1;
}

const char *
store_q_text(const struct store_q *q, int col)
{
	const unsigned char	*t = sqlite3_column_text(q->s, col);

	return t != NULL ? (const char *)t : "";
}

void
store_q_copy(const struct store_q *q, int col, char *dst, size_t dstsz)
{
	snprintf(dst, dstsz, "%s", store_q_text(q, col));
}

/* A SQLite store copied into an empty PostgreSQL database: the tables matched by name from both catalogs, the rows copied with their ids, then counted and summed on both sides. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_copy.h"
#include "log.h"
#include "sqlembed.h"
#include "store.h"

/*
 * The statements here are made at run time from the names the catalogs
 * give (the tables and columns are the schema's, never a list written
 * here that could go stale); every name is checked by copy_name_valid
 * before it is written between double quotes, and no value is ever
 * written into a statement: rows travel as COPY data.
 */

/* The kit's own table on PostgreSQL: the version, not the store's data. */
#define VERSION_TABLE	"schema_version"

/* The tables of one side, in the order they are found. */
struct side {
	struct copy_table	*t;
	size_t			 n;
	int			 bad;	/* a name or a count past the limits */
	char			 what[256];
};

/* One table's rows on their way: the line being made and what it goes into. */
struct flow {
	struct db		*dst;
	const struct copy_table	*t;
	char			*buf;
	size_t			 len, cap;
	int64_t			 rows;
	void			(*progress)(const char *, int64_t, int, void *);
	void			*arg;
};

/* Writes a refusal or an error into why; returns rc. */
static int
say_why(int rc, char *why, size_t whysz, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return rc;
}

int
copy_name_valid(const char *name)
{
	size_t	 i;

	if (name == NULL || name[0] == '\0' || strlen(name) >= COPY_NAME_MAX ||
	    !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (i = 1; name[i] != '\0'; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return 1;
}

/* The table of s named name, NULL when none. */
static struct copy_table *
side_find(struct side *s, const char *name)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->t[i].name, name) == 0)
			return &s->t[i];
	return NULL;
}

/* Index of column col in t, -1 when t has none. */
static int
col_find(const struct copy_table *t, const char *col)
{
	size_t	 i;

	for (i = 0; i < t->ncol; i++)
		if (strcmp(t->col[i], col) == 0)
			return (int)i;
	return -1;
}

/*
 * Adds column col (of kind) to table name of s, the table after the last
 * one when it is new. 1, or 0 with s->what when a name or count is past
 * the limits (fn's stop).
 */
static int
side_add(struct side *s, const char *name, const char *col,
    enum copy_type kind)
{
	struct copy_table	*t;

	if (!copy_name_valid(name) || !copy_name_valid(col)) {
		snprintf(s->what, sizeof(s->what), "the name %.64s.%.64s is"
		    " not one the copy can write", name, col);
		s->bad = 1;
		return 0;
	}
	if (s->n == 0 || strcmp(s->t[s->n - 1].name, name) != 0) {
		if (s->n == COPY_TABLES_MAX) {
			snprintf(s->what, sizeof(s->what), "more than %d"
			    " tables", COPY_TABLES_MAX);
			s->bad = 1;
			return 0;
		}
		snprintf(s->t[s->n++].name, COPY_NAME_MAX, "%s", name);
	}
	t = &s->t[s->n - 1];
	if (t->ncol == COPY_COLS_MAX) {
		snprintf(s->what, sizeof(s->what), "%s has more than %d"
		    " columns", name, COPY_COLS_MAX);
		s->bad = 1;
		return 0;
	}
	t->kind[t->ncol] = kind;
	snprintf(t->col[t->ncol++], COPY_NAME_MAX, "%s", col);
	return 1;
}

/* copy_source_columns's callback: the store's tables into a side. */
static int
source_column(const char *table, const char *col, void *arg)
{
	return side_add(arg, table, col, COPY_NULL);
}

/* PostgreSQL's types the copy knows, and the kind of value each holds. */
static const struct {
	const char	*type;
	enum copy_type	 kind;
} pg_types[] = {
	{ "bigint", COPY_INT },
	{ "integer", COPY_INT },
	{ "smallint", COPY_INT },
	{ "double precision", COPY_REAL },
	{ "real", COPY_REAL },
	{ "numeric", COPY_REAL },
	{ "text", COPY_TEXT },
	{ "character varying", COPY_TEXT },
	{ "bytea", COPY_BLOB },
	{ "boolean", COPY_BOOL },
};

/* db_pg_copy_columns's callback: the target's tables, but its version table, into a side. */
static int
target_column(const char *table, const char *col, const char *type,
    void *arg)
{
	struct side	*s = arg;
	size_t		 i;

	if (strcmp(table, VERSION_TABLE) == 0)
		return 1;
	for (i = 0; i < sizeof(pg_types) / sizeof(pg_types[0]); i++)
		if (strcmp(type, pg_types[i].type) == 0)
			return side_add(s, table, col, pg_types[i].kind);
	snprintf(s->what, sizeof(s->what), "%.64s.%.64s is of type %.32s,"
	    " which the copy does not know", table, col, type);
	s->bad = 1;
	return 0;
}

/*
 * Whether both sides hold the same tables with the same columns (in any
 * order: rows are read by the target's column names). 1, or 0 with the
 * first difference named in why.
 */
static int
sides_match(struct side *src, struct side *dst, char *why, size_t whysz)
{
	struct copy_table	*a, *b;
	size_t			 i, k;

	for (i = 0; i < dst->n; i++) {
		b = &dst->t[i];
		if ((a = side_find(src, b->name)) == NULL)
			return say_why(0, why, whysz, "table %s of PostgreSQL's"
			    " schema is missing from the SQLite store",
			    b->name);
		for (k = 0; k < b->ncol; k++)
			if (col_find(a, b->col[k]) < 0)
				return say_why(0, why, whysz, "column %s.%s of"
				    " PostgreSQL's schema is missing from the"
				    " SQLite store", b->name, b->col[k]);
		for (k = 0; k < a->ncol; k++)
			if (col_find(b, a->col[k]) < 0)
				return say_why(0, why, whysz, "column %s.%s of"
				    " the SQLite store is missing from"
				    " PostgreSQL's schema", a->name, a->col[k]);
	}
	for (i = 0; i < src->n; i++)
		if (side_find(dst, src->t[i].name) == NULL)
			return say_why(0, why, whysz, "table %s of the SQLite"
			    " store is missing from PostgreSQL's schema",
			    src->t[i].name);
	return 1;
}

/* Appends n bytes of p to f's line. 1, 0 out of memory. */
static int
put(struct flow *f, const char *p, size_t n)
{
	char	*nb;
	size_t	 cap;

	if (f->len + n + 1 > f->cap) {
		cap = f->cap * 2 > f->len + n + 1 ? f->cap * 2 : f->len + n + 64;
		if ((nb = realloc(f->buf, cap)) == NULL)
			return 0;
		f->buf = nb;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 1;
}

/* Appends bytes as COPY text: backslash, tab, newline and return escaped. */
static int
put_text(struct flow *f, const char *p, size_t n)
{
	static const char	 from[] = "\\\t\n\r", to[] = "\\tnr";
	const char		*e;
	size_t			 i, run = 0;
	char			 esc[2] = { '\\', 0 };

	for (i = 0; i < n; i++) {
		if (p[i] == '\0' || (e = strchr(from, p[i])) == NULL) {
			run++;
			continue;
		}
		esc[1] = to[e - from];
		if (!put(f, p + i - run, run) || !put(f, esc, 2))
			return 0;
		run = 0;
	}
	return put(f, p + n - run, run);
}

/* Appends bytes as bytea's hex input, its backslash escaped for COPY. */
static int
put_hex(struct flow *f, const char *p, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 two[2];
	size_t			 i;

	if (!put(f, "\\\\x", 3))
		return 0;
	for (i = 0; i < n; i++) {
		two[0] = hex[(unsigned char)p[i] >> 4];
		two[1] = hex[(unsigned char)p[i] & 0xf];
		if (!put(f, two, 2))
			return 0;
	}
	return 1;
}

/*
 * Appends value v for a column of kind: NULL as \N, integers in full,
 * reals with the 17 digits that give the same double back, text as it
 * is, a blob (or text) for bytea in hex. PostgreSQL converts the text
 * into the column's type and refuses what does not fit.
 */
static int
put_value(struct flow *f, const struct copy_value *v, enum copy_type kind)
{
	char	 num[40];
	int	 n;

	switch (v->type) {
	case COPY_NULL:
		return put(f, "\\N", 2);
	case COPY_INT:
		n = snprintf(num, sizeof(num), "%lld", (long long)v->i);
		return put(f, num, (size_t)n);
	case COPY_REAL:
		n = snprintf(num, sizeof(num), "%.17g", v->d);
		return put(f, num, (size_t)n);
	default:
		if (kind == COPY_BLOB)
			return put_hex(f, v->p != NULL ? v->p : "", v->len);
		return put_text(f, v->p != NULL ? v->p : "", v->len);
	}
}

/* copy_source_rows's callback: one row as a line of COPY data, sent. 1, -1 error. */
static int
flow_row(const struct copy_value *v, size_t ncol, void *arg)
{
	struct flow	*f = arg;
	size_t		 i;

	f->len = 0;
	for (i = 0; i < ncol; i++)
		if ((i > 0 && !put(f, "\t", 1)) ||
		    !put_value(f, &v[i], f->t->kind[i])) {
			log_error("%s: out of memory", f->t->name);
			return -1;
		}
	if (!put(f, "\n", 1)) {
		log_error("%s: out of memory", f->t->name);
		return -1;
	}
	if (db_pg_copy_put(f->dst, f->buf, f->len) < 0)
		return -1;
	if (++f->rows % COPY_PROGRESS_ROWS == 0 && f->progress != NULL)
		f->progress(f->t->name, f->rows, 0, f->arg);
	return 1;
}

/*
 * Copies table t's rows from src into dst (emptied first: a fresh
 * schema seeds a few), saying how far it is to progress (may be NULL)
 * every COPY_PROGRESS_ROWS rows. > 0 with *rows, < 0 error (why).
 */
static int
copy_table(struct copy_source *src, struct db *dst, const struct copy_table *t,
    void (*progress)(const char *, int64_t, int, void *), void *arg,
    int64_t *rows, char *why, size_t whysz)
{
	struct flow	 f;
	int		 rc;

	memset(&f, 0, sizeof(f));
	f.dst = dst;
	f.t = t;
	f.progress = progress;
	f.arg = arg;
	if (db_pg_copy_clear(dst, t) < 0 || db_pg_copy_begin(dst, t) < 0)
		return say_why(-1, why, whysz, "copying table %s: %s", t->name,
		    db_errmsg(dst));
	rc = copy_source_rows(src, t, flow_row, &f);
	free(f.buf);
	if (db_pg_copy_end(dst, t, rc < 0, rows) < 0)
		return say_why(-1, why, whysz, "copying table %s: %s", t->name,
		    rc < 0 ? "reading the SQLite store failed (see the log)" :
		    db_errmsg(dst));
	if (*rows != f.rows)
		return say_why(-1, why, whysz, "copying table %s: %lld rows"
		    " sent, PostgreSQL took %lld", t->name, (long long)f.rows,
		    (long long)*rows);
	return 1;
}

/*
 * The query both engines take for t's figures: its rows, then per column
 * its non-NULL values and their sum (integers) or total length (text,
 * blobs; characters for text on both); other kinds 0.
 */
static int
figures_sql(const struct copy_table *t, char *sql, size_t sqlsz)
{
	size_t	 len, i;

	len = (size_t)snprintf(sql, sqlsz, "SELECT count(*)");
	for (i = 0; i < t->ncol && len < sqlsz; i++)
		len += (size_t)snprintf(sql + len, sqlsz - len,
		    t->kind[i] == COPY_INT ?
		    ", count(\"%s\"), coalesce(sum(\"%s\"), 0)" :
		    t->kind[i] == COPY_TEXT || t->kind[i] == COPY_BLOB ?
		    ", count(\"%s\"), coalesce(sum(length(\"%s\")), 0)" :
		    ", count(\"%s\"), 0%.0s", t->col[i], t->col[i]);
	if (len < sqlsz)
		len += (size_t)snprintf(sql + len, sqlsz - len, " FROM \"%s\"",
		    t->name);
	return len < sqlsz ? 1 : -1;
}

/*
 * Compares table t's figures on both sides. > 0 they agree, 0 they
 * differ (why names the table and column), < 0 error (why).
 */
static int
check_table(struct copy_source *src, struct db *dst, const struct copy_table *t,
    char *why, size_t whysz)
{
	int64_t	 a[1 + 2 * COPY_COLS_MAX], b[1 + 2 * COPY_COLS_MAX];
	char	 sql[COPY_COLS_MAX * (3 * COPY_NAME_MAX + 64) + 256];
	size_t	 n = 1 + 2 * t->ncol, i;

	if (figures_sql(t, sql, sizeof(sql)) < 0)
		return say_why(-1, why, whysz, "%s: too many columns", t->name);
	if (copy_source_ints(src, sql, a, n) < 0 ||
	    db_pg_copy_ints(dst, sql, b, n) < 0)
		return say_why(-1, why, whysz, "checking table %s failed (see"
		    " the log)", t->name);
	if (a[0] != b[0])
		return say_why(0, why, whysz, "table %s: %lld rows in the"
		    " SQLite store, %lld in PostgreSQL", t->name,
		    (long long)a[0], (long long)b[0]);
	for (i = 1; i < n; i++)
		if (a[i] != b[i])
			return say_why(0, why, whysz, "column %s.%s: %s %lld in"
			    " the SQLite store, %lld in PostgreSQL", t->name,
			    t->col[(i - 1) / 2], i % 2 == 1 ? "values" :
			    t->kind[(i - 1) / 2] == COPY_INT ? "sum" :
			    "total length", (long long)a[i], (long long)b[i]);
	return 1;
}

/*
 * The store's table names, comma-separated, and the version table's, for
 * the check that the database holds none of them. > 0, < 0 too long.
 */
static int
names_of(const struct side *s, char *buf, size_t bufsz)
{
	size_t	 len, i;

	len = (size_t)snprintf(buf, bufsz, "%s", VERSION_TABLE);
	for (i = 0; i < s->n && len < bufsz; i++)
		len += (size_t)snprintf(buf + len, bufsz - len, ",%s",
		    s->t[i].name);
	return len < bufsz ? 1 : -1;
}

/* Cuts the comma-separated list to its first n names, "..." after; returns it. */
static const char *
first_names(char *list, int n)
{
	char	*p = list;

	while (n-- > 0 && p != NULL)
		if ((p = strchr(p, ',')) != NULL)
			p++;
	if (p != NULL && (size_t)(p - list) + 3 < strlen(list))
		strcpy(p - 1, ", ...");
	return list;
}

/*
 * In one transaction on dst: the schema, every table's rows in an order
 * that keeps foreign keys whole, the identities, the figures compared,
 * the commit. > 0 done, 0 refused, < 0 error (why); on anything but
 * > 0 the transaction is rolled back and the database is as it was.
 */
static int
copy_all(struct copy_source *src, struct side *from, struct db *dst,
    struct side *to, void (*progress)(const char *, int64_t, int, void *),
    void *arg, struct store_copied *r, char *why, size_t whysz)
{
	int64_t	 rows;
	size_t	 i;
	int	 rc;

	if (db_begin(dst, DB_IMMEDIATE) < 0)
		return say_why(-1, why, whysz, "BEGIN: %s", db_errmsg(dst));
	if (db_pg_copy_schema(dst) < 0) {
		rc = say_why(-1, why, whysz, "making the schema: %s",
		    db_errmsg(dst));
		goto out;
	}
	if ((rc = db_pg_copy_columns(dst, target_column, to)) <= 0 ||
	    to->bad) {
		rc = to->bad ? say_why(0, why, whysz, "PostgreSQL's schema:"
		    " %s", to->what) : say_why(-1, why, whysz, "reading the"
		    " schema: %s", db_errmsg(dst));
		goto out;
	}
	if ((rc = sides_match(from, to, why, whysz)) <= 0)
		goto out;
	if (db_pg_copy_keys(dst, 0) < 0) {
		rc = say_why(-1, why, whysz, "setting the foreign keys aside:"
		    " %s", db_errmsg(dst));
		goto out;
	}
	for (i = 0; i < to->n; i++) {
		if ((rc = copy_table(src, dst, &to->t[i], progress, arg, &rows,
		    why, whysz)) <= 0)
			goto out;
		r->rows += rows;
		r->tables++;
		if (progress != NULL)
			progress(to->t[i].name, rows, 1, arg);
	}
	if (db_pg_copy_keys(dst, 1) < 0) {
		rc = say_why(-1, why, whysz, "the foreign keys: %s",
		    db_errmsg(dst));
		goto out;
	}
	if (db_pg_copy_identities(dst) < 0) {
		rc = say_why(-1, why, whysz, "setting the identities: %s",
		    db_errmsg(dst));
		goto out;
	}
	for (i = 0; i < to->n; i++)
		if ((rc = check_table(src, dst, &to->t[i], why, whysz)) <= 0)
			goto out;
	if (db_commit(dst) < 0)
		return say_why(-1, why, whysz, "COMMIT: %s", db_errmsg(dst));
	return 1;
out:
	db_rollback(dst);
	r->rows = 0;
	r->tables = 0;
	return rc;
}

int
store_copy_to_server(const char *path, const char *uri,
    void (*progress)(const char *, int64_t, int, void *), void *arg,
    struct store_copied *r, char *why, size_t whysz)
{
	struct copy_source	*src = NULL;
	struct db		*dst = NULL;
	struct side		 from, to;
	char			 names[COPY_TABLES_MAX * (COPY_NAME_MAX + 1) + 32];
	char			 found[1024];
	int			 rc, want = pgembed[pgembed_count - 1].version;

	memset(r, 0, sizeof(*r));
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	why[0] = '\0';
	if (path == NULL)
		path = store_default_path();
	db_display_name(path, r->source, sizeof(r->source));
	if (db_on_server(path))
		return say_why(0, why, whysz, "the store %s is on PostgreSQL"
		    " already; migrate copies a SQLite store", r->source);
	if (uri == NULL || !db_on_server(uri))
		return say_why(0, why, whysz, "the target must be a"
		    " postgresql:// or postgres:// URI");
	db_display_name(uri, r->target, sizeof(r->target));
	from.t = calloc(COPY_TABLES_MAX, sizeof(*from.t));
	to.t = calloc(COPY_TABLES_MAX, sizeof(*to.t));
	if (from.t == NULL || to.t == NULL) {
		rc = say_why(-1, why, whysz, "out of memory");
		goto out;
	}
	if ((rc = copy_source_open(path, &src, &r->version, why, whysz)) <= 0)
		goto out;
	if (r->version != want) {
		rc = say_why(0, why, whysz, "the store %s has schema version"
		    " %d and PostgreSQL's schema is version %d: %s", path,
		    r->version, want, r->version < want ? "bring the store up"
		    " to date first (any program does on open, e.g. 'ibchannel"
		    " check')" : "these programs are older than the store");
		goto out;
	}
	if ((rc = copy_source_columns(src, source_column, &from)) <= 0 ||
	    from.bad) {
		rc = from.bad ? say_why(0, why, whysz, "the SQLite store: %s",
		    from.what) : say_why(-1, why, whysz, "reading the store's"
		    " tables failed (see the log)");
		goto out;
	}
	if ((rc = db_pg_copy_connect(uri, &dst, found, sizeof(found))) <= 0) {
		say_why(rc, why, whysz, "cannot use %s: %s", r->target, found);
		goto out;
	}
	if (names_of(&from, names, sizeof(names)) < 0 ||
	    db_pg_copy_existing(dst, names, found, sizeof(found)) < 0) {
		rc = say_why(-1, why, whysz, "cannot read %s: %s", r->target,
		    db_errmsg(dst));
		goto out;
	}
	if (found[0] != '\0') {
		rc = say_why(0, why, whysz, "%s is not empty: it holds %s;"
		    " migrate needs a database without the store's tables",
		    r->target, first_names(found, 3));
		goto out;
	}
	rc = copy_all(src, &from, dst, &to, progress, arg, r, why, whysz);
out:
	db_close(dst);
	copy_source_close(src);
	free(from.t);
	free(to.t);
	return rc;
}

/* The database kit's one door (db.h): db_open picks the engine by the store's name, every other call goes to the connection's engine. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_engine.h"
#include "log.h"

/*
 * The engines by how a store's name begins: a PostgreSQL URI (libpq's
 * own syntax, multi-host lists and options included) opens a server,
 * anything else is a SQLite file. A libpq keyword string ("host=...")
 * is not taken: it is also a legal file name.
 */
static const struct {
	const char	*prefix;
	int		 (*open)(const char *, enum db_open_mode, int,
			    struct db **);
} engines[] = {
	{ "postgresql://", db_pg_open },
	{ "postgres://", db_pg_open },
};

int
db_on_server(const char *path)
{
	size_t	 i;

	for (i = 0; path != NULL && i < sizeof(engines) / sizeof(engines[0]);
	    i++)
		if (strncmp(path, engines[i].prefix,
		    strlen(engines[i].prefix)) == 0)
			return 1;
	return 0;
}

/*
 * Where a name written as a URI ("scheme:/..." or "scheme://...", the
 * scheme a letter, then letters, digits, '+', '-' or '.') has its
 * authority (after the scheme's slashes): 1 with *auth, 0 when the name
 * is no URI (a file's path: "/var/...", "var/...", "backup:2026.db").
 */
static int
uri_authority(const char *name, const char **auth)
{
	const char	*p = name;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	if (p[0] != ':' || p[1] != '/')
		return 0;
	for (p++; *p == '/'; p++)
		;
	*auth = p;
	return 1;
}

int
db_name_valid(const char *path, const char **why)
{
	const char	*auth;

	*why = NULL;
	if (db_on_server(path) || !uri_authority(path, &auth))
		return 1;
	*why = "written as a URI but not one PostgreSQL takes (it begins with"
	    " postgresql:// or postgres://), nor a file's path";
	return 0;
}

int
db_uri_password(const char *uri, size_t *start, size_t *len)
{
	const char	*auth, *at, *colon;

	if (!uri_authority(uri, &auth))
		return 0;
	/*
	 * Up to the last '@' before the options, not the first '/': a
	 * password written with a '/' or an '@' unencoded is still one.
	 */
	if ((at = memrchr(auth, '@', strcspn(auth, "?#"))) == NULL ||
	    (colon = memchr(auth, ':', (size_t)(at - auth))) == NULL)
		return 0;
	*start = (size_t)(colon + 1 - uri);
	*len = (size_t)(at - colon - 1);
	return 1;
}

int
db_schema_known(int version, int known)
{
	if (version <= known)
		return 1;
	log_error("the store has schema version %d, newer than these programs"
	    " know (%d): a later ibchannel made or migrated it; run that"
	    " version again (an older one would misread it)", version, known);
	return 0;
}

const char *
db_display_name(const char *path, char *buf, size_t bufsz)
{
	const char	*auth;
	char	*q;
	size_t	 start, len;

	snprintf(buf, bufsz, "%s", path != NULL ? path : "");
	if (!uri_authority(buf, &auth))
		return buf;
	/* user:password@hosts: the password goes; the user and hosts stay. */
	if (db_uri_password(buf, &start, &len))
		memmove(buf + start - 1, buf + start + len,
		    strlen(buf + start + len) + 1);
	/* ...?password=...: the options go whole. */
	if ((q = strchr(buf, '?')) != NULL && strstr(q, "password") != NULL)
		*q = '\0';
	return buf;
}

/* Why this thread's last db_open failed (db_open_error), as its engine said. */
static _Thread_local char	 open_why[512];

void
db_open_failed(const char *why)
{
	snprintf(open_why, sizeof(open_why), "%s", why != NULL ? why : "");
}

const char *
db_open_error(void)
{
	return open_why;
}

int
db_unreachable(struct db *db)
{
	return db != NULL && db->engine->unreachable != NULL ?
	    db->engine->unreachable(db) : 0;
}

int
db_open(const char *path, enum db_open_mode mode, int full, struct db **out)
{
	size_t	 i;

	open_why[0] = '\0';
	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strncmp(path, engines[i].prefix,
		    strlen(engines[i].prefix)) == 0)
			return engines[i].open(path, mode, full, out);
	return db_sqlite_open(path, mode, full, out);
}

const char *
db_sql_text(const struct db_override *ov, const struct db_table *t, int which)
{
	size_t	 i;

	for (i = 0; ov[i].stmt.name != NULL; i++)
		if (ov[i].slot == t->slot &&
		    strcmp(ov[i].stmt.name, t->stmt[which].name) == 0)
			return ov[i].stmt.sql;
	return t->stmt[which].sql;
}

void
db_close(struct db *db)
{
	if (db != NULL)
		db->engine->close(db);
}

int
db_readonly(struct db *db)
{
	return db->engine->readonly(db);
}

unsigned int
db_data_version(struct db *db)
{
	return db->engine->data_version(db);
}

const char *
db_errmsg(struct db *db)
{
	return db != NULL ? db->engine->errmsg(db) : "store not open";
}

int
db_take_disk_full(struct db *db)
{
	return db->engine->take_disk_full(db);
}

int
db_take_conflict(struct db *db)
{
	return db->engine->take_conflict(db);
}

int
db_refused_by_foreign_key(struct db *db)
{
	return db->engine->refused_by_foreign_key(db);
}

int
db_runv(struct db *db, const struct db_table *t, int which,
    struct db_stmt **out, const char *fmt, va_list ap)
{
	return db->engine->runv(db, t, which, out, fmt, ap);
}

int
db_run(struct db *db, const struct db_table *t, int which,
    struct db_stmt **out, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = db->engine->runv(db, t, which, out, fmt, ap);
	va_end(ap);
	return rc;
}

int
db_step(struct db_stmt *c)
{
	return c != NULL ? c->engine->step(c) : DB_ERROR;
}

void
db_reset(struct db_stmt *c)
{
	if (c != NULL)
		c->engine->reset(c);
}

/* db_exec's work on a va_list. */
static int
exec_va(struct db *db, const struct db_table *t, int which, const char *fmt,
    va_list ap)
{
	struct db_stmt	*c;
	int		 rc;

	rc = db->engine->runv(db, t, which, &c, fmt, ap);
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
	return db->engine->changes(db) > 0;
}

int
db_exists(struct db *db, const struct db_table *t, int which,
    const char *fmt, ...)
{
	struct db_stmt	*c;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = db->engine->runv(db, t, which, &c, fmt, ap);
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
		*changes = db->engine->changes(db);
	return rc;
}

int64_t
db_changes(struct db *db)
{
	return db->engine->changes(db);
}

int64_t
db_last_id(struct db *db)
{
	return db->engine->last_id(db);
}

int64_t
db_int64(struct db_stmt *c, int col)
{
	return c->engine->int64(c, col);
}

int
db_int(struct db_stmt *c, int col)
{
	return c->engine->int32(c, col);
}

double
db_double(struct db_stmt *c, int col)
{
	return c->engine->dbl(c, col);
}

const char *
db_text(struct db_stmt *c, int col)
{
	return c->engine->text(c, col);
}

const char *
db_str(struct db_stmt *c, int col)
{
	const char	*t = c->engine->text(c, col);

	return t != NULL ? t : "";
}

int
db_null(struct db_stmt *c, int col)
{
	return c->engine->null(c, col);
}

void
db_copy(struct db_stmt *c, int col, char *dst, size_t dstsz)
{
	snprintf(dst, dstsz, "%s", db_str(c, col));
}

int
db_begin(struct db *db, enum db_begin_mode mode)
{
	return db->engine->begin(db, mode);
}

int
db_commit(struct db *db)
{
	return db->engine->commit(db);
}

void
db_rollback(struct db *db)
{
	if (db != NULL)
		db->engine->rollback(db);
}

int
db_savepoint(struct db *db)
{
	return db->engine->savepoint(db);
}

int
db_savepoint_end(struct db *db, int keep)
{
	return db->engine->savepoint_end(db, keep);
}

int
db_durability(struct db *db, int full)
{
	return db->engine->durability(db, full);
}

int
db_version(struct db *db)
{
	return db->engine->version(db);
}

int
db_triggers(struct db *db, int on)
{
	return db->engine->triggers != NULL ? db->engine->triggers(db, on) : 0;
}

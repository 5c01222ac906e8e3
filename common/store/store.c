/* The store object: opening and migrating, transactions, ids, and its own small tables (users, settings, the key check, secrets). */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_engine.h"
#include "log.h"
#include "store.h"
#include "sqlembed.h"
#include "store_private.h"

enum store_stmt {
	STMT_USER_SET,
	STMT_USER_ROLE,
	STMT_USER_DEL,
	STMT_USER_ADMINS,
	STMT_USER_EACH,
	STMT_SETTING_GET,
	STMT_SETTING_SET,
	STMT_SETTING_DEL,
	STMT_KEYCHECK_GET,
	STMT_KEYCHECK_ADD,
	STMT_KEYCHECK_SET,
	STMT_SECRET_EACH,
	STORE__MAX
};

static const struct db_sql store_stmt[STORE__MAX] = {
	DB_SQL(STMT_USER_SET, "INSERT INTO users (username, role) VALUES (?, ?)"
	    " ON CONFLICT (username) DO UPDATE SET role = excluded.role"),
	DB_SQL(STMT_USER_ROLE, "SELECT role FROM users WHERE username = ?"),
	DB_SQL(STMT_USER_DEL, "DELETE FROM users WHERE username = ?"),
	DB_SQL(STMT_USER_ADMINS, "SELECT COUNT(*) FROM users WHERE role = 'admin'"),
	DB_SQL(STMT_USER_EACH, "SELECT username, role, created_at FROM users"
	    " ORDER BY username"),
	DB_SQL(STMT_SETTING_GET, "SELECT value FROM settings WHERE name = ?"),
	DB_SQL(STMT_SETTING_SET, "INSERT INTO settings (name, value) VALUES (?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
	DB_SQL(STMT_SETTING_DEL, "DELETE FROM settings WHERE name = ?"),
	DB_SQL(STMT_KEYCHECK_GET, "SELECT value FROM key_check WHERE id = 1"),
	DB_SQL(STMT_KEYCHECK_ADD, "INSERT INTO key_check (id, value) VALUES (1, ?)"
	    " ON CONFLICT (id) DO NOTHING"),
	DB_SQL(STMT_KEYCHECK_SET, "INSERT INTO key_check (id, value) VALUES (1, ?)"
	    " ON CONFLICT (id) DO UPDATE SET value = excluded.value,"
	    " created_at = " NOW),
	DB_SQL(STMT_SECRET_EACH, "SELECT api_key_enc FROM connections"
	    " WHERE api_key_enc <> '' UNION ALL SELECT api_key_enc FROM agents"
	    " WHERE COALESCE(api_key_enc, '') <> ''"),
};

const struct db_table store_sql = { DB_SLOT_STORE, STORE__MAX, store_stmt };

const char *
store_default_path(void)
{
	const char	*p;

	if ((p = getenv("IBCHANNEL_DB")) != NULL && *p != '\0')
		return p;
	return store_default_file();
}

const char *
store_default_file(void)
{
	const char	*p;
	char		 exe[4096];
	ssize_t		 n;

	/* Run from the build tree: the working copy's var/; installed: /var/lib. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((p = strrchr(exe, '/')) != NULL && p - exe >= 6 &&
		    strncmp(p - 6, "/build", 6) == 0)
			return "var/ibchannel.db";
	}
	return "/var/lib/ibchannel/ibchannel.db";
}

int
store_on_server(const char *path)
{
	return db_on_server(path != NULL ? path : store_default_path());
}

const char *
store_display_name(void)
{
	static _Thread_local char	 buf[1024];

	return db_display_name(store_default_path(), buf, sizeof(buf));
}


int
store_name_valid(const char **why)
{
	return db_name_valid(store_default_path(), why);
}

const char *
store_open_error(void)
{
	return db_open_error();
}

void
store_say_unopened(void)
{
	static struct log_limit	 said;

	log_limited(&said, 60, LOGL_ERROR, "store %s cannot be opened%s%s",
	    store_display_name(), *db_open_error() != '\0' ? ": " : "",
	    db_open_error());
}

int
store_unreachable(struct store *st)
{
	return st != NULL && db_unreachable(st->db);
}

int
store_schema_newest(void)
{
	return sqlembed[sqlembed_count - 1].version;
}

unsigned int
store_data_version(struct store *st)
{
	return db_data_version(st->db);
}

int
store_readonly(struct store *st)
{
	return db_readonly(st->db);
}

const char *
store_errmsg(struct store *st)
{
	return db_errmsg(st != NULL ? st->db : NULL);
}

int
store_take_disk_full(struct store *st)
{
	return db_take_disk_full(st->db);
}

int
store_take_conflict(struct store *st)
{
	return st->db != NULL && db_take_conflict(st->db);
}

int
store_version(struct store *st)
{
	return db_version(st->db);
}

/* The durability IBCHANNEL_SYNC names: 1 full (also when unset), 2 normal, 0 anything else. */
static int
sync_mode(const char **value)
{
	const char	*v;

	if ((v = getenv("IBCHANNEL_SYNC")) == NULL || *v == '\0')
		v = "full";
	*value = v;
	return strcasecmp(v, "full") == 0 ? 1 :
	    strcasecmp(v, "normal") == 0 ? 2 : 0;
}

int
store_sync_valid(const char **why)
{
	static char	 msg[128];
	const char	*v;

	*why = NULL;
	if (sync_mode(&v) > 0)
		return 1;
	snprintf(msg, sizeof(msg), "IBCHANNEL_SYNC must be full or normal,"
	    " not \"%.40s\"", v);
	*why = msg;
	return 0;
}

int
store_open(const char *path, enum store_open_mode mode, struct store **out)
{
	static const enum db_open_mode modes[] = {
		[STORE_OPEN_EXISTING] = DB_OPEN_WRITE,
		[STORE_OPEN_CREATE] = DB_OPEN_CREATE,
		[STORE_OPEN_READ] = DB_OPEN_READ,
	};
	struct store	*st;
	const char	*why;
	struct stat	 sb;

	*out = NULL;
	/* A misspelt durability must not quietly mean another one. */
	if (!store_sync_valid(&why)) {
		log_error("%s", why);
		return -1;
	}
	if (path == NULL)
		path = store_default_path();
	db_open_failed(NULL);
	if (!db_name_valid(path, &why)) {
		db_open_failed(why);
		return -1;
	}
	/* A server's database is always there; whether it holds a store, db_open says. */
	if (mode != STORE_OPEN_CREATE && !db_on_server(path) &&
	    stat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->full = sync_mode(&why) != 2;
	st->server = db_on_server(path);
	if (db_open(path, modes[mode], st->full, &st->db) < 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 1;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	db_close(st->db);
	free(st->follow.ids);
	free(st);
}

int
store_sync_relaxed(struct store *st, int relaxed)
{
	return db_durability(st->db, !relaxed && st->full);
}

int
store_begin(struct store *st)
{
	return db_begin(st->db, DB_IMMEDIATE);
}

int
store_commit(struct store *st)
{
	return db_commit(st->db);
}

int
store_savepoint(struct store *st)
{
	return db_savepoint(st->db);
}

int
store_savepoint_end(struct store *st, int keep)
{
	return db_savepoint_end(st->db, keep);
}

void
store_rollback(struct store *st)
{
	if (st == NULL)
		return;
	db_rollback(st->db);
	store_follow_reset(st);
}

int
store_random_hex(char *buf, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 raw[32];
	size_t			 i;

	if (n > sizeof(raw) || getrandom(raw, n, 0) != (ssize_t)n) {
		log_error("getrandom: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 0xf];
	}
	buf[2 * n] = '\0';
	return 1;
}

/*
 * A new message uid: 16 hex digits of the time in microseconds, then 16
 * random ones (32 in all). Uids of new messages sort after older ones, so
 * each insert lands at the right edge of the uid index instead of on a
 * random page: a group of messages dirties a page or two, not one each.
 */
int
store_new_uid(char *uid)
{
	struct timespec	 ts;
	unsigned long long us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
	snprintf(uid, 17, "%016llx", us);
	return store_random_hex(uid + 16, 8);
}

int
store_id_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return 0;
	for (i = 0; i < STORE_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[STORE_ID_LEN] == '\0';
}

int
store_user_set(struct store *st, const char *username, enum user_role role)
{
	return db_exec(st->db, &store_sql, STMT_USER_SET, "ss", username,
	    user_role_name(role));
}

int
store_user_delete(struct store *st, const char *username)
{
	return db_exec_changed(st->db, &store_sql, STMT_USER_DEL, "s", username);
}

int
store_user_admins(struct store *st)
{
	struct db_stmt	*s;
	int		 rc, n;

	if ((rc = db_run(st->db, &store_sql, STMT_USER_ADMINS, &s, "")) != DB_ROW)
		return -1;
	n = db_int(s, 0);
	db_reset(s);
	return n;
}

int
store_user_each(struct store *st,
    int (*fn)(const struct store_user_row *, void *), void *arg)
{
	struct store_user_row	 u;
	struct db_stmt		*s;
	int			 rc;

	for (rc = db_run(st->db, &store_sql, STMT_USER_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		u.username = db_text(s, 0);
		if (!user_role_find(db_text(s, 1),
		    &u.role))
			u.role = ROLE_VIEWER;
		u.created_at = db_text(s, 2);
		if (!fn(&u, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

/*
 * Finishes a one-value lookup: rc is what run() returned for s. > 0 with
 * the first column copied into buf, 0 no row, < 0 error.
 */
static int
row_text(struct db_stmt *s, int rc, char *buf, size_t bufsz)
{
	if (rc < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	db_copy(s, 0, buf, bufsz);
	db_reset(s);
	return 1;
}

int
store_user_role(struct store *st, const char *username, enum user_role *role)
{
	struct db_stmt	*s;
	char		 buf[16];
	int		 rc;

	rc = db_run(st->db, &store_sql, STMT_USER_ROLE, &s, "s", username);
	if ((rc = row_text(s, rc, buf, sizeof(buf))) <= 0)
		return rc;
	return user_role_find(buf, role) ? 1 : -1;
}

int
store_setting_get(struct store *st, const char *name, char *buf, size_t bufsz)
{
	struct db_stmt	*s;
	int		 rc;

	rc = db_run(st->db, &store_sql, STMT_SETTING_GET, &s, "s", name);
	return row_text(s, rc, buf, bufsz);
}

int
store_setting_set(struct store *st, const char *name, const char *value)
{
	return db_exec(st->db, &store_sql, STMT_SETTING_SET, "ss", name, value);
}

int
store_setting_unset(struct store *st, const char *name)
{
	return db_exec(st->db, &store_sql, STMT_SETTING_DEL, "s", name);
}

int
store_key_check_get(struct store *st, char *buf, size_t bufsz)
{
	struct db_stmt	*s;
	int		 rc;

	rc = db_run(st->db, &store_sql, STMT_KEYCHECK_GET, &s, "");
	return row_text(s, rc, buf, bufsz);
}

int
store_key_check_set(struct store *st, const char *value, int replace)
{
	return db_exec(st->db, &store_sql, replace ? STMT_KEYCHECK_SET : STMT_KEYCHECK_ADD,
	    "s", value);
}

int
store_secret_each(struct store *st, int (*fn)(const char *enc, void *),
    void *arg)
{
	struct db_stmt	*s;
	int		 rc;

	for (rc = db_run(st->db, &store_sql, STMT_SECRET_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s))
		if (!fn(db_text(s, 0), arg))
			break;
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

/* The store's part of the send API: tokens, and the sends made with them (the store's third file). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_api.h"
#include "store_private.h"

/* Each statement is prepared when used, as in store_admin.c: a request runs two or three. */
enum a {
	A_TOKEN_ADD,
	A_TOKEN_BY_HASH,
	A_TOKEN_GET,
	A_TOKEN_REVOKE,
	A_TOKEN_EACH,
	A_ATTACHED,
	A_SEND_FIND,
	A_SEND_ADD,
	A_MESSAGE,
	A__MAX
};

#define TOKEN_COLS "SELECT t.id, t.agent_id, t.connection_id, a.name," \
	" k.name, t.prefix, t.created_by, t.created_at," \
	" COALESCE(t.revoked_by, ''), COALESCE(t.revoked_at, ''), a.status," \
	" k.status, k.deleted_at IS NOT NULL, EXISTS (SELECT 1 FROM" \
	" agent_channels ac WHERE ac.agent_id = t.agent_id" \
	" AND ac.connection_id = t.connection_id) FROM api_tokens t" \
	" JOIN agents a ON a.id = t.agent_id" \
	" JOIN connections k ON k.id = t.connection_id "

static const struct {
	const char	*name;
	const char	*sql;
} a_stmt[A__MAX] = {
	[A_TOKEN_ADD] = { "A_TOKEN_ADD", "INSERT INTO api_tokens (agent_id,"
	    " connection_id, token_hash, prefix, created_by) VALUES (?1, ?2,"
	    " ?3, ?4, ?5)" },
	[A_TOKEN_BY_HASH] = { "A_TOKEN_BY_HASH", TOKEN_COLS
	    "WHERE t.token_hash = ?1" },
	[A_TOKEN_GET] = { "A_TOKEN_GET", TOKEN_COLS "WHERE t.id = ?1" },
	[A_TOKEN_REVOKE] = { "A_TOKEN_REVOKE", "UPDATE api_tokens SET"
	    " revoked_by = ?2, revoked_at = strftime('%Y-%m-%d %H:%M:%f',"
	    " 'now') WHERE id = ?1 AND revoked_at IS NULL" },
	[A_TOKEN_EACH] = { "A_TOKEN_EACH", TOKEN_COLS
	    "WHERE ?1 = 0 OR t.agent_id = ?1 ORDER BY t.id DESC" },
	[A_ATTACHED] = { "A_ATTACHED", "SELECT 1 FROM agent_channels"
	    " WHERE agent_id = ?1 AND connection_id = ?2" },
	[A_SEND_FIND] = { "A_SEND_FIND", "SELECT m.uid, s.request_hash"
	    " FROM api_sends s INDEXED BY api_sends_reference"
	    " JOIN messages m ON m.id = s.message_id"
	    " WHERE s.connection_id = ?1 AND s.agent_id = ?2"
	    " AND s.reference = ?3" },
	[A_SEND_ADD] = { "A_SEND_ADD", "INSERT INTO api_sends (message_id,"
	    " token_id, agent_id, connection_id, reference, communication,"
	    " request_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)" },
	[A_MESSAGE] = { "A_MESSAGE", "SELECT m.uid, m.status, m.recipient,"
	    " COALESCE(s.reference, ''), COALESCE(s.communication, ''),"
	    " COALESCE(m.infobip_id, ''), m.status_group, m.status_name,"
	    " m.status_description, m.error_name, m.error_description,"
	    " m.created_at, m.updated_at, COALESCE(m.sent_at, ''),"
	    " COALESCE(m.done_at, ''), COALESCE(m.price, -1),"
	    " COALESCE(m.currency, ''), COALESCE(m.sms_count, -1)"
	    " FROM messages m JOIN api_sends s ON s.message_id = m.id"
	    " WHERE m.uid = ?1 AND s.connection_id = ?2 AND s.agent_id = ?3" },
};

struct a_run {
	struct store	*st;
	enum a		 which;
	sqlite3_stmt	*s;
};

/* Steps: SQLITE_ROW, SQLITE_DONE, SQLITE_CONSTRAINT or -1 (logged, by name). */
static int
a_step(struct a_run *r)
{
	return store_step(r->st, a_stmt[r->which].name, r->s);
}

static void
a_close(struct a_run *r)
{
	sqlite3_finalize(r->s);
	r->s = NULL;
}

/*
 * Prepares statement which, binds its parameters in order ('s' text, NULL
 * binds NULL; 'i' int64) and steps it once: SQLITE_ROW, SQLITE_DONE,
 * SQLITE_CONSTRAINT or -1 (logged). Close with a_close in every case.
 */
static int
a_open(struct a_run *r, struct store *st, enum a which, const char *fmt, ...)
{
	sqlite3		*db = store_sqlite(st);
	va_list		 ap;
	const char	*t;
	int		 i, rc = SQLITE_OK;

	r->st = st;
	r->which = which;
	r->s = NULL;
	if (sqlite3_prepare_v2(db, a_stmt[which].sql, -1, &r->s, NULL) !=
	    SQLITE_OK) {
		log_error("%s: prepare: %s", a_stmt[which].name,
		    sqlite3_errmsg(db));
		return -1;
	}
	va_start(ap, fmt);
	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		if (*fmt == 's') {
			t = va_arg(ap, const char *);
			rc = t == NULL ? sqlite3_bind_null(r->s, i) :
			    sqlite3_bind_text(r->s, i, t, -1, SQLITE_STATIC);
		} else
			rc = sqlite3_bind_int64(r->s, i, va_arg(ap, int64_t));
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		log_error("%s: bind: %s", a_stmt[which].name,
		    sqlite3_errmsg(db));
		return -1;
	}
	return a_step(r);
}

static void
col_copy(const struct a_run *r, int c, char *dst, size_t dstsz)
{
	const unsigned char	*t = sqlite3_column_text(r->s, c);

	snprintf(dst, dstsz, "%s", t != NULL ? (const char *)t : "");
}

static void
token_row(const struct a_run *r, struct store_token *t)
{
	char	 status[32];

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(r->s, 0);
	t->agent = sqlite3_column_int64(r->s, 1);
	col_copy(r, 2, t->conn, sizeof(t->conn));
	col_copy(r, 3, t->agent_name, sizeof(t->agent_name));
	col_copy(r, 4, t->conn_name, sizeof(t->conn_name));
	col_copy(r, 5, t->prefix, sizeof(t->prefix));
	col_copy(r, 6, t->created_by, sizeof(t->created_by));
	col_copy(r, 7, t->created_at, sizeof(t->created_at));
	col_copy(r, 8, t->revoked_by, sizeof(t->revoked_by));
	col_copy(r, 9, t->revoked_at, sizeof(t->revoked_at));
	col_copy(r, 10, status, sizeof(status));
	t->agent_running = strcmp(status, "RUNNING") == 0;
	col_copy(r, 11, status, sizeof(status));
	if (!conn_status_find(status, &t->conn_status))
		t->conn_status = CONN_ERROR;
	t->conn_deleted = sqlite3_column_int(r->s, 12);
	t->attached = sqlite3_column_int(r->s, 13);
}

int
store_token_add(struct store *st, int64_t agent, const char *conn,
    const char *hash, const char *prefix, const char *who, int64_t *id)
{
	struct a_run	 r;
	int		 rc;

	rc = a_open(&r, st, A_TOKEN_ADD, "issss", agent, conn, hash, prefix,
	    who);
	a_close(&r);
	if (rc == SQLITE_CONSTRAINT)
		return 0;
	if (rc != SQLITE_DONE)
		return -1;
	*id = sqlite3_last_insert_rowid(store_sqlite(st));
	return 1;
}

/* One token by A_TOKEN_BY_HASH or A_TOKEN_GET. */
static int
token_one(struct store *st, enum a which, const char *fmt, const char *hash,
    int64_t id, struct store_token *t)
{
	struct a_run	 r;
	int		 rc;

	memset(t, 0, sizeof(*t));
	rc = which == A_TOKEN_BY_HASH ? a_open(&r, st, which, fmt, hash) :
	    a_open(&r, st, which, fmt, id);
	if (rc == SQLITE_ROW)
		token_row(&r, t);
	a_close(&r);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_token_by_hash(struct store *st, const char *hash, struct store_token *t)
{
	return token_one(st, A_TOKEN_BY_HASH, "s", hash, 0, t);
}

int
store_token_get(struct store *st, int64_t id, struct store_token *t)
{
	return token_one(st, A_TOKEN_GET, "i", NULL, id, t);
}

int
store_token_revoke(struct store *st, int64_t id, const char *who)
{
	struct a_run	 r;
	int		 rc;

	rc = a_open(&r, st, A_TOKEN_REVOKE, "is", id, who);
	a_close(&r);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(store_sqlite(st)) > 0;
}

int
store_token_each(struct store *st, int64_t agent,
    int (*fn)(const struct store_token *, void *), void *arg)
{
	struct store_token	 t;
	struct a_run		 r;
	int			 rc;

	for (rc = a_open(&r, st, A_TOKEN_EACH, "i", agent); rc == SQLITE_ROW;
	    rc = a_step(&r)) {
		token_row(&r, &t);
		if (!fn(&t, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	a_close(&r);
	return rc == SQLITE_DONE ? 1 : -1;
}

int
store_agent_attached(struct store *st, int64_t agent, const char *conn)
{
	struct a_run	 r;
	int		 rc;

	rc = a_open(&r, st, A_ATTACHED, "is", agent, conn);
	a_close(&r);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_api_send_find(struct store *st, const char *conn, int64_t agent,
    const char *reference, char *uid, char *request_hash)
{
	struct a_run	 r;
	int		 rc;

	uid[0] = request_hash[0] = '\0';
	if ((rc = a_open(&r, st, A_SEND_FIND, "sis", conn, agent,
	    reference)) == SQLITE_ROW) {
		col_copy(&r, 0, uid, STORE_UID_MAX);
		col_copy(&r, 1, request_hash, 65);
	}
	a_close(&r);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_api_send_add(struct store *st, int64_t message, int64_t token,
    int64_t agent, const char *conn, const char *reference,
    const char *communication, const char *request_hash)
{
	struct a_run	 r;
	int		 rc;

	rc = a_open(&r, st, A_SEND_ADD, "iiissss", message, token, agent, conn,
	    reference, communication, request_hash);
	a_close(&r);
	return rc == SQLITE_DONE ? 1 : rc == SQLITE_CONSTRAINT ? 0 : -1;
}

int
store_api_message_get(struct store *st, const char *conn, int64_t agent,
    const char *uid, struct store_api_message *m)
{
	struct a_run	 r;
	int		 rc;

	memset(m, 0, sizeof(*m));
	if ((rc = a_open(&r, st, A_MESSAGE, "ssi", uid, conn, agent)) ==
	    SQLITE_ROW) {
		col_copy(&r, 0, m->uid, sizeof(m->uid));
		col_copy(&r, 1, m->status, sizeof(m->status));
		col_copy(&r, 2, m->recipient, sizeof(m->recipient));
		col_copy(&r, 3, m->reference, sizeof(m->reference));
		col_copy(&r, 4, m->communication, sizeof(m->communication));
		col_copy(&r, 5, m->infobip_id, sizeof(m->infobip_id));
		col_copy(&r, 6, m->status_group, sizeof(m->status_group));
		col_copy(&r, 7, m->status_name, sizeof(m->status_name));
		col_copy(&r, 8, m->status_description,
		    sizeof(m->status_description));
		col_copy(&r, 9, m->error_name, sizeof(m->error_name));
		col_copy(&r, 10, m->error_description,
		    sizeof(m->error_description));
		col_copy(&r, 11, m->created_at, sizeof(m->created_at));
		col_copy(&r, 12, m->updated_at, sizeof(m->updated_at));
		col_copy(&r, 13, m->sent_at, sizeof(m->sent_at));
		col_copy(&r, 14, m->done_at, sizeof(m->done_at));
		m->price = sqlite3_column_double(r.s, 15);
		col_copy(&r, 16, m->currency, sizeof(m->currency));
		m->segments = sqlite3_column_int(r.s, 17);
	}
	a_close(&r);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The store's part of the send API: tokens, and the sends made with them (the store's third file). */
#include <string.h>

#include "store.h"
#include "store_api.h"
#include "store_private.h"

/* The send API's statements: prepared on first use and kept by the connection (db.h). */
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

static const struct db_sql api_stmt[A__MAX] = {
	DB_SQL(A_TOKEN_ADD, "INSERT INTO api_tokens (agent_id,"
	    " connection_id, token_hash, prefix, created_by) VALUES (?1, ?2,"
	    " ?3, ?4, ?5)"),
	DB_SQL(A_TOKEN_BY_HASH, TOKEN_COLS
	    "WHERE t.token_hash = ?1"),
	DB_SQL(A_TOKEN_GET, TOKEN_COLS "WHERE t.id = ?1"),
	DB_SQL(A_TOKEN_REVOKE, "UPDATE api_tokens SET"
	    " revoked_by = ?2, revoked_at = strftime('%Y-%m-%d %H:%M:%f',"
	    " 'now') WHERE id = ?1 AND revoked_at IS NULL"),
	DB_SQL(A_TOKEN_EACH, TOKEN_COLS
	    "WHERE ?1 = 0 OR t.agent_id = ?1 ORDER BY t.id DESC"),
	DB_SQL(A_ATTACHED, "SELECT 1 FROM agent_channels"
	    " WHERE agent_id = ?1 AND connection_id = ?2"),
	DB_SQL(A_SEND_FIND, "SELECT m.uid, s.request_hash"
	    " FROM api_sends s INDEXED BY api_sends_reference"
	    " JOIN messages m ON m.id = s.message_id"
	    " WHERE s.connection_id = ?1 AND s.agent_id = ?2"
	    " AND s.reference = ?3"),
	DB_SQL(A_SEND_ADD, "INSERT INTO api_sends (message_id,"
	    " token_id, agent_id, connection_id, reference, communication,"
	    " request_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
	DB_SQL(A_MESSAGE, "SELECT m.uid, m.status, m.recipient,"
	    " COALESCE(s.reference, ''), COALESCE(s.communication, ''),"
	    " COALESCE(m.infobip_id, ''), m.status_group, m.status_name,"
	    " m.status_description, m.error_name, m.error_description,"
	    " m.created_at, m.updated_at, COALESCE(m.sent_at, ''),"
	    " COALESCE(m.done_at, ''), COALESCE(m.price, -1),"
	    " COALESCE(m.currency, ''), COALESCE(m.sms_count, -1)"
	    " FROM messages m JOIN api_sends s ON s.message_id = m.id"
	    " WHERE m.uid = ?1 AND s.connection_id = ?2 AND s.agent_id = ?3"),
};

const struct db_table api_sql = { DB_SLOT_API, A__MAX, api_stmt };

static void
token_row(struct db_stmt *r, struct store_token *t)
{
	char	 status[32];

	memset(t, 0, sizeof(*t));
	t->id = db_int64(r, 0);
	t->agent = db_int64(r, 1);
	db_copy(r, 2, t->conn, sizeof(t->conn));
	db_copy(r, 3, t->agent_name, sizeof(t->agent_name));
	db_copy(r, 4, t->conn_name, sizeof(t->conn_name));
	db_copy(r, 5, t->prefix, sizeof(t->prefix));
	db_copy(r, 6, t->created_by, sizeof(t->created_by));
	db_copy(r, 7, t->created_at, sizeof(t->created_at));
	db_copy(r, 8, t->revoked_by, sizeof(t->revoked_by));
	db_copy(r, 9, t->revoked_at, sizeof(t->revoked_at));
	db_copy(r, 10, status, sizeof(status));
	t->agent_running = strcmp(status, "RUNNING") == 0;
	db_copy(r, 11, status, sizeof(status));
	if (!conn_status_find(status, &t->conn_status))
		t->conn_status = CONN_ERROR;
	t->conn_deleted = db_int(r, 12);
	t->attached = db_int(r, 13);
}

int
store_token_add(struct store *st, int64_t agent, const char *conn,
    const char *hash, const char *prefix, const char *who, int64_t *id)
{
	int	 rc;

	if ((rc = db_exec(st->db, &api_sql, A_TOKEN_ADD, "issss", agent, conn,
	    hash, prefix, who)) <= 0)
		return rc;
	*id = db_last_id(st->db);
	return 1;
}

/* One token by A_TOKEN_BY_HASH or A_TOKEN_GET. */
static int
token_one(struct store *st, enum a which, const char *fmt, const char *hash,
    int64_t id, struct store_token *t)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	memset(t, 0, sizeof(*t));
	rc = which == A_TOKEN_BY_HASH ?
	    db_run(st->db, &api_sql, which, &r, fmt, hash) :
	    db_run(st->db, &api_sql, which, &r, fmt, id);
	if (rc == DB_ROW)
		token_row(r, t);
	db_reset(r);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
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
	int64_t	 n = 0;

	/* Refused by a constraint is an error here, not "no such token". */
	if (db_exec_count(st->db, &api_sql, A_TOKEN_REVOKE, &n, "is", id, who) <= 0)
		return -1;
	return n > 0;
}

int
store_token_each(struct store *st, int64_t agent,
    int (*fn)(const struct store_token *, void *), void *arg)
{
	struct store_token	 t;
	struct db_stmt		*r = NULL;
	int			 rc;

	for (rc = db_run(st->db, &api_sql, A_TOKEN_EACH, &r, "i", agent);
	    rc == DB_ROW; rc = db_step(r)) {
		token_row(r, &t);
		if (!fn(&t, arg)) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(r);
	return rc == DB_DONE ? 1 : -1;
}

int
store_agent_attached(struct store *st, int64_t agent, const char *conn)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = db_run(st->db, &api_sql, A_ATTACHED, &r, "is", agent, conn);
	db_reset(r);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_api_send_find(struct store *st, const char *conn, int64_t agent,
    const char *reference, char *uid, char *request_hash)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	uid[0] = request_hash[0] = '\0';
	if ((rc = db_run(st->db, &api_sql, A_SEND_FIND, &r, "sis", conn, agent,
	    reference)) == DB_ROW) {
		db_copy(r, 0, uid, STORE_UID_MAX);
		db_copy(r, 1, request_hash, 65);
	}
	db_reset(r);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int
store_api_send_add(struct store *st, int64_t message, int64_t token,
    int64_t agent, const char *conn, const char *reference,
    const char *communication, const char *request_hash)
{
	return db_exec(st->db, &api_sql, A_SEND_ADD, "iiissss", message, token,
	    agent, conn, reference, communication, request_hash);
}

int
store_api_message_get(struct store *st, const char *conn, int64_t agent,
    const char *uid, struct store_api_message *m)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	memset(m, 0, sizeof(*m));
	if ((rc = db_run(st->db, &api_sql, A_MESSAGE, &r, "ssi", uid, conn,
	    agent)) == DB_ROW) {
		db_copy(r, 0, m->uid, sizeof(m->uid));
		db_copy(r, 1, m->status, sizeof(m->status));
		db_copy(r, 2, m->recipient, sizeof(m->recipient));
		db_copy(r, 3, m->reference, sizeof(m->reference));
		db_copy(r, 4, m->communication, sizeof(m->communication));
		db_copy(r, 5, m->infobip_id, sizeof(m->infobip_id));
		db_copy(r, 6, m->status_group, sizeof(m->status_group));
		db_copy(r, 7, m->status_name, sizeof(m->status_name));
		db_copy(r, 8, m->status_description,
		    sizeof(m->status_description));
		db_copy(r, 9, m->error_name, sizeof(m->error_name));
		db_copy(r, 10, m->error_description,
		    sizeof(m->error_description));
		db_copy(r, 11, m->created_at, sizeof(m->created_at));
		db_copy(r, 12, m->updated_at, sizeof(m->updated_at));
		db_copy(r, 13, m->sent_at, sizeof(m->sent_at));
		db_copy(r, 14, m->done_at, sizeof(m->done_at));
		m->price = db_double(r, 15);
		db_copy(r, 16, m->currency, sizeof(m->currency));
		m->segments = db_int(r, 17);
	}
	db_reset(r);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

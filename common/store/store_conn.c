/* Connections, their environment and log, and agents with the channels they answer (an aggregate of the store). */
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
#include "log.h"
#include "store.h"
#include "store_private.h"

enum conn_stmt {
	STMT_CONN_ADD,
	STMT_CONN_SAVE,
	STMT_CONN_GET,
	STMT_CONN_EACH,
	STMT_CONN_STATUS,
	STMT_CONN_STATUS_SNAP,
	STMT_CONN_START_CLAIM,
	STMT_CONN_START_END,
	STMT_CONN_DELETE,
	STMT_CONN_DEL_CHANNELS,
	STMT_CONN_DEL_AGENTQ,
	STMT_CONN_DEL_FAIL,
	STMT_CONN_DEL_OUTBOX,
	STMT_CONN_DEL_SESSIONS,
	STMT_ENV_SET,
	STMT_ENV_DEL,
	STMT_ENV_EACH,
	STMT_AGENT_ADD,
	STMT_AGENT_GET,
	STMT_AGENT_STATUS,
	STMT_AGENT_SAVE,
	STMT_AGENT_EACH,
	STMT_AGENT_DELETE,
	STMT_AGENT_ATTACH,
	STMT_AGENT_DETACH,
	STMT_AGENT_CHANNELS,
	STMT_INBOUND_AGENT,
	STMT_INBOUND_AGENT_NAME,
	STMT_LOG,
	STMT_LOG_FOLD,
	STMT_LOG_EACH,
	STMT_CONN_NAME_TAKEN,
	CONN__MAX
};

static const struct db_sql conn_stmt[CONN__MAX] = {
	DB_SQL(STMT_CONN_ADD, "INSERT INTO connections (id, name, description,"
	    " api_url, sender, api_key_enc) VALUES (?, ?, ?, ?, ?, ?)"),
	DB_SQL(STMT_CONN_SAVE, "UPDATE connections SET name = ?, description = ?,"
	    " api_url = ?, sender = ?, api_key_enc = ?, updated_at = " NOW
	    " WHERE id = ?"),
	DB_SQL(STMT_CONN_GET, "SELECT id, name, description, api_url, sender,"
	    " api_key_enc, status, status_message, COALESCE(config_snapshot, ''),"
	    " created_at, updated_at FROM connections WHERE id = ?"
	    " AND deleted_at IS NULL"),
	DB_SQL(STMT_CONN_EACH, "SELECT id, name, description, api_url, sender,"
	    " api_key_enc, status, status_message, COALESCE(config_snapshot, ''),"
	    " created_at, updated_at FROM connections WHERE deleted_at IS NULL"
	    " ORDER BY name, id"),
	/* Any other status change ends a Start under way: its result is discarded. */
	DB_SQL(STMT_CONN_STATUS, "UPDATE connections SET status = ?,"
	    " status_message = ?, start_token = '', updated_at = " NOW
	    " WHERE id = ?"),
	DB_SQL(STMT_CONN_STATUS_SNAP, "UPDATE connections SET status = ?,"
	    " status_message = ?, config_snapshot = ?, start_token = '',"
	    " updated_at = " NOW " WHERE id = ?"),
	/* One Start or Stop at a time: none may claim while one is under way. */
	DB_SQL(STMT_CONN_START_CLAIM, "UPDATE connections SET status = 'STARTING',"
	    " status_message = '', start_token = ?, updated_at = " NOW
	    " WHERE id = ? AND deleted_at IS NULL"
	    " AND status NOT IN ('STARTING', 'STOPPING')"),
	/* Only the Start that still holds the claim writes its result. */
	DB_SQL(STMT_CONN_START_END, "UPDATE connections SET status = ?,"
	    " status_message = ?, config_snapshot = COALESCE(?, config_snapshot),"
	    " start_token = '', updated_at = " NOW " WHERE id = ?"
	    " AND status = 'STARTING' AND start_token = ?"),
	/* Only a connection that sends nothing may go. */
	DB_SQL(STMT_CONN_DELETE, "UPDATE connections SET deleted_at = " NOW ","
	    " api_key_enc = '', config_snapshot = NULL, status = 'STOPPED',"
	    " status_message = 'deleted', updated_at = " NOW
	    " WHERE id = ? AND deleted_at IS NULL"
	    " AND status IN ('STOPPED', 'ERROR')"),
	DB_SQL(STMT_CONN_DEL_CHANNELS, "DELETE FROM agent_channels"
	    " WHERE connection_id = ?"),
	DB_SQL(STMT_CONN_DEL_AGENTQ, "DELETE FROM agent_queue WHERE message_id IN"
	    " (SELECT id FROM messages WHERE connection_id = ?)"),
	DB_SQL(STMT_CONN_DEL_FAIL, "UPDATE messages SET status = 'failed',"
	    " status_description = 'not sent: its connection was deleted',"
	    " updated_at = " NOW " WHERE id IN (SELECT o.message_id"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " WHERE m.connection_id = ?)"),
	DB_SQL(STMT_CONN_DEL_OUTBOX, "DELETE FROM outbox WHERE message_id IN"
	    " (SELECT id FROM messages WHERE connection_id = ?)"),
	DB_SQL(STMT_CONN_DEL_SESSIONS, "UPDATE sessions SET closed_at = " NOW
	    " WHERE connection_id = ? AND closed_at IS NULL"),
	DB_SQL(STMT_ENV_SET, "INSERT INTO connection_env (connection_id, name, value)"
	    " VALUES (?, ?, ?) ON CONFLICT (connection_id, name)"
	    " DO UPDATE SET value = excluded.value"),
	DB_SQL(STMT_ENV_DEL, "DELETE FROM connection_env WHERE connection_id = ?"
	    " AND name = ?"),
	DB_SQL(STMT_ENV_EACH, "SELECT name, value FROM connection_env"
	    " WHERE connection_id = ? ORDER BY name"),
	DB_SQL(STMT_AGENT_ADD, "INSERT INTO agents (name, kind, instructions, url,"
	    " model, api_key_enc) VALUES (?, ?, ?, ?, ?, NULLIF(?, ''))"),
	DB_SQL(STMT_AGENT_GET, "SELECT id, name, kind, instructions, url, model,"
	    " COALESCE(api_key_enc, ''), status, created_at FROM agents"
	    " WHERE id = ?"),
	DB_SQL(STMT_AGENT_STATUS, "UPDATE agents SET status = ? WHERE id = ?"),
	DB_SQL(STMT_AGENT_SAVE, "UPDATE agents SET name = ?, kind = ?,"
	    " instructions = ?, url = ?, model = ?,"
	    " api_key_enc = NULLIF(?, '') WHERE id = ?"),
	DB_SQL(STMT_AGENT_EACH, "SELECT id, name, kind, instructions, url, model,"
	    " COALESCE(api_key_enc, ''), status, created_at FROM agents"
	    " ORDER BY name, id"),
	DB_SQL(STMT_AGENT_DELETE, "DELETE FROM agents WHERE id = ?"),
	DB_SQL(STMT_AGENT_ATTACH, "INSERT INTO agent_channels (agent_id,"
	    " connection_id, inbound) VALUES (?, ?, ?)"
	    " ON CONFLICT (agent_id, connection_id)"
	    " DO UPDATE SET inbound = excluded.inbound"),
	DB_SQL(STMT_AGENT_DETACH, "DELETE FROM agent_channels WHERE agent_id = ?"
	    " AND connection_id = ?"),
	DB_SQL(STMT_AGENT_CHANNELS, "SELECT a.id, a.name, k.id, k.name, ac.inbound"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " JOIN connections k ON k.id = ac.connection_id"
	    " WHERE ac.agent_id = ? AND k.deleted_at IS NULL"
	    " ORDER BY k.name, k.id"),
	DB_SQL(STMT_INBOUND_AGENT_NAME, "SELECT a.id, a.name FROM agent_channels ac"
	    " JOIN agents a ON a.id = ac.agent_id"
	    " WHERE ac.connection_id = ? AND ac.inbound = 1"),
	DB_SQL(STMT_INBOUND_AGENT, "SELECT a.id, a.status = 'RUNNING'"
	    " FROM agent_channels ac JOIN agents a ON a.id = ac.agent_id"
	    " WHERE ac.connection_id = ? AND ac.inbound = 1"),
	DB_SQL(STMT_LOG, "INSERT INTO logs (connection_id, level, event, text)"
	    " VALUES (?, ?, ?, ?)"),
	DB_SQL(STMT_LOG_FOLD, "INSERT INTO logs (connection_id, level, event, text,"
	    " fold_key) VALUES (?1, ?2, ?3, ?4, ?3 || '|' || ?5 || '|' ||"
	    " strftime('%Y-%m-%d %H:%M', 'now'))"
	    " ON CONFLICT (connection_id, fold_key) WHERE fold_key IS NOT NULL"
	    " DO UPDATE SET repeats = repeats + 1"),
	/* Severity rank: error 0, warn 1, info 2; ?2 is the least severe shown. */
	DB_SQL(STMT_LOG_EACH, "SELECT id, at, level, event, text, repeats FROM logs"
	    " WHERE connection_id = ?1 AND (CASE level WHEN 'error' THEN 0"
	    " WHEN 'warn' THEN 1 ELSE 2 END) <= ?2"
	    " AND (?3 IS NULL OR event = ?3) AND (?4 = 0 OR id < ?4)"
	    " ORDER BY id DESC LIMIT ?5"),
	DB_SQL(STMT_CONN_NAME_TAKEN, "SELECT 1 FROM connections WHERE name = ?"
	    " AND deleted_at IS NULL AND id <> ?"),
};

const struct db_table conn_sql = { DB_SLOT_CONN, CONN__MAX, conn_stmt };

int
store_connection_add(struct store *st, struct store_connection *c)
{
	if (store_random_hex(c->id, STORE_ID_LEN / 2) < 0)
		return -1;
	return db_exec(st->db, &conn_sql, STMT_CONN_ADD, "ssssss", c->id, c->name,
	    c->description, c->api_url, c->sender, c->api_key_enc);
}

int
store_connection_save(struct store *st, const struct store_connection *c)
{
	return db_exec_changed(st->db, &conn_sql, STMT_CONN_SAVE, "ssssss", c->name,
	    c->description, c->api_url, c->sender, c->api_key_enc, c->id);
}

int
store_connection_name_taken(struct store *st, const char *name,
    const char *except)
{
	return db_exists(st->db, &conn_sql, STMT_CONN_NAME_TAKEN, "ss", name,
	    except != NULL ? except : "");
}

static void
conn_read(struct db_stmt *s, struct store_connection *c)
{
	db_copy(s, 0, c->id, sizeof(c->id));
	db_copy(s, 1, c->name, sizeof(c->name));
	db_copy(s, 2, c->description, sizeof(c->description));
	db_copy(s, 3, c->api_url, sizeof(c->api_url));
	db_copy(s, 4, c->sender, sizeof(c->sender));
	db_copy(s, 5, c->api_key_enc, sizeof(c->api_key_enc));
	if (!conn_status_find(db_text(s, 6),
	    &c->status))
		c->status = CONN_ERROR;
	db_copy(s, 7, c->status_message, sizeof(c->status_message));
	db_copy(s, 8, c->config_snapshot, sizeof(c->config_snapshot));
	db_copy(s, 9, c->created_at, sizeof(c->created_at));
	db_copy(s, 10, c->updated_at, sizeof(c->updated_at));
}

int
store_connection_get(struct store *st, const char *id, struct store_connection *c)
{
	struct db_stmt	*s;
	int		 rc;

	if (!store_id_valid(id))
		return 0;
	if ((rc = db_run(st->db, &conn_sql, STMT_CONN_GET, &s, "s", id)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	conn_read(s, c);
	db_reset(s);
	return 1;
}

int
store_connection_each(struct store *st,
    int (*fn)(const struct store_connection *, void *), void *arg)
{
	struct store_connection	 c;
	struct db_stmt		*s;
	int			 rc;

	for (rc = db_run(st->db, &conn_sql, STMT_CONN_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		conn_read(s, &c);
		if (!fn(&c, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_connection_set_status(struct store *st, const char *id,
    enum conn_status cs, const char *message, const char *snapshot)
{
	const char	*status = conn_status_name(cs);

	return snapshot == NULL ?
	    db_exec_changed(st->db, &conn_sql, STMT_CONN_STATUS, "sss", status, message, id) :
	    db_exec_changed(st->db, &conn_sql, STMT_CONN_STATUS_SNAP, "ssss", status, message,
	    snapshot, id);
}

int
store_connection_start_claim(struct store *st, const char *id,
    char token[STORE_TOKEN_LEN + 1])
{
	if (store_random_hex(token, STORE_TOKEN_LEN / 2) < 0)
		return -1;
	return db_exec_changed(st->db, &conn_sql, STMT_CONN_START_CLAIM, "ss", token, id);
}

int
store_connection_start_end(struct store *st, const char *id,
    const char *token, enum conn_status cs, const char *message,
    const char *snapshot)
{
	return db_exec_changed(st->db, &conn_sql, STMT_CONN_START_END, "sssss",
	    conn_status_name(cs), message, snapshot, id, token);
}

int
store_connection_delete(struct store *st, const char *id)
{
	static const enum conn_stmt	 after[] = { STMT_CONN_DEL_CHANNELS,
	    STMT_CONN_DEL_AGENTQ, STMT_CONN_DEL_FAIL, STMT_CONN_DEL_OUTBOX,
	    STMT_CONN_DEL_SESSIONS };
	size_t			 i;

	if (db_exec(st->db, &conn_sql, STMT_CONN_DELETE, "s", id) <= 0)
		return -1;
	if (db_changes(st->db) == 0)
		return 0;
	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		if (db_exec(st->db, &conn_sql, after[i], "s", id) <= 0)
			return -1;
	return 1;
}

int
store_env_set(struct store *st, const char *conn, const char *name,
    const char *value)
{
	if (value == NULL)
		return db_exec(st->db, &conn_sql, STMT_ENV_DEL, "ss", conn, name);
	return db_exec(st->db, &conn_sql, STMT_ENV_SET, "sss", conn, name, value);
}

int
store_env_each(struct store *st, const char *conn,
    int (*fn)(const char *, const char *, void *), void *arg)
{
	struct db_stmt	*s;
	int		 rc;

	for (rc = db_run(st->db, &conn_sql, STMT_ENV_EACH, &s, "s", conn); rc == DB_ROW;
	    rc = db_step(s))
		if (!fn(db_text(s, 0),
		    db_text(s, 1), arg))
			break;
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_agent_add(struct store *st, struct store_agent *a)
{
	int	 rc;

	if ((rc = db_exec(st->db, &conn_sql, STMT_AGENT_ADD, "ssssss", a->name,
	    agent_kind_name(a->kind),
	    a->instructions != NULL ? a->instructions : "", a->url, a->model,
	    a->api_key_enc)) <= 0)
		return rc;
	a->id = db_last_id(st->db);
	return 1;
}

/* Reads an agent row (STMT_AGENT_GET, STMT_AGENT_EACH). 1, or 0 out of memory. */
static int
agent_read(struct db_stmt *s, struct store_agent *a)
{
	memset(a, 0, sizeof(*a));
	a->id = db_int64(s, 0);
	db_copy(s, 1, a->name, sizeof(a->name));
	/* The schema's CHECK admits only the names. */
	agent_kind_find(db_text(s, 2), &a->kind);
	a->instructions = strdup(db_text(s, 3));
	db_copy(s, 4, a->url, sizeof(a->url));
	db_copy(s, 5, a->model, sizeof(a->model));
	db_copy(s, 6, a->api_key_enc, sizeof(a->api_key_enc));
	agent_status_find(db_text(s, 7), &a->status);
	db_copy(s, 8, a->created_at, sizeof(a->created_at));
	return a->instructions != NULL;
}

int
store_agent_get(struct store *st, int64_t id, struct store_agent *a)
{
	struct db_stmt	*s;
	int		 rc;

	memset(a, 0, sizeof(*a));
	if ((rc = db_run(st->db, &conn_sql, STMT_AGENT_GET, &s, "i", id)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	rc = agent_read(s, a);
	db_reset(s);
	return rc ? 1 : -1;
}

int
store_agent_save(struct store *st, const struct store_agent *a)
{
	return db_exec_changed(st->db, &conn_sql, STMT_AGENT_SAVE, "ssssssi", a->name,
	    agent_kind_name(a->kind), a->instructions != NULL ?
	    a->instructions : "", a->url, a->model, a->api_key_enc,
	    a->id);
}

int
store_agent_each(struct store *st,
    int (*fn)(const struct store_agent *, void *), void *arg)
{
	struct store_agent	 a;
	struct db_stmt		*s;
	int			 rc, go;

	for (rc = db_run(st->db, &conn_sql, STMT_AGENT_EACH, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		if (!agent_read(s, &a)) {
			rc = -1;
			break;
		}
		go = fn(&a, arg);
		store_agent_clear(&a);
		if (!go)
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_agent_delete(struct store *st, int64_t id)
{
	return db_exec_changed(st->db, &conn_sql, STMT_AGENT_DELETE, "i", id);
}

int
store_agent_detach(struct store *st, int64_t agent, const char *conn)
{
	return db_exec_changed(st->db, &conn_sql, STMT_AGENT_DETACH, "is", agent, conn);
}

int
store_agent_channel_each(struct store *st, int64_t agent,
    int (*fn)(const struct store_agent_channel *, void *), void *arg)
{
	struct store_agent_channel	 c;
	struct db_stmt			*s;
	int				 rc;

	for (rc = db_run(st->db, &conn_sql, STMT_AGENT_CHANNELS, &s, "i", agent);
	    rc == DB_ROW; rc = db_step(s)) {
		c.agent = db_int64(s, 0);
		c.agent_name = db_text(s, 1);
		c.conn = db_text(s, 2);
		c.conn_name = db_text(s, 3);
		c.inbound = db_int(s, 4);
		if (!fn(&c, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_inbound_agent_name(struct store *st, const char *conn, int64_t *agent,
    char *name, size_t namesz)
{
	struct db_stmt	*s;
	int		 rc;

	if ((rc = db_run(st->db, &conn_sql, STMT_INBOUND_AGENT_NAME, &s, "s", conn)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	*agent = db_int64(s, 0);
	db_copy(s, 1, name, namesz);
	db_reset(s);
	return 1;
}

void
store_agent_clear(struct store_agent *a)
{
	free(a->instructions);
	a->instructions = NULL;
}

int
store_agent_set_status(struct store *st, int64_t id, enum agent_status as)
{
	return db_exec_changed(st->db, &conn_sql, STMT_AGENT_STATUS, "si", agent_status_name(as),
	    id);
}

int
store_agent_attach(struct store *st, int64_t agent, const char *conn,
    int inbound, const char **why)
{
	int	 rc;

	*why = NULL;
	rc = db_run(st->db, &conn_sql, STMT_AGENT_ATTACH, NULL, "isi", agent, conn,
	    (int64_t)(inbound != 0));
	if (rc == DB_DONE)
		return 1;
	if (rc != DB_CONSTRAINT)
		return -1;
	if (db_refused_by_foreign_key(st->db))
		*why = "no such agent or connection";
	else
		*why = "another agent already answers this connection's"
		    " inbound SMS; only one inbound agent per connection";
	return 0;
}

int
store_inbound_agent(struct store *st, const char *conn, int64_t *agent,
    int *running)
{
	struct db_stmt	*s;
	int		 rc;
	/* On PostgreSQL kept for the data version (struct store says why). */
	unsigned int	 v = st->server ? db_data_version(st->db) : 0;

	if (v != 0 && st->inbound_agent.version == v &&
	    strcmp(st->inbound_agent.conn, conn) == 0) {
		*agent = st->inbound_agent.agent;
		*running = st->inbound_agent.running;
		return st->inbound_agent.rc;
	}
	st->inbound_agent.version = 0;
	if ((rc = db_run(st->db, &conn_sql, STMT_INBOUND_AGENT, &s, "s", conn)) < 0)
		return -1;
	if (rc != DB_ROW) {
		*agent = 0;
		*running = 0;
		rc = 0;
	} else {
		*agent = db_int64(s, 0);
		*running = db_int(s, 1);
		db_reset(s);
		rc = 1;
	}
	if (v != 0 && strlen(conn) < sizeof(st->inbound_agent.conn)) {
		st->inbound_agent.version = v;
		snprintf(st->inbound_agent.conn, sizeof(st->inbound_agent.conn),
		    "%s", conn);
		st->inbound_agent.rc = rc;
		st->inbound_agent.agent = *agent;
		st->inbound_agent.running = *running;
	}
	return rc;
}

int
store_log(struct store *st, const char *conn, const char *level,
    const char *event, const char *fmt, ...)
{
	char	 raw[2048], line[4096];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_escape(raw, line, sizeof(line));
	return db_exec(st->db, &conn_sql, STMT_LOG, "ssss", conn, level, event, line);
}

int
store_log_counted(struct store *st, const char *conn, const char *level,
    const char *event, const char *kind, const char *fmt, ...)
{
	char	 raw[2048], line[4096];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_escape(raw, line, sizeof(line));
	return db_exec(st->db, &conn_sql, STMT_LOG_FOLD, "sssss", conn, level, event, line,
	    kind);
}

int
store_log_each(struct store *st, const char *conn, enum conn_log_level level,
    const char *event, int64_t before, int limit,
    int (*fn)(const struct store_log_row *, void *), void *arg)
{
	struct store_log_row	 r;
	struct db_stmt		*s;
	int			 rc;

	for (rc = db_run(st->db, &conn_sql, STMT_LOG_EACH, &s, "sisii", conn, (int64_t)level,
	    event, before, (int64_t)limit); rc == DB_ROW;
	    rc = db_step(s)) {
		r.id = db_int64(s, 0);
		r.at = db_text(s, 1);
		if (!conn_log_level_find(db_text(s, 2), &r.level))
			r.level = CLOG_INFO;
		r.event = db_text(s, 3);
		r.text = db_text(s, 4);
		r.repeats = db_int(s, 5);
		if (!fn(&r, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

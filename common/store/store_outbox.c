/* The outbox and the agent queue: claims with leases, the sender's marks and results, the operator's queue (an aggregate of the store). */
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

/* Lets a claimed outbox row go: last_error ?, next attempt after the delay modifier ?. */
#define RELEASE	"lease_owner = NULL, lease_until = NULL, last_error = ?," \
	" next_attempt_at = strftime('%Y-%m-%d %H:%M:%f', 'now', ?)"
/*
 * A request's result for message ?8: status ?1, Infobip's ids ?2 and ?3,
 * its group, name and description ?4-?6, parts ?7 (the condition on the
 * status before follows).
 */
#define DONE_SET "UPDATE messages SET status = ?1," \
	" infobip_id = COALESCE(?2, infobip_id)," \
	" bulk_id = COALESCE(?3, bulk_id)," \
	" status_group = ?4, status_name = ?5, status_description = ?6," \
	" sms_count = COALESCE(?7, sms_count)," \
	" sent_at = CASE WHEN ?1 = 'accepted' THEN " NOW " ELSE sent_at END," \
	" updated_at = " NOW " WHERE id = ?8"
/* When the unknown send of an outbox row o ended (a lapsed lease: its end). */
#define UNSURE_SINCE "COALESCE(o.unsure_since, o.lease_until, " NOW ")"
/* An outbox row o with its message m, as operators see it (struct store_outbox_entry). */
#define OUTBOX_ROW "o.message_id, m.uid, m.connection_id, m.recipient," \
	" CASE WHEN o.lease_until > " NOW " THEN 'sending'" \
	" WHEN o.held_since IS NOT NULL THEN 'held'" \
	" WHEN m.status = 'sending' THEN 'unsure' ELSE 'queued' END," \
	" o.attempts, o.last_error, o.not_found," \
	" COALESCE(o.unsure_since, ''), COALESCE(o.held_since, '')," \
	" o.next_attempt_at FROM outbox o" \
	" JOIN messages m ON m.id = o.message_id"

/*
 * The held and unsure rows a page at a time (the Outbox page): ?1 the
 * message to start after (or before), ?2 the page's size. Each half reads
 * at most a page of its own partial index (migration 024), so a page
 * costs the same however many wait.
 */
#define UNSETTLED_AFTER(row) "SELECT " row " WHERE o.message_id IN" \
	" (SELECT message_id FROM (SELECT message_id FROM outbox" \
	" WHERE held_since IS NOT NULL AND message_id > ?1" \
	" ORDER BY message_id LIMIT ?2) h UNION ALL SELECT id FROM" \
	" (SELECT id FROM messages WHERE status = 'sending' AND id > ?1" \
	" ORDER BY id LIMIT ?2) u) ORDER BY o.message_id LIMIT ?2"
#define UNSETTLED_BEFORE(row) "SELECT * FROM (SELECT " row \
	" WHERE o.message_id IN (SELECT message_id FROM (SELECT message_id" \
	" FROM outbox WHERE held_since IS NOT NULL AND message_id < ?1" \
	" ORDER BY message_id DESC LIMIT ?2) h UNION ALL SELECT id FROM" \
	" (SELECT id FROM messages WHERE status = 'sending' AND id < ?1" \
	" ORDER BY id DESC LIMIT ?2) u) ORDER BY o.message_id DESC" \
	" LIMIT ?2) p ORDER BY 1"
/*
 * How many are held or unsure: the held ones, a count of their partial
 * index, and the sends in flight or unsure still in the outbox and not
 * held (few: a send's batch), each looked up.
 */
#define UNSETTLED_COUNT "SELECT (SELECT COUNT(*) FROM outbox" \
	" WHERE held_since IS NOT NULL) + (SELECT COUNT(*) FROM messages m" \
	" WHERE m.status = 'sending' AND EXISTS (SELECT 1 FROM outbox o" \
	" WHERE o.message_id = m.id AND o.held_since IS NULL))"

enum outbox_stmt {
	STMT_AGENTQ_ADD,
	STMT_OUTBOX_DEL,
	STMT_CLAIM_SELECT,
	STMT_CLAIM_LEASE,
	STMT_CLAIM_SENDING,
	STMT_MARK_LEASE,
	STMT_OUTBOX_OWNERS,
	STMT_OUTBOX_UNCLAIM,
	STMT_OUTBOX_DONE,
	STMT_OUTBOX_RETRY,
	STMT_OUTBOX_UNSURE,
	STMT_OUTBOX_LOOKUP,
	STMT_OUTBOX_NOT_FOUND,
	STMT_OUTBOX_RETRY_MSG,
	STMT_OUTBOX_SEND_AGAIN,
	STMT_OUTBOX_HOLD,
	STMT_OUTBOX_EACH,
	STMT_OUTBOX_GET,
	STMT_OUTBOX_REQUEUE,
	STMT_AQ_SELECT,
	STMT_AQ_LEASE,
	STMT_AQ_DONE,
	STMT_OUTBOX_UNSETTLED,
	STMT_OUTBOX_UNSETTLED_AFTER,
	STMT_OUTBOX_UNSETTLED_BEFORE,
	STMT_OUTBOX_UNSETTLED_COUNT,
	STMT_FOLLOW_STATUS,
	STMT_FOLLOW_COUNT,
	STMT_FOLLOW_RECIPIENTS,
	STMT_FOLLOW_ANY,
	STMT_DONE_SENDING,
	STMT_OUTBOX_DEL_GROUP,
	STMT_CLAIM_ONE,
	STMT_AQ_CLAIM_ONE,
	STMT_MARK_GROUP,
	STMT_DONE_GROUP,
	STMT_REPLY_GROUP,
	OUTBOX__MAX
};

static const struct db_sql outbox_stmt[OUTBOX__MAX] = {
	DB_SQL(STMT_AGENTQ_ADD, "INSERT INTO agent_queue (message_id, session_id,"
	    " agent_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
	DB_SQL(STMT_OUTBOX_DEL, "DELETE FROM outbox WHERE message_id = ?"),
	DB_SQL(STMT_CLAIM_SELECT, "SELECT o.message_id, m.uid, m.connection_id,"
	    " m.recipient, m.text, o.attempts + 1, m.status = 'sending',"
	    " COALESCE(c.opted_out, 0), o.priority, o.not_found,"
	    " (julianday('now') - julianday(" UNSURE_SINCE ")) * 86400.0"
	    " FROM outbox o JOIN messages m ON m.id = o.message_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " LEFT JOIN contacts c ON c.id = m.contact_id"
	    " WHERE k.status = 'RUNNING' AND o.held_since IS NULL"
	    " AND o.next_attempt_at <= " NOW
	    " AND (o.lease_until IS NULL OR o.lease_until < " NOW ")"
	    " ORDER BY o.next_attempt_at, o.message_id LIMIT ?"),
	/*
	 * The claimed rows (owner, lease modifier, a JSON array of message
	 * ids), in one statement. A message still 'sending' is unsure: its
	 * unknown send ended by the lapsed lease at the latest.
	 */
	DB_SQL(STMT_CLAIM_LEASE, "UPDATE outbox SET lease_owner = ?1,"
	    " unsure_since = COALESCE(unsure_since, CASE WHEN (SELECT status"
	    " FROM messages WHERE id = message_id) = 'sending' THEN lease_until"
	    " END),"
	    " lease_until = strftime('%Y-%m-%d %H:%M:%f', 'now', ?2),"
	    " attempts = attempts + 1"
	    " WHERE message_id IN (SELECT value FROM json_each(?3))"),
	/*
	 * Just before their request (a JSON array of message ids, whose
	 * claims held): the messages may be sent from now on; those that
	 * were 'queued' come back.
	 */
	DB_SQL(STMT_CLAIM_SENDING, "UPDATE messages SET status = 'sending',"
	    " updated_at = " NOW " WHERE id IN (SELECT value FROM json_each(?1))"
	    " AND status = 'queued' RETURNING id"),
	/*
	 * ... the claims that still hold (owner, lease modifier, a JSON array
	 * of message ids) renewed; their ids come back.
	 */
	DB_SQL(STMT_MARK_LEASE, "UPDATE outbox SET lease_until ="
	    " strftime('%Y-%m-%d %H:%M:%f', 'now', ?2)"
	    " WHERE message_id IN (SELECT value FROM json_each(?3))"
	    " AND lease_owner = ?1 RETURNING message_id"),
	/* A message's status before a result changes it, with the triggers off. */
	DB_SQL(STMT_FOLLOW_STATUS, "SELECT status FROM messages WHERE id = ?"),
	/* A batch's change ?1 to the count of outbound messages in status ?2. */
	DB_SQL(STMT_FOLLOW_COUNT, "UPDATE message_counts SET n = n + ?1"
	    " WHERE direction = 'out' AND status = ?2"),
	/*
	 * What the trigger campaign_recipient_follows (migrations 012 and
	 * 019) does for each message of the JSON array of ids ?1 whose status
	 * changed, from the message as it is now (each changed once in a
	 * batch), with the recipients' own triggers on.
	 */
	DB_SQL(STMT_FOLLOW_RECIPIENTS, "UPDATE campaign_recipients SET"
	    " status = CASE"
	    " WHEN m.status IN ('queued', 'sending') THEN 'queued'"
	    " WHEN m.status = 'accepted' THEN 'sent'"
	    " WHEN m.status = 'delivered' THEN 'delivered'"
	    " WHEN m.status = 'failed' AND m.status_description LIKE"
	    " 'the contact opted out%' THEN 'skipped'"
	    " ELSE 'failed' END,"
	    " reason = CASE"
	    " WHEN m.status IN ('queued', 'sending', 'accepted', 'delivered')"
	    " THEN ''"
	    " WHEN m.status = 'failed' AND m.status_description LIKE"
	    " 'the contact opted out%' THEN 'opted out'"
	    " ELSE m.status || COALESCE(': ' || NULLIF(m.status_name, ''), '')"
	    " || COALESCE(' (' || NULLIF(m.error_description, '') || ')',"
	    " ' (' || NULLIF(m.status_description, '') || ')', '') END,"
	    " updated_at = " NOW
	    " FROM (SELECT id, status, status_name, status_description,"
	    " error_description FROM messages WHERE id IN"
	    " (SELECT value FROM json_each(?1)) AND direction = 'out'"
	    " AND author = 'campaign') AS m"
	    " WHERE campaign_recipients.message_id = m.id"
	    " AND campaign_recipients.status IN"
	    " ('queued', 'sent', 'delivered', 'failed')"),
	/*
	 * Whether a message of the JSON array of ids ?1 has a campaign's
	 * recipient (each looked up in campaign_recipients_message), that is
	 * whether STMT_FOLLOW_RECIPIENTS has anything to do.
	 */
	DB_SQL(STMT_FOLLOW_ANY, "SELECT 1 FROM json_each(?1) AS j CROSS JOIN"
	    " campaign_recipients AS r ON r.message_id = j.value LIMIT 1"),
	DB_SQL(STMT_OUTBOX_OWNERS, "SELECT DISTINCT lease_owner FROM outbox"
	    " WHERE lease_owner IS NOT NULL"),
	/* A claim that never reached its request: given back, not counted. */
	DB_SQL(STMT_OUTBOX_UNCLAIM, "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, attempts = MAX(attempts - 1, 0)"
	    " WHERE lease_owner = ? AND (SELECT status FROM messages"
	    " WHERE id = outbox.message_id) = 'queued'"),
	DB_SQL(STMT_OUTBOX_DONE, DONE_SET " AND " RANK("status")
	    " < " RANK("?1")),
	/*
	 * STMT_OUTBOX_DONE for a message still 'sending' (the sender's mark),
	 * with the triggers off: a change says what its status was.
	 */
	DB_SQL(STMT_DONE_SENDING, DONE_SET " AND status = 'sending'"
	    " AND " RANK("'sending'") " < " RANK("?1")),
	/* The outbox rows of a JSON array of message ids. */
	DB_SQL(STMT_OUTBOX_DEL_GROUP, "DELETE FROM outbox WHERE message_id IN"
	    " (SELECT value FROM json_each(?1))"),
	DB_SQL(STMT_OUTBOX_RETRY, "UPDATE outbox SET " RELEASE ","
	    " unsure_since = NULL, not_found = 0 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_UNSURE, "UPDATE outbox SET " RELEASE ","
	    " unsure_since = " NOW ", not_found = 0 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_LOOKUP, "UPDATE outbox SET " RELEASE
	    " WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_NOT_FOUND, "UPDATE outbox SET " RELEASE ","
	    " not_found = not_found + 1 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_RETRY_MSG, "UPDATE messages SET status = 'queued',"
	    " updated_at = " NOW " WHERE id = ? AND status = 'sending'"),
	DB_SQL(STMT_OUTBOX_SEND_AGAIN, "UPDATE outbox SET unsure_since = NULL,"
	    " not_found = 0 WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_HOLD, "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, last_error = ?, held_since = " NOW
	    " WHERE message_id = ?"),
	DB_SQL(STMT_OUTBOX_EACH, "SELECT " OUTBOX_ROW " WHERE ?1 IS NULL"
	    " OR m.connection_id = ?1 ORDER BY o.message_id LIMIT ?2"),
	DB_SQL(STMT_OUTBOX_GET, "SELECT " OUTBOX_ROW " WHERE o.message_id = ?"),
	DB_SQL(STMT_OUTBOX_REQUEUE, "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = NULL, attempts = 0, next_attempt_at = " NOW ","
	    " last_error = '', unsure_since = NULL, not_found = 0,"
	    " held_since = NULL WHERE message_id = ?"),
	DB_SQL(STMT_AQ_SELECT, "SELECT q.message_id, q.session_id, q.agent_id,"
	    " s.contact_id, m.connection_id, c.phone, m.text, s.data,"
	    " s.collect_step, s.responsible = 'ai', c.opted_out,"
	    " a.status = 'RUNNING', k.sender"
	    " FROM agent_queue q JOIN messages m ON m.id = q.message_id"
	    " JOIN sessions s ON s.id = q.session_id"
	    " JOIN contacts c ON c.id = s.contact_id"
	    " JOIN agents a ON a.id = q.agent_id"
	    " JOIN connections k ON k.id = m.connection_id"
	    " WHERE q.lease_until IS NULL OR q.lease_until < " NOW
	    " ORDER BY q.message_id LIMIT ?"),
	/* As STMT_CLAIM_LEASE: owner, lease modifier, a JSON array of message ids. */
	DB_SQL(STMT_AQ_LEASE, "UPDATE agent_queue SET lease_owner = ?1,"
	    " lease_until = strftime('%Y-%m-%d %H:%M:%f', 'now', ?2),"
	    " attempts = attempts + 1"
	    " WHERE message_id IN (SELECT value FROM json_each(?3))"),
	/* Only by the sender holding it: a lapsed claim another took is theirs. */
	DB_SQL(STMT_AQ_DONE, "DELETE FROM agent_queue WHERE message_id = ?"
	    " AND lease_owner = ?"),
	/* Held for an operator or unsure (still 'sending'), as OUTBOX_ROW names them. */
	/* Each half reads its own partial index (migration 024). */
	DB_SQL(STMT_OUTBOX_UNSETTLED, "SELECT " OUTBOX_ROW " WHERE"
	    " o.message_id IN (SELECT message_id FROM outbox"
	    " WHERE held_since IS NOT NULL UNION ALL SELECT id FROM messages"
	    " WHERE status = 'sending')"
	    " AND (?1 IS NULL OR m.connection_id = ?1)"
	    " ORDER BY o.message_id LIMIT ?2"),
	DB_SQL(STMT_OUTBOX_UNSETTLED_AFTER, UNSETTLED_AFTER(OUTBOX_ROW)),
	DB_SQL(STMT_OUTBOX_UNSETTLED_BEFORE, UNSETTLED_BEFORE(OUTBOX_ROW)),
	DB_SQL(STMT_OUTBOX_UNSETTLED_COUNT, UNSETTLED_COUNT),
	/*
	 * PostgreSQL's only (db_pg_sql.c), where each statement is a round
	 * trip: a claim in one statement (owner, lease modifier, max; the
	 * rows as STMT_CLAIM_SELECT's and STMT_AQ_SELECT's), the marks of a
	 * request (owner, lease modifier, an array of ids; the ids still
	 * held), the accepted results of a request (arrays of
	 * store_outbox_done's values) and the agents' replies (owner, arrays
	 * of store_agent_replies_group's values). Here the steps go one by
	 * one.
	 */
	DB_SQL(STMT_CLAIM_ONE, "SELECT 0 WHERE 0 AND coalesce(?1, ?2, ?3)"),
	DB_SQL(STMT_AQ_CLAIM_ONE, "SELECT 0 WHERE 0 AND coalesce(?1, ?2, ?3)"),
	DB_SQL(STMT_MARK_GROUP, "SELECT 0 WHERE 0 AND coalesce(?1, ?2, ?3)"),
	DB_SQL(STMT_DONE_GROUP, "SELECT 0 WHERE 0 AND coalesce(?1, ?2, ?3,"
	    " ?4, ?5, ?6, ?7, ?8)"),
	DB_SQL(STMT_REPLY_GROUP, "SELECT 0, 0, 0 WHERE 0 AND coalesce(?1, ?2,"
	    " ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
};

const struct db_table outbox_sql = { DB_SLOT_OUTBOX, OUTBOX__MAX, outbox_stmt };

int
store_agent_queue_add(struct store *st, int64_t message, int64_t session,
    int64_t agent)
{
	return db_exec(st->db, &outbox_sql, STMT_AGENTQ_ADD, "iii", message, session, agent);
}

void
store_claims_free(struct store_claim *c, size_t n)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(c[i].recipient);
		free(c[i].text);
	}
	free(c);
}

/*
 * The JSON array of ids[0..n): SQLite's json_each reads a batch from one
 * bound value, so that one statement does the work of n. The caller frees;
 * NULL when out of memory (logged).
 */
static char *
ids_json(const int64_t *ids, size_t n)
{
	char	*json;
	size_t	 i, len = 0;

	/* An id is at most 20 characters and its comma. */
	if ((json = malloc(n * 21 + 3)) == NULL) {
		log_error("ids_json: out of memory");
		return NULL;
	}
	json[len++] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(json + len, 22, "%s%lld", i > 0 ? "," : "",
		    (long long)ids[i]);
	json[len++] = ']';
	json[len] = '\0';
	return json;
}

/* What tells an outbox claim from an agent-queue claim. */
struct claim_kind {
	enum outbox_stmt	 select;	/* due rows, LIMIT ? */
	enum outbox_stmt	 lease;		/* owner, lease modifier, JSON array of ids */
	enum outbox_stmt	 one;		/* on a server: select and lease in one */
	size_t		 itemsz;
	/* Reads one row into item; returns its message id, 0 when out of memory. */
	int64_t		(*fill)(struct db_stmt *, void *item);
	void		(*release)(void *items, size_t n);
};

/*
 * claim() on a server: the due rows are locked (skipping those another
 * sender holds), leased and read back in one statement, one round trip
 * with its BEGIN and one for the COMMIT, however many rows it claims.
 */
static int
claim_one(struct store *st, const struct claim_kind *k, const char *owner,
    int lease_seconds, size_t max, void **out)
{
	char		*items;
	struct db_stmt	*s;
	char		 lease[32];
	size_t		 n = 0;
	int		 rc;

	if ((items = calloc(max, k->itemsz)) == NULL)
		return -1;
	snprintf(lease, sizeof(lease), "+%d seconds", lease_seconds);
	if (store_begin(st) < 0)
		goto err;
	for (rc = db_run(st->db, &outbox_sql, k->one, &s, "ssi", owner, lease,
	    (int64_t)max); rc == DB_ROW && n < max; rc = db_step(s), n++)
		if (k->fill(s, items + n * k->itemsz) == 0) {
			n++;
			rc = -1;
			break;
		}
	db_reset(s);
	if (rc < 0 || store_commit(st) < 0)
		goto err;
	if (n == 0) {
		free(items);
		items = NULL;
	}
	*out = items;
	return (int)n;
err:
	store_rollback(st);
	k->release(items, n);
	return -1;
}

/*
 * Claims up to max due rows of a kind for owner until lease_seconds from
 * now, in one write transaction so that two processes never claim the same
 * row. Returns the count with *out, < 0 on error.
 */
static int
claim(struct store *st, const struct claim_kind *k, const char *owner,
    int lease_seconds, size_t max, void **out)
{
	char		*items = NULL, *json = NULL;
	int64_t		*ids = NULL;
	struct db_stmt	*s;
	char		 lease[32];
	size_t		 n = 0;
	int		 rc;

	*out = NULL;
	if (max == 0)
		return 0;
	if (st->server)
		return claim_one(st, k, owner, lease_seconds, max, out);
	if ((rc = db_exists(st->db, &outbox_sql, k->select, "i", (int64_t)max)) <= 0)
		return rc;
	if ((items = calloc(max, k->itemsz)) == NULL ||
	    (ids = calloc(max, sizeof(*ids))) == NULL) {
		free(items);
		return -1;
	}
	snprintf(lease, sizeof(lease), "+%d seconds", lease_seconds);
	if (store_begin(st) < 0)
		goto err;
	for (rc = db_run(st->db, &outbox_sql, k->select, &s, "i", (int64_t)max);
	    rc == DB_ROW && n < max; rc = db_step(s), n++)
		if ((ids[n] = k->fill(s, items + n * k->itemsz)) == 0) {
			n++;
			rc = -1;
			break;
		}
	db_reset(s);
	if (rc < 0)
		goto err;
	if (n > 0 && ((json = ids_json(ids, n)) == NULL ||
	    db_exec(st->db, &outbox_sql, k->lease, "sss", owner, lease,
	    json) < 0))
		goto err;
	if (store_commit(st) < 0)
		goto err;
	free(json);
	free(ids);
	*out = items;
	return (int)n;
err:
	store_rollback(st);
	k->release(items, n);
	free(json);
	free(ids);
	return -1;
}

static int64_t
outbox_fill(struct db_stmt *s, void *item)
{
	struct store_claim	*c = item;

	c->message = db_int64(s, 0);
	db_copy(s, 1, c->uid, sizeof(c->uid));
	db_copy(s, 2, c->conn, sizeof(c->conn));
	c->recipient = strdup(db_text(s, 3));
	c->text = strdup(db_text(s, 4));
	c->attempts = db_int(s, 5);
	c->unsure = db_int(s, 6);
	c->opted_out = db_int(s, 7);
	c->priority = db_int(s, 8);
	c->not_found = db_int(s, 9);
	c->unsure_age = db_double(s, 10);
	return c->recipient != NULL && c->text != NULL ? c->message : 0;
}

static void
outbox_release(void *items, size_t n)
{
	store_claims_free(items, n);
}

/* A claimed message stays 'queued' until store_outbox_mark_sending. */
static const struct claim_kind outbox_kind = {
	STMT_CLAIM_SELECT, STMT_CLAIM_LEASE, STMT_CLAIM_ONE,
	sizeof(struct store_claim), outbox_fill, outbox_release,
};

int
store_outbox_claim(struct store *st, const char *owner, int lease_seconds,
    size_t max, struct store_claim **out)
{
	void	*items;
	int	 rc;

	rc = claim(st, &outbox_kind, owner, lease_seconds, max, &items);
	*out = items;
	return rc;
}

/*
 * store_outbox_mark_sending on a server: every mark in one statement
 * (STMT_MARK_GROUP), which names the ids whose claim held. Inside the
 * caller's transaction; > 0, < 0 error (logged).
 */
static int
mark_group(struct store *st, const char *owner, const char *lease,
    const int64_t *ids, size_t n, int *held)
{
	struct arrays	 a;
	struct db_stmt	*s;
	int64_t		 id;
	size_t		 i;
	int		 rc;

	memset(&a, 0, sizeof(a));
	a.ncol = 1;
	for (i = 0; i < n; i++) {
		arraytext_int(&a, ids[i], INT64_MIN);
		held[i] = 0;
	}
	if ((rc = arrays_end(&a, "STMT_MARK_GROUP")) < 0)
		goto out;
	for (rc = db_run(st->db, &outbox_sql, STMT_MARK_GROUP, &s, "sss",
	    owner, lease, a.col[0].s); rc == DB_ROW; rc = db_step(s))
		for (id = db_int64(s, 0), i = 0; i < n; i++)
			if (ids[i] == id)
				held[i] = 1;
	db_reset(s);
out:
	arrays_free(&a);
	return rc < 0 ? -1 : 1;
}

/* The statuses whose counts store_follow_end adjusts (STORE_FOLLOW_STATUSES of them). */
static const char *const follow_statuses[STORE_FOLLOW_STATUSES] = {
	"received", "queued", "sending", "accepted", "delivered",
	"undeliverable", "expired", "rejected", "failed",
};

/* Index of status in follow_statuses[], or -1. */
static int
follow_index(const char *status)
{
	size_t	 i;

	for (i = 0; i < STORE_FOLLOW_STATUSES; i++)
		if (strcmp(follow_statuses[i], status) == 0)
			return (int)i;
	return -1;
}

/* Forgets the noted status changes. */
static void
follow_forget(struct store *st)
{
	memset(st->follow.delta, 0, sizeof(st->follow.delta));
	st->follow.n = 0;
}

void
store_follow_reset(struct store *st)
{
	if (st->follow.on || st->follow.off)
		db_triggers(st->db, 1);
	st->follow.on = st->follow.off = 0;
	follow_forget(st);
}

int
store_follow_begin(struct store *st)
{
	int	 rc;

	/* Still off since the window before (store_follow_hold). */
	if (st->follow.off) {
		st->follow.off = 0;
		st->follow.on = 1;
		follow_forget(st);
		return 1;
	}
	store_follow_reset(st);
	if ((rc = db_triggers(st->db, 0)) < 0)
		return -1;
	st->follow.on = rc > 0;
	return 1;
}

int
store_follow_hold(struct store *st, int hold)
{
	st->follow.hold = hold;
	if (hold || !st->follow.off)
		return 1;
	st->follow.off = 0;
	return db_triggers(st->db, 1) < 0 ? -1 : 1;
}

/* Notes that message went from status was to status now (triggers off). */
static int
follow_note(struct store *st, int64_t message, const char *was,
    const char *now)
{
	int	 from = follow_index(was), to = follow_index(now);
	void	*p;

	if (strcmp(was, now) == 0)
		return 1;
	if (st->follow.n == st->follow.room) {
		size_t room = st->follow.room ? st->follow.room * 2 : 128;

		if ((p = realloc(st->follow.ids, room *
		    sizeof(*st->follow.ids))) == NULL)
			return -1;
		st->follow.ids = p;
		st->follow.room = room;
	}
	st->follow.ids[st->follow.n++] = message;
	/* As the trigger, which finds no count row for a status it does not know. */
	if (from >= 0)
		st->follow.delta[from]--;
	if (to >= 0)
		st->follow.delta[to]++;
	return 1;
}

int
store_follow_end(struct store *st)
{
	char	*json = NULL;
	size_t	 i;
	int	 rc = -1, any = 0;

	if (!st->follow.on)
		return 1;
	/* message_counts has no trigger: the counts move with them still off. */
	for (i = 0; i < STORE_FOLLOW_STATUSES; i++)
		if (st->follow.delta[i] != 0 && db_exec(st->db, &outbox_sql,
		    STMT_FOLLOW_COUNT, "is", (int64_t)st->follow.delta[i],
		    follow_statuses[i]) < 0)
			goto out;
	if (st->follow.n > 0) {
		if ((json = ids_json(st->follow.ids, st->follow.n)) == NULL)
			goto out;
		if ((any = db_exists(st->db, &outbox_sql, STMT_FOLLOW_ANY, "s",
		    json)) < 0)
			goto out;
	}
	/* Held, and no recipient to update: they stay off for the next window. */
	if (st->follow.hold && any == 0) {
		st->follow.on = 0;
		st->follow.off = 1;
		follow_forget(st);
		free(json);
		return 1;
	}
	/* Failed, the switch is tried again by store_follow_reset. */
	if (db_triggers(st->db, 1) < 0)
		goto out;
	st->follow.on = 0;
	/*
	 * The recipients' own triggers (campaign counts and minutes) are on
	 * again for their update, which runs only when it finds a row: after
	 * the switch every statement is prepared again, this long one too.
	 */
	if (any > 0 && db_exec(st->db, &outbox_sql, STMT_FOLLOW_RECIPIENTS, "s",
	    json) < 0)
		goto out;
	rc = 1;
out:
	free(json);
	store_follow_reset(st);
	return rc;
}

/*
 * On SQLite the marks run with the triggers off (they cost more than the
 * change itself: each row's trigger program, and the statement done in
 * two passes): the counts and the recipients follow once for the batch,
 * in the same transaction (store_follow_end). The batch takes two
 * statements there (the leases, then the messages of those that held),
 * one on a server (mark_group).
 */
int
store_outbox_mark_sending(struct store *st, const char *owner,
    int lease_seconds, const int64_t *ids, size_t n, int *held)
{
	struct db_stmt	*s;
	char		 lease[32], *json = NULL;
	int64_t		*kept_ids = NULL, id;
	size_t		 i, k, kept = 0;
	int		 rc;

	snprintf(lease, sizeof(lease), "+%d seconds", lease_seconds);
	for (i = 0; i < n; i++)
		held[i] = 0;
	if (n == 0)
		return 1;
	if (store_begin(st) < 0)
		return -1;
	if (st->server) {
		if (mark_group(st, owner, lease, ids, n, held) < 0)
			goto err;
		return store_commit(st);
	}
	/* Two statements for the batch: the leases that hold, their messages. */
	if (store_follow_begin(st) < 0 || (json = ids_json(ids, n)) == NULL)
		goto err;
	for (rc = db_run(st->db, &outbox_sql, STMT_MARK_LEASE, &s, "sss", owner,
	    lease, json); rc == DB_ROW; rc = db_step(s))
		for (id = db_int64(s, 0), i = 0; i < n; i++)
			if (ids[i] == id && !held[i]) {
				held[i] = 1;
				kept++;
			}
	db_reset(s);
	if (rc < 0)
		goto err;
	free(json);
	json = NULL;
	if ((kept_ids = calloc(kept + 1, sizeof(*kept_ids))) == NULL)
		goto err;
	for (i = k = 0; i < n; i++)
		if (held[i])
			kept_ids[k++] = ids[i];
	if ((json = ids_json(kept_ids, k)) == NULL)
		goto err;
	/* Each comes back whose status was 'queued' (the statement's condition). */
	for (rc = db_run(st->db, &outbox_sql, STMT_CLAIM_SENDING, &s, "s",
	    json); rc == DB_ROW; rc = db_step(s))
		if (st->follow.on && follow_note(st, db_int64(s, 0), "queued",
		    "sending") < 0) {
			rc = -1;
			break;
		}
	db_reset(s);
	if (rc < 0 || store_follow_end(st) < 0)
		goto err;
	free(json);
	free(kept_ids);
	return store_commit(st);
err:
	store_rollback(st);
	free(json);
	free(kept_ids);
	return -1;
}

int
store_outbox_release_dead(struct store *st,
    int (*dead)(const char *owner, void *arg), void *arg, long *released)
{
	struct db_stmt	*s;
	char		 (*owners)[STORE_OWNER_MAX] = NULL;
	size_t		 n = 0, room = 0, i;
	int		 rc;
	void		*p;

	*released = 0;
	for (rc = db_run(st->db, &outbox_sql, STMT_OUTBOX_OWNERS, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		if (n == room) {
			room = room ? room * 2 : 8;
			if ((p = realloc(owners, room * sizeof(*owners))) ==
			    NULL) {
				rc = -1;
				break;
			}
			owners = p;
		}
		db_copy(s, 0, owners[n], sizeof(owners[n]));
		if (dead(owners[n], arg))
			n++;
	}
	db_reset(s);
	if (rc < 0)
		goto out;
	/* Each its own short transaction: the webhooks wait for none long. */
	for (i = 0; i < n; i++) {
		if (db_exec(st->db, &outbox_sql, STMT_OUTBOX_UNCLAIM, "s", owners[i]) < 0) {
			rc = -1;
			goto out;
		}
		*released += db_changes(st->db);
	}
	rc = 1;
out:
	free(owners);
	return rc < 0 ? -1 : 1;
}

int
store_outbox_remove(struct store *st, int64_t message)
{
	return db_exec(st->db, &outbox_sql, STMT_OUTBOX_DEL, "i", message);
}

/*
 * store_outbox_done but for the outbox row, which the caller removes. With
 * the triggers off the change is noted: its status before, which is most
 * often 'sending' (the sender's mark; one statement then), else read.
 */
static int
outbox_done_message(struct store *st, int64_t message, const char *status,
    const char *infobip_id, const char *bulk_id, const char *group_name,
    const char *status_name, const char *description, int sms_count)
{
	struct db_stmt	*s;
	char		 was[32] = "";
	int		 rc;

	if (group_name == NULL)
		group_name = "";
	if (status_name == NULL)
		status_name = "";
	if (description == NULL)
		description = "";
	if (st->follow.on) {
		if ((rc = db_exec_changed(st->db, &outbox_sql,
		    STMT_DONE_SENDING, "ssssss" "Ii", status, infobip_id,
		    bulk_id, group_name, status_name, description, sms_count,
		    message)) < 0)
			return -1;
		if (rc > 0)
			return follow_note(st, message, "sending", status);
		if ((rc = db_run(st->db, &outbox_sql, STMT_FOLLOW_STATUS, &s,
		    "i", message)) == DB_ROW)
			db_copy(s, 0, was, sizeof(was));
		db_reset(s);
		if (rc < 0)
			return -1;
	}
	if ((rc = db_exec_changed(st->db, &outbox_sql, STMT_OUTBOX_DONE,
	    "ssssss" "Ii", status, infobip_id, bulk_id, group_name,
	    status_name, description, sms_count, message)) < 0)
		return -1;
	if (rc > 0 && st->follow.on && follow_note(st, message, was,
	    status) < 0)
		return -1;
	return 1;
}

int
store_outbox_done(struct store *st, int64_t message, const char *status,
    const char *infobip_id, const char *bulk_id, const char *group_name,
    const char *status_name, const char *description, int sms_count)
{
	if (outbox_done_message(st, message, status, infobip_id, bulk_id,
	    group_name, status_name, description, sms_count) < 0)
		return -1;
	return db_exec(st->db, &outbox_sql, STMT_OUTBOX_DEL, "i", message);
}

/* Appends text v (NULL: NULL) to the next column of a. */
static void
text_elem(struct arrays *a, const char *v)
{
	arraytext_elem(a, v, v != NULL ? strlen(v) : 0);
}

/* store_outbox_done_group on SQLite. */
static int
done_each(struct store *st, const struct store_done *d, size_t n)
{
	int64_t	*ids;
	char	*json = NULL;
	size_t	 i;
	int	 rc = -1;

	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (outbox_done_message(st, d[i].message, d[i].status,
		    d[i].infobip_id, d[i].bulk_id, d[i].group_name,
		    d[i].status_name, d[i].description, d[i].sms_count) < 0)
			goto out;
		ids[i] = d[i].message;
	}
	if ((json = ids_json(ids, n)) == NULL ||
	    db_exec(st->db, &outbox_sql, STMT_OUTBOX_DEL_GROUP, "s", json) < 0)
		goto out;
	rc = 1;
out:
	free(json);
	free(ids);
	return rc;
}

int
store_outbox_done_group(struct store *st, const struct store_done *d,
    size_t n)
{
	struct arrays	 a;
	size_t		 i;
	int		 rc;

	if (n == 0)
		return 1;
	/* Here a statement a message, and the outbox rows in one. */
	if (!st->server)
		return done_each(st, d, n);
	memset(&a, 0, sizeof(a));
	a.ncol = 8;
	for (i = 0; i < n; i++) {
		arraytext_int(&a, d[i].message, INT64_MIN);
		text_elem(&a, d[i].status);
		text_elem(&a, d[i].infobip_id);
		text_elem(&a, d[i].bulk_id);
		text_elem(&a, d[i].group_name != NULL ? d[i].group_name : "");
		text_elem(&a, d[i].status_name != NULL ? d[i].status_name : "");
		text_elem(&a, d[i].description != NULL ? d[i].description : "");
		arraytext_int(&a, d[i].sms_count, 0);
	}
	if ((rc = arrays_end(&a, "STMT_DONE_GROUP")) > 0)
		rc = db_exec(st->db, &outbox_sql, STMT_DONE_GROUP, "ssssssss",
		    a.col[0].s, a.col[1].s, a.col[2].s, a.col[3].s, a.col[4].s,
		    a.col[5].s, a.col[6].s, a.col[7].s) < 0 ? -1 : 1;
	arrays_free(&a);
	return rc;
}

/* How each kind of release leaves the outbox row and the message. */
static const struct {
	enum outbox_stmt	 stmt;		/* binds error, delay modifier, message */
	int		 requeue;	/* the message goes back to 'queued' */
} retry_kinds[] = {
	[STORE_RETRY_SEND] = { STMT_OUTBOX_RETRY, 1 },
	[STORE_RETRY_UNSURE] = { STMT_OUTBOX_UNSURE, 0 },
	[STORE_RETRY_LOOKUP] = { STMT_OUTBOX_LOOKUP, 0 },
	[STORE_RETRY_NOT_FOUND] = { STMT_OUTBOX_NOT_FOUND, 0 },
};

int
store_outbox_retry(struct store *st, int64_t message, double delay_seconds,
    const char *error, enum store_retry kind)
{
	char	 delay[48];
	int	 rc;

	if ((size_t)kind >= sizeof(retry_kinds) / sizeof(retry_kinds[0]))
		return -1;
	snprintf(delay, sizeof(delay), "+%.3f seconds", delay_seconds);
	if (db_exec(st->db, &outbox_sql, retry_kinds[kind].stmt, "ssi", error, delay,
	    message) < 0)
		return -1;
	/* An unsure message stays 'sending': the next claim looks it up first. */
	if (!retry_kinds[kind].requeue)
		return 1;
	if ((rc = db_exec_changed(st->db, &outbox_sql, STMT_OUTBOX_RETRY_MSG,
	    "i", message)) < 0)
		return -1;
	/* Its status was 'sending' (the statement's condition). */
	if (rc > 0 && st->follow.on)
		return follow_note(st, message, "sending", "queued");
	return 1;
}

int
store_outbox_send_again(struct store *st, int64_t message)
{
	return db_exec_changed(st->db, &outbox_sql, STMT_OUTBOX_SEND_AGAIN, "i", message);
}

int
store_outbox_hold(struct store *st, int64_t message, const char *reason)
{
	return db_exec(st->db, &outbox_sql, STMT_OUTBOX_HOLD, "si", reason, message);
}

/* Reads an OUTBOX_ROW result into e. */
static void
outbox_entry_fill(struct db_stmt *s, struct store_outbox_entry *e)
{
	e->message = db_int64(s, 0);
	db_copy(s, 1, e->uid, sizeof(e->uid));
	db_copy(s, 2, e->conn, sizeof(e->conn));
	db_copy(s, 3, e->recipient, sizeof(e->recipient));
	db_copy(s, 4, e->state, sizeof(e->state));
	e->attempts = db_int(s, 5);
	db_copy(s, 6, e->last_error, sizeof(e->last_error));
	e->not_found = db_int(s, 7);
	db_copy(s, 8, e->unsure_since, sizeof(e->unsure_since));
	db_copy(s, 9, e->held_since, sizeof(e->held_since));
	db_copy(s, 10, e->next_attempt_at, sizeof(e->next_attempt_at));
}

/* Calls fn for the rows statement stmt (conn, limit) finds; as store_outbox_each. */
static int
outbox_walk(struct store *st, int stmt, const char *conn, int limit,
    int (*fn)(const struct store_outbox_entry *, void *), void *arg)
{
	struct store_outbox_entry	 e;
	struct db_stmt			*s;
	int				 rc;

	for (rc = db_run(st->db, &outbox_sql, stmt, &s, "si", conn, (int64_t)limit);
	    rc == DB_ROW; rc = db_step(s)) {
		outbox_entry_fill(s, &e);
		if (!fn(&e, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_outbox_each(struct store *st, const char *conn, int limit,
    int (*fn)(const struct store_outbox_entry *, void *), void *arg)
{
	return outbox_walk(st, STMT_OUTBOX_EACH, conn, limit, fn, arg);
}

int
store_outbox_unsettled_each(struct store *st, const char *conn, int limit,
    int (*fn)(const struct store_outbox_entry *, void *), void *arg)
{
	return outbox_walk(st, STMT_OUTBOX_UNSETTLED, conn, limit, fn, arg);
}

int
store_outbox_unsettled_page(struct store *st, int64_t after, int64_t before,
    int limit, int (*fn)(const struct store_outbox_entry *, void *),
    void *arg)
{
	struct store_outbox_entry	 e;
	struct db_stmt			*s;
	int				 rc;

	for (rc = db_run(st->db, &outbox_sql, before > 0 && after <= 0 ?
	    STMT_OUTBOX_UNSETTLED_BEFORE : STMT_OUTBOX_UNSETTLED_AFTER, &s,
	    "ii", before > 0 && after <= 0 ? before : after > 0 ? after : 0,
	    (int64_t)limit); rc == DB_ROW; rc = db_step(s)) {
		outbox_entry_fill(s, &e);
		if (!fn(&e, arg))
			break;
	}
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_outbox_unsettled_count(struct store *st, long *n)
{
	struct db_stmt	*s;
	int		 rc;

	*n = 0;
	if ((rc = db_run(st->db, &outbox_sql, STMT_OUTBOX_UNSETTLED_COUNT, &s,
	    "")) == DB_ROW)
		*n = (long)db_int64(s, 0);
	db_reset(s);
	return rc < 0 ? -1 : 1;
}

int
store_outbox_get(struct store *st, int64_t message,
    struct store_outbox_entry *e)
{
	struct db_stmt	*s;
	int		 rc;

	memset(e, 0, sizeof(*e));
	if ((rc = db_run(st->db, &outbox_sql, STMT_OUTBOX_GET, &s, "i", message)) < 0)
		return -1;
	if (rc != DB_ROW)
		return 0;
	outbox_entry_fill(s, e);
	db_reset(s);
	return 1;
}

int
store_outbox_requeue(struct store *st, int64_t message)
{
	if (db_exec(st->db, &outbox_sql, STMT_OUTBOX_REQUEUE, "i", message) < 0)
		return -1;
	return db_exec(st->db, &outbox_sql, STMT_OUTBOX_RETRY_MSG, "i", message);
}

void
store_agent_jobs_free(struct store_agent_job *j, size_t n)
{
	size_t	 i;

	if (j == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(j[i].text);
		free(j[i].session_data);
	}
	free(j);
}

static int64_t
agent_job_fill(struct db_stmt *s, void *item)
{
	struct store_agent_job	*j = item;

	j->message = db_int64(s, 0);
	j->session = db_int64(s, 1);
	j->agent = db_int64(s, 2);
	j->contact = db_int64(s, 3);
	db_copy(s, 4, j->conn, sizeof(j->conn));
	db_copy(s, 5, j->phone, sizeof(j->phone));
	j->text = strdup(db_text(s, 6));
	j->session_data = strdup(db_text(s, 7));
	j->collect_step = db_int(s, 8);
	j->ai = db_int(s, 9);
	j->opted_out = db_int(s, 10);
	j->agent_running = db_int(s, 11);
	db_copy(s, 12, j->sender, sizeof(j->sender));
	return j->text != NULL && j->session_data != NULL ? j->message : 0;
}

static void
agent_job_release(void *items, size_t n)
{
	store_agent_jobs_free(items, n);
}

static const struct claim_kind agent_kind = {
	STMT_AQ_SELECT, STMT_AQ_LEASE, STMT_AQ_CLAIM_ONE,
	sizeof(struct store_agent_job), agent_job_fill, agent_job_release,
};

int
store_agent_queue_claim(struct store *st, const char *owner,
    int lease_seconds, size_t max, struct store_agent_job **out)
{
	void	*items;
	int	 rc;

	rc = claim(st, &agent_kind, owner, lease_seconds, max, &items);
	*out = items;
	return rc;
}

int
store_agent_replies_group(struct store *st, const char *owner,
    struct store_reply *r, size_t n)
{
	struct arrays	 a;
	struct db_stmt	*s;
	size_t		 i;
	int		 rc;

	if (!st->server) {
		log_error("store_agent_replies_group: only on a server");
		return -1;
	}
	if (n == 0)
		return 1;
	memset(&a, 0, sizeof(a));
	a.ncol = 8;
	for (i = 0; i < n; i++) {
		if (store_new_uid(r[i].uid) < 0) {
			arrays_free(&a);
			return -1;
		}
		r[i].kept = r[i].ai = 0;
		arraytext_int(&a, r[i].job, INT64_MIN);
		arraytext_int(&a, r[i].o.session, INT64_MIN);
		arraytext_int(&a, r[i].o.contact, INT64_MIN);
		text_elem(&a, r[i].o.conn);
		text_elem(&a, r[i].o.sender);
		text_elem(&a, r[i].o.recipient);
		text_elem(&a, r[i].o.text);
		text_elem(&a, r[i].uid);
	}
	if ((rc = arrays_end(&a, "STMT_REPLY_GROUP")) < 0)
		goto out;
	/* A row per reply, in r's order: its job, kept, ai. */
	for (i = 0, rc = db_run(st->db, &outbox_sql, STMT_REPLY_GROUP, &s,
	    "sssssssss", owner, a.col[0].s, a.col[1].s, a.col[2].s, a.col[3].s,
	    a.col[4].s, a.col[5].s, a.col[6].s, a.col[7].s); rc == DB_ROW &&
	    i < n; rc = db_step(s), i++) {
		if (db_int64(s, 0) != r[i].job) {
			log_error("STMT_REPLY_GROUP: row %zu is not its reply's",
			    i);
			rc = -1;
			break;
		}
		r[i].kept = db_int(s, 1);
		r[i].ai = db_int(s, 2);
	}
	db_reset(s);
	if (rc >= 0 && i != n) {
		log_error("STMT_REPLY_GROUP: %zu rows for %zu replies", i, n);
		rc = -1;
	}
out:
	arrays_free(&a);
	return rc < 0 ? -1 : 1;
}

int
store_agent_queue_done(struct store *st, int64_t message, const char *owner)
{
	return db_exec_changed(st->db, &outbox_sql, STMT_AQ_DONE, "is", message,
	    owner);
}

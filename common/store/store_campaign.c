/* The store's campaign statements: campaigns, their recipients, the import's writer and the sender's release (the store's third file). */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "store.h"
#include "store_campaign.h"
#include "store_private.h"

/* The campaigns' statements: prepared on first use and kept by the connection (db.h). */
enum q {
	Q_ADD,
	Q_SAVE,
	Q_GET,
	Q_EACH,
	Q_PAGE,
	Q_ACTIVE,
	Q_STATE,
	Q_COUNTS,
	Q_CANCEL_MSGS,
	Q_CANCEL_RCPTS,
	Q_CANCEL_OUTBOX,
	Q_CANCEL_PLANNED,
	Q_BUCKET,
	Q_UNFINISHED,
	Q_HAS_PLANNED,
	Q_THROTTLE,
	Q_ZONE_FIRST,
	Q_ZONE_NEXT,
	Q_DUE,
	Q_RCPT_SET,
	Q_SESSION_ADD,
	Q_SESSION_GET,
	Q_AGENT_NAME,
	Q_RCPT_ADD,
	Q_OPTED_OUT,
	Q_RCPT_EACH,
	Q_RCPT_EACH_STATUS,
	Q_RCPT_EACH_PHONE,
	Q_SERIES,
	Q_REPLY_RANGE,
	Q_REPLIED,
	Q_REPLY_MARK,
	Q_WAITING,
	Q__MAX
};

#define CAMPAIGN_COLS "SELECT c.id, c.name, c.connection_id, k.name, k.status," \
	" COALESCE(c.agent_id, 0), COALESCE(a.name, ''), c.text, c.state," \
	" COALESCE(substr(c.start_utc, 1, 16), ''), COALESCE(c.start_local, '')," \
	" c.tz, COALESCE(c.window_start, -1), COALESCE(c.window_end, -1)," \
	" c.rate, c.bucket_tokens, c.bucket_at, substr(c.created_at, 1, 19)," \
	" COALESCE(substr(c.started_at, 1, 19), ''), COALESCE(substr(c.ended_at," \
	" 1, 19), ''), c.start_utc IS NULL OR c.start_utc <= strftime('%Y-%m-%d" \
	" %H:%M:%S', 'now'), k.sender FROM campaigns c JOIN connections k ON k.id =" \
	" c.connection_id LEFT JOIN agents a ON a.id = c.agent_id"

/*
 * Released but not claimed: the message waits in the outbox, queued, and
 * no sender holds it or may have sent it (an unsure or held row stays:
 * Infobip may have it).
 */
#define UNCLAIMED "SELECT o.message_id FROM outbox o JOIN campaign_recipients r" \
	" ON r.message_id = o.message_id JOIN messages m ON m.id = o.message_id" \
	" WHERE r.campaign_id = ?1 AND r.status = 'queued' AND m.status =" \
	" 'queued' AND o.lease_owner IS NULL AND o.unsure_since IS NULL AND" \
	" o.held_since IS NULL"
/* The messages of a campaign's canceled recipients still in the outbox. */
#define CANCELED_OUT "SELECT r.message_id FROM campaign_recipients r JOIN" \
	" outbox o ON o.message_id = r.message_id WHERE r.campaign_id = ?1" \
	" AND r.status = 'canceled'"

static const struct db_sql campaign_stmt[Q__MAX] = {
	[Q_ADD] = { "campaign add", "INSERT INTO campaigns (name, connection_id, agent_id, text,"
	    " start_utc, start_local, tz, window_start, window_end, rate)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" },
	[Q_SAVE] = { "campaign save", "UPDATE campaigns SET name = ?1, connection_id = ?2,"
	    " agent_id = ?3, text = ?4, start_utc = ?5, start_local = ?6,"
	    " tz = ?7, window_start = ?8, window_end = ?9, rate = ?10"
	    " WHERE id = ?11 AND state = 'draft'" },
	[Q_GET] = { "campaign get", CAMPAIGN_COLS " WHERE c.id = ?1" },
	[Q_EACH] = { "campaign each", CAMPAIGN_COLS " ORDER BY c.id DESC" },
	/* The admin's list, newest first, a page after the cursor ?1 (an id). */
	[Q_PAGE] = { "campaign page", CAMPAIGN_COLS " WHERE c.id < ?1"
	    " ORDER BY c.id DESC LIMIT ?2" },
	[Q_ACTIVE] = { "campaign active", CAMPAIGN_COLS " WHERE c.state IN ('scheduled', 'running')"
	    " ORDER BY c.id" },
	[Q_STATE] = { "campaign state", "UPDATE campaigns SET state = ?3, started_at = CASE WHEN"
	    " ?2 = 'draft' THEN " NOW " ELSE started_at END, ended_at = CASE"
	    " WHEN ?3 IN ('completed', 'canceled') THEN " NOW " ELSE ended_at"
	    " END, bucket_tokens = CASE WHEN ?3 = 'running' THEN 1 ELSE"
	    " bucket_tokens END, bucket_at = CASE WHEN ?3 = 'running' THEN 0"
	    " ELSE bucket_at END WHERE id = ?1 AND state = ?2" },
	/*
	 * The counts the triggers keep (sql/019-counts.sql), with the changes
	 * PostgreSQL's sender has not folded in yet: a few rows, whatever the
	 * campaign's size.
	 */
	[Q_COUNTS] = { "campaign counts", "SELECT status, SUM(n) FROM (SELECT"
	    " status, n FROM campaign_counts WHERE campaign_id = ?1 UNION ALL"
	    " SELECT status, n FROM campaign_count_deltas WHERE campaign_id = ?1)"
	    " AS x GROUP BY status" },
	/* The recipients first: the message's trigger then leaves them canceled. */
	[Q_CANCEL_RCPTS] = { "campaign cancel recipients", "UPDATE campaign_recipients SET status = 'canceled',"
	    " reason = 'campaign canceled before it was sent', updated_at = "
	    NOW " WHERE campaign_id = ?1 AND message_id IN (" UNCLAIMED ")" },
	[Q_CANCEL_MSGS] = { "campaign cancel messages", "UPDATE messages SET status = 'failed',"
	    " status_description = 'campaign canceled', updated_at = " NOW
	    " WHERE id IN (" CANCELED_OUT ")" },
	[Q_CANCEL_OUTBOX] = { "campaign cancel outbox", "DELETE FROM outbox WHERE message_id IN ("
	    CANCELED_OUT ")" },
	[Q_CANCEL_PLANNED] = { "campaign cancel planned", "UPDATE campaign_recipients SET status ="
	    " 'canceled', updated_at = " NOW " WHERE campaign_id = ?1 AND"
	    " status = 'planned'" },
	[Q_BUCKET] = { "campaign bucket", "UPDATE campaigns SET bucket_tokens = ?2, bucket_at = ?3"
	    " WHERE id = ?1" },
	[Q_UNFINISHED] = { "campaign unfinished", "SELECT EXISTS (SELECT 1 FROM campaign_recipients"
	    " WHERE campaign_id = ?1 AND status IN ('planned', 'queued'))" },
	/* Read inside the release's transaction (PostgreSQL's text locks the row). */
	[Q_THROTTLE] = { "campaign throttle", "SELECT bucket_tokens, bucket_at FROM campaigns"
	    " WHERE id = ?1 AND state = 'running'" },
	[Q_HAS_PLANNED] = { "campaign has planned", "SELECT EXISTS (SELECT 1 FROM campaign_recipients"
	    " WHERE campaign_id = ?1 AND status = 'planned')" },
	/* One index seek per zone: the zones of a million recipients without reading them. */
	[Q_ZONE_FIRST] = { "campaign zone first", "SELECT MIN(timezone) FROM campaign_recipients"
	    " INDEXED BY campaign_recipients_due WHERE campaign_id = ?1 AND"
	    " status = 'planned'" },
	[Q_ZONE_NEXT] = { "campaign zone next", "SELECT MIN(timezone) FROM campaign_recipients"
	    " INDEXED BY campaign_recipients_due WHERE campaign_id = ?1 AND"
	    " status = 'planned' AND timezone > ?2" },
	[Q_DUE] = { "campaign due", "SELECT id, phone, fields FROM campaign_recipients"
	    " INDEXED BY campaign_recipients_due WHERE campaign_id = ?1 AND"
	    " status = 'planned' AND timezone = ?2 ORDER BY id LIMIT ?3" },
	[Q_RCPT_SET] = { "campaign recipient set", "UPDATE campaign_recipients SET status = ?2, reason = ?3,"
	    " message_id = COALESCE(NULLIF(?4, 0), message_id), updated_at = "
	    NOW " WHERE id = ?1" },
	[Q_SESSION_ADD] = { "session campaign add", "INSERT OR IGNORE INTO session_campaigns (session_id,"
	    " campaign_id) VALUES (?1, ?2)" },
	[Q_SESSION_GET] = { "session campaign get", "SELECT c.id, c.name FROM session_campaigns s JOIN"
	    " campaigns c ON c.id = s.campaign_id WHERE s.session_id = ?1" },
	[Q_AGENT_NAME] = { "agent by name", "SELECT id FROM agents WHERE name = ?1 ORDER BY id"
	    " LIMIT 1" },
	/*
	 * The contact's opt-out is read by the insert itself, one statement a
	 * line (one round trip to a server): an opted-out contact's phone
	 * becomes NULL, which the table refuses. (INSERT … SELECT … WHERE
	 * would say it with no refusal, but SQLite keeps a statement journal
	 * for every such insert.)
	 */
	[Q_RCPT_ADD] = { "campaign recipient add", "INSERT INTO campaign_recipients (campaign_id, line,"
	    " phone, fields, timezone) VALUES (?1, ?2, CASE WHEN EXISTS (SELECT"
	    " 1 FROM contacts WHERE phone = ?3 AND opted_out = 1) THEN NULL"
	    " ELSE ?3 END, ?4, ?5)" },
	[Q_OPTED_OUT] = { "contact opted out", "SELECT opted_out FROM contacts WHERE phone = ?1" },
	[Q_RCPT_EACH] = { "campaign recipients", "SELECT r.id, r.line, r.phone, r.status, r.reason,"
	    " COALESCE(r.message_id, 0), substr(r.updated_at, 1, 19), r.fields,"
	    " COALESCE(NULLIF(m.status_name, ''), m.status, '')"
	    " FROM campaign_recipients r INDEXED BY campaign_recipients_line"
	    " LEFT JOIN messages m ON m.id = r.message_id"
	    " WHERE r.campaign_id = ?1 AND r.id > ?4"
	    " AND (?2 IS NULL OR r.status = ?2)"
	    " AND (?3 IS NULL OR substr(r.phone, 1, length(?3)) = ?3)"
	    " ORDER BY r.id LIMIT ?5" },
	/* Filtered by status: the index of status and id, so a rare status is a seek, not a scan of the campaign. */
	[Q_RCPT_EACH_STATUS] = { "campaign recipients by status", "SELECT r.id,"
	    " r.line, r.phone, r.status, r.reason, COALESCE(r.message_id, 0),"
	    " substr(r.updated_at, 1, 19), r.fields,"
	    " COALESCE(NULLIF(m.status_name, ''), m.status, '')"
	    " FROM campaign_recipients r INDEXED BY campaign_recipients_status"
	    " LEFT JOIN messages m ON m.id = r.message_id"
	    " WHERE r.campaign_id = ?1 AND r.status = ?2 AND r.id > ?4"
	    " AND (?3 IS NULL OR substr(r.phone, 1, length(?3)) = ?3)"
	    " ORDER BY r.id LIMIT ?5" },
	/*
	 * Filtered by a number prefix: the numbers' index (unique per
	 * campaign) reads just the matching range, in number order; the
	 * cursor ?4 is the id of the last row shown, whose number the page
	 * goes on after. ':' is the character after '9'.
	 */
	[Q_RCPT_EACH_PHONE] = { "campaign recipients by phone", "SELECT r.id,"
	    " r.line, r.phone, r.status, r.reason, COALESCE(r.message_id, 0),"
	    " substr(r.updated_at, 1, 19), r.fields,"
	    " COALESCE(NULLIF(m.status_name, ''), m.status, '')"
	    " FROM campaign_recipients r"
	    " LEFT JOIN messages m ON m.id = r.message_id"
	    " WHERE r.campaign_id = ?1 AND r.phone >= ?3 AND r.phone < ?3 || ':'"
	    " AND r.phone > COALESCE((SELECT c.phone FROM campaign_recipients c"
	    " WHERE c.id = ?4 AND c.campaign_id = ?1), '')"
	    " AND (?2 IS NULL OR r.status = ?2)"
	    " ORDER BY r.phone LIMIT ?5" },
	/* The chart, from the per-minute counts the triggers keep; ?2 cuts them to the minute (16) or the hour (13). */
	[Q_SERIES] = { "campaign series", "SELECT substr(minute, 1, ?2), status,"
	    " SUM(n) FROM (SELECT minute, status, n FROM campaign_minutes WHERE"
	    " campaign_id = ?1 UNION ALL SELECT minute, status, n FROM"
	    " campaign_minute_deltas WHERE campaign_id = ?1) AS x GROUP BY 1, 2"
	    " HAVING SUM(n) <> 0 ORDER BY 1, 2" },
	[Q_REPLY_RANGE] = { "campaign reply range", "SELECT (SELECT message_id FROM campaign_reply_mark"
	    " WHERE id = 1), (SELECT COALESCE(MAX(id), 0) FROM messages)" },
	/* Inbound messages in (?1, ?2] answering a campaign's message in their session. */
	[Q_REPLIED] = { "campaign replied", "UPDATE campaign_recipients SET status = 'replied',"
	    " reason = '', updated_at = " NOW " WHERE status IN ('queued',"
	    " 'sent', 'delivered') AND message_id IN (SELECT o.id FROM"
	    " messages i JOIN session_campaigns sc ON sc.session_id ="
	    " i.session_id JOIN messages o INDEXED BY messages_session ON"
	    " o.session_id = i.session_id AND o.id < i.id WHERE i.id > ?1 AND"
	    " i.id <= ?2 AND i.direction = 'in' AND o.direction = 'out' AND"
	    " o.author = 'campaign')" },
	[Q_REPLY_MARK] = { "campaign reply mark", "UPDATE campaign_reply_mark SET message_id = ?2"
	    " WHERE id = 1 AND message_id = ?1" },
	/*
	 * Released messages that wait in the outbox for a sender only: due,
	 * not held for a person, not claimed. One in a retry's delay waits
	 * for Infobip; one claimed is on its way in its sender's pass.
	 */
	[Q_WAITING] = { "campaign waiting", "SELECT COUNT(*) FROM campaign_recipients r"
	    " INDEXED BY campaign_recipients_due JOIN outbox o ON o.message_id ="
	    " r.message_id WHERE r.campaign_id = ?1 AND r.status = 'queued'"
	    " AND o.held_since IS NULL AND o.next_attempt_at <= " NOW
	    " AND (o.lease_until IS NULL OR o.lease_until < " NOW ")" },
};

const struct db_table campaign_sql = { DB_SLOT_CAMPAIGN, Q__MAX, campaign_stmt };

/* Reads an EXISTS or a single number: > 0 when non-zero, 0 zero or no row. */
static int
q_exists(struct store *st, enum q which, const char *fmt, int64_t id,
    const char *s)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = db_run(st->db, &campaign_sql, which, &r, fmt, id, s);
	if (rc == DB_ROW)
		rc = db_int64(r, 0) != 0;
	else
		rc = rc == DB_DONE ? 0 : -1;
	db_reset(r);
	return rc;
}

static void
campaign_read(struct db_stmt *r, struct store_campaign *c)
{
	memset(c, 0, sizeof(*c));
	c->id = db_int64(r, 0);
	db_copy(r, 1, c->name, sizeof(c->name));
	db_copy(r, 2, c->conn, sizeof(c->conn));
	db_copy(r, 3, c->conn_name, sizeof(c->conn_name));
	if (!conn_status_find(db_str(r, 4), &c->conn_status))
		c->conn_status = CONN_ERROR;
	c->agent = db_int64(r, 5);
	db_copy(r, 6, c->agent_name, sizeof(c->agent_name));
	db_copy(r, 7, c->text, sizeof(c->text));
	if (!campaign_state_find(db_str(r, 8), &c->state))
		c->state = CAMP_CANCELED;
	db_copy(r, 9, c->start_utc, sizeof(c->start_utc));
	db_copy(r, 10, c->start_local, sizeof(c->start_local));
	db_copy(r, 11, c->tz, sizeof(c->tz));
	c->window_start = db_int(r, 12);
	c->window_end = db_int(r, 13);
	c->rate = db_int(r, 14);
	c->bucket_tokens = db_double(r, 15);
	c->bucket_at = db_double(r, 16);
	db_copy(r, 17, c->created_at, sizeof(c->created_at));
	db_copy(r, 18, c->started_at, sizeof(c->started_at));
	db_copy(r, 19, c->ended_at, sizeof(c->ended_at));
	c->start_due = db_int(r, 20);
	db_copy(r, 21, c->sender, sizeof(c->sender));
}

/* The form's columns of c, as bound by Q_ADD and Q_SAVE (?1 to ?10). */
static int
campaign_write(struct store *st, enum q which, const struct store_campaign *c,
    int64_t *changes)
{
	int	 rc;

	/* NULLs for the optional columns; Q_SAVE binds ?11 too. */
	rc = db_exec_count(st->db, &campaign_sql, which, changes, "ssNssssIIii",
	    c->name, c->conn, c->agent, c->text,
	    c->start_utc[0] != '\0' ? c->start_utc : NULL,
	    c->start_utc[0] != '\0' ? c->start_local : NULL, c->tz,
	    c->window_start, c->window_start >= 0 ? c->window_end : -1,
	    (int64_t)c->rate, c->id);
	return rc < 0 ? -1 : rc;
}

int
store_campaign_add(struct store *st, struct store_campaign *c)
{
	int64_t	 n = 0;
	int	 rc;

	if ((rc = campaign_write(st, Q_ADD, c, &n)) <= 0)
		return rc;
	c->id = db_last_id(st->db);
	return 1;
}

int
store_campaign_save(struct store *st, const struct store_campaign *c)
{
	int64_t	 n = 0;
	int	 rc;

	if ((rc = campaign_write(st, Q_SAVE, c, &n)) <= 0)
		return rc;
	return n > 0;
}

int
store_campaign_get(struct store *st, int64_t id, struct store_campaign *c)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = db_run(st->db, &campaign_sql, Q_GET, &r, "i", id);
	if (rc == DB_ROW) {
		campaign_read(r, c);
		rc = 1;
	} else
		rc = rc == DB_DONE ? 0 : -1;
	db_reset(r);
	return rc;
}

int
store_campaign_each(struct store *st, int active,
    int (*fn)(const struct store_campaign *, void *), void *arg)
{
	struct store_campaign	*c;
	struct db_stmt		*r = NULL;
	int			 rc;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_error("campaign each: out of memory");
		return -1;
	}
	for (rc = db_run(st->db, &campaign_sql, active ? Q_ACTIVE : Q_EACH,
	    &r, "");
	    rc == DB_ROW; rc = db_step(r)) {
		campaign_read(r, c);
		if (!fn(c, arg)) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(r);
	free(c);
	return rc == DB_DONE ? 1 : -1;
}

int
store_campaign_page(struct store *st, int64_t before, int64_t limit,
    int (*fn)(const struct store_campaign *, void *), void *arg)
{
	struct store_campaign	*c;
	struct db_stmt		*r = NULL;
	int			 rc;

	if ((c = malloc(sizeof(*c))) == NULL) {
		log_error("campaign page: out of memory");
		return -1;
	}
	for (rc = db_run(st->db, &campaign_sql, Q_PAGE, &r, "ii",
	    before > 0 ? before : INT64_MAX, limit); rc == DB_ROW;
	    rc = db_step(r)) {
		campaign_read(r, c);
		if (!fn(c, arg)) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(r);
	free(c);
	return rc == DB_DONE ? 1 : -1;
}

int
store_campaign_set_state(struct store *st, int64_t id,
    enum campaign_state from, enum campaign_state to)
{
	int64_t	 n = 0;
	int	 rc;

	if ((rc = db_exec_count(st->db, &campaign_sql, Q_STATE, &n, "iss", id,
	    campaign_state_name(from), campaign_state_name(to))) <= 0)
		return rc < 0 ? -1 : 0;
	return n > 0;
}

int
store_campaign_counts(struct store *st, int64_t id, int64_t counts[RCPT__MAX],
    int64_t *total)
{
	struct db_stmt		*r = NULL;
	enum rcpt_status	 s;
	int			 rc;

	memset(counts, 0, sizeof(int64_t) * RCPT__MAX);
	*total = 0;
	for (rc = db_run(st->db, &campaign_sql, Q_COUNTS, &r, "i", id); rc == DB_ROW;
	    rc = db_step(r)) {
		if (!rcpt_status_find(db_str(r, 0), &s))
			continue;
		counts[s] = db_int64(r, 1);
		*total += counts[s];
	}
	db_reset(r);
	return rc == DB_DONE ? 1 : -1;
}

int
store_campaign_cancel(struct store *st, int64_t id)
{
	if (db_exec(st->db, &campaign_sql, Q_CANCEL_RCPTS, "i", id) <= 0 ||
	    db_exec(st->db, &campaign_sql, Q_CANCEL_MSGS, "i", id) <= 0 ||
	    db_exec(st->db, &campaign_sql, Q_CANCEL_OUTBOX, "i", id) <= 0 ||
	    db_exec(st->db, &campaign_sql, Q_CANCEL_PLANNED, "i", id) <= 0)
		return -1;
	return 1;
}

int
store_campaign_bucket(struct store *st, int64_t id, double tokens, double at)
{
	return db_exec(st->db, &campaign_sql, Q_BUCKET, "idd", id, tokens, at) > 0 ?
	    1 : -1;
}

int
store_campaign_unfinished(struct store *st, int64_t id)
{
	return q_exists(st, Q_UNFINISHED, "i", id, NULL);
}

int
store_campaign_throttle(struct store *st, int64_t id, double *tokens,
    double *at)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	*tokens = *at = 0;
	rc = db_run(st->db, &campaign_sql, Q_THROTTLE, &r, "i", id);
	if (rc == DB_ROW) {
		*tokens = db_double(r, 0);
		*at = db_double(r, 1);
		rc = 1;
	} else
		rc = rc == DB_DONE ? 0 : -1;
	db_reset(r);
	return rc;
}

int
store_campaign_waiting(struct store *st, int64_t id, long *n)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	*n = 0;
	rc = db_run(st->db, &campaign_sql, Q_WAITING, &r, "i", id);
	if (rc == DB_ROW) {
		*n = (long)db_int64(r, 0);
		rc = 1;
	} else
		rc = rc == DB_DONE ? 1 : -1;
	db_reset(r);
	return rc;
}

int
store_campaign_has_planned(struct store *st, int64_t id)
{
	return q_exists(st, Q_HAS_PLANNED, "i", id, NULL);
}

int
store_campaign_zone_next(struct store *st, int64_t id, const char *after,
    char *zone, size_t zonesz)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = after == NULL ? db_run(st->db, &campaign_sql, Q_ZONE_FIRST, &r, "i", id) :
	    db_run(st->db, &campaign_sql, Q_ZONE_NEXT, &r, "is", id, after);
	if (rc == DB_ROW && !db_null(r, 0)) {
		db_copy(r, 0, zone, zonesz);
		rc = 1;
	} else
		rc = rc == DB_ROW || rc == DB_DONE ? 0 : -1;
	db_reset(r);
	return rc;
}

void
store_rcpts_free(struct store_rcpt *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].fields);
	free(v);
}

int
store_campaign_due(struct store *st, int64_t id, const char *zone,
    size_t limit, struct store_rcpt **out)
{
	struct store_rcpt	*v;
	struct db_stmt		*r = NULL;
	size_t			 n = 0;
	int			 rc;

	*out = NULL;
	if (limit == 0)
		return 0;
	if ((v = calloc(limit, sizeof(*v))) == NULL) {
		log_error("campaign due: out of memory");
		return -1;
	}
	for (rc = db_run(st->db, &campaign_sql, Q_DUE, &r, "isi", id, zone,
	    (int64_t)limit); rc == DB_ROW && n < limit;
	    rc = db_step(r)) {
		v[n].id = db_int64(r, 0);
		db_copy(r, 1, v[n].phone, sizeof(v[n].phone));
		if ((v[n].fields = strdup(db_str(r, 2))) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	db_reset(r);
	if (rc != DB_DONE && rc != DB_ROW) {
		store_rcpts_free(v, n);
		return -1;
	}
	*out = v;
	return (int)n;
}

int
store_campaign_rcpt_set(struct store *st, int64_t rcpt,
    enum rcpt_status status, const char *reason, int64_t message)
{
	return db_exec(st->db, &campaign_sql, Q_RCPT_SET, "issi", rcpt,
	    rcpt_status_name(status), reason != NULL ? reason : "",
	    message) > 0 ? 1 : -1;
}

int
store_session_campaign_add(struct store *st, int64_t session,
    int64_t campaign)
{
	return db_exec(st->db, &campaign_sql, Q_SESSION_ADD, "ii", session,
	    campaign) > 0 ? 1 : -1;
}

int
store_session_campaign(struct store *st, int64_t session, int64_t *campaign,
    char *name, size_t namesz)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = db_run(st->db, &campaign_sql, Q_SESSION_GET, &r, "i", session);
	if (rc == DB_ROW) {
		*campaign = db_int64(r, 0);
		db_copy(r, 1, name, namesz);
		rc = 1;
	} else
		rc = rc == DB_DONE ? 0 : -1;
	db_reset(r);
	return rc;
}

int
store_agent_by_name(struct store *st, const char *name, int64_t *id)
{
	struct db_stmt	*r = NULL;
	int		 rc;

	rc = db_run(st->db, &campaign_sql, Q_AGENT_NAME, &r, "s", name);
	if (rc == DB_ROW) {
		*id = db_int64(r, 0);
		rc = 1;
	} else
		rc = rc == DB_DONE ? 0 : -1;
	db_reset(r);
	return rc;
}

struct store_rcpt_writer {
	struct store	*st;
	int64_t		 campaign;
};

int
store_rcpt_writer_open(struct store *st, int64_t campaign,
    struct store_rcpt_writer **out)
{
	struct store_rcpt_writer	*w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_error("recipient writer: out of memory");
		return -1;
	}
	w->st = st;
	w->campaign = campaign;
	*out = w;
	return 1;
}

void
store_rcpt_writer_close(struct store_rcpt_writer *w)
{
	if (w == NULL)
		return;
	free(w);
}

int
store_rcpt_writer_add(struct store_rcpt_writer *w, uint64_t line,
    const char *phone, const char *fields, const char *zone, int *opted_out)
{
	struct db_stmt	*r;
	int		 rc;

	*opted_out = 0;
	rc = db_exec(w->st->db, &campaign_sql, Q_RCPT_ADD, "iisss",
	    w->campaign, (int64_t)line, phone, fields, zone);
	if (rc != 0)
		return rc;
	/* Refused, which is rare: by the contact's opt-out, or a duplicate. */
	rc = db_run(w->st->db, &campaign_sql, Q_OPTED_OUT, &r, "s", phone);
	if (rc == DB_ROW)
		*opted_out = db_int(r, 0) != 0;
	db_reset(r);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}

int
store_campaign_rcpt_each(struct store *st, int64_t id,
    enum rcpt_status status, const char *prefix, int64_t after,
    int64_t limit, int (*fn)(const struct store_rcpt_row *, void *),
    void *arg)
{
	struct store_rcpt_row	 row;
	struct db_stmt		*r = NULL;
	int			 rc;

	for (rc = db_run(st->db, &campaign_sql, prefix != NULL ?
	    Q_RCPT_EACH_PHONE : status < RCPT__MAX ? Q_RCPT_EACH_STATUS :
	    Q_RCPT_EACH, &r, "issii", id,
	    status < RCPT__MAX ? rcpt_status_name(status) : NULL, prefix, after,
	    limit > 0 ? limit : (int64_t)-1); rc == DB_ROW;
	    rc = db_step(r)) {
		memset(&row, 0, sizeof(row));
		row.id = db_int64(r, 0);
		row.line = (uint64_t)db_int64(r, 1);
		row.phone = db_str(r, 2);
		if (!rcpt_status_find(db_str(r, 3), &row.status))
			row.status = RCPT_SKIPPED;
		row.reason = db_str(r, 4);
		row.message = db_int64(r, 5);
		row.updated_at = db_str(r, 6);
		row.fields = db_str(r, 7);
		row.msg_status = db_str(r, 8);
		if (!fn(&row, arg)) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(r);
	return rc == DB_DONE ? 1 : -1;
}

int
store_campaign_series(struct store *st, int64_t id, int len,
    int (*fn)(const char *, enum rcpt_status, int64_t, void *), void *arg)
{
	struct db_stmt		*r = NULL;
	enum rcpt_status	 s;
	int			 rc;

	for (rc = db_run(st->db, &campaign_sql, Q_SERIES, &r, "ii", id, (int64_t)len);
	    rc == DB_ROW; rc = db_step(r)) {
		if (!rcpt_status_find(db_str(r, 1), &s))
			continue;
		if (!fn(db_str(r, 0), s, db_int64(r, 2),
		    arg)) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(r);
	return rc == DB_DONE ? 1 : -1;
}

int
store_campaign_replies(struct store *st, int64_t batch, int64_t *replied)
{
	struct db_stmt	*r = NULL;
	int64_t		 mark = 0, upto = 0, moved = 0;
	int		 rc;

	*replied = 0;
	if ((rc = db_run(st->db, &campaign_sql, Q_REPLY_RANGE, &r, "")) == DB_ROW) {
		mark = db_int64(r, 0);
		upto = db_int64(r, 1);
	}
	db_reset(r);
	if (rc != DB_ROW)
		return -1;
	if (upto <= mark)
		return 1;
	if (upto - mark > batch)
		upto = mark + batch;
	/* Lost on a power failure, the marks are made again: relaxed. */
	if (store_sync_relaxed(st, 1) < 0)
		return -1;
	if (store_begin(st) < 0) {
		store_sync_relaxed(st, 0);
		return -1;
	}
	/*
	 * The mark first: it holds the range, so that of two senders looking
	 * at it at once (PostgreSQL) the second finds it moved and marks
	 * nothing.
	 */
	if (db_exec_count(st->db, &campaign_sql, Q_REPLY_MARK, &moved, "ii", mark, upto) <= 0 ||
	    moved == 0 ||
	    db_exec_count(st->db, &campaign_sql, Q_REPLIED, replied,
	    "ii", mark, upto) <= 0 || store_commit(st) < 0) {
		store_rollback(st);
		store_sync_relaxed(st, 0);
		*replied = 0;
		return moved == 0 ? 0 : -1;
	}
	return store_sync_relaxed(st, 0) < 0 ? -1 : 1;
}

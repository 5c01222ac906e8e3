/* Store tests: migrations, connections, sessions, dedupe, status order, outbox claims across processes. */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "outbox.h"
#include "secret.h"
#include "store.h"

static char	 dir[] = "/tmp/ibc-store-XXXXXX";
static char	 dbpath[256];

/* Runs one SQL query on a separate connection and returns the first column as an integer. */
static long long
q(const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	long long	 v = -1;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	} else
		fprintf(stderr, "q: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	return v;
}

static void
test_open(void)
{
	struct store	*st;

	CHECK(store_open(dbpath, STORE_OPEN_EXISTING, &st) == 0,
	    "missing store is a soft outcome");
	CHECK(store_open(dbpath, STORE_OPEN_CREATE, &st) > 0, "create");
	CHECK(store_version(st) >= 1, "migrated to %d", store_version(st));
	store_close(st);
	CHECK(store_open(dbpath, STORE_OPEN_EXISTING, &st) > 0, "reopen");
	CHECK(store_version(st) >= 1, "version kept");
	store_close(st);
	CHECK(q("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name IN ('connections', 'connection_env', 'agents',"
	    " 'agent_channels', 'contacts', 'sessions', 'messages', 'outbox',"
	    " 'message_events', 'logs', 'campaigns', 'campaign_recipients',"
	    " 'users', 'settings')") == 14, "all designed tables exist");
	CHECK(q("SELECT COUNT(*) FROM sqlite_master WHERE type = 'view'") >= 2,
	    "analyst views exist");
	/*
	 * The sender's batches run with the triggers off on SQLite and make
	 * these two follow by hand (store_follow_end): a new trigger on what
	 * they change must be followed there too.
	 */
	CHECK(q("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'"
	    " AND (tbl_name = 'outbox' OR (tbl_name = 'messages' AND"
	    " sql LIKE '%UPDATE%ON messages%' AND"
	    " sql NOT LIKE '%UPDATE OF text ON messages%'))") == 2 &&
	    q("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND"
	    " tbl_name = 'messages' AND name IN ('message_counts_update',"
	    " 'campaign_recipient_follows')") == 2,
	    "the triggers the sender's batches follow by hand are the two"
	    " store_follow_end knows");
}

static void
add_connection(struct store *st, struct store_connection *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "Test line");
	snprintf(c->api_url, sizeof(c->api_url), "http://127.0.0.1:9");
	snprintf(c->sender, sizeof(c->sender), "InfoSMS");
	snprintf(c->api_key_enc, sizeof(c->api_key_enc), "v1:AAAA");
	CHECK(store_connection_add(st, c) > 0, "connection add");
	CHECK(store_id_valid(c->id), "id is 32 hex digits: %s", c->id);
}

static void
test_connections_agents(struct store *st, struct store_connection *c)
{
	struct store_connection	 got;
	struct store_agent	 a1, a2;
	const char		*why;
	int64_t			 agent;
	int			 running;

	add_connection(st, c);
	CHECK(store_connection_get(st, c->id, &got) > 0, "get");
	CHECK(got.status == CONN_STOPPED, "new connection is stopped");
	CHECK_STR(got.sender, "InfoSMS", "sender kept");
	CHECK(store_connection_get(st, "0123", &got) == 0, "malformed id");
	CHECK(store_connection_get(st, "00000000000000000000000000000000",
	    &got) == 0, "unknown id");
	CHECK(store_connection_set_status(st, c->id, CONN_RUNNING, "ok",
	    "{}") > 0, "status");
	CHECK(store_connection_set_status(st, c->id, (enum conn_status)99, "",
	    NULL) == 0, "status outside the set is refused (a soft result)");

	memset(&a1, 0, sizeof(a1));
	snprintf(a1.name, sizeof(a1.name), "one");
	a1.kind = AGENT_RULES;
	a2 = a1;
	snprintf(a2.name, sizeof(a2.name), "two");
	CHECK(store_agent_add(st, &a1) > 0 && store_agent_add(st, &a2) > 0,
	    "agents added");
	CHECK(store_inbound_agent(st, c->id, &agent, &running) == 0,
	    "no inbound agent yet");
	CHECK(store_agent_attach(st, a1.id, c->id, 1, &why) > 0, "attach 1");
	CHECK(store_agent_attach(st, a2.id, c->id, 1, &why) == 0 &&
	    why != NULL && strstr(why, "only one inbound agent") != NULL,
	    "second inbound agent refused with a clear error");
	CHECK(store_agent_attach(st, a2.id, c->id, 0, &why) > 0,
	    "outbound-only attachment allowed");
	CHECK(store_agent_attach(st, 999, c->id, 0, &why) == 0 &&
	    strstr(why, "no such") != NULL, "unknown agent refused");
	CHECK(store_inbound_agent(st, c->id, &agent, &running) > 0 &&
	    agent == a1.id && running == 0, "inbound agent found, stopped");
	CHECK(store_agent_set_status(st, a1.id, AGENT_RUNNING) > 0, "agent start");
	CHECK(store_inbound_agent(st, c->id, &agent, &running) > 0 &&
	    running == 1, "inbound agent running");
}

static void
test_sessions_messages(struct store *st, const struct store_connection *c)
{
	struct store_inbound	 in;
	int64_t			 contact, contact2, s1, s2, msg;
	int			 opted, opened;
	char			 sql[512];

	CHECK(store_contact_get(st, "+4915112345678", &contact, &opted) > 0 &&
	    opted == 0, "contact created");
	CHECK(store_contact_get(st, "+4915112345678", &contact2, &opted) > 0 &&
	    contact2 == contact, "same contact for the same number");
	CHECK(store_session_open(st, c->id, contact, 0, 60, &s1, &opened) > 0 &&
	    opened == 1, "session opened");
	CHECK(store_session_open(st, c->id, contact, 0, 60, &s2, &opened) > 0 &&
	    opened == 0 && s2 == s1, "open session found again");
	/* Taking a session: only from the AI or oneself, decided in the update. */
	CHECK(store_session_take_free(st, s1, "ann") > 0, "ann takes it from the AI");
	CHECK(store_session_take_free(st, s1, "ann") > 0, "ann holds it already");
	CHECK(store_session_take_free(st, s1, "bob") == 0, "bob may not take it");
	snprintf(sql, sizeof(sql), "SELECT responsible = 'ann' FROM sessions"
	    " WHERE id = %lld", (long long)s1);
	CHECK(q(sql) == 1, "ann still holds it");
	CHECK(store_session_set_responsible(st, s1, "ai") > 0 &&
	    store_session_take_free(st, s1, "bob") > 0 &&
	    store_session_set_responsible(st, s1, "ai") > 0, "back to the AI,"
	    " then bob may");
	/* Age the session past the timeout: a new one opens, the old stays closed. */
	snprintf(sql, sizeof(sql), "UPDATE sessions SET last_at ="
	    " strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-2 hours')"
	    " WHERE id = %lld", (long long)s1);
	{
		sqlite3 *db;

		sqlite3_open(dbpath, &db);
		sqlite3_busy_timeout(db, 5000);
		CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
		    "age session");
		sqlite3_close(db);
	}
	CHECK(store_session_open(st, c->id, contact, 0, 60, &s2, &opened) > 0 &&
	    opened == 1 && s2 != s1, "timed-out session replaced");
	snprintf(sql, sizeof(sql), "SELECT closed_at IS NOT NULL FROM sessions"
	    " WHERE id = %lld", (long long)s1);
	CHECK(q(sql) == 1, "old session closed, not reopened");
	{
		long	 closed;
		sqlite3	*db;

		snprintf(sql, sizeof(sql), "UPDATE sessions SET last_at ="
		    " strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-3 hours')"
		    " WHERE id = %lld", (long long)s2);
		sqlite3_open(dbpath, &db);
		sqlite3_busy_timeout(db, 5000);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_close(db);
		CHECK(store_sessions_close_idle(st, 60, &closed) > 0 &&
		    closed == 1, "idle session closed by the sweep");
		CHECK(store_sessions_close_idle(st, 60, &closed) > 0 &&
		    closed == 0, "nothing left to close");
		CHECK(store_session_open(st, c->id, contact, 0, 60, &s2,
		    &opened) > 0 && opened == 1, "a new session after the sweep");
	}

	memset(&in, 0, sizeof(in));
	in.conn = c->id;
	in.session = s2;
	in.contact = contact;
	in.infobip_id = "ib-1";
	in.from = "4915112345678";
	in.to = "447491163443";
	in.text = "Hello <b>'; DROP TABLE messages; --";
	in.text_len = strlen(in.text);
	in.price = -1;
	in.sms_count = -1;
	CHECK(store_message_insert_inbound(st, &in, &msg) > 0, "inbound stored");
	CHECK(store_inbound_seen(st, c->id, "ib-1") > 0, "seen");
	CHECK(store_message_insert_inbound(st, &in, &msg) == 0,
	    "same Infobip id is a duplicate");
	CHECK(q("SELECT COUNT(*) FROM messages WHERE infobip_id = 'ib-1'") == 1,
	    "stored once");
	CHECK(q("SELECT COUNT(*) FROM messages WHERE text ="
	    " 'Hello <b>''; DROP TABLE messages; --'") == 1,
	    "hostile text stored exactly");
}

static void
test_reports(struct store *st, const struct store_connection *c)
{
	struct store_outbound	 o;
	struct store_report	 r;
	int64_t			 id;
	long			 applied;
	int			 pending;
	char			 uid[STORE_UID_MAX], sql[256];

	memset(&o, 0, sizeof(o));
	o.conn = c->id;
	o.author = "agent";
	o.sender = "InfoSMS";
	o.recipient = "+4915112345678";
	o.text = "Hi";
	CHECK(store_message_insert_outbound(st, &o, &id, uid) > 0, "outbound");
	CHECK(q("SELECT COUNT(*) FROM outbox") >= 1, "queued in outbox");

	memset(&r, 0, sizeof(r));
	r.uid = uid;
	r.status = "delivered";
	r.group_name = "DELIVERED";
	r.status_name = "DELIVERED_TO_HANDSET";
	r.price = 0.01;
	r.currency = "EUR";
	r.sms_count = 1;
	r.raw = "{}";
	CHECK(store_report_apply(st, c->id, &r, &pending) > 0, "report applied");
	snprintf(sql, sizeof(sql), "SELECT status = 'delivered' AND price = 0.01"
	    " FROM messages WHERE id = %lld", (long long)id);
	CHECK(q(sql) == 1, "delivered with price");
	CHECK(store_report_apply(st, c->id, &r, &pending) == 0,
	    "the same report again: seen before");
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM message_events WHERE"
	    " message_id = %lld", (long long)id);
	CHECK(q(sql) == 1, "a report sent twice is kept once");
	snprintf(sql, sizeof(sql), "SELECT status = 'delivered' AND price = 0.01"
	    " FROM messages WHERE id = %lld", (long long)id);
	r.status = "accepted";
	r.group_name = "PENDING";
	CHECK(store_report_apply(st, c->id, &r, &pending) > 0, "late PENDING taken");
	CHECK(q(sql) == 1, "late PENDING does not overwrite DELIVERED");
	r.status = "undeliverable";
	CHECK(store_report_apply(st, c->id, &r, &pending) > 0, "late final taken");
	CHECK(q(sql) == 1, "a final status never changes");
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM outbox WHERE"
	    " message_id = %lld", (long long)id);
	CHECK(q(sql) == 0, "reported message leaves the outbox");

	/* Our own 'failed' gives way to Infobip's final word, not to PENDING. */
	o.fail_reason = "gave up: our guess";
	CHECK(store_message_insert_outbound(st, &o, &id, uid) > 0,
	    "failed outbound");
	o.fail_reason = NULL;
	r.uid = uid;
	r.status = "accepted";
	r.group_name = "PENDING";
	CHECK(store_report_apply(st, c->id, &r, &pending) > 0, "PENDING on failed taken");
	snprintf(sql, sizeof(sql), "SELECT status = 'failed' FROM messages"
	    " WHERE id = %lld", (long long)id);
	CHECK(q(sql) == 1 && q("SELECT COUNT(*) FROM logs WHERE event ="
	    " 'report'") == 0, "PENDING does not overwrite failed, nothing"
	    " logged");
	r.status = "delivered";
	r.group_name = "DELIVERED";
	CHECK(store_report_apply(st, c->id, &r, &pending) > 0, "final on failed taken");
	snprintf(sql, sizeof(sql), "SELECT status = 'delivered' AND"
	    " status_group = 'DELIVERED' FROM messages WHERE id = %lld",
	    (long long)id);
	CHECK(q(sql) == 1, "a final report overrides our own failed");
	CHECK(q("SELECT COUNT(*) FROM logs WHERE event = 'report' AND text"
	    " LIKE '%now delivered%our guess%'") == 1, "the correction is logged");
	r.status = "undeliverable";
	CHECK(store_report_apply(st, c->id, &r, &pending) > 0 && q(sql) == 1,
	    "then Infobip's first final status stays");
	CHECK(store_outbox_done(st, id, "failed", NULL, NULL, "", "", "late",
	    -1) > 0 && q(sql) == 1, "the sender's late 'failed' does not either");
	CHECK(q("SELECT COUNT(*) FROM logs WHERE event = 'report'") == 1,
	    "one correction logged");

	/* A report for a message not known yet waits, then applies. */
	r.uid = "feedfeedfeedfeedfeedfeedfeedfeed";
	r.status = "delivered";
	CHECK(store_report_apply(st, c->id, &r, &pending) > 0 && pending,
	    "kept for later");
	CHECK(store_report_apply(st, c->id, &r, &pending) == 0,
	    "the same early report again: seen before");
	CHECK(store_reports_apply_pending(st, &applied) > 0 && applied == 0,
	    "nothing to apply yet");
	{
		sqlite3 *db;

		sqlite3_open(dbpath, &db);
		snprintf(sql, sizeof(sql), "INSERT INTO messages (uid,"
		    " connection_id, direction, text, status) VALUES"
		    " ('feedfeedfeedfeedfeedfeedfeedfeed', '%s', 'out', 'x',"
		    " 'sending')", c->id);
		CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
		    "message appears");
		sqlite3_close(db);
	}
	CHECK(store_reports_apply_pending(st, &applied) > 0 && applied == 1,
	    "kept report applied once the message exists");
	CHECK(q("SELECT status = 'delivered' FROM messages WHERE uid ="
	    " 'feedfeedfeedfeedfeedfeedfeedfeed'") == 1, "now delivered");
	CHECK(store_reports_apply_pending(st, &applied) > 0 && applied == 0,
	    "applied only once");
}

#define CLAIM_ROWS	10000

/* Child: claims batches until the outbox is empty, writing each claimed id to fd. */
static int
claimer(int fd, int go, const char *owner)
{
	struct store		*st;
	struct store_claim	*c;
	int			 n, i, idle = 0;
	char			 line[32];

	if (store_open(dbpath, STORE_OPEN_EXISTING, &st) <= 0)
		return 1;
	/* Both claimers start together, so they really compete. */
	if (read(go, line, 1) != 1)
		return 1;
	while (idle < 3) {
		if ((n = store_outbox_claim(st, owner, 600, 20, &c)) < 0)
			return 1;
		if (n == 0) {
			idle++;
			usleep(20000);
			continue;
		}
		idle = 0;
		for (i = 0; i < n; i++) {
			int len = snprintf(line, sizeof(line), "%lld\n",
			    (long long)c[i].message);
			if (write(fd, line, (size_t)len) != len)
				return 1;
		}
		store_claims_free(c, (size_t)n);
		/* A real sender spends this time talking to Infobip. */
		usleep(1000);
	}
	store_close(st);
	return 0;
}

static void
test_claims(struct store *st, const struct store_connection *c)
{
	struct store_outbound	 o;
	int64_t			 id, *seen;
	char			 uid[STORE_UID_MAX];
	int			 fds[2][2], go[2], i, status, ok = 1;
	long long		 first, v, total = 0, dup = 0;
	pid_t			 pid[2];
	FILE			*f;

	/* Clear what earlier tests queued. */
	{
		struct store_claim *cl;
		int n = store_outbox_claim(st, "cleaner", 600, 1000, &cl);

		store_claims_free(cl, n > 0 ? (size_t)n : 0);
	}
	memset(&o, 0, sizeof(o));
	o.conn = c->id;
	o.author = "campaign";
	o.sender = "InfoSMS";
	o.recipient = "+4915112345678";
	o.text = "bulk";
	store_begin(st);
	for (i = 0; i < CLAIM_ROWS && ok; i++)
		ok = store_message_insert_outbound(st, &o, &id, uid) > 0;
	CHECK(ok && store_commit(st) > 0, "10,000 rows queued");
	first = id - CLAIM_ROWS + 1;

	if (pipe(go) == -1)
		return;
	for (i = 0; i < 2; i++) {
		if (pipe(fds[i]) == -1)
			return;
		if ((pid[i] = fork()) == 0) {
			close(fds[i][0]);
			close(go[1]);
			_exit(claimer(fds[i][1], go[0], i ? "b" : "a"));
		}
		close(fds[i][1]);
	}
	close(go[0]);
	sleep(1);
	if (write(go[1], "gg", 2) != 2)
		return;
	close(go[1]);
	seen = calloc(CLAIM_ROWS, sizeof(*seen));
	for (i = 0; i < 2; i++) {
		long long mine = 0;

		f = fdopen(fds[i][0], "r");
		while (fscanf(f, "%lld", &v) == 1) {
			if (v < first || v >= first + CLAIM_ROWS) {
				dup++;
				continue;
			}
			if (seen[v - first]++)
				dup++;
			total++;
			mine++;
		}
		fclose(f);
		waitpid(pid[i], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "claimer %d ok", i);
		CHECK(mine > 0, "claimer %d claimed some rows (%lld)", i, mine);
	}
	CHECK(total == CLAIM_ROWS && dup == 0,
	    "each of 10,000 rows claimed exactly once (total %lld, dup %lld)",
	    total, dup);
	free(seen);
	CHECK(q("SELECT COUNT(*) FROM messages WHERE text = 'bulk' AND"
	    " status = 'queued'") == CLAIM_ROWS && q("SELECT COUNT(*) FROM"
	    " outbox WHERE lease_owner IS NOT NULL") >= CLAIM_ROWS,
	    "claimed rows are leased, still queued until their request");
}

/* Queues an agent's message on connection c; returns its id (uid written), 0 on failure. */
static int64_t
queue_message(struct store *st, const struct store_connection *c,
    const char *recipient, const char *text, char uid[STORE_UID_MAX])
{
	struct store_outbound	 o;
	int64_t			 id = 0;

	memset(&o, 0, sizeof(o));
	o.conn = c->id;
	o.author = "agent";
	o.sender = "InfoSMS";
	o.recipient = recipient;
	o.text = text;
	CHECK(store_message_insert_outbound(st, &o, &id, uid) > 0,
	    "queued \"%s\"", text);
	return id;
}

static void
test_retry_and_lapse(struct store *st, const struct store_connection *c)
{
	struct store_claim	*cl;
	int64_t			 id;
	char			 uid[STORE_UID_MAX], sql[256];
	int			 n, held;

	id = queue_message(st, c, "+4915112345678", "retry me", uid);
	n = store_outbox_claim(st, "x", 1, 10, &cl);
	CHECK(n == 1 && cl[0].message == id && cl[0].unsure == 0,
	    "claimed fresh (n=%d)", n);
	store_claims_free(cl, n > 0 ? (size_t)n : 0);
	n = store_outbox_claim(st, "y", 1, 10, &cl);
	CHECK(n == 0, "leased row not claimed twice");
	store_claims_free(cl, 0);
	sleep(2);
	/* x never reached its request: y takes it as it was, x may not send it. */
	n = store_outbox_claim(st, "y", 1, 10, &cl);
	CHECK(n == 1 && cl[0].unsure == 0,
	    "a lapsed claim that never reached its request: claimed again, sure");
	store_claims_free(cl, n > 0 ? (size_t)n : 0);
	CHECK(store_outbox_mark_sending(st, "x", 1, &id, 1, &held) > 0 &&
	    held == 0, "the first owner may no longer send it");
	snprintf(sql, sizeof(sql), "SELECT status = 'queued' FROM messages"
	    " WHERE id = %lld", (long long)id);
	CHECK(q(sql) == 1, "not marked for the first owner");
	CHECK(store_outbox_mark_sending(st, "y", 1, &id, 1, &held) > 0 &&
	    held == 1, "the owner marks it before its request");
	snprintf(sql, sizeof(sql), "SELECT status = 'sending' FROM messages"
	    " WHERE id = %lld", (long long)id);
	CHECK(q(sql) == 1, "marked sending");
	sleep(2);
	n = store_outbox_claim(st, "z", 1, 10, &cl);
	CHECK(n == 1 && cl[0].unsure == 1,
	    "lapsed lease after the mark: claimed again as unsure");
	store_claims_free(cl, n > 0 ? (size_t)n : 0);
	CHECK(store_outbox_retry(st, id, 3600, "HTTP 500",
	    STORE_RETRY_SEND) > 0, "retry later");
	n = store_outbox_claim(st, "y", 60, 10, &cl);
	CHECK(n == 0, "not due before its next attempt");
	store_claims_free(cl, 0);
	snprintf(sql, sizeof(sql), "SELECT status = 'queued' FROM messages"
	    " WHERE id = %lld", (long long)id);
	CHECK(q(sql) == 1, "back to queued");
	CHECK(store_outbox_done(st, id, "accepted", "ib-x", "bulk-x", "PENDING",
	    "PENDING_ACCEPTED", "Message sent to next instance", 1) > 0,
	    "done");
	snprintf(sql, sizeof(sql), "SELECT status = 'accepted' AND"
	    " infobip_id = 'ib-x' FROM messages WHERE id = %lld",
	    (long long)id);
	CHECK(q(sql) == 1, "accepted with Infobip's id");
}

/* The dead() of store_outbox_release_dead: only the owner named in arg is gone. */
static int
owner_is(const char *owner, void *arg)
{
	return strcmp(owner, arg) == 0;
}

/* What a killed sender claimed: given back when it never left, kept when it may have. */
static void
test_release_dead(struct store *st, const struct store_connection *c)
{
	struct store_claim	*cl;
	int64_t			 a, b;
	char			 uid[STORE_UID_MAX], sql[256];
	long			 freed;
	int			 n, held;

	a = queue_message(st, c, "+4915112345670", "never posted", uid);
	b = queue_message(st, c, "+4915112345671", "posted", uid);
	n = store_outbox_claim(st, "dead", 600, 10, &cl);
	store_claims_free(cl, n > 0 ? (size_t)n : 0);
	CHECK(n == 2, "both claimed (%d)", n);
	CHECK(store_outbox_mark_sending(st, "dead", 600, &b, 1, &held) > 0 &&
	    held, "one marked before its request");
	CHECK(store_outbox_release_dead(st, owner_is, "alive", &freed) > 0 &&
	    freed == 0, "a live owner's claims stay");
	CHECK(store_outbox_release_dead(st, owner_is, "dead", &freed) > 0 &&
	    freed == 1, "a dead owner's unposted claim is given back (%ld)",
	    freed);
	snprintf(sql, sizeof(sql), "SELECT lease_owner IS NULL AND attempts = 0"
	    " FROM outbox WHERE message_id = %lld", (long long)a);
	CHECK(q(sql) == 1, "given back without counting an attempt");
	snprintf(sql, sizeof(sql), "SELECT lease_owner = 'dead' FROM outbox"
	    " WHERE message_id = %lld", (long long)b);
	CHECK(q(sql) == 1, "the marked one waits for its lease");
	n = store_outbox_claim(st, "next", 600, 10, &cl);
	CHECK(n == 1 && cl[0].message == a && !cl[0].unsure,
	    "the given back one is claimed at once, sure");
	store_claims_free(cl, n > 0 ? (size_t)n : 0);
	CHECK(store_outbox_done(st, a, "accepted", NULL, NULL, "", "", "", -1)
	    > 0 && store_outbox_done(st, b, "accepted", NULL, NULL, "", "",
	    "", -1) > 0, "both settled");
}

/*
 * Claims the one due row (message id) and marks it as a sender does just
 * before its request; returns 1 with *c filled, else 0.
 */
static int
claim_one(struct store *st, int64_t id, struct store_claim *c)
{
	struct store_claim	*cl;
	int			 n, held = 0;

	memset(c, 0, sizeof(*c));
	n = store_outbox_claim(st, "t", 60, 10, &cl);
	if (n == 1 && cl[0].message == id)
		*c = cl[0];
	store_claims_free(cl, n > 0 ? (size_t)n : 0);
	c->recipient = c->text = NULL;
	if (n != 1 || c->message != id)
		return 0;
	return store_outbox_mark_sending(st, "t", 60, &id, 1, &held) > 0 &&
	    held;
}

static int
count_row(const struct store_outbox_entry *e, void *arg)
{
	(*(int *)arg)++;
	return e->message > 0;
}

/* A send whose outcome is unknown: looked up, held, settled by hand. */
static void
test_unsure(struct store *st, const struct store_connection *c)
{
	struct store_outbox_entry	 e;
	struct store_claim		 cl;
	const char			*why;
	int64_t				 id;
	char				 uid[STORE_UID_MAX], sql[256];
	int				 rows = 0;

	id = queue_message(st, c, "+4915112345679", "unsure", uid);
	CHECK(store_outbox_get(st, id, &e) > 0 && strcmp(e.state, "queued")
	    == 0 && strcmp(e.uid, uid) == 0, "outbox entry: queued");
	CHECK(claim_one(st, id, &cl) && !cl.unsure, "claimed, sure");
	CHECK(store_outbox_get(st, id, &e) > 0 && strcmp(e.state, "sending")
	    == 0, "outbox entry: sending while claimed (%s)", e.state);
	CHECK(outbox_resend(st, id, "alice", &why) == 0 && why != NULL &&
	    strstr(why, "right now") != NULL, "no resend while claimed");
	CHECK(store_outbox_retry(st, id, 0, "TIMEOUT: x", STORE_RETRY_UNSURE)
	    > 0, "released unsure");
	CHECK(store_outbox_get(st, id, &e) > 0 && strcmp(e.state, "unsure")
	    == 0, "outbox entry: unsure (%s)", e.state);
	CHECK(claim_one(st, id, &cl) && cl.unsure && cl.not_found == 0 &&
	    cl.unsure_age >= 0 && cl.unsure_age < 60,
	    "claimed unsure, dated from now (age %.1f)", cl.unsure_age);
	CHECK(store_outbox_retry(st, id, 0, "not found",
	    STORE_RETRY_NOT_FOUND) > 0, "not found");
	CHECK(claim_one(st, id, &cl) && cl.unsure && cl.not_found == 1,
	    "one lookup counted (%d)", cl.not_found);
	CHECK(store_outbox_retry(st, id, 0, "HTTP 500", STORE_RETRY_LOOKUP) > 0,
	    "lookup failed");
	CHECK(claim_one(st, id, &cl) && cl.unsure && cl.not_found == 1,
	    "a failed lookup counts nothing (%d)", cl.not_found);
	CHECK(store_outbox_hold(st, id, "logs forbidden") > 0, "held");
	CHECK(store_outbox_get(st, id, &e) > 0 && strcmp(e.state, "held") == 0
	    && strcmp(e.last_error, "logs forbidden") == 0,
	    "outbox entry: held with the reason (%s)", e.state);
	CHECK(!claim_one(st, id, &cl), "a held message is not claimed");
	CHECK(store_outbox_each(st, c->id, 100, count_row, &rows) > 0 &&
	    rows >= 1, "outbox listed (%d)", rows);
	CHECK(outbox_resend(st, id, "alice", &why) > 0, "resent by hand");
	CHECK(store_outbox_get(st, id, &e) > 0 && strcmp(e.state, "queued")
	    == 0 && e.attempts == 0, "queued as new (%s)", e.state);
	CHECK(outbox_resend(st, id, "alice", &why) == 0 && why != NULL,
	    "a queued message is not resent");
	CHECK(q("SELECT COUNT(*) FROM logs WHERE event = 'outbox' AND text"
	    " LIKE '%sent again by hand by alice'") == 1, "resend logged");

	/* A sender killed mid-send: dated from its lapsed lease. */
	CHECK(claim_one(st, id, &cl) && !cl.unsure, "claimed again");
	snprintf(sql, sizeof(sql), "UPDATE outbox SET lease_until ="
	    " '2000-01-01 00:00:00.000' WHERE message_id = %lld",
	    (long long)id);
	q(sql);
	CHECK(claim_one(st, id, &cl) && cl.unsure && cl.unsure_age > 1e8,
	    "lapsed lease: unsure since it lapsed (age %.0f)", cl.unsure_age);
	snprintf(sql, sizeof(sql), "SELECT unsure_since LIKE '2000-01-01%%'"
	    " FROM outbox WHERE message_id = %lld", (long long)id);
	CHECK(q(sql) == 1, "unsure_since kept from the lapsed lease");
	CHECK(store_outbox_send_again(st, id) > 0, "send again");
	snprintf(sql, sizeof(sql), "SELECT unsure_since IS NULL AND"
	    " not_found = 0 FROM outbox WHERE message_id = %lld",
	    (long long)id);
	CHECK(q(sql) == 1, "sending again clears the unsure state");
	CHECK(store_outbox_retry(st, id, 0, "HTTP 500", STORE_RETRY_UNSURE) > 0,
	    "unsure again");
	CHECK(outbox_fail(st, id, "bob", &why) > 0, "failed by hand");
	snprintf(sql, sizeof(sql), "SELECT status = 'failed' AND"
	    " status_description LIKE '%%by hand by bob%%HTTP 500%%' FROM"
	    " messages WHERE id = %lld", (long long)id);
	CHECK(q(sql) == 1, "failed with the operator and the last error");
	CHECK(store_outbox_get(st, id, &e) == 0, "gone from the outbox");
	CHECK(store_outbox_send_again(st, id) == 0,
	    "no send again once it left the outbox");
	CHECK(outbox_fail(st, id, "bob", &why) == 0 && why != NULL,
	    "a settled message cannot be failed again");
}

static void
test_misc(struct store *st)
{
	enum user_role	 role;
	char		 buf[64];

	CHECK(store_setting_get(st, "session_timeout_minutes", buf,
	    sizeof(buf)) > 0, "default setting");
	CHECK(store_setting_set(st, "public_url", "https://x.example") > 0 &&
	    store_setting_get(st, "public_url", buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "https://x.example") == 0, "setting round trip");
	CHECK(store_user_set(st, "alice", ROLE_ADMIN) > 0, "user");
	CHECK(store_user_set(st, "bob", (enum user_role)9) == 0,
	    "role outside the set refused (the schema's CHECK)");
	CHECK(store_user_role(st, "alice", &role) > 0 && role == ROLE_ADMIN,
	    "role read");
	CHECK(store_log(st, NULL, "info", "test", "line1\nforged line") > 0,
	    "log");
	CHECK(q("SELECT COUNT(*) FROM logs WHERE text = 'line1\\nforged line'")
	    == 1, "log text kept on one line");
}

/* The plaintext API key appears nowhere in the database file or its WAL. */
static void
test_secret_at_rest(struct store *st, const struct store_connection *base)
{
	struct store_connection	 c = *base;
	unsigned char		 key[32];
	const char		*apikey = "SuperSecretKey-4d1c9a7e-plaintext";
	char			 path[300], *enc, *buf;
	const char		*files[] = { dbpath, NULL };
	char			 wal[300];
	FILE			*f;
	size_t			 n, i;
	long			 len;
	int			 found = 0;

	snprintf(path, sizeof(path), "%s/key", dir);
	CHECK(secret_key_create(path) > 0 && secret_key_load(path, key) > 0,
	    "key file");
	enc = secret_encrypt(key, apikey);
	CHECK(enc != NULL, "encrypt");
	if (enc == NULL)
		return;
	snprintf(c.api_key_enc, sizeof(c.api_key_enc), "%s", enc);
	free(enc);
	/* Names are unique among live connections (migration 023). */
	snprintf(c.name, sizeof(c.name), "Key at rest");
	CHECK(store_connection_add(st, &c) > 0, "connection with real key");
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	files[1] = wal;
	for (i = 0; i < 2; i++) {
		if ((f = fopen(files[i], "rb")) == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		buf = malloc((size_t)len + 1);
		n = fread(buf, 1, (size_t)len, f);
		fclose(f);
		buf[n] = '\0';
		if (memmem(buf, n, apikey, strlen(apikey)) != NULL)
			found++;
		free(buf);
	}
	CHECK(found == 0, "plaintext key absent from the database and WAL");
}

int
main(void)
{
	struct store_connection	 c;
	struct store		*st;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/test.db", dir);
	setenv("IBCHANNEL_SYNC", "normal", 1);
	test_open();
	if (store_open(dbpath, STORE_OPEN_EXISTING, &st) <= 0)
		return 1;
	test_connections_agents(st, &c);
	test_sessions_messages(st, &c);
	test_reports(st, &c);
	test_claims(st, &c);
	test_retry_and_lapse(st, &c);
	test_release_dead(st, &c);
	test_unsure(st, &c);
	test_misc(st);
	test_secret_at_rest(st, &c);
	store_close(st);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return check_done();
}

/* Outbound tests: every producer's text is stored as it will be sent, a cut is logged, operators' send and reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "outbound.h"
#include "smstext.h"
#include "store.h"

static char	 dir[] = "/tmp/ibc-outbound-XXXXXX";
static char	 dbpath[256];

/* The one value query (a SELECT of one column, ? the message id) reads (the caller frees it), or NULL. */
static char *
stored_value(const char *query, int64_t id)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	char		*t = NULL;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return NULL;
	if (sqlite3_prepare_v2(db, query, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW)
			t = strdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return t;
}

/* The stored text of message id (the caller frees it), or NULL. */
static char *
stored_text(int64_t id)
{
	return stored_value("SELECT text FROM messages WHERE id = ?", id);
}

/* Rows of the logs whose text is LIKE pattern. */
static int
log_count(const char *pattern)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	int		 n = -1;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM logs WHERE text LIKE ?",
	    -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, pattern, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

int
main(void)
{
	struct store_connection	 c;
	struct store_outbound	 o;
	struct store_session	 sess;
	struct store		*st;
	char			 uid[STORE_UID_MAX], failed[256], want[1700];
	char			 pattern[128], *long_text, *t;
	int64_t			 id, contact;
	int			 opted;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/test.db", dir);
	setenv("IBCHANNEL_SYNC", "normal", 1);
	if (store_open(dbpath, STORE_OPEN_CREATE, &st) <= 0)
		return 1;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "Test line");
	snprintf(c.api_url, sizeof(c.api_url), "http://127.0.0.1:9");
	snprintf(c.sender, sizeof(c.sender), "InfoSMS");
	snprintf(c.api_key_enc, sizeof(c.api_key_enc), "v1:AAAA");
	CHECK(store_connection_add(st, &c) > 0, "connection");

	/* 1,700 characters: stored as the 1,600 that go out, the cut logged. */
	long_text = malloc(1701);
	memset(long_text, 'a', 1700);
	long_text[1700] = '\0';
	memset(want, 'a', SMSTEXT_MAX_CHARS - 3);
	memcpy(want + SMSTEXT_MAX_CHARS - 3, "...", 4);
	memset(&o, 0, sizeof(o));
	o.conn = c.id;
	o.author = "agent";
	o.sender = c.sender;
	o.recipient = "+4915112345678";
	o.text = long_text;
	CHECK(outbound_queue(st, &o, &id, uid) > 0, "long text queued");
	t = stored_text(id);
	CHECK(t != NULL && strcmp(t, want) == 0, "stored cut to 1,600: %zu",
	    t != NULL ? strlen(t) : 0);
	free(t);
	snprintf(pattern, sizeof(pattern), "%%%s%%cut to 1600 characters"
	    " from 1700%%", uid);
	CHECK(log_count(pattern) == 1, "the cut is logged with its length");

	/* A short text is stored as is, nothing logged; bad UTF-8 repaired. */
	o.text = "short";
	CHECK(outbound_queue(st, &o, &id, uid) > 0, "short text queued");
	t = stored_text(id);
	CHECK(t != NULL && strcmp(t, "short") == 0, "short text as is");
	free(t);
	snprintf(pattern, sizeof(pattern), "%%%s%%", uid);
	CHECK(log_count(pattern) == 0, "nothing logged for a short text");
	o.text = "caf\xc3 \xff";
	CHECK(outbound_queue(st, &o, &id, uid) > 0, "bad UTF-8 queued");
	t = stored_text(id);
	CHECK(t != NULL && strcmp(t, "caf\xef\xbf\xbd \xef\xbf\xbd") == 0,
	    "bad UTF-8 stored repaired, as sent");
	free(t);

	/* The operator's send: cut the same way; a bad number stored failed. */
	CHECK(outbound_send(st, c.id, "4915112345679", long_text, "operator:t",
	    &id, failed, sizeof(failed)) > 0 && failed[0] == '\0', "send");
	t = stored_text(id);
	CHECK(t != NULL && strcmp(t, want) == 0, "send: stored cut");
	free(t);
	CHECK(outbound_send(st, c.id, "123-456", "hi", "operator:t", &id,
	    failed, sizeof(failed)) > 0 && strstr(failed, "invalid phone"
	    " number") != NULL, "send to a bad number: stored failed");
	/* An opted-out contact: stored failed at once, said, never queued. */
	CHECK(store_contact_get(st, "+4915112345678", &contact, &opted) > 0 &&
	    store_contact_set_opt_out(st, contact, 1) > 0, "contact opts out");
	CHECK(outbound_send(st, c.id, "4915112345678", "promo", "operator:t",
	    &id, failed, sizeof(failed)) > 0 &&
	    strcmp(failed, "the contact opted out") == 0,
	    "send to an opted-out contact: said at once");
	t = stored_value("SELECT status FROM messages WHERE id = ?", id);
	CHECK(t != NULL && strcmp(t, "failed") == 0,
	    "send to an opted-out contact: stored failed");
	free(t);
	CHECK(outbound_send(st, "00000000000000000000000000000000", "491",
	    "hi", "operator:t", &id, failed, sizeof(failed)) == 0,
	    "send on an unknown connection");

	/* The operator's reply in a session. */
	CHECK(outbound_send(st, c.id, "4915112345670", "hello", "operator:t",
	    &id, failed, sizeof(failed)) > 0, "a session to reply in");
	memset(&sess, 0, sizeof(sess));
	CHECK(store_session_get(st, 1, &sess) > 0, "session");
	CHECK(outbound_session_reply(st, &sess, "alice", long_text, 0, &id) > 0,
	    "session reply");
	t = stored_text(id);
	CHECK(t != NULL && strcmp(t, want) == 0, "session reply: stored cut");
	free(t);
	CHECK(log_count("%cut to 1600 characters from 1700%") == 3,
	    "each cut logged once");

	free(long_text);
	store_close(st);
	snprintf(pattern, sizeof(pattern), "rm -rf %s", dir);
	if (system(pattern) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return check_done();
}

/* The sender's agents' turn: queued inbound messages go to their agents, and the answers are written back in one transaction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "metrics.h"
#include "outbound.h"
#include "secret.h"
#include "sender_int.h"
#include "store.h"

#define HISTORY_MAX	20	/* earlier turns handed to an agent */
#define REPLY_GROUP_MAX	64	/* plain answers written in one statement at most */
#define AGENT_ROUNDS	16	/* claims of answered-at-once jobs per turn at most */

/* What the pool hands back for a finished agent call, and its answer. */
struct agent_tag {
	int64_t			 message, session, contact;
	int			 collect_step;	/* before the call */
	const char		*kind;		/* the agent's kind (static), and */
	double			 started;	/* when its call started: its latency */
	char			 conn[STORE_ID_LEN + 1];
	char			 phone[24];
	char			 sender[64];
	struct agent_reply	 reply;		/* owned copy, once answered */
	struct agent_tag	*next;
};

struct history {
	struct agent_turn	 turns[HISTORY_MAX];
	char			*texts[HISTORY_MAX];
	size_t			 n;
};

static int
history_add(int inbound, const char *text, void *arg)
{
	struct history	*h = arg;

	if (h->n == HISTORY_MAX)
		return 0;
	if ((h->texts[h->n] = strdup(text != NULL ? text : "")) == NULL)
		return 0;
	h->turns[h->n].inbound = inbound;
	h->turns[h->n].text = h->texts[h->n];
	h->n++;
	return 1;
}

static void
history_free(struct history *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		free(h->texts[i]);
	h->n = 0;
}

/* Called by the pool for each finished agent call: the answer waits for replies_flush. */
static void
agent_done(void *arg_tag, const struct agent_reply *r, void *arg)
{
	struct sender		*s = arg;
	struct agent_tag	*t = arg_tag;

	s->inflight--;
	metrics_observe(METRICS_AGENT, t->kind, now_seconds() - t->started);
	t->reply = *r;
	t->reply.text = NULL;
	t->reply.session_data = NULL;
	if ((r->text != NULL && (t->reply.text = strdup(r->text)) == NULL) ||
	    (r->session_data != NULL &&
	    (t->reply.session_data = strdup(r->session_data)) == NULL)) {
		log_error("strdup: out of memory");
		s->failed = 1;
	}
	t->next = s->answered;
	s->answered = t;
}

/*
 * Writes one agent's answer: the job done, collected data, the reply into
 * the outbox. > 0 written, 0 dropped (the job is another sender's now),
 * < 0 error.
 */
static int
reply_write(struct sender *s, const struct agent_tag *t)
{
	const struct agent_reply	*r = &t->reply;
	struct store_outbound		 o;
	int64_t				 id;
	char				 uid[STORE_UID_MAX];
	int				 ai, rc;

	/* The job first: a lapsed claim another sender took is answered there. */
	if ((rc = store_agent_queue_done(s->st, t->message, s->owner)) <= 0) {
		if (rc == 0)
			log_info("answer to message %lld not kept: its claim"
			    " lapsed and another sender holds it",
			    (long long)t->message);
		return rc;
	}
	if ((r->session_data != NULL || r->collect_step != t->collect_step) &&
	    store_session_save_data(s->st, t->session, r->session_data,
	    r->collect_step) < 0)
		return -1;
	if ((r->contact_name[0] != '\0' || r->contact_email[0] != '\0' ||
	    r->session_data != NULL) && store_contact_save_fields(s->st,
	    t->contact, r->contact_name, r->contact_email,
	    r->session_data) < 0)
		return -1;
	if (r->text == NULL || r->text[0] == '\0') {
		if (store_log(s->st, t->conn, "warn", "agent", "no reply to"
		    " %s: %s", t->phone, r->error[0] != '\0' ? r->error :
		    "the agent gave none") < 0)
			return -1;
	} else if ((ai = store_session_is_ai(s->st, t->session)) < 0)
		return -1;
	else if (!ai) {
		if (store_log(s->st, t->conn, "info", "agent", "reply to %s"
		    " dropped: an operator took the session over",
		    t->phone) < 0)
			return -1;
	} else {
		memset(&o, 0, sizeof(o));
		o.conn = t->conn;
		o.session = t->session;
		o.contact = t->contact;
		o.author = "agent";
		o.sender = t->sender;
		o.recipient = t->phone;
		o.text = r->text;
		if (outbound_queue(s->st, &o, &id, uid) < 0)
			return -1;
	}
	return 1;
}

/* Whether an answer only queues a reply (nothing collected, no step moved): store_agent_replies_group can write it. */
static int
reply_plain(const struct agent_tag *t)
{
	const struct agent_reply	*r = &t->reply;

	return r->text != NULL && r->text[0] != '\0' &&
	    r->session_data == NULL && r->collect_step == t->collect_step &&
	    r->contact_name[0] == '\0' && r->contact_email[0] == '\0';
}

/*
 * Writes the plain answers (reply_plain) of the list at t, up to n of
 * them, as reply_write would, in one statement on a server: each
 * round trip there is a wait, each write behind a savepoint a
 * subtransaction. < 0 error.
 */
static int
replies_group(struct sender *s, struct agent_tag *list, size_t n)
{
	struct store_reply	*r;
	struct agent_tag	*t;
	struct outbound_text	 texts[REPLY_GROUP_MAX];
	size_t			 i, k = 0;
	int			 rc = -1;

	if (n == 0)
		return 1;
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return -1;
	for (t = list; t != NULL && k < n; t = t->next) {
		if (!reply_plain(t))
			continue;
		r[k].job = t->message;
		r[k].o.conn = t->conn;
		r[k].o.session = t->session;
		r[k].o.contact = t->contact;
		r[k].o.author = "agent";
		r[k].o.sender = t->sender;
		r[k].o.recipient = t->phone;
		/* Stored as sent: outbound_queue's preparation. */
		if (outbound_text_prepare(&texts[k], t->reply.text) < 0)
			goto out;
		r[k].o.text = texts[k].text;
		k++;
	}
	if (store_agent_replies_group(s->st, s->owner, r, k) < 0)
		goto out;
	for (i = 0; i < k; i++) {
		if (!r[i].kept)
			log_info("answer to message %lld not kept: its claim"
			    " lapsed and another sender holds it",
			    (long long)r[i].job);
		else if (!r[i].ai && store_log(s->st, r[i].o.conn, "info",
		    "agent", "reply to %s dropped: an operator took the"
		    " session over", r[i].o.recipient) < 0)
			goto out;
		/* As outbound_queue says it of a text it cut. */
		else if (r[i].ai && outbound_text_stored(s->st, &texts[i],
		    r[i].o.conn, r[i].uid, r[i].o.recipient) < 0)
			goto out;
	}
	rc = 1;
out:
	for (i = 0; i < k; i++)
		free(texts[i].text);
	free(r);
	return rc;
}

/*
 * Writes every answer the pool handed back, in one transaction. Its
 * durability may be relaxed (IBCHANNEL_SYNC=normal for it): nothing has
 * left the machine because of it, and the mark that precedes any send
 * (store_outbox_mark_sending) is committed at the configured level, which
 * makes everything written before it durable too (the WAL is written in
 * order). Lost on a power failure, an answer is simply asked for again.
 */
static int
replies_flush(struct sender *s)
{
	struct agent_tag	*t, *next;
	size_t			 plain = 0;
	int			 rc = 1, grouped;

	if (s->answered == NULL)
		return s->failed ? -1 : 1;
	if (s->failed || store_sync_relaxed(s->st, 1) < 0 ||
	    store_begin(s->st) < 0)
		rc = -1;
	/* On a server the plain ones go in one statement (replies_group). */
	grouped = store_calls_grouped(s->st);
	for (t = s->answered; t != NULL && rc > 0; t = t->next) {
		if (grouped && reply_plain(t) && plain < REPLY_GROUP_MAX)
			plain++;
		else if (reply_write(s, t) < 0)
			rc = -1;
	}
	if (rc > 0 && replies_group(s, s->answered, plain) < 0)
		rc = -1;
	if (rc > 0) {
		/* The agents' latencies ride along; a failure undoes only them. */
		metrics_latency_flush(s->st);
		if (store_commit(s->st) < 0)
			rc = -1;
	}
	metrics_latency_flushed(rc > 0);
	if (rc < 0)
		store_rollback(s->st);
	if (store_sync_relaxed(s->st, 0) < 0)
		rc = -1;
	for (t = s->answered; t != NULL; t = next) {
		next = t->next;
		agent_reply_clear(&t->reply);
		free(t);
	}
	s->answered = NULL;
	if (rc < 0)
		s->failed = 1;
	return rc;
}

/* Drives the agent calls for up to timeout_ms, then writes their answers. < 0 on error. */
int
agents_perform(struct sender *s, long timeout_ms)
{
	if (agent_pool_perform(s->pool, timeout_ms, agent_done, s) < 0)
		s->failed = 1;
	return replies_flush(s);
}

/*
 * Loads job's agent into *a and its decrypted API key into *apikey unless
 * they hold it already (*loaded: the agent they hold, 0 none): the jobs of
 * a claim mostly share one agent, and on a server each read is a round
 * trip. > 0 ready, 0 the job has no agent to call (gone, or its key does
 * not decrypt: logged), < 0 error.
 */
static int
agent_load(struct sender *s, const struct store_agent_job *job,
    struct store_agent *a, char **apikey, int64_t *loaded)
{
	int	 rc;

	if (*loaded == job->agent)
		return 1;
	store_agent_clear(a);
	secret_free(*apikey);
	*apikey = NULL;
	*loaded = 0;
	memset(a, 0, sizeof(*a));
	if ((rc = store_agent_get(s->st, job->agent, a)) <= 0)
		return rc;
	if (a->api_key_enc[0] != '\0' &&
	    secret_decrypt(s->key, a->api_key_enc, apikey) <= 0) {
		store_log(s->st, job->conn, "error", "agent", "agent"
		    " %s: its API key cannot be decrypted", a->name);
		store_agent_clear(a);
		*apikey = NULL;
		return 0;
	}
	*loaded = job->agent;
	return 1;
}

/* Starts agent calls for queued inbound messages. Returns the number started, < 0 on error. */
int
agents_claim(struct sender *s)
{
	struct store_agent_job	*jobs = NULL;
	struct store_agent	 a;
	struct agent_job	 j;
	struct agent_tag	*t;
	struct history		 h;
	char			*apikey = NULL;
	int64_t			 loaded = 0;
	size_t			 room;
	int			 n, i, started = 0, rc;

	memset(&a, 0, sizeof(a));
	room = s->cfg.agent_parallel - s->inflight;
	if (room == 0)
		return 0;
	/* A claim lost on a power failure is made again: relaxed durability. */
	if (store_sync_relaxed(s->st, 1) < 0)
		return -1;
	n = store_agent_queue_claim(s->st, s->owner,
	    (int)(s->cfg.agent_timeout_ms / 1000) + 30, room, &jobs);
	if (store_sync_relaxed(s->st, 0) < 0) {
		store_agent_jobs_free(jobs, n > 0 ? (size_t)n : 0);
		return -1;
	}
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		if (!jobs[i].ai || jobs[i].opted_out ||
		    !jobs[i].agent_running) {
			/* Nothing to answer: an operator, STOP, or a stopped agent. */
			if (store_agent_queue_done(s->st, jobs[i].message,
			    s->owner) < 0)
				goto err;
			continue;
		}
		if ((rc = agent_load(s, &jobs[i], &a, &apikey, &loaded)) <= 0) {
			if (rc < 0 || store_agent_queue_done(s->st,
			    jobs[i].message, s->owner) < 0)
				goto err;
			continue;
		}
		memset(&h, 0, sizeof(h));
		if (store_session_history(s->st, jobs[i].session,
		    jobs[i].message, HISTORY_MAX, history_add, &h) < 0 ||
		    (t = calloc(1, sizeof(*t))) == NULL) {
			history_free(&h);
			goto err;
		}
		t->message = jobs[i].message;
		t->session = jobs[i].session;
		t->contact = jobs[i].contact;
		t->collect_step = jobs[i].collect_step;
		t->kind = agent_kind_name(a.kind);
		t->started = now_seconds();
		snprintf(t->conn, sizeof(t->conn), "%s", jobs[i].conn);
		snprintf(t->phone, sizeof(t->phone), "%s", jobs[i].phone);
		snprintf(t->sender, sizeof(t->sender), "%s", jobs[i].sender);
		memset(&j, 0, sizeof(j));
		j.message = jobs[i].message;
		j.session = jobs[i].session;
		j.contact = jobs[i].contact;
		j.agent = jobs[i].agent;
		j.kind = agent_kind_name(a.kind);
		j.instructions = a.instructions;
		j.url = a.url;
		j.model = a.model;
		j.api_key = apikey;
		j.phone = jobs[i].phone;
		j.text = jobs[i].text;
		j.history = h.turns;
		j.nhistory = h.n;
		j.session_data = jobs[i].session_data;
		j.collect_step = jobs[i].collect_step;
		rc = agent_pool_add(s->pool, &j, t);
		history_free(&h);
		if (rc <= 0) {
			/* Full or failed: the lease lapses and it is claimed again. */
			free(t);
			if (rc < 0)
				goto err;
			continue;
		}
		s->inflight++;
		started++;
	}
	secret_free(apikey);
	store_agent_clear(&a);
	store_agent_jobs_free(jobs, (size_t)n);
	return started;
err:
	secret_free(apikey);
	store_agent_clear(&a);
	store_agent_jobs_free(jobs, (size_t)n);
	return -1;
}

/*
 * The agents' part of one sender turn: claims queued inbound messages and
 * drives the calls, then writes the answers in one transaction. While every
 * claim is answered at once (rules agents: nothing stays in flight) and
 * fills the pool, it claims again, up to AGENT_ROUNDS times: the answers of
 * a busy line are written and sent in a few large transactions and batches
 * rather than a pool's worth per turn. Returns the number of calls
 * started, < 0 on error.
 */
int
agents_turn(struct sender *s)
{
	size_t	 room;
	int	 round, n, started = 0, rc = 1;

	for (round = 0; round < AGENT_ROUNDS; round++) {
		room = s->cfg.agent_parallel - s->inflight;
		if ((n = agents_claim(s)) < 0) {
			rc = -1;	/* what was answered is still written */
			break;
		}
		started += n;
		if (agent_pool_perform(s->pool, 0, agent_done, s) < 0) {
			s->failed = 1;
			break;
		}
		if (n == 0 || (size_t)n < room || s->inflight > 0)
			break;
	}
	if (replies_flush(s) < 0 || rc < 0)
		return -1;
	return started;
}

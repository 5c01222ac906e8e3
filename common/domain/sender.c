/* The sender: agents answer queued inbound messages, the outbox goes to Infobip, unsure sends are settled. */
#include <sys/file.h>
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "campaign.h"
#include "config.h"
#include "connection.h"
#include "infobip.h"
#include "log.h"
#include "metrics.h"
#include "outbound.h"
#include "phone.h"
#include "secret.h"
#include "sender.h"
#include "settings.h"
#include "store.h"
#include "store_admin.h"

#define HISTORY_MAX	20	/* earlier turns handed to an agent */
#define CLAIM_BATCHES	4	/* outbox rows claimed per pass, in batches */
#define DAILY_DAYS	3	/* days of the dashboard rollup refreshed each minute */
#define BEAT_SECONDS	5	/* the sender's heartbeat (/health, metrics), at most this often */
#define RETAIN_SECONDS	60	/* a retention pass starts at most this often */
#define RETAIN_BATCH	500	/* rows per retention transaction at most, */
#define RETAIN_BATCH_MIN 20	/* at least; in between it adapts so that */
#define RETAIN_HOLD_MS	4.0	/* one holds the write lock about this long at most, */
#define RETAIN_SHARE	5	/* and retention holds it 1/RETAIN_SHARE of the time at most */
#define FULL_WAIT_MIN	0.1	/* the disk is full: the first wait before trying again, */
#define FULL_WAIT_MAX	5.0	/* doubled each time up to this */
#define FULL_SAY_SECONDS 60	/* and the sender says that it waits at most this often */

/* Settings read once at start, with their defaults. */
struct sender_cfg {
	char	 retry_delays[256];	/* send_retry_delays */
	size_t	 batch;			/* send_batch_size: messages per request */
	int	 lease;			/* send_lease_seconds */
	long	 agent_timeout_ms;	/* agent_timeout_ms */
	long	 infobip_timeout_ms;	/* infobip_timeout_ms: one request to Infobip */
	long	 unsure_resend_after;	/* unsure_resend_after_seconds */
	size_t	 agent_parallel;	/* agent_parallel */
	long	 session_timeout;	/* session_timeout_minutes */
	long	 retain_days[3];	/* retain_*_days by enum store_retain; 0 keeps all */
	char	 public_url[1024];
};

/* The settings of retention, by enum store_retain, and what the log calls the rows. */
static const struct {
	enum setting	 setting;
	const char	*what;
} retain_kinds[] = {
	[STORE_RETAIN_MESSAGES] = { SET_RETAIN_MESSAGES_DAYS, "message(s)" },
	[STORE_RETAIN_EVENTS] = { SET_RETAIN_EVENTS_DAYS, "event(s)" },
	[STORE_RETAIN_LOGS] = { SET_RETAIN_LOGS_DAYS, "log entries" },
};
#define RETAIN_KINDS	(sizeof(retain_kinds) / sizeof(retain_kinds[0]))

/* A retention pass: each kind goes through its rows one batch per turn of the loop. */
struct retain {
	int	 active[RETAIN_KINDS];
	int64_t	 cursor[RETAIN_KINDS];
	long	 removed[RETAIN_KINDS];
	char	 cutoff[RETAIN_KINDS][STORE_TIME_MAX];
	int	 batch[RETAIN_KINDS];	/* rows per transaction, adapted to its length */
	double	 next;			/* when the next pass starts */
	double	 resume;		/* paced: no batch before this time */
};

struct sender {
	struct store		*st;
	struct ib_client	*ib;
	struct agent_pool	*pool;
	struct sender_cfg	 cfg;
	unsigned char		 key[32];
	char			 host[64];
	char			 owner[STORE_OWNER_MAX];	/* host:pid:start */
	size_t			 inflight;	/* agent calls running */
	int			 failed;	/* a store error happened */
	struct agent_tag	*answered;	/* finished calls not yet written */
	struct retain		 retain;
	double			 full_since;	/* writes fail for want of space since; 0: not */
	double			 full_wait;	/* the last wait for space */
	double			 full_said;	/* when the log last said so */
};

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

/* Unix time: what the campaigns' throttle keeps in the store. */
static double
wall_seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
sender_backoff(const char *delays, int attempt)
{
	const char	*p = delays;
	char		*end;
	double		 d = -1;
	uint32_t	 r = 0;
	int		 i;

	for (i = 1; i <= attempt; i++) {
		errno = 0;
		d = strtod(p, &end);
		if (end == p || errno != 0 || d < 0)
			return -1;
		if (i == attempt)
			break;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)time(NULL);
	/* +-10% so that senders failing together do not retry together. */
	return d * (0.9 + 0.2 * ((double)(r % 10001) / 10000.0));
}

static void
cfg_load(struct store *st, struct sender_cfg *c)
{
	size_t	 i;

	settings_get(st, SET_SEND_RETRY_DELAYS, c->retry_delays,
	    sizeof(c->retry_delays));
	c->batch = (size_t)settings_get_long(st, SET_SEND_BATCH_SIZE);
	c->lease = (int)settings_get_long(st, SET_SEND_LEASE_SECONDS);
	c->agent_timeout_ms = settings_get_long(st, SET_AGENT_TIMEOUT_MS);
	c->infobip_timeout_ms = settings_get_long(st, SET_INFOBIP_TIMEOUT_MS);
	c->unsure_resend_after = settings_get_long(st,
	    SET_UNSURE_RESEND_AFTER_SECONDS);
	c->agent_parallel = (size_t)settings_get_long(st, SET_AGENT_PARALLEL);
	c->session_timeout = settings_get_long(st, SET_SESSION_TIMEOUT_MINUTES);
	for (i = 0; i < RETAIN_KINDS; i++)
		c->retain_days[i] = settings_get_long(st,
		    retain_kinds[i].setting);
	if (config_public_url(st, c->public_url, sizeof(c->public_url)) <= 0)
		c->public_url[0] = '\0';
}

/* --- agents ---------------------------------------------------------------- */

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

/* Writes one agent's answer: collected data, the reply into the outbox, the job done. */
static int
reply_write(struct sender *s, const struct agent_tag *t)
{
	const struct agent_reply	*r = &t->reply;
	struct store_outbound		 o;
	int64_t				 id;
	char				 uid[STORE_UID_MAX];
	int				 ai;

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
	return store_agent_queue_done(s->st, t->message);
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
	int			 rc = 1;

	if (s->answered == NULL)
		return s->failed ? -1 : 1;
	if (s->failed || store_sync_relaxed(s->st, 1) < 0 ||
	    store_begin(s->st) < 0)
		rc = -1;
	for (t = s->answered; t != NULL && rc > 0; t = t->next)
		if (reply_write(s, t) < 0)
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
static int
agents_perform(struct sender *s, long timeout_ms)
{
	if (agent_pool_perform(s->pool, timeout_ms, agent_done, s) < 0)
		s->failed = 1;
	return replies_flush(s);
}

/* Starts agent calls for queued inbound messages. Returns the number started, < 0 on error. */
static int
agents_claim(struct sender *s)
{
	struct store_agent_job	*jobs = NULL;
	struct store_agent	 a;
	struct agent_job	 j;
	struct agent_tag	*t;
	struct history		 h;
	char			*apikey;
	size_t			 room;
	int			 n, i, started = 0, rc;

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
		memset(&a, 0, sizeof(a));
		apikey = NULL;
		if (!jobs[i].ai || jobs[i].opted_out ||
		    !jobs[i].agent_running) {
			/* Nothing to answer: an operator, STOP, or a stopped agent. */
			if (store_agent_queue_done(s->st, jobs[i].message) < 0)
				goto err;
			continue;
		}
		if ((rc = store_agent_get(s->st, jobs[i].agent, &a)) <= 0) {
			if (rc < 0 || store_agent_queue_done(s->st,
			    jobs[i].message) < 0)
				goto err;
			continue;
		}
		if (a.api_key_enc[0] != '\0' &&
		    secret_decrypt(s->key, a.api_key_enc, &apikey) <= 0) {
			store_log(s->st, jobs[i].conn, "error", "agent", "agent"
			    " %s: its API key cannot be decrypted", a.name);
			store_agent_clear(&a);
			if (store_agent_queue_done(s->st, jobs[i].message) < 0)
				goto err;
			continue;
		}
		memset(&h, 0, sizeof(h));
		if (store_session_history(s->st, jobs[i].session,
		    jobs[i].message, HISTORY_MAX, history_add, &h) < 0 ||
		    (t = calloc(1, sizeof(*t))) == NULL) {
			history_free(&h);
			secret_free(apikey);
			store_agent_clear(&a);
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
		secret_free(apikey);
		store_agent_clear(&a);
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
	store_agent_jobs_free(jobs, (size_t)n);
	return started;
err:
	store_agent_jobs_free(jobs, (size_t)n);
	return -1;
}

/* --- sending ----------------------------------------------------------------- */

static int
claim_by_conn(const void *a, const void *b)
{
	const struct store_claim	*x = a, *y = b;

	return strcmp(x->conn, y->conn);
}

/* Fails one message for good, with the reason in its status and the connection's log. */
static int
fail_message(struct sender *s, const struct store_claim *c, const char *group,
    const char *name, const char *reason)
{
	if (store_outbox_done(s->st, c->message, "failed", NULL, NULL, group,
	    name, reason, -1) < 0)
		return -1;
	return store_log(s->st, c->conn, "error", "send_failed", "message %s"
	    " to %s not sent: %s", c->uid, c->recipient, reason);
}

/*
 * Leaves a message that may have reached Infobip to an operator (ibchannel
 * outbox), rather than failing it on a guess or sending it twice.
 */
static int
hold_message(struct sender *s, const struct store_claim *c,
    const char *reason)
{
	if (store_outbox_hold(s->st, c->message, reason) < 0)
		return -1;
	return store_log(s->st, c->conn, "error", "unsettled", "message %s to"
	    " %s waits for an operator: %s; check whether Infobip has it,"
	    " then settle it with 'ibchannel outbox resend %lld' or"
	    " 'ibchannel outbox fail %lld'", c->uid, c->recipient, reason,
	    (long long)c->message, (long long)c->message);
}

/* What the connection's log adds to a retry of each kind. */
static const char *const retry_note[] = {
	[STORE_RETRY_SEND] = "",
	[STORE_RETRY_UNSURE] = "; Infobip may have it, so its logs are"
	    " checked before it is sent again",
	[STORE_RETRY_LOOKUP] = "; its logs are checked again",
	[STORE_RETRY_NOT_FOUND] = "",
};

/*
 * Puts a message back for a later try (kind: see enum store_retry). When
 * its retries are used up it fails, unless Infobip may have it (every kind
 * but STORE_RETRY_SEND): then it waits for an operator.
 */
static int
retry_message(struct sender *s, const struct store_claim *c,
    const struct ib_error *e, enum store_retry kind)
{
	char	 reason[1024], given[1200];
	double	 delay;

	if (e->http_status)
		snprintf(reason, sizeof(reason), "HTTP %ld %s: %s",
		    e->http_status, e->code, e->text);
	else
		snprintf(reason, sizeof(reason), "%s: %s", e->code, e->text);
	delay = sender_backoff(s->cfg.retry_delays, c->attempts);
	if (delay < 0) {
		snprintf(given, sizeof(given), "gave up after %d attempts: %s",
		    c->attempts, reason);
		if (kind == STORE_RETRY_SEND)
			return fail_message(s, c, "", "", given);
		return hold_message(s, c, given);
	}
	if (e->retry_after > 0 && (double)e->retry_after > delay)
		delay = (double)e->retry_after;
	if (store_outbox_retry(s->st, c->message, delay, reason, kind) < 0)
		return -1;
	return store_log(s->st, c->conn, "warn", "send_retry", "message %s to"
	    " %s: %s; attempt %d, next in %.1f s%s", c->uid, c->recipient,
	    reason, c->attempts, delay, retry_note[kind]);
}

static int
record_result(struct sender *s, const struct store_claim *c,
    const struct ib_result *r)
{
	char	 reason[512];

	if (r->accepted)
		return store_outbox_done(s->st, c->message, "accepted",
		    r->infobip_id[0] ? r->infobip_id : NULL,
		    r->bulk_id[0] ? r->bulk_id : NULL, r->group_name,
		    r->status_name, r->description,
		    r->message_count > 0 ? r->message_count : -1);
	snprintf(reason, sizeof(reason), "%s%s%s", r->status_name,
	    r->status_name[0] && r->description[0] ? ": " : "",
	    r->description);
	return fail_message(s, c, r->group_name, r->status_name, reason);
}

/*
 * Marks the n claimed messages of one request as possibly sent, in one
 * transaction just before the request: until then a crash leaves them
 * queued, and a restart sends them without a lookup in Infobip's logs.
 * Those whose claim another sender took meanwhile (it lapsed) are dropped
 * from claims[] and msgs[], which keep their order; *n says how many stay.
 * > 0 done, < 0 store error.
 */
static int
mark_sending(struct sender *s, struct store_claim **claims,
    struct ib_outmsg *msgs, size_t *n)
{
	int64_t	*ids;
	int	*held;
	size_t	 i, k;
	int	 rc = -1;

	ids = calloc(*n, sizeof(*ids));
	held = calloc(*n, sizeof(*held));
	if (ids == NULL || held == NULL)
		goto out;
	for (i = 0; i < *n; i++)
		ids[i] = claims[i]->message;
	if (store_outbox_mark_sending(s->st, s->owner, s->cfg.lease, ids, *n,
	    held) < 0)
		goto out;
	for (i = k = 0; i < *n; i++) {
		if (!held[i]) {
			log_info("message %s: its claim lapsed and another"
			    " sender holds it; not sent from here",
			    claims[i]->uid);
			continue;
		}
		claims[k] = claims[i];
		msgs[k++] = msgs[i];
	}
	*n = k;
	rc = 1;
out:
	free(ids);
	free(held);
	return rc;
}

/* Sends the prepared messages of one connection, batch by batch. */
static int
send_batch(struct sender *s, const struct connection_config *cfg,
    const char *apikey, struct store_claim **claims, struct ib_outmsg *msgs,
    size_t n)
{
	struct ib_send_opts	 opts;
	struct ib_result	*res;
	struct ib_error		 err;
	char			 delivery[1200], tracking[1200];
	double			 took;
	size_t			 i;
	int			 rc, bad = 0;

	if (n == 0)
		return 1;
	memset(&opts, 0, sizeof(opts));
	opts.sender = cfg->sender;
	if (s->cfg.public_url[0] != '\0') {
		snprintf(delivery, sizeof(delivery),
		    "%s/channel/%s/webhook/reports", s->cfg.public_url,
		    claims[0]->conn);
		snprintf(tracking, sizeof(tracking),
		    "%s/channel/%s/webhook/clicks", s->cfg.public_url,
		    claims[0]->conn);
		opts.delivery_url = delivery;
		opts.tracking_url = tracking;
	}
	opts.custom_domain = cfg->short_domain;
	if ((res = calloc(n, sizeof(*res))) == NULL)
		return -1;
	if ((rc = mark_sending(s, claims, msgs, &n)) <= 0 || n == 0) {
		free(res);
		return rc < 0 ? -1 : 1;
	}
	memset(&err, 0, sizeof(err));
	took = now_seconds();
	rc = ib_send(s->ib, cfg->api_url, apikey, &opts, msgs, n, res, &err);
	metrics_observe(METRICS_SEND_BATCH, "", now_seconds() - took);
	/*
	 * Relaxed durability: the mark before the send was committed at the
	 * configured level; if this record is lost, the lapsed claim makes the
	 * message unsure and Infobip's logs settle it, never a second send.
	 */
	if (store_sync_relaxed(s->st, 1) < 0 || store_begin(s->st) < 0) {
		free(res);
		store_sync_relaxed(s->st, 0);
		return -1;
	}
	for (i = 0; i < n && !bad; i++) {
		if (rc > 0 && res[i].group_id == IB_GROUP_NONE) {
			/* The answer does not say what became of it. */
			struct ib_error e = { .code = "BAD_RESPONSE" };

			snprintf(e.text, sizeof(e.text), "%s",
			    res[i].description[0] != '\0' ?
			    res[i].description : "listed without a status");
			bad = retry_message(s, claims[i], &e,
			    STORE_RETRY_UNSURE) < 0;
		} else if (rc > 0)
			bad = record_result(s, claims[i], &res[i]) < 0;
		else if (rc == 0) {
			char reason[1700];

			snprintf(reason, sizeof(reason), "%s%s%s%s",
			    err.http_status ? "Infobip refused the request: " :
			    "", err.code, err.text[0] ? ": " : "", err.text);
			if (err.violations[0] != '\0')
				snprintf(reason + strlen(reason), sizeof(reason) -
				    strlen(reason), " (%s)", err.violations);
			bad = fail_message(s, claims[i], "", err.code,
			    reason) < 0;
		} else
			bad = retry_message(s, claims[i], &err, err.unsure ?
			    STORE_RETRY_UNSURE : STORE_RETRY_SEND) < 0;
	}
	free(res);
	if (bad) {
		store_rollback(s->st);
		store_sync_relaxed(s->st, 0);
		return -1;
	}
	metrics_latency_flush(s->st);	/* the batch's latency rides along */
	rc = store_commit(s->st);
	metrics_latency_flushed(rc > 0);
	return store_sync_relaxed(s->st, 0) < 0 ? -1 : rc;
}

/* The lookup found the message: Infobip has it, so it is never sent again. */
static int
settle_found(struct sender *s, const struct store_claim *c,
    struct ib_result *r)
{
	/* Listed in the logs means taken, even without a status. */
	if (r->group_id == IB_GROUP_NONE)
		r->accepted = 1;
	if (store_log(s->st, c->conn, "info", "reconcile", "message %s %s"
	    " Infobip (%s): not sent again", c->uid, r->accepted ?
	    "was already accepted by" : "is in the logs of",
	    r->group_name[0] != '\0' ? r->group_name : "no status") < 0)
		return -1;
	return record_result(s, c, r) < 0 ? -1 : 1;
}

/*
 * The lookup did not find the message. Infobip may accept a request after
 * we gave up on it, and its logs may lag: the message is sent again only
 * after two such answers, the last at least unsure_resend_after_seconds
 * after the unsure send ended. Returns 0 to send it now, 1 when it is
 * looked up again later, < 0 on a store error.
 */
static int
settle_not_found(struct sender *s, const struct store_claim *c)
{
	double	 wait;
	int	 rc, n = c->not_found + 1;

	wait = (double)s->cfg.unsure_resend_after - c->unsure_age;
	if (n >= 2 && wait <= 0) {
		/* A delivery report that came meanwhile settled it. */
		if ((rc = store_outbox_send_again(s->st, c->message)) <= 0)
			return rc < 0 ? -1 : 1;
		return store_log(s->st, c->conn, "info", "reconcile", "message"
		    " %s is not in Infobip's logs (looked up %d times, the last"
		    " %.0f s after its send ended): sending it again", c->uid,
		    n, c->unsure_age) < 0 ? -1 : 0;
	}
	/* A first lookup that came late is followed by the second at once. */
	if (wait < 0)
		wait = 0;
	if (store_outbox_retry(s->st, c->message, wait, "not in Infobip's"
	    " logs yet", STORE_RETRY_NOT_FOUND) < 0)
		return -1;
	return store_log(s->st, c->conn, "info", "reconcile", "message %s is"
	    " not in Infobip's logs yet (%d lookup%s): looking again in %.0f s"
	    " before sending it again", c->uid, n, n == 1 ? "" : "s", wait) < 0 ?
	    -1 : 1;
}

/*
 * The lookup failed. When Infobip refuses it (403: the key lacks the logs
 * scope; other 4xx) asking again changes nothing: the message waits for an
 * operator. Otherwise it is looked up again later, and held when its
 * retries are used up. Returns 1, or < 0 on a store error.
 */
static int
settle_failed(struct sender *s, const struct store_claim *c,
    const struct ib_error *err)
{
	struct ib_error	 e = *err;
	char		 reason[1200];

	if (!err->retryable && err->http_status >= 400) {
		snprintf(reason, sizeof(reason), "Infobip's logs cannot be read"
		    " with this API key (HTTP %ld %s: %s), so it is unknown"
		    " whether Infobip has it", err->http_status, err->code,
		    err->text);
		return hold_message(s, c, reason) < 0 ? -1 : 1;
	}
	snprintf(e.text, sizeof(e.text), "looking it up in Infobip's logs:"
	    " %.470s", err->text);
	return retry_message(s, c, &e, STORE_RETRY_LOOKUP) < 0 ? -1 : 1;
}

/*
 * Settles, from Infobip's logs and in one transaction, a claimed message
 * whose earlier send may have reached Infobip. Returns 0 when it is to be
 * sent again now, 1 when it is settled or put back (found: accepted or
 * failed as Infobip says; not found yet: looked up again later; the lookup
 * failed: retried later, or held for an operator), < 0 on a store error.
 */
static int
settle_unsure(struct sender *s, const struct connection_config *cfg,
    const char *apikey, const struct store_claim *c)
{
	struct ib_result	 r;
	struct ib_error		 err;
	int			 rc;

	memset(&err, 0, sizeof(err));
	rc = ib_lookup(s->ib, cfg->api_url, apikey, c->uid, &r, &err);
	if (store_begin(s->st) < 0)
		return -1;
	if (rc > 0)
		rc = settle_found(s, c, &r);
	else if (rc == 0)
		rc = settle_not_found(s, c);
	else
		rc = settle_failed(s, c, &err);
	if (rc < 0 || store_commit(s->st) < 0) {
		store_rollback(s->st);
		return -1;
	}
	return rc;
}

/* Sends the claimed messages of one connection (claims[0..n) share it). */
static int
send_connection(struct sender *s, struct store_claim *claims, size_t n)
{
	struct connection_config	 cfg;
	struct store_claim		**ready = NULL;
	struct ib_outmsg		*msgs = NULL;
	char				*apikey = NULL;
	char				 phone[PHONE_MAX];
	const char			*why;
	size_t				 i, k = 0, from;
	int				 rc, ret = -1;

	if ((rc = connection_config(s->st, claims[0].conn, &cfg)) <= 0) {
		/* Stopped since the claim: leave the messages queued. */
		struct ib_error e = { .code = "STOPPED",
		    .text = "connection is not RUNNING" };

		for (i = 0; i < n; i++)
			if (store_outbox_retry(s->st, claims[i].message, 1,
			    e.text, claims[i].unsure ? STORE_RETRY_LOOKUP :
			    STORE_RETRY_SEND) < 0)
				return -1;
		return rc < 0 ? -1 : 1;
	}
	if (secret_decrypt(s->key, cfg.api_key_enc, &apikey) <= 0) {
		for (i = 0; i < n; i++)
			if (fail_message(s, &claims[i], "", "", "the API key"
			    " cannot be decrypted with this installation's key"
			    " file") < 0)
				return -1;
		return 1;
	}
	if ((ready = calloc(n, sizeof(*ready))) == NULL ||
	    (msgs = calloc(n, sizeof(*msgs))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct store_claim *c = &claims[i];

		/* First what Infobip may already have: its logs decide. */
		if (c->unsure) {
			if ((rc = settle_unsure(s, &cfg, apikey, c)) < 0)
				goto out;
			if (rc > 0)
				continue;
		}
		if (c->opted_out && !c->priority) {
			if (fail_message(s, c, "", "", "the contact opted out"
			    " (STOP)") < 0)
				goto out;
			continue;
		}
		if (!phone_normalize(c->recipient, phone, sizeof(phone), &why)) {
			char reason[256];

			snprintf(reason, sizeof(reason), "invalid phone number:"
			    " %s", why);
			if (fail_message(s, c, "", "", reason) < 0)
				goto out;
			continue;
		}
		/* Stored as it is sent: outbound_queue prepared the text. */
		msgs[k].uid = c->uid;
		msgs[k].to = c->recipient;
		msgs[k].text = c->text;
		ready[k++] = c;
	}
	for (from = 0; from < k; from += s->cfg.batch) {
		if (send_batch(s, &cfg, apikey, ready + from, msgs + from,
		    k - from < s->cfg.batch ? k - from : s->cfg.batch) < 0)
			goto out;
		/* Keep agent calls moving between requests to Infobip. */
		if (s->inflight > 0 && agents_perform(s, 0) < 0)
			goto out;
	}
	ret = 1;
out:
	free(msgs);
	free(ready);
	secret_free(apikey);
	return ret;
}

/* Claims due outbox rows and sends them. Returns the number claimed, < 0 on error. */
static int
outbox_pass(struct sender *s)
{
	struct store_claim	*c = NULL;
	size_t			 i, from;
	int			 n;

	/*
	 * Relaxed durability: a claim lost on a power failure only frees its
	 * rows; what may be sent is marked before each request, durably.
	 */
	if (store_sync_relaxed(s->st, 1) < 0)
		return -1;
	n = store_outbox_claim(s->st, s->owner, s->cfg.lease,
	    s->cfg.batch * CLAIM_BATCHES, &c);
	if (store_sync_relaxed(s->st, 0) < 0) {
		store_claims_free(c, n > 0 ? (size_t)n : 0);
		return -1;
	}
	if (n <= 0)
		return n;
	qsort(c, (size_t)n, sizeof(*c), claim_by_conn);
	for (from = 0, i = 1; i <= (size_t)n; i++) {
		if (i < (size_t)n && strcmp(c[i].conn, c[from].conn) == 0)
			continue;
		if (send_connection(s, c + from, i - from) < 0) {
			store_claims_free(c, (size_t)n);
			return -1;
		}
		from = i;
	}
	store_claims_free(c, (size_t)n);
	return n;
}

/* --- retention ---------------------------------------------------------------- */

/*
 * One turn of retention: starts a pass when one is due, then removes one
 * batch of each kind still in its pass. A batch that held the write lock
 * longer than RETAIN_HOLD_MS halves the next one of its kind, a quick one
 * grows it. Paced (pace != 0), a turn after batches that held the lock d
 * ms in all removes nothing for (RETAIN_SHARE - 1) * d ms, so webhooks get
 * the lock most of the time even while a large backlog goes. Returns 1
 * while a pass is under way and this turn worked, 0 when no pass is or it
 * waits, < 0 on a store error.
 */
static int
retain_turn(struct sender *s, double now, int pace)
{
	struct retain	*r = &s->retain;
	struct tm	 tm;
	time_t		 t;
	size_t		 i;
	long		 n;
	double		 held, spent = 0;
	int		 rc, busy = 0;

	if (now >= r->next) {
		r->next = now + RETAIN_SECONDS;
		for (i = 0; i < RETAIN_KINDS; i++) {
			if (s->cfg.retain_days[i] <= 0 || r->active[i])
				continue;
			t = time(NULL) - (time_t)s->cfg.retain_days[i] * 86400;
			gmtime_r(&t, &tm);
			strftime(r->cutoff[i], sizeof(r->cutoff[i]),
			    "%Y-%m-%d %H:%M:%S", &tm);
			r->active[i] = 1;
			r->cursor[i] = 0;
			r->removed[i] = 0;
			if (r->batch[i] == 0)
				r->batch[i] = RETAIN_BATCH;
		}
	}
	if (pace && now < r->resume)
		return 0;
	for (i = 0; i < RETAIN_KINDS; i++) {
		if (!r->active[i])
			continue;
		if ((rc = store_retain_batch(s->st, (enum store_retain)i,
		    r->cutoff[i], r->batch[i], &r->cursor[i], &n, &held)) < 0)
			return -1;
		spent += held;
		if (held > RETAIN_HOLD_MS)
			r->batch[i] = r->batch[i] / 2 > RETAIN_BATCH_MIN ?
			    r->batch[i] / 2 : RETAIN_BATCH_MIN;
		else if (held < RETAIN_HOLD_MS / 2)
			r->batch[i] = r->batch[i] + r->batch[i] / 4 + 1 <
			    RETAIN_BATCH ? r->batch[i] + r->batch[i] / 4 + 1 :
			    RETAIN_BATCH;
		r->removed[i] += n;
		if (rc > 0) {
			busy = 1;
			continue;
		}
		r->active[i] = 0;
		if (r->removed[i] > 0)
			log_info("retention: removed %ld %s from before %s",
			    r->removed[i], retain_kinds[i].what, r->cutoff[i]);
	}
	r->resume = now_seconds() + (RETAIN_SHARE - 1) * spent / 1e3;
	return busy;
}

/* --- the loop ------------------------------------------------------------------ */

/*
 * Whether owner ('host:pid:start') is a sender of this host whose process
 * is gone, so that none of its claims can be on its way to Infobip. Any
 * doubt (another host, a process with that pid alive, an unreadable name)
 * leaves its claims to their leases.
 */
static int
owner_dead(const char *owner, void *arg)
{
	const struct sender	*s = arg;
	const char		*start, *pid;
	char			*end;
	long			 id;

	if (strcmp(owner, s->owner) == 0 ||
	    (start = strrchr(owner, ':')) == NULL)
		return 0;
	for (pid = start; pid > owner && pid[-1] != ':'; pid--)
		;
	if (pid == owner || (size_t)(pid - 1 - owner) != strlen(s->host) ||
	    strncmp(owner, s->host, strlen(s->host)) != 0)
		return 0;
	errno = 0;
	id = strtol(pid, &end, 10);
	if (end != start || errno != 0 || id <= 0 || id > INT32_MAX)
		return 0;
	return kill((pid_t)id, 0) == -1 && errno == ESRCH;
}

int
sender_lock(const char *path, char *buf, size_t bufsz, int *fd)
{
	snprintf(buf, bufsz, "%s%s", path != NULL ? path :
	    store_default_path(), path != NULL ? "" : ".sender.lock");
	if ((*fd = open(buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	return 1;
}

/*
 * After a write failed for want of space on the store's disk: the failed
 * turn is undone and the sender waits before the next one, twice as long
 * each time up to FULL_WAIT_MAX (less when told to quit), saying so at most
 * once a minute. What the turn had claimed comes back when its claims
 * lapse; what it had marked as sent is looked up before any new send.
 */
static void
full_wait(struct sender *s, volatile sig_atomic_t *quit)
{
	double	 now = now_seconds(), until;

	store_rollback(s->st);
	store_sync_relaxed(s->st, 0);
	s->failed = 0;		/* the answers not written are asked again */
	if (s->full_since == 0) {
		s->full_since = now;
		s->full_wait = FULL_WAIT_MIN;
	} else if ((s->full_wait *= 2) > FULL_WAIT_MAX)
		s->full_wait = FULL_WAIT_MAX;
	if (s->full_said == 0 || now - s->full_said >= FULL_SAY_SECONDS) {
		log_warn("the store's disk is full: nothing can be written or"
		    " sent; trying again every %.0f s at most until it takes"
		    " writes (said once a minute)", FULL_WAIT_MAX);
		s->full_said = now;
	}
	for (until = now + s->full_wait; !*quit && now_seconds() < until;)
		usleep(20000);
}

int
sender_run(struct store *st, const struct sender_opts *o,
    volatile sig_atomic_t *quit)
{
	struct sender	 s;
	const char	*why;
	double		 end, poll, swept = 0, matched = 0, beat = 0;
	long		 applied, closed, released, freed;
	int		 sent, started, retaining, dead_freed = 0, ret = 1;

	memset(&s, 0, sizeof(s));
	s.st = st;
	if (config_load_key(st, s.key, &why) <= 0) {
		log_error("key file: %s", why != NULL ? why : "unreadable");
		return 1;
	}
	cfg_load(st, &s.cfg);
	if (gethostname(s.host, sizeof(s.host)) != 0)
		snprintf(s.host, sizeof(s.host), "host");
	s.host[sizeof(s.host) - 1] = '\0';
	snprintf(s.owner, sizeof(s.owner), "%s:%ld:%ld", s.host,
	    (long)getpid(), (long)time(NULL));
	if ((s.ib = ib_open(IBCHANNEL_VERSION)) == NULL ||
	    (s.pool = agent_pool_open(s.cfg.agent_parallel,
	    s.cfg.agent_timeout_ms)) == NULL)
		goto out;
	ib_set_timeouts(s.ib, 0, s.cfg.infobip_timeout_ms);
	poll = o->poll_seconds > 0 && o->poll_seconds <= 0.1 ?
	    o->poll_seconds : 0.05;
	end = now_seconds() + o->for_seconds;
	for (;;) {
		int stopping = *quit || (!o->once && now_seconds() >= end);

		/* /health and the metrics tell when the sender last ran. */
		if (now_seconds() - beat >= BEAT_SECONDS || s.full_since != 0) {
			if (store_heartbeat(st, "sender") < 0)
				goto failed;
			beat = now_seconds();
			if (s.full_since != 0) {
				log_info("the store takes writes again, after"
				    " %.0f s without space", beat - s.full_since);
				s.full_since = 0;
			}
		}
		/* What a sender killed here had claimed but not yet sent goes now. */
		if (!dead_freed) {
			if (store_outbox_release_dead(st, owner_dead, &s,
			    &freed) < 0)
				goto failed;
			if (freed > 0)
				log_info("%ld message(s) claimed by a sender that"
				    " stopped before sending them: queued again",
				    freed);
			dead_freed = 1;
		}

		/* Reports that came before their message: once a second. */
		applied = 0;
		if (o->once || now_seconds() - matched >= 1) {
			if (store_reports_apply_pending(st, &applied) < 0)
				goto failed;
			matched = now_seconds();
		}
		/* Idle sessions close on time, not only when their contact writes again. */
		if (now_seconds() - swept >= 60) {
			if (store_sessions_close_idle(st, s.cfg.session_timeout,
			    &closed) < 0)
				goto failed;
			if (closed > 0)
				log_info("closed %ld idle session(s)", closed);
			/* The dashboard's per-day figures; reports come late, so three days. */
			if (store_admin_daily_refresh(st, DAILY_DAYS) < 0)
				goto failed;
			swept = now_seconds();
		}
		/* Old rows go a batch per turn, between the sends. */
		if ((retaining = stopping ? 0 : retain_turn(&s,
		    now_seconds(), !o->once)) < 0)
			goto failed;
		started = stopping ? 0 : agents_claim(&s);
		if (started < 0 || agents_perform(&s, 0) < 0)
			goto failed;
		/* Campaigns release their due recipients into the outbox. */
		released = 0;
		if (!stopping && campaign_release(st, wall_seconds(),
		    &released) < 0)
			goto failed;
		if ((sent = outbox_pass(&s)) < 0)
			goto failed;
		if (stopping && s.inflight == 0)
			break;
		if (o->once && started == 0 && sent == 0 && s.inflight == 0 &&
		    applied == 0 && retaining == 0 && released == 0)
			break;
		if (sent == 0 && started == 0 && retaining == 0 &&
		    released == 0) {
			/* Idle: wait for agents, or just poll the store again. */
			if (s.inflight > 0) {
				if (agents_perform(&s, (long)(poll * 1000)) < 0)
					goto failed;
			} else
				usleep((useconds_t)(poll * 1e6));
		}
		continue;
failed:
		/* A full disk is waited out; any other failure ends the run. */
		if (!store_take_disk_full(st) || o->once)
			goto out;
		if (stopping) {
			log_warn("the store's disk is still full at the end of"
			    " this run: what is queued waits for the next one");
			break;
		}
		full_wait(&s, quit);
	}
	ret = 0;
out:
	if (ret != 0)
		log_error("sender stopped on a store or client error");
	explicit_bzero(s.key, sizeof(s.key));
	agent_pool_close(s.pool);
	ib_close(s.ib);
	return ret;
}

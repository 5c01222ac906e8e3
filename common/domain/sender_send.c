/* The sender's outbox pass: claimed messages go to Infobip batch by batch, and unsure sends are settled from Infobip's logs first. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connection.h"
#include "infobip.h"
#include "log.h"
#include "metrics.h"
#include "phone.h"
#include "secret.h"
#include "sender.h"
#include "sender_int.h"
#include "store.h"

#define CLAIM_BATCHES	4	/* outbox rows claimed per pass, in batches */

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

/* What store_outbox_done_group records for an accepted message, as record_result would. */
static void
done_put(struct store_done *d, const struct store_claim *c,
    const struct ib_result *r)
{
	d->message = c->message;
	d->status = "accepted";
	d->infobip_id = r->infobip_id[0] ? r->infobip_id : NULL;
	d->bulk_id = r->bulk_id[0] ? r->bulk_id : NULL;
	d->group_name = r->group_name;
	d->status_name = r->status_name;
	d->description = r->description;
	d->sms_count = r->message_count > 0 ? r->message_count : -1;
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

/*
 * One batch's request to Infobip. It runs on a thread of its own while this
 * one records the batch before it in the store: the request's wait and the
 * store's work overlap. The thread touches only the Infobip client and the
 * batch's own arrays; the store is this thread's alone.
 */
struct post {
	struct ib_client		*ib;
	const struct connection_config	*cfg;
	const char			*apikey;
	const struct ib_send_opts	*opts;
	struct store_claim		**claims;
	struct ib_outmsg		*msgs;
	size_t				 n;
	struct ib_result		*res;	/* NULL: nothing to record */
	struct ib_error			 err;
	int				 rc;	/* ib_send's */
	double				 took;	/* the request's seconds */
	pthread_t			 thread;
	int				 running;
};

/* The request of a post (a thread's start routine, or called in place). */
static void *
post_run(void *arg)
{
	struct post	*p = arg;
	double		 took = now_seconds();

	memset(&p->err, 0, sizeof(p->err));
	p->rc = ib_send(p->ib, p->cfg->api_url, p->apikey, p->opts, p->msgs,
	    p->n, p->res, &p->err);
	p->took = now_seconds() - took;
	return NULL;
}

/*
 * Marks the batch of p durably, then starts its request (on a thread; in
 * place when none can be started). > 0 started, 0 nothing left to send
 * (every claim lapsed), < 0 store error (nothing sent).
 */
static int
post_start(struct sender *s, struct post *p)
{
	int	 rc;

	if ((p->res = calloc(p->n, sizeof(*p->res))) == NULL)
		return -1;
	if ((rc = mark_sending(s, p->claims, p->msgs, &p->n)) <= 0 ||
	    p->n == 0) {
		free(p->res);
		p->res = NULL;
		return rc < 0 ? -1 : 0;
	}
	p->running = pthread_create(&p->thread, NULL, post_run, p) == 0;
	if (!p->running)
		post_run(p);
	return 1;
}

/* Waits for the request of p to end (a no-op when none runs). */
static void
post_wait(struct post *p)
{
	if (p->running)
		pthread_join(p->thread, NULL);
	p->running = 0;
}

/* Tries of a batch's record that PostgreSQL rolled back to break a deadlock. */
#define RECORD_TRIES	3

/*
 * Records what Infobip answered for the batch of p (its request ended), in
 * one transaction. > 0, < 0 store error (rolled back).
 */
static int
record_once(struct sender *s, const struct post *p)
{
	struct store_done	*done = NULL;	/* the accepted */
	struct store_claim	**claims = p->claims;
	const struct ib_result	*res = p->res;
	const struct ib_error	*err = &p->err;
	size_t			 i, ndone = 0;
	int			 rc = p->rc, bad = 0;

	if ((done = calloc(p->n, sizeof(*done))) == NULL)
		return -1;
	/*
	 * Relaxed durability: the mark before the send was committed at the
	 * configured level; if this record is lost, the lapsed claim makes the
	 * message unsure and Infobip's logs settle it, never a second send.
	 */
	if (store_sync_relaxed(s->st, 1) < 0 || store_begin(s->st) < 0) {
		free(done);
		store_sync_relaxed(s->st, 0);
		return -1;
	}
	/* The results' status changes: their counts follow once (SQLite). */
	bad = store_follow_begin(s->st) < 0;
	for (i = 0; i < p->n && !bad; i++) {
		if (rc > 0 && res[i].accepted &&
		    res[i].group_id != IB_GROUP_NONE)
			done_put(&done[ndone++], claims[i], &res[i]);
		else if (rc > 0 && res[i].group_id == IB_GROUP_NONE) {
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
			    err->http_status ? "Infobip refused the request: " :
			    "", err->code, err->text[0] ? ": " : "", err->text);
			if (err->violations[0] != '\0')
				snprintf(reason + strlen(reason), sizeof(reason) -
				    strlen(reason), " (%s)", err->violations);
			bad = fail_message(s, claims[i], "", err->code,
			    reason) < 0;
		} else
			bad = retry_message(s, claims[i], err, err->unsure ?
			    STORE_RETRY_UNSURE : STORE_RETRY_SEND) < 0;
	}
	/* The accepted ones go together: on a server in one statement. */
	if (!bad && ndone > 0)
		bad = store_outbox_done_group(s->st, done, ndone) < 0;
	free(done);
	if (bad || store_follow_end(s->st) < 0) {
		store_rollback(s->st);
		store_sync_relaxed(s->st, 0);
		return -1;
	}
	metrics_latency_flush(s->st);	/* the batch's latency rides along */
	rc = store_commit(s->st);
	metrics_latency_flushed(rc > 0);
	return store_sync_relaxed(s->st, 0) < 0 ? -1 : rc;
}

/*
 * Records the results of p's batch (record_once) and frees them. On
 * PostgreSQL the record can meet a delivery report being applied to the
 * same messages in the other order: the server breaks the deadlock by
 * rolling one back, and this one is then simply tried again. > 0, < 0
 * store error (the batch stays 'sending': unsure, settled from Infobip's
 * logs).
 */
static int
post_record(struct sender *s, struct post *p)
{
	int	 rc, tries;

	metrics_observe(METRICS_SEND_BATCH, "", p->took);
	store_take_conflict(s->st);	/* only this record's own counts */
	for (tries = 1;; tries++) {
		rc = record_once(s, p);
		if (rc >= 0 || tries == RECORD_TRIES ||
		    !store_take_conflict(s->st))
			break;
		log_info("the results of %zu message(s) met another"
		    " transaction's locks and were rolled back to end a"
		    " deadlock; recording them again", p->n);
	}
	free(p->res);
	p->res = NULL;
	return rc;
}

/*
 * Sends the prepared messages of one connection, batch by batch: each
 * batch is marked durably, then its request goes out, and while it is out
 * the batch before it is recorded. So at any moment at most two batches
 * are 'sending' without their result stored: the one whose request is out
 * and the one being recorded. < 0 on a store error.
 */
static int
send_batches(struct sender *s, const struct connection_config *cfg,
    const char *apikey, struct store_claim **ready, struct ib_outmsg *msgs,
    size_t k)
{
	struct ib_send_opts	 opts;
	struct post		 post[2], *p, *pending = NULL;
	char			 delivery[1200], tracking[1200];
	size_t			 from, i;
	int			 rc, ret = -1;

	if (k == 0)
		return 1;
	memset(&opts, 0, sizeof(opts));
	opts.sender = cfg->sender;
	if (s->cfg.public_url[0] != '\0') {
		snprintf(delivery, sizeof(delivery),
		    "%s/channel/%s/webhook/reports", s->cfg.public_url,
		    ready[0]->conn);
		snprintf(tracking, sizeof(tracking),
		    "%s/channel/%s/webhook/clicks", s->cfg.public_url,
		    ready[0]->conn);
		opts.delivery_url = delivery;
		opts.tracking_url = tracking;
	}
	opts.custom_domain = cfg->short_domain;
	memset(post, 0, sizeof(post));
	/*
	 * Between the batches' windows the store writes only the metrics'
	 * latencies: SQLite's triggers may stay off from one to the next.
	 */
	store_follow_hold(s->st, 1);
	for (from = 0; from < k; from += s->cfg.batch) {
		p = pending == &post[0] ? &post[1] : &post[0];
		p->ib = s->ib;
		p->cfg = cfg;
		p->apikey = apikey;
		p->opts = &opts;
		p->claims = ready + from;
		p->msgs = msgs + from;
		p->n = k - from < s->cfg.batch ? k - from : s->cfg.batch;
		if ((rc = post_start(s, p)) < 0)
			goto out;
		/* While this request is out, the one before it is recorded. */
		if (pending != NULL && post_record(s, pending) < 0)
			goto out;
		pending = NULL;
		post_wait(p);
		if (rc > 0)
			pending = p;
		/* Keep agent calls moving between requests to Infobip. */
		if (s->inflight > 0 && (store_follow_hold(s->st, 0) < 0 ||
		    agents_perform(s, 0) < 0))
			goto out;
		store_follow_hold(s->st, 1);
	}
	if (pending != NULL && post_record(s, pending) < 0)
		goto out;
	ret = 1;
out:
	if (store_follow_hold(s->st, 0) < 0)
		ret = -1;
	/* After an error what was sent and not recorded stays 'sending'. */
	for (i = 0; i < 2; i++) {
		post_wait(&post[i]);
		free(post[i].res);
	}
	return ret;
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
	size_t				 i, k = 0;
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
	if (send_batches(s, &cfg, apikey, ready, msgs, k) < 0)
		goto out;
	ret = 1;
out:
	free(msgs);
	free(ready);
	secret_free(apikey);
	return ret;
}

/* Claims due outbox rows and sends them. Returns the number claimed, < 0 on error. */
int
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

/* The sender: agents answer queued inbound messages, the outbox goes to Infobip, unsure sends are settled; its settings, retention and loop (the agents' turn in sender_agent.c, the outbox pass in sender_send.c). */
#include <sys/file.h>
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
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
#include "infobip.h"
#include "log.h"
#include "sender.h"
#include "sender_int.h"
#include "settings.h"
#include "store.h"
#include "store_admin.h"
#include "version.h"

#define DAILY_DAYS	3	/* days of the dashboard rollup refreshed each minute */
#define BEAT_SECONDS	5	/* the sender's heartbeat (/health, metrics), at most this often */
#define SEARCH_BATCH	5000	/* messages indexed for the search per step at most: */
#define SEARCH_BUSY_SECONDS 5	/* a step a second while idle, one per this many while sending */
#define SWEEP_SECONDS	60	/* idle sessions closed and the dashboard's days refreshed this often */
#define RETAIN_SECONDS	60	/* a retention pass starts at most this often */
#define RETAIN_BATCH	500	/* rows per retention transaction at most, */
#define RETAIN_BATCH_MIN 20	/* at least; in between it adapts so that */
#define RETAIN_HOLD_MS	4.0	/* one holds the write lock about this long at most, */
#define RETAIN_SHARE	5	/* and retention holds it 1/RETAIN_SHARE of the time at most */
#define STUCK_WAIT_MIN	0.1	/* the store takes no work: the first wait before trying again, */
#define STUCK_WAIT_MAX	5.0	/* doubled each time up to this */
#define STUCK_SAY_SECONDS 60	/* and the sender says that it waits at most this often */

/* What the log says while the sender waits for the store, and once it works again (after so long, how). */
static const struct {
	const char	*waiting;
	const char	*over;
	const char	*how;
} stuck_says[] = {
	[SENDER_STUCK_FULL] = { "the store's disk is full: nothing can be"
	    " written or sent", "the store takes writes again",
	    "without space" },
	[SENDER_STUCK_AWAY] = { "the store cannot be reached: nothing can be"
	    " read, written or sent", "the store answers again",
	    "out of reach" },
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
_Static_assert(sizeof(retain_kinds) / sizeof(retain_kinds[0]) == RETAIN_KINDS,
    "a row of retain_kinds for each kind of enum store_retain");

/* Unix time: what the campaigns' throttle keeps in the store. */
static double
wall_seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
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
	*fd = -1;
	/* On a server the claims share the work: no file to lock, and no password into buf. */
	if (path == NULL && store_on_server(NULL)) {
		snprintf(buf, bufsz, "(none: the store is on a server)");
		return 1;
	}
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
 * Why the last failed call leaves the store unable to take work for now
 * (a full disk, a server out of reach), or SENDER_STUCK_NONE for any other
 * failure. Forgets the full-disk note.
 */
static enum sender_stuck
stuck_cause(struct store *st)
{
	if (store_take_disk_full(st))
		return SENDER_STUCK_FULL;
	if (store_unreachable(st))
		return SENDER_STUCK_AWAY;
	return SENDER_STUCK_NONE;
}

/*
 * After a call failed because the store takes no work (why): the failed
 * turn is undone and the sender waits before the next one, twice as long
 * each time up to STUCK_WAIT_MAX (less when told to quit), saying so at
 * most once a minute. What the turn had claimed comes back when its
 * claims lapse; what it had marked as sent is looked up before any new
 * send. A store on a server comes back through the next call, which
 * connects again.
 */
static void
stuck_wait(struct sender *s, enum sender_stuck why,
    volatile sig_atomic_t *quit)
{
	double	 now = now_seconds(), until;

	store_rollback(s->st);
	store_sync_relaxed(s->st, 0);
	s->failed = 0;		/* the answers not written are asked again */
	/* Said once a minute across short outages too; another cause is news. */
	if (s->stuck != why)
		s->stuck_said = 0;
	if (s->stuck_since == 0 || s->stuck != why) {
		s->stuck_since = now;
		s->stuck_wait = STUCK_WAIT_MIN;
	} else if ((s->stuck_wait *= 2) > STUCK_WAIT_MAX)
		s->stuck_wait = STUCK_WAIT_MAX;
	s->stuck = why;
	if (s->stuck_said == 0 || now - s->stuck_said >= STUCK_SAY_SECONDS) {
		log_warn("%s; trying again every %.0f s at most until it"
		    " works (said once a minute)", stuck_says[why].waiting,
		    STUCK_WAIT_MAX);
		s->stuck_said = now;
	}
	for (until = now + s->stuck_wait; !*quit && now_seconds() < until;)
		usleep(20000);
}

int
sender_run(struct store *st, const struct sender_opts *o,
    volatile sig_atomic_t *quit)
{
	struct sender	 s;
	enum sender_stuck why;
	const char	*whykey;
	double		 end, poll, matched = 0, indexed_at = 0, beat = 0;
	double		 sweep_busy, sweep_idle = 0;
	long		 applied, closed, released, freed, indexed;
	int		 sent, started, retaining, dead_freed = 0, ret = 1;
	int		 idle = 0;

	memset(&s, 0, sizeof(s));
	s.st = st;
	if (config_load_key(st, s.key, &whykey) <= 0) {
		log_error("key file: %s", whykey != NULL ? whykey :
		    "unreadable");
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
	/*
	 * The minute's sweep reads every message of three days: while there
	 * is sending to do it waits for an idle turn, a minute at most (a
	 * single pass, --once, sweeps first as before).
	 */
	sweep_busy = o->once ? 0 : now_seconds() + SWEEP_SECONDS;
	for (;;) {
		int stopping = *quit || (!o->once && now_seconds() >= end);

		/* /health and the metrics tell when the sender last ran. */
		if (now_seconds() - beat >= BEAT_SECONDS || s.stuck_since != 0) {
			if (store_heartbeat(st, "sender") < 0)
				goto failed;
			beat = now_seconds();
			if (s.stuck_since != 0) {
				log_info("%s, after %.0f s %s",
				    stuck_says[s.stuck].over,
				    beat - s.stuck_since, stuck_says[s.stuck].how);
				s.stuck_since = 0;
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
			/* The admin's counts, on PostgreSQL (store_counts_fold). */
			if (store_counts_fold(st) < 0)
				goto failed;
			matched = now_seconds();
		}
		/*
		 * New messages into the search's index (SQLite): a step a
		 * second while idle, less often while sending, since a search
		 * reads the newest messages not indexed yet itself.
		 */
		if (o->once || now_seconds() - indexed_at >=
		    (idle ? 1 : SEARCH_BUSY_SECONDS)) {
			if (store_search_catch_up(st, SEARCH_BATCH, &indexed) < 0)
				goto failed;
			indexed_at = now_seconds();
		}
		/* Idle sessions close on time, not only when their contact writes again. */
		if (now_seconds() >= sweep_busy ||
		    (idle && now_seconds() >= sweep_idle)) {
			if (store_sessions_close_idle(st, s.cfg.session_timeout,
			    &closed) < 0)
				goto failed;
			if (closed > 0)
				log_info("closed %ld idle session(s)", closed);
			/* The dashboard's per-day figures; reports come late, so three days. */
			if (store_admin_daily_refresh(st, DAILY_DAYS) < 0)
				goto failed;
			sweep_idle = now_seconds() + SWEEP_SECONDS;
			sweep_busy = sweep_idle;
		}
		/* Old rows go a batch per turn, between the sends. */
		if ((retaining = stopping ? 0 : retain_turn(&s,
		    now_seconds(), !o->once)) < 0)
			goto failed;
		/* Stopping, the calls in flight are only waited for. */
		started = 0;
		if (stopping ? agents_perform(&s, 0) < 0 :
		    (started = agents_turn(&s)) < 0)
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
		idle = sent == 0 && started == 0 && retaining == 0 &&
		    released == 0;
		if (idle) {
			/* Idle: wait for agents, or just poll the store again. */
			if (s.inflight > 0) {
				if (agents_perform(&s, (long)(poll * 1000)) < 0)
					goto failed;
			} else
				usleep((useconds_t)(poll * 1e6));
		}
		continue;
failed:
		/*
		 * A full disk or a server out of reach is waited out; any
		 * other failure ends the run.
		 */
		if ((why = stuck_cause(st)) == SENDER_STUCK_NONE || o->once)
			goto out;
		if (stopping) {
			log_warn("%s at the end of this run: what is queued waits"
			    " for the next one", stuck_says[why].waiting);
			break;
		}
		stuck_wait(&s, why, quit);
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

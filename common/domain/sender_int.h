/* The sender's own parts, shared by its files: sender.c (settings, retention, the loop), sender_agent.c (the agents' turn), sender_send.c (the outbox to Infobip, unsure sends settled). */
#ifndef SENDER_INT_H
#define SENDER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

#define RETAIN_KINDS	(STORE_RETAIN_LOGS + 1)	/* the kinds of enum store_retain */

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

/* Why the sender waits instead of working: the store's disk is full, or its server is out of reach. */
enum sender_stuck {
	SENDER_STUCK_NONE,
	SENDER_STUCK_FULL,
	SENDER_STUCK_AWAY,
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
	enum sender_stuck	 stuck;		/* why the store takes no work now, if it does not */
	double			 stuck_since;	/* since when; 0: it takes work */
	double			 stuck_wait;	/* the last wait */
	double			 stuck_said;	/* when the log last said so */
};

/* Seconds on the monotonic clock: latencies, waits and paces. */
static inline double
now_seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts agent calls for queued inbound messages (sender_agent.c). Returns the number started, < 0 on error. */
int	 agents_claim(struct sender *);

/* Drives the agent calls for up to timeout_ms, then writes their answers (sender_agent.c). < 0 on error. */
int	 agents_perform(struct sender *, long timeout_ms);

/* Claims and answers queued inbound messages, several pools' worth while they are answered at once (sender_agent.c). Returns the number started, < 0 on error. */
int	 agents_turn(struct sender *);

/* Claims due outbox rows and sends them (sender_send.c). Returns the number claimed, < 0 on error. */
int	 outbox_pass(struct sender *);

#endif

/* The sender: agents answer queued inbound messages, the outbox goes to Infobip, unsure sends are settled. */
#ifndef SENDER_H
#define SENDER_H

#include <signal.h>
#include <stddef.h>

struct store;

struct sender_opts {
	int	 once;		/* 1: work until nothing is left, then return */
	double	 for_seconds;	/* otherwise: poll for this long (cron runs 55) */
	double	 poll_seconds;	/* idle poll interval, at most 0.1 */
};

/*
 * Runs the sender against the store until done (see opts) or *quit is set;
 * the work in flight is finished first. Returns 0 when it ended normally,
 * 1 when it could not start (key file, store, client), and logs why.
 */
int	 sender_run(struct store *, const struct sender_opts *,
	    volatile sig_atomic_t *quit);

/*
 * Takes the lock that keeps to one sender at a time (an overlapping cron
 * run leaves at once): an flock on the file at path, NULL for the store's
 * path with ".sender.lock", created with mode 0600. The path used goes
 * to buf. Returns 1 with *fd (close it to release the lock), 0 when
 * another process holds it, < 0 when the file cannot be opened (errno).
 * A store on a server (PostgreSQL) takes none by default: several senders
 * run at once there, the store's row locks sharing the work; then it
 * returns 1 with *fd -1. A path given is locked whatever the store.
 */
int	 sender_lock(const char *path, char *buf, size_t bufsz, int *fd);

/*
 * The delay before retry number attempt (1 = after the first failure)
 * from a list of seconds such as "30,120,600,3600", with +-10% jitter.
 * Returns < 0 when the list is exhausted (give up).
 */
double	 sender_backoff(const char *delays, int attempt);

#endif

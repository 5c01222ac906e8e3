/* Group commit: one thread owns the store's write transactions and commits the work of many requests at once. */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>

struct store;
struct writer;

/*
 * A piece of work run inside the group's transaction. Returns < 0 on a
 * store error: the transaction is rolled back and the group run again
 * without it, so that only its caller is refused; >= 0 otherwise. It may
 * run more than once (after another job's failure), so it must start from
 * scratch each time and have no effect outside the store.
 */
typedef int	(*writer_fn)(struct store *, void *arg);

struct writer_opts {
	size_t	 max_items;	/* items per transaction (a job counts its items) */
	long	 wait_us;	/* how long a transaction waits for more work; 0: none */
	/* Called on each new connection; <= 0 refuses it (logged by the callee). May be NULL. */
	int	(*on_open)(struct store *);
	/*
	 * Work done for many jobs at once, in fewer round trips (PostgreSQL's
	 * inbound MOs): ahead(st, fns, args, n) runs in each try of a
	 * group's transaction before its jobs, given the jobs still to run,
	 * and leaves in them what their fn then uses. < 0: the try is rolled
	 * back and the group run again one job at a time, without ahead, so
	 * that a job at fault is refused alone as usual. NULL: none.
	 */
	int	(*ahead)(struct store *, const writer_fn *fns, void *const *args,
		    size_t n);
	/*
	 * Work that rides along (counters): extra(st) runs in a group's
	 * transaction just before its commit, at most once a second, and,
	 * while pending() says there
	 * is some, in a transaction of its own (relaxed durability) when the
	 * writer has been idle for a second and as it stops; then
	 * extra_done(committed) says whether what it wrote is in the store.
	 * extra never fails the group: it undoes its own part on error. All
	 * three NULL: none.
	 */
	int	(*extra)(struct store *);
	void	(*extra_done)(int committed);
	int	(*extra_pending)(void);
};

/*
 * Starts a writer thread that opens the store (IBCHANNEL_DB) itself, and
 * reopens it after a failed transaction. Returns > 0 with *out, < 0 when
 * the thread cannot start.
 */
int	 writer_start(const struct writer_opts *, struct writer **out);

/*
 * Runs fn(store, arg) in the next group transaction and returns once that
 * transaction is committed: > 0 committed (fn's work is durable as
 * IBCHANNEL_SYNC promises), < 0 not committed (nothing of it was written:
 * the store is unavailable, fn failed, or the commit failed). items is how
 * much work fn does, for the batch limit. With w NULL, runs fn in a
 * transaction of its own on st (plain CGI, tests).
 */
int	 writer_run(struct writer *w, struct store *st, writer_fn fn, void *arg,
	    size_t items);

/* What a job queued by writer_submit does once its group is over (arg: then_arg; rc as writer_run's). */
typedef void	(*writer_done_fn)(void *arg, int rc);

/*
 * writer_run without the wait: queues fn(store, arg) for the next group
 * and returns at once; once that group's transaction is committed (or
 * not), the writer thread calls then(then_arg, rc), with rc as writer_run
 * returns it, after it has woken the group's waiting requesters, and in
 * the order the jobs were queued. Returns
 * 1 when queued, 0 when not (w NULL, or out of memory): the caller then
 * runs it with writer_run. writer_stop calls every then before it returns.
 */
int	 writer_submit(struct writer *w, writer_fn fn, void *arg, size_t items,
	    writer_done_fn then, void *then_arg);

/* Commits everything queued, then stops the thread and closes its store. NULL is fine. */
void	 writer_stop(struct writer *);

#endif

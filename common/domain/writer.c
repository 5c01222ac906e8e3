/* Group commit: one thread owns the store's write transactions and commits the work of many requests at once. */
#include <sys/syscall.h>

#include <linux/futex.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "writer.h"

#define TRIM_IDLE_MS	200	/* a busy spell ends after this long without a job */
#define CONFLICT_TRIES	3	/* runs of a group that PostgreSQL rolls back to end deadlocks */

/*
 * One request's work: on the requester's stack until it is answered
 * (writer_run), or allocated and freed by the writer (writer_submit).
 */
struct job {
	writer_fn	 fn;
	void		*arg;
	size_t		 items;
	int		 rc;		/* > 0 committed, < 0 not */
	unsigned int	 done;		/* set (job_done) once rc is final; a futex word */
	writer_done_fn	 then;		/* writer_submit's: called instead of a wake-up */
	void		*then_arg;
	struct job	*next;
};

/*
 * The requester's wait for its job, and the writer's word that it is done.
 * A futex of the job's own rather than a condition variable under the
 * queue's mutex: a woken requester then needs no lock, where it had to
 * take the queue's mutex again, which the writer held while it woke the
 * rest of its group (one system call each) and the next requests held to
 * queue their jobs; each such meeting cost a sleep and a wake-up more.
 */
static void
job_wait(struct job *j)
{
	while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &j->done, FUTEX_WAIT_PRIVATE, 0, NULL,
		    NULL, 0);
}

/*
 * Marks j done and wakes its requester, which may return (and its stack,
 * where j lives, be reused) as soon as done is set: j is not read after,
 * and a wake-up at a reused address only makes a waiter there look again.
 */
static void
job_done(struct job *j)
{
	unsigned int	*word = &j->done;

	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

struct writer {
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* a job was queued, or stop */
	struct job	*head, *tail;
	size_t		 queued_items;
	int		 stop;
	pthread_t	 thread;
	struct store	*st;		/* the writer thread's own connection */
	struct writer_opts opts;
	struct timespec	 extra_at;	/* when extra last rode along (CLOCK_MONOTONIC) */
	long		 open_failed;	/* when the store last failed to open (monotonic s + 1); 0 not */
	int		 busy;		/* a group was committed since the heap was last trimmed */
};

/*
 * Whether extra should ride along in this group: at most once a second,
 * since what it writes (the counters) then dirties a page in each group
 * and makes a group of duplicates, which writes nothing else, pay a sync.
 */
static int
extra_due(struct writer *w)
{
	struct timespec	 now;

	if (w->opts.extra == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - w->extra_at.tv_sec < 1 ||
	    (now.tv_sec - w->extra_at.tv_sec == 1 &&
	    now.tv_nsec < w->extra_at.tv_nsec))
		return 0;
	w->extra_at = now;
	return 1;
}

/*
 * Opens the writer's connection; one the file system lets only read is
 * useless. While the store cannot be opened every group tries again and
 * fails its requests (503), so saying why is limited to once a minute.
 */
static int
writer_open(struct writer *w)
{
	struct timespec	 now;

	/*
	 * After a server refused or did not answer, one try a second at
	 * most: a server that does not answer holds a try for its connect
	 * timeout, and the groups queued meanwhile would each wait for one
	 * of their own; they are refused at once.
	 */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (w->open_failed != 0 && now.tv_sec + 1 - w->open_failed < 1)
		return -1;
	if (store_open(NULL, STORE_OPEN_EXISTING, &w->st) <= 0) {
		store_say_unopened();
		w->st = NULL;
		/* A server's refusal or silence; a file costs nothing to retry. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (*store_open_error() != '\0')
			w->open_failed = now.tv_sec + 1;
		return -1;
	}
	w->open_failed = 0;
	if (w->opts.on_open != NULL && w->opts.on_open(w->st) <= 0) {
		store_close(w->st);
		w->st = NULL;
		return -1;
	}
	if (store_readonly(w->st)) {
		log_error("store %s can only be read", store_display_name());
		store_close(w->st);
		w->st = NULL;
		return -1;
	}
	return 1;
}

/*
 * Gives the group's jobs still to run to opts.ahead. Its return; 0 when
 * the lists cannot be allocated (the jobs then do all their work).
 */
static int
group_ahead(struct writer *w, struct job *group)
{
	struct job	*j;
	writer_fn	*fns;
	void		**args;
	size_t		 n = 0;
	int		 rc;

	for (j = group; j != NULL; j = j->next)
		n += j->rc == 0;
	fns = calloc(n, sizeof(*fns));
	args = calloc(n, sizeof(*args));
	if (fns == NULL || args == NULL) {
		free(fns);
		free(args);
		return 0;
	}
	n = 0;
	for (j = group; j != NULL; j = j->next)
		if (j->rc == 0) {
			fns[n] = j->fn;
			args[n++] = j->arg;
		}
	rc = w->opts.ahead(w->st, fns, args, n);
	free(fns);
	free(args);
	return rc;
}

/*
 * Runs a group of jobs in one transaction and sets every job's rc. A job
 * whose work fails makes the whole transaction roll back; the group is
 * then run again without it, so that it alone is refused (unless the
 * server rolled it back to end a deadlock: then with it, up to
 * CONFLICT_TRIES runs). (A savepoint
 * per job would do the same at a cost on every transaction; this costs
 * only when something fails.)
 */
static void
commit_group(struct writer *w, struct job *group)
{
	struct job	*j;
	int		 failed, xrc, extra, ahead, conflicts = 0;

	for (j = group; j != NULL; j = j->next)
		j->rc = 0;
	if (w->st != NULL)
		store_take_conflict(w->st);	/* only this group's own */
	ahead = w->opts.ahead != NULL;
	for (;;) {
		for (j = group; j != NULL && j->rc != 0; j = j->next)
			;
		if (j == NULL)
			return;		/* every job failed on its own */
		if (w->st == NULL && writer_open(w) < 0)
			break;
		if (store_begin(w->st) < 0)
			break;
		if (ahead && group_ahead(w, group) < 0) {
			/*
			 * Which job's work failed is not known: the group
			 * runs again on a new connection, each job on its own
			 * (which finds the one at fault, if one is).
			 */
			ahead = 0;
			store_rollback(w->st);
			store_close(w->st);
			w->st = NULL;
			continue;
		}
		failed = 0;
		for (j = group; j != NULL && !failed; j = j->next)
			if (j->rc == 0 && j->fn(w->st, j->arg) < 0) {
				failed = 1;
				/*
				 * PostgreSQL broke a deadlock with another
				 * program's transaction (a sender recording
				 * the same messages): the job is not at
				 * fault, and the group runs again with it.
				 */
				if (store_take_conflict(w->st) &&
				    ++conflicts < CONFLICT_TRIES)
					log_info("a group met another"
					    " transaction's locks and was rolled"
					    " back to end a deadlock; running it"
					    " again");
				else
					j->rc = -1;
			}
		if (failed) {
			/*
			 * A connection that failed may stay unusable (SQLite
			 * keeps some errors, e.g. a read-only file): the rest
			 * run on a new one, which fails them all if the store
			 * itself is at fault.
			 */
			store_rollback(w->st);
			store_close(w->st);
			w->st = NULL;
			continue;
		}
		xrc = (extra = extra_due(w)) ? w->opts.extra(w->st) : 0;
		if (store_commit(w->st) < 0) {
			if (extra)
				w->opts.extra_done(0);
			break;
		}
		if (extra)
			w->opts.extra_done(xrc > 0);
		for (j = group; j != NULL; j = j->next)
			if (j->rc == 0)
				j->rc = 1;
		return;
	}
	/* Nothing of the group was written: every request hears so. */
	for (j = group; j != NULL; j = j->next)
		j->rc = -1;
	store_rollback(w->st);
	/* The file may have been replaced or repaired: reopen next time. */
	store_close(w->st);
	w->st = NULL;
}

/*
 * The extra work alone, when no group came for a while: durability relaxed,
 * as counters lost on a power failure only lag (the next group's commit
 * makes them durable too).
 */
static void
extra_alone(struct writer *w)
{
	int	 rc;

	if (w->opts.extra_pending == NULL || !w->opts.extra_pending())
		return;
	if (w->st == NULL && writer_open(w) < 0)
		return;
	if (store_sync_relaxed(w->st, 1) < 0 || store_begin(w->st) < 0) {
		store_sync_relaxed(w->st, 0);
		return;
	}
	if ((rc = w->opts.extra(w->st)) > 0 && store_commit(w->st) > 0)
		w->opts.extra_done(1);
	else {
		store_rollback(w->st);
		w->opts.extra_done(0);
	}
	store_sync_relaxed(w->st, 0);
}

/*
 * Waits for a job or stop; with extra work, runs it alone after each idle
 * second. A busy spell's end (TRIM_IDLE_MS without a job) gives the free
 * heap back first.
 */
static void
wait_work(struct writer *w)
{
	struct timespec	 at;
	long		 ns;

	while (w->head == NULL && !w->stop) {
		if (w->opts.extra == NULL && !w->busy) {
			pthread_cond_wait(&w->more, &w->mu);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &at);
		if (w->busy) {
			ns = at.tv_nsec + TRIM_IDLE_MS * 1000000L;
			at.tv_sec += ns / 1000000000L;
			at.tv_nsec = ns % 1000000000L;
		} else
			at.tv_sec += 1;
		if (pthread_cond_timedwait(&w->more, &w->mu, &at) != ETIMEDOUT ||
		    w->head != NULL || w->stop)
			continue;
		pthread_mutex_unlock(&w->mu);
		if (w->busy) {
			/*
			 * The request threads' freed bodies and trees, and
			 * SQLite's freed pages, stay in glibc's arenas as
			 * resident memory until given back. Once per spell;
			 * it takes well under a millisecond.
			 */
			w->busy = 0;
			malloc_trim(0);
		} else
			extra_alone(w);
		pthread_mutex_lock(&w->mu);
	}
}

static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct job	*group, *last, *j, *later, **later_end;
	struct timespec	 at;
	size_t		 items;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		wait_work(w);
		if (w->head == NULL)
			break;
		if (w->opts.wait_us > 0 && !w->stop &&
		    w->queued_items < w->opts.max_items) {
			/* Gather more for up to wait_us, or until the batch is full. */
			clock_gettime(CLOCK_REALTIME, &at);
			at.tv_nsec += w->opts.wait_us * 1000L;
			at.tv_sec += at.tv_nsec / 1000000000L;
			at.tv_nsec %= 1000000000L;
			while (!w->stop && w->queued_items < w->opts.max_items &&
			    pthread_cond_timedwait(&w->more, &w->mu, &at) == 0)
				;
		}
		/* Take jobs up to the item limit; a job is never split. */
		group = last = w->head;
		items = group->items;
		while (last->next != NULL &&
		    items + last->next->items <= w->opts.max_items) {
			last = last->next;
			items += last->items;
		}
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		w->queued_items -= items;
		pthread_mutex_unlock(&w->mu);

		commit_group(w, group);
		w->busy = 1;
		/*
		 * The group is off the queue: its jobs are answered without
		 * the lock, the waiting requesters first.
		 */
		later = NULL;
		later_end = &later;
		for (j = group; j != NULL; j = group) {
			group = j->next;
			if (j->then == NULL)
				job_done(j);
			else {
				/* Kept in the order they came. */
				j->next = NULL;
				*later_end = j;
				later_end = &j->next;
			}
		}
		for (j = later; j != NULL; j = later) {
			later = j->next;
			j->then(j->then_arg, j->rc);
			free(j);
		}

		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	/* Every request is answered and counted by now. */
	if (w->opts.extra != NULL)
		extra_alone(w);
	store_close(w->st);
	w->st = NULL;
	return NULL;
}

int
writer_start(const struct writer_opts *opts, struct writer **out)
{
	struct writer	*w;
	pthread_attr_t	 attr;
	int		 rc;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->opts = *opts;
	if (w->opts.max_items < 1)
		w->opts.max_items = 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	rc = pthread_create(&w->thread, &attr, writer_main, w);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("pthread_create: %s", strerror(rc));
		pthread_cond_destroy(&w->more);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return -1;
	}
	*out = w;
	return 1;
}

/* Queues j for the writer and wakes it. */
static void
job_queue(struct writer *w, struct job *j)
{
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued_items += j->items;
	pthread_mutex_unlock(&w->mu);
	/* After the unlock: a woken writer does not wait for our mutex first. */
	pthread_cond_signal(&w->more);
}

int
writer_submit(struct writer *w, writer_fn fn, void *arg, size_t items,
    writer_done_fn then, void *then_arg)
{
	struct job	*j;

	if (w == NULL || (j = calloc(1, sizeof(*j))) == NULL)
		return 0;
	j->fn = fn;
	j->arg = arg;
	j->items = items > 0 ? items : 1;
	j->then = then;
	j->then_arg = then_arg;
	job_queue(w, j);
	return 1;
}

int
writer_run(struct writer *w, struct store *st, writer_fn fn, void *arg,
    size_t items)
{
	struct job	 j;

	if (w == NULL) {
		if (st == NULL || store_begin(st) < 0)
			return -1;
		if (fn(st, arg) < 0 || store_commit(st) < 0) {
			store_rollback(st);
			return -1;
		}
		return 1;
	}
	memset(&j, 0, sizeof(j));
	j.fn = fn;
	j.arg = arg;
	j.items = items > 0 ? items : 1;
	job_queue(w, &j);
	job_wait(&j);
	return j.rc;
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->more);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

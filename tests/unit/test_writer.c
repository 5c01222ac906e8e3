/* Writer tests: jobs handed over with writer_submit are answered once each, after their group, in the order they were queued, and all before writer_stop returns. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "writer.h"

#define SUBMITTERS	4
#define PER_SUBMITTER	250
#define FAILING		7	/* every FAILING-th job's work fails */

static char	 dir[] = "/tmp/ibc-writer-XXXXXX";
static char	 dbpath[256];

static pthread_t	 main_thread;
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static int		 answered_ok, answered_failed, answered_twice;
static int		 on_main, wrong_rc, out_of_order;
static int		 last_answered[SUBMITTERS];	/* per submitter */

struct item {
	int	 n;
	int	 fails;
	int	 answers;
};

static int
work(struct store *st, void *arg)
{
	struct item	*it = arg;

	(void)st;
	return it->fails ? -1 : 1;
}

static void
then(void *arg, int rc)
{
	struct item	*it = arg;

	pthread_mutex_lock(&mu);
	if (it->answers++ > 0)
		answered_twice++;
	if (pthread_equal(pthread_self(), main_thread))
		on_main++;
	if ((rc > 0) == it->fails)
		wrong_rc++;
	/* One submitter's jobs were queued one after another. */
	if (it->n <= last_answered[it->n / PER_SUBMITTER])
		out_of_order++;
	last_answered[it->n / PER_SUBMITTER] = it->n;
	if (rc > 0)
		answered_ok++;
	else
		answered_failed++;
	pthread_mutex_unlock(&mu);
}

struct submitter {
	struct writer	*w;
	struct item	*items;
	int		 queued;
	int		 waited_rc;
};

static void *
submit(void *arg)
{
	struct submitter	*s = arg;
	struct item		 own = { .n = -1 };
	int			 i;

	for (i = 0; i < PER_SUBMITTER; i++)
		s->queued += writer_submit(s->w, work, &s->items[i], 1, then,
		    &s->items[i]);
	/* A requester that waits, between the handed-over jobs. */
	s->waited_rc = writer_run(s->w, NULL, work, &own, 1);
	return NULL;
}

int
main(void)
{
	struct writer_opts	 opts;
	struct submitter	 sub[SUBMITTERS];
	pthread_t		 t[SUBMITTERS];
	struct item		*items;
	struct store		*st;
	int			 i, k, queued = 0, waited = 0, want_failed = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/test.db", dir);
	setenv("IBCHANNEL_DB", dbpath, 1);
	setenv("IBCHANNEL_SYNC", "normal", 1);
	if (store_open(dbpath, STORE_OPEN_CREATE, &st) <= 0)
		return 1;
	store_close(st);
	main_thread = pthread_self();

	CHECK(writer_submit(NULL, work, NULL, 1, then, NULL) == 0,
	    "no writer: nothing queued, the caller runs the job itself");

	memset(&opts, 0, sizeof(opts));
	opts.max_items = 64;
	CHECK(writer_start(&opts, &sub[0].w) > 0, "writer started");
	items = calloc(SUBMITTERS * PER_SUBMITTER, sizeof(*items));
	if (items == NULL)
		return 1;
	for (i = 0; i < SUBMITTERS * PER_SUBMITTER; i++) {
		items[i].n = i;
		items[i].fails = i % FAILING == 3;
		want_failed += items[i].fails;
	}
	for (k = 0; k < SUBMITTERS; k++) {
		last_answered[k] = -1;
		sub[k].w = sub[0].w;
		sub[k].items = items + k * PER_SUBMITTER;
		sub[k].queued = 0;
		sub[k].waited_rc = 0;
		pthread_create(&t[k], NULL, submit, &sub[k]);
	}
	for (k = 0; k < SUBMITTERS; k++) {
		pthread_join(t[k], NULL);
		queued += sub[k].queued;
		waited += sub[k].waited_rc > 0;
	}
	/* Every job is queued; some may not be answered yet: writer_stop answers them. */
	writer_stop(sub[0].w);

	CHECK(queued == SUBMITTERS * PER_SUBMITTER, "every job queued (%d)",
	    queued);
	CHECK(waited == SUBMITTERS, "each waiting requester's job committed"
	    " among the handed-over ones (%d)", waited);
	CHECK(answered_ok + answered_failed == SUBMITTERS * PER_SUBMITTER,
	    "every handed-over job answered by the time writer_stop returned"
	    " (%d of %d)", answered_ok + answered_failed,
	    SUBMITTERS * PER_SUBMITTER);
	CHECK(answered_twice == 0, "none answered twice (%d)", answered_twice);
	CHECK(answered_failed == want_failed, "each failing job alone refused"
	    " (%d of %d)", answered_failed, want_failed);
	CHECK(wrong_rc == 0, "each answer's rc is its own job's (%d wrong)",
	    wrong_rc);
	CHECK(out_of_order == 0, "each submitter's jobs answered in the order"
	    " it queued them (%d out of order)", out_of_order);
	CHECK(on_main == 0, "answered on the writer's thread, not the"
	    " caller's (%d)", on_main);
	free(items);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done();
}

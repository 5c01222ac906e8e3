/* Growing from SQLite: the store copied into an empty PostgreSQL database, while no program writes it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "ops_int.h"
#include "ops_migrate.h"
#include "sender.h"
#include "store.h"

int
ops_migrate(const char *uri,
    void (*progress)(const char *, int64_t, int, void *), void *arg,
    struct store_copied *r, struct ops_error *e)
{
	char	 lock[4096], why[1024], shown[512];
	int	 fd, rc;

	ops_reset(e);
	memset(r, 0, sizeof(*r));
	if (uri == NULL || !db_on_server(uri))
		return ops_fail(e, OPS_INVALID, "to", "a postgresql:// or"
		    " postgres:// URI is needed, not '%.200s'", uri != NULL ?
		    db_display_name(uri, shown, sizeof(shown)) : "");
	/* Before the lock: a server's store has no lock file to make. */
	if (db_on_server(store_default_path()))
		return ops_fail(e, OPS_REFUSED, NULL, "the store %.300s is on"
		    " PostgreSQL already; migrate copies a SQLite store",
		    db_display_name(store_default_path(), shown,
		    sizeof(shown)));
	/* The sender's lock: cron's next sender leaves at once until the copy is done. */
	if ((rc = sender_lock(NULL, lock, sizeof(lock), &fd)) < 0)
		return ops_fail(e, OPS_FAILED, NULL, "%.200s: %s", lock,
		    strerror(errno));
	if (rc == 0)
		return ops_fail(e, OPS_REFUSED, NULL, "a sender is running"
		    " (it holds %.200s); stop it first", lock);
	rc = store_copy_to_server(NULL, uri, progress, arg, r, why,
	    sizeof(why));
	close(fd);
	if (rc <= 0)
		return ops_fail(e, rc < 0 ? OPS_FAILED : OPS_REFUSED, NULL,
		    "%s", why);
	return 1;
}

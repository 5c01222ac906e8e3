/* The operator action that grows a SQLite store into PostgreSQL (the ops.h convention). */
#ifndef OPS_MIGRATE_H
#define OPS_MIGRATE_H

#include <stdint.h>

#include "ops.h"
#include "store.h"

/*
 * Copies the store IBCHANNEL_DB names (a SQLite file) into the empty
 * PostgreSQL database at uri (store_copy_to_server: the schema, every
 * row with its id, in one transaction there, counted and summed on both
 * sides before the commit), holding the sender's lock meanwhile.
 * OPS_INVALID (field "to") when uri is not a PostgreSQL URI; OPS_REFUSED
 * while a sender runs or a program has the store open, when the store is
 * on PostgreSQL already or fails its checks, when the database is not
 * empty, or when the two schemas differ; OPS_FAILED when the database
 * cannot be reached or the copy fails. The store is left as it was; the
 * database is changed only when the call returns > 0. API keys stay
 * sealed under the same key file. progress (may be NULL) is called as
 * store_copy_to_server says. Needs no store opened: there is no struct ops.
 */
int	 ops_migrate(const char *uri,
	    void (*progress)(const char *table, int64_t rows, int done, void *),
	    void *arg, struct store_copied *, struct ops_error *);

#endif

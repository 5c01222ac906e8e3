/* Between the store's own files (store.c, store_admin.c): not for other modules. */
#ifndef STORE_PRIVATE_H
#define STORE_PRIVATE_H

#include <sqlite3.h>

struct store;

/* The store's SQLite connection. */
sqlite3	*store_sqlite(struct store *);

/*
 * The one step of every statement of the store's files (store.c's step()):
 * SQLITE_ROW, SQLITE_DONE, SQLITE_CONSTRAINT (a soft outcome; reset), or
 * -1 for anything else, logged once with the statement's name (reset).
 */
int	 store_step(struct store *, const char *name, sqlite3_stmt *);

#endif

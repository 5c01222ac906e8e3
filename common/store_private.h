/* Between the store's own files (store.c, store_admin.c): not for other modules. */
#ifndef STORE_PRIVATE_H
#define STORE_PRIVATE_H

#include <sqlite3.h>

struct store;

/* The store's SQLite connection. */
sqlite3	*store_sqlite(struct store *);

#endif

/* Between the SQLite side of the store (db_sqlite.c, db_sqlite_file.c): not for the aggregate files. */
#ifndef DB_SQLITE_H
#define DB_SQLITE_H

#include <sqlite3.h>

struct db;

/* The connection's SQLite handle, for what only SQLite does (backup, integrity_check). */
sqlite3	*db_sqlite_handle(struct db *);

#endif

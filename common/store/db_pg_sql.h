/* PostgreSQL's text of the store's statements whose SQLite text does not run there or means something else. */
#ifndef DB_PG_SQL_H
#define DB_PG_SQL_H

#include "db.h"

/*
 * By slot and statement name (as the store's tables name them), ending
 * with a row whose name is NULL: the PostgreSQL kit prepares a statement
 * from its row here when it has one, else from the table's own text.
 * Each row takes the parameters its statement takes, by the same numbers
 * (tests/e2e/test_pg_statements.py checks it), written as SQLite writes
 * them (? and ?N); the kit numbers them $N as SQLite counts. A statement
 * may use fewer parameters than its caller binds (db.h): the kit binds
 * the prepared statement's own count.
 */
extern const struct db_override pg_sql[];

#endif

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

/*
 * The first words of a statement that the kit plans again at each run
 * (sent with its values, unnamed) rather than once a session: for the
 * few statements that run once per batch and join the queues to the
 * messages. A prepared statement keeps, after a few runs, a plan made for
 * the tables' sizes as then known; a young store's messages grow faster
 * than autovacuum's statistics follow, and such a plan reads every
 * message to find a batch's few. A plan made at the run sees the tables'
 * size as it is then, and costs a fraction of a millisecond once a batch.
 */
#define PG_PLAN_EACH_RUN	"/* planned at each run */ "

#endif

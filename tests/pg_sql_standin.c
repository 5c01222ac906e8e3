/* An empty PostgreSQL statement table, linked (by the Makefile) only while common/store/db_pg_sql.c is not in the tree. */
#include "db.h"
#include "db_engine.h"

const struct db_override pg_sql[] = {
	{ DB_SLOT__MAX, { NULL, NULL } }
};

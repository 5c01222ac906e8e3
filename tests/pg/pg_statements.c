/* Prints every statement of the store as PostgreSQL runs it (slot, name, source, SQL, the table's SQL), for tests/e2e/test_pg_statements.py. */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_pg_sql.h"
#include "store_private.h"

/* Every statement table of the store, with its slot's name. */
static const struct {
	const char		*slot;
	const struct db_table	*t;
} tables[] = {
	{ "DB_SLOT_STORE", &store_sql },
	{ "DB_SLOT_CONN", &conn_sql },
	{ "DB_SLOT_MSG", &msg_sql },
	{ "DB_SLOT_OUTBOX", &outbox_sql },
	{ "DB_SLOT_MAINT", &maint_sql },
	{ "DB_SLOT_CAMPAIGN", &campaign_sql },
	{ "DB_SLOT_API", &api_sql },
	{ "DB_SLOT_ADMIN", &admin_sql },
	{ "DB_SLOT_FILE", &file_sql },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* The override of statement which of table t, or NULL; counts its use in used[]. */
static const struct db_override *
override_of(const struct db_table *t, size_t which, int *used)
{
	size_t	 i;

	for (i = 0; pg_sql[i].stmt.name != NULL; i++)
		if (pg_sql[i].slot == t->slot &&
		    strcmp(pg_sql[i].stmt.name, t->stmt[which].name) == 0) {
			used[i]++;
			return &pg_sql[i];
		}
	return NULL;
}

/* Whether text can go on one tab-separated line as it is. */
static int
one_line(const char *s)
{
	return s != NULL && strpbrk(s, "\t\n\r") == NULL;
}

/*
 * Each statement on one line: slot, name, "pg" (PostgreSQL's override) or
 * "table" (the table's own text), the SQL PostgreSQL runs, and the table's
 * own SQL, tab-separated. Exits 1 (after
 * saying why on stderr) when a slot is missing or listed twice, a
 * statement has no name or SQL, two statements of a slot share a name,
 * or an override names no statement or the same one twice: an override
 * whose name went stale would leave SQLite's text silently in its place.
 */
int
main(void)
{
	static int			 used[512];
	const struct db_override	*o;
	const char			*sql;
	size_t				 i, j, k, n;
	int				 seen[DB_SLOT__MAX] = { 0 }, bad = 0;

	for (n = 0; pg_sql[n].stmt.name != NULL; n++)
		continue;
	if (n >= sizeof(used) / sizeof(used[0])) {
		fprintf(stderr, "pg_statements: more than %zu overrides\n",
		    sizeof(used) / sizeof(used[0]) - 1);
		return 1;
	}
	for (i = 0; i < NTABLES; i++) {
		const struct db_table	*t = tables[i].t;

		if ((int)t->slot < 0 || t->slot >= DB_SLOT__MAX ||
		    seen[t->slot]++) {
			fprintf(stderr, "pg_statements: %s: slot listed twice"
			    " or out of range\n", tables[i].slot);
			bad = 1;
			continue;
		}
		for (j = 0; j < t->n; j++) {
			if (!one_line(t->stmt[j].name) || !one_line(t->stmt[j].sql)) {
				fprintf(stderr, "pg_statements: %s: statement %zu"
				    " has no name or SQL, or a tab or newline\n",
				    tables[i].slot, j);
				bad = 1;
				continue;
			}
			for (k = 0; k < j; k++)
				if (t->stmt[k].name != NULL &&
				    strcmp(t->stmt[k].name, t->stmt[j].name) == 0) {
					fprintf(stderr, "pg_statements: %s: two"
					    " statements named %s\n",
					    tables[i].slot, t->stmt[j].name);
					bad = 1;
				}
			o = override_of(t, j, used);
			sql = o != NULL ? o->stmt.sql : t->stmt[j].sql;
			if (!one_line(sql)) {
				fprintf(stderr, "pg_statements: %s %s: the"
				    " override has a tab or newline\n",
				    tables[i].slot, t->stmt[j].name);
				bad = 1;
				continue;
			}
			printf("%s\t%s\t%s\t%s\t%s\n", tables[i].slot,
			    t->stmt[j].name, o != NULL ? "pg" : "table", sql,
			    t->stmt[j].sql);
		}
	}
	for (i = 0; i < DB_SLOT__MAX; i++)
		if (!seen[i]) {
			fprintf(stderr, "pg_statements: slot %zu has no table"
			    " in the list\n", i);
			bad = 1;
		}
	for (i = 0; i < n; i++)
		if (used[i] != 1) {
			fprintf(stderr, "pg_statements: override %s (slot %d)"
			    " names %s\n", pg_sql[i].stmt.name,
			    (int)pg_sql[i].slot, used[i] == 0 ?
			    "no statement (or repeats another override)" :
			    "several statements");
			bad = 1;
		}
	return bad ? 1 : 0;
}

/* The migrations of sql/ (SQLite) and sql/pg/ (PostgreSQL), compiled in so every program can create or upgrade the store. */
#ifndef SQLEMBED_H
#define SQLEMBED_H

#include <stddef.h>

struct sqlembed {
	int		 version;	/* the schema's version after applying */
	const char	*name;		/* file name in sql/ or sql/pg/ */
	const char	*sql;
};

/* SQLite's: schema.sql is version 1, then NNN-*.sql. */
extern const struct sqlembed	sqlembed[];
extern const size_t		sqlembed_count;

/* PostgreSQL's: schema.sql is the whole schema at version 17, then NNN-*.sql. */
extern const struct sqlembed	pgembed[];
extern const size_t		pgembed_count;

#endif

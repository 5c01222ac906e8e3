/* The migrations of sql/, compiled in so every program can create or upgrade the store. */
#ifndef SQLEMBED_H
#define SQLEMBED_H

#include <stddef.h>

struct sqlembed {
	int		 version;	/* PRAGMA user_version after applying */
	const char	*name;		/* file name in sql/ */
	const char	*sql;
};

extern const struct sqlembed	sqlembed[];
extern const size_t		sqlembed_count;

#endif

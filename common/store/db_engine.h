/* Between the kit (db.c) and its engines (db_sqlite.c, db_pg.c): the table of an engine's functions and the heads of its objects. */
#ifndef DB_ENGINE_H
#define DB_ENGINE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

/*
 * What an engine does, one function per call of the kit that differs by
 * engine; db.c builds the rest (db_exec, db_exists, db_str, ...) on these.
 * Each takes the kit's own objects: an engine's connection and statement
 * begin with the heads below, so it converts the pointer it is given.
 */
struct db_engine {
	const char	*name;
	void		 (*close)(struct db *);
	int		 (*readonly)(struct db *);
	unsigned int	 (*data_version)(struct db *);
	const char	*(*errmsg)(struct db *);
	int		 (*take_disk_full)(struct db *);
	int		 (*take_conflict)(struct db *);
	int		 (*refused_by_foreign_key)(struct db *);
	int		 (*runv)(struct db *, const struct db_table *, int,
			    struct db_stmt **, const char *, va_list);
	int		 (*step)(struct db_stmt *);
	void		 (*reset)(struct db_stmt *);
	int64_t		 (*changes)(struct db *);
	int64_t		 (*last_id)(struct db *);
	int64_t		 (*int64)(struct db_stmt *, int);
	int		 (*int32)(struct db_stmt *, int);
	double		 (*dbl)(struct db_stmt *, int);
	const char	*(*text)(struct db_stmt *, int);
	int		 (*null)(struct db_stmt *, int);
	int		 (*begin)(struct db *, enum db_begin_mode);
	int		 (*commit)(struct db *);
	void		 (*rollback)(struct db *);
	int		 (*savepoint)(struct db *);
	int		 (*savepoint_end)(struct db *, int);
	int		 (*durability)(struct db *, int);
	int		 (*version)(struct db *);
	/* Switches the triggers (db_triggers); NULL: an engine whose triggers stay on. */
	int		 (*triggers)(struct db *, int);
	/* Whether the server is out of reach (db_unreachable); NULL: an engine without a server. */
	int		 (*unreachable)(struct db *);
};

/* The head of every engine's connection: which engine it is. */
struct db {
	const struct db_engine	*engine;
};

/* The head of every engine's prepared statement. */
struct db_stmt {
	const struct db_engine	*engine;
};

/*
 * Where the password of uri's user information is (user:PASSWORD@hosts,
 * up to the last '@' before the options): 1 with its offset and length,
 * 0 when there is none.
 */
int	 db_uri_password(const char *uri, size_t *start, size_t *len);

/* An engine's open says why it failed (db_open_error): why is copied, for this thread. */
void	 db_open_failed(const char *why);

/* Each engine's open (the arguments and result of db_open). */
int	 db_sqlite_open(const char *path, enum db_open_mode, int full,
	    struct db **out);
int	 db_pg_open(const char *uri, enum db_open_mode, int full,
	    struct db **out);

/*
 * PostgreSQL's own text of the statements whose portable text does not
 * suit it (db_pg_sql.c), ending with a NULL name.
 */
extern const struct db_override pg_sql[];

/*
 * The SQL an engine runs for statement which of t: its row in the
 * engine's override table ov (ending with a NULL name), else the table's.
 */
const char *db_sql_text(const struct db_override *ov,
	    const struct db_table *t, int which);

#endif

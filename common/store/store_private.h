/* Between the store's own files: the store object and the helpers they share (not for other modules). */
#ifndef STORE_PRIVATE_H
#define STORE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "store.h"

/* An open store: its connection and the durability it was opened with. */
/* The outbound statuses a result of the sender moves a message between (store_outbox.c's follow_statuses[]). */
#define STORE_FOLLOW_STATUSES	9

struct store {
	struct db	*db;
	int		 full;		/* IBCHANNEL_SYNC=full */
	int		 server;	/* PostgreSQL: some steps are one statement there */
	/*
	 * On PostgreSQL, store_inbound_agent's last answer, kept while the
	 * data version holds (a read is a round trip there; on SQLite it
	 * costs next to nothing and is read each time).
	 */
	struct {
		unsigned int	 version;	/* 0: none kept */
		char		 conn[STORE_ID_LEN + 1];
		int		 rc;
		int64_t		 agent;
		int		 running;
	}		 inbound_agent;
	/*
	 * SQLite, between store_follow_begin and store_follow_end: the
	 * triggers are off, and the status changes of the sender's results
	 * wait here for the counts and the recipients to follow them.
	 */
	struct {
		int	 on;			/* the triggers are off */
		int	 hold;			/* store_follow_hold: they may stay off */
		int	 off;			/* held: off between two windows */
		long	 delta[STORE_FOLLOW_STATUSES];	/* by follow_statuses[] */
		int64_t	*ids;			/* the messages changed */
		size_t	 n, room;
	}		 follow;
};

/* Fills buf with n (at most 32) random bytes as lowercase hex (2n + 1 bytes). > 0, < 0 error (logged). */
int	 store_random_hex(char *buf, size_t n);

/*
 * A new message uid into uid (STORE_UID_MAX): 16 hex digits of the time
 * in microseconds, then 16 random ones. > 0, < 0 error (logged).
 */
int	 store_new_uid(char *uid);

/* Forgets the noted status changes and turns the triggers on again if store_follow_begin turned them off (store_outbox.c). */
void	 store_follow_reset(struct store *);

/* Removes message's outbox row (store_outbox.c): > 0 done, 0 refused, < 0 error. */
int	 store_outbox_remove(struct store *, int64_t message);

/* A growing text: an array literal of PostgreSQL's. */
struct arraytext {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

/*
 * The columns of a group of calls, one array literal each, filled a call
 * at a time: each element goes to the next column. A column per parameter
 * (rather than one array of every field) lets the server read them with
 * one unnest, in one pass, however many calls there are (store_msg.c).
 */
#define ARRAYS_MAX	16
struct arrays {
	struct arraytext col[ARRAYS_MAX];
	size_t		 ncol, next;
};
/*
 * Appends one element to the next column: NULL (v NULL), or the len bytes
 * of v quoted, its quotes and backslashes escaped, so any text is data,
 * never syntax.
 */
void	 arraytext_elem(struct arrays *, const char *v, size_t len);
/* Appends an integer element; absent (NULL) when below min. */
void	 arraytext_int(struct arrays *, int64_t v, int64_t min);
/* Closes every column's literal. > 0, < 0 out of memory (logged, with what). */
int	 arrays_end(struct arrays *, const char *what);
/* Frees the columns. */
void	 arrays_free(struct arrays *);

/* The date and time now as the store writes it (SQL), to the millisecond. */
#define NOW	"strftime('%Y-%m-%d %H:%M:%f', 'now')"

/*
 * Rank of a message status: it only ever moves to a higher rank. 'failed'
 * (3) is our own verdict, reached without Infobip's word, so a final status
 * from an Infobip report (4) outranks it; nothing outranks those, so the
 * first final report Infobip sends is the one that stays.
 */
#define RANK(col) "(CASE " col " WHEN 'received' THEN 0 WHEN 'queued' THEN 0" \
	" WHEN 'sending' THEN 1 WHEN 'accepted' THEN 2 WHEN 'failed' THEN 3" \
	" ELSE 4 END)"

/*
 * The statement table of each of the store's files, one per slot: used
 * by their own file, and listed whole by tests/pg/pg_statements.c, which
 * checks every statement against PostgreSQL.
 */
extern const struct db_table store_sql, conn_sql, msg_sql, outbox_sql,
	maint_sql, campaign_sql, api_sql, admin_sql, file_sql;

/*
 * The steps that one sender at a time does when several share a store
 * (PostgreSQL): each has its own key of a transaction-scoped lock, so a
 * sender killed in a step leaves no lock behind (its connection ends, its
 * transaction with it).
 */
enum store_turn {
	STORE_TURN_RETAIN_MESSAGES = 1,	/* retention, by enum store_retain + 1 */
	STORE_TURN_RETAIN_EVENTS,
	STORE_TURN_RETAIN_LOGS,
	STORE_TURN_DAILY,		/* the dashboard's rollup (message_daily) */
	STORE_TURN_COUNTS		/* the fold of the counts' changes (store_counts_fold) */
};
/*
 * Inside a write transaction: whether this process may do step now. On
 * SQLite the transaction's write lock already makes it the only writer:
 * always yes. On PostgreSQL it tries the step's advisory lock, held until
 * the transaction ends. > 0 taken, 0 another sender holds it (skip the
 * step this time), < 0 error (logged).
 */
int	 store_turn_take(struct store *, enum store_turn step);

/* The directory of path into dir ("." when it has none; db_sqlite_file.c). */
void	 store_dir_of(const char *path, char *dir, size_t dirsz);

#endif

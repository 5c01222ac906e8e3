/* JSON the admin shows and its pages read: the fields an agent collected, the status reads. */
#ifndef PAYLOAD_ADMIN_H
#define PAYLOAD_ADMIN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Calls fn(name, value) for each member of the JSON object json, in order;
 * a value that is not a string is given as its JSON text. Stops when fn
 * returns 0. Returns 1, or 0 when json is not an object (nothing called).
 */
int	 payload_fields_each(const char *json,
	    int (*fn)(const char *name, const char *value, void *), void *arg);

/*
 * The admin's status reads, which its pages poll. Each returns malloc'd
 * JSON (the caller frees; < and > escaped as in payload_error_body), NULL
 * when out of memory.
 */

/* A connection's state: {"status": status, "message": message}. */
char	*payload_conn_status(const char *status, const char *message);

/*
 * How far an upload of recipients is: {"known": false} when known is 0,
 * else {"known": true, "bytes", "total", "lines", "finished": bool}.
 */
char	*payload_import_progress(int known, uint64_t bytes, uint64_t total,
	    uint64_t lines, int finished);

/*
 * A campaign's progress: {"state": state, "total", "done", "pct",
 * "counts": {names[i]: counts[i], ...}} for the n recipient states.
 */
char	*payload_campaign_status(const char *state, int64_t total,
	    int64_t done, int pct, const char *const *names,
	    const int64_t *counts, size_t n);

/*
 * What an open conversation page lacks: {"last": last, "html": html (the
 * new messages as the page's list items, escaped by the admin), the
 * "responsible" and "open": bool}.
 */
char	*payload_session_live(int64_t last, const char *html,
	    const char *responsible, int open);

#endif

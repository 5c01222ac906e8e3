/* The webhook payload files' shared readers: payload_webhook.c defines them, payload_webhook_reports.c uses them too. */
#ifndef PAYLOAD_WEBHOOK_INT_H
#define PAYLOAD_WEBHOOK_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Verdicts on a required id (messageId, from), worded for item errors. */
enum wh_idcheck {
	WH_ID_OK,
	WH_ID_MISSING,
	WH_ID_NOTSTR,
	WH_ID_EMPTY,
	WH_ID_CTRL,
	WH_ID_UTF8,
	WH_ID_LONG,
};

/* Each verdict worded for an item error, by enum wh_idcheck. */
extern const char *const wh_id_faults[];

/* Records why an item is bad; the first reason is kept. */
void	 wh_fault(char *err, size_t errsz, const char *what, const char *how);

/* Copies the required string id key of o into dst when whole and clean; the verdict (dst "" unless WH_ID_OK). */
enum wh_idcheck wh_id(struct json_object *o, const char *key, char *dst,
	    size_t dstsz);

/* Copies the len bytes at s into dst as valid UTF-8, cut at a character; sets *oom when out of memory. */
void	 wh_copy(int *oom, char *dst, size_t dstsz, const char *s, size_t len);

/* Copies string member key of o as wh_copy does; else dst is "". */
void	 wh_copy_member(int *oom, struct json_object *o, const char *key,
	    char *dst, size_t dstsz);

/*
 * A malloc'd NUL-terminated valid UTF-8 copy of the len bytes at s, with
 * *repaired saying what had to change (WH_TEXT_BAD_UTF8, WH_TEXT_NUL) and
 * *outlen its length; NULL when out of memory.
 */
char	*wh_dup(const char *s, size_t len, size_t *outlen, int *repaired);

/* Sets *out to the count member key of o (0 to INT_MAX). 1, or 0 when absent or unusable. */
int	 wh_count(struct json_object *o, const char *key, int *out);

/* Reads price: {pricePerMessage, currency} (or a bare number) of item. */
void	 wh_price(int *oom, struct json_object *item, double *price, char *cur,
	    size_t cursz);

/* Normalises the timestamp string member key of o into out, else "". */
void	 wh_time(struct json_object *o, const char *key, char *out,
	    size_t outsz);

/* Returns o as malloc'd compact valid UTF-8 JSON; NULL when out of memory. */
char	*wh_raw(struct json_object *o);

/* The timestamp of ms milliseconds since the Unix epoch into out. 1, or 0 out of range. */
int	 wh_stamp_epoch_ms(int64_t ms, char *out, size_t outsz);

/* Parses body as an object holding a results array (*root to put, *arr in it). As payload_object_parse; 0 with why when no results array. */
int	 wh_results_array(const char *body, size_t len, struct json_object **root,
	    struct json_object **arr, const char **why);

/*
 * Parses a body holding a results array into a calloc'd array of items of
 * itemsz bytes, each filled by fill(); on failure the filled items are
 * released with release(). Returns as payload_mo_parse does.
 */
int	 wh_results(const char *body, size_t len, size_t itemsz,
	    void (*fill)(int *, struct json_object *, void *),
	    void (*release)(void *, size_t), const char *what, void **items,
	    size_t *n, const char **why);

#endif

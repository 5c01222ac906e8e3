/* Infobip webhook bodies: inbound SMS, delivery reports, link clicks. */
#ifndef PAYLOAD_WEBHOOK_H
#define PAYLOAD_WEBHOOK_H

#include <stddef.h>

/* Room for a messageId and its NUL; a longer id makes the item bad. */
#define WH_ID_MAX	256

/* What repairing an inbound text changed. */
#define WH_TEXT_BAD_UTF8	0x1	/* invalid UTF-8 replaced by U+FFFD */
#define WH_TEXT_NUL		0x2	/* NUL characters (\u0000) dropped */

/* One item of an MO_JSON_2 results[] array. */
struct wh_mo {
	char	 message_id[WH_ID_MAX];	/* Infobip messageId, required */
	char	 from[64];		/* sender MSISDN as sent, required */
	char	 to[64];		/* our number, may be "" */
	char	*text;			/* owned, never NULL, valid UTF-8 */
	size_t	 text_len;		/* bytes in text; 0 is allowed */
	int	 text_repaired;		/* WH_TEXT_* bits: what was repaired */
	int	 media_parts;		/* other MMS parts (not fetched) */
	char	 keyword[64];
	char	 received_at[32];	/* payload_timestamp form, or "" */
	double	 price;			/* pricePerMessage, -1 when absent */
	char	 currency[8];
	int	 sms_count;		/* -1 when absent */
	char	 error[256];		/* non-empty: this item is bad, why */
};

/*
 * Parses an MO (inbound SMS) body of len bytes. For MMS-style items the
 * text parts of message[] are joined with "\n" and the other parts are
 * counted in media_parts. Optional strings too long for their buffer are
 * cut at a UTF-8 character boundary; messageId and from must fit whole
 * and hold no control character. Returns 1 with a new array in *items of
 * *n entries (n may be 0, items then NULL) that the caller frees with
 * payload_mo_free; bad items carry a non-empty error. Returns 0 when the
 * body is unusable, with *why pointing at a static reason ("empty body",
 * "malformed JSON", "JSON nested too deeply", "body is not a JSON object",
 * "no results array", "body too large"); < 0 when out of memory.
 */
int	payload_mo_parse(const char *body, size_t len, struct wh_mo **items,
	    size_t *n, const char **why);

/* Frees what payload_mo_parse returned; NULL is fine. */
void	payload_mo_free(struct wh_mo *items, size_t n);

/*
 * One delivery report, v2 or v3 shape: only what is stored. Every string
 * points into the one block that payload_reports_parse returns with the
 * items (a body's reports held while they wait for their commit cost a
 * fixed-size record each before, about 1.9 KB with its raw copy; now
 * their text's length and a few pointers). No string is NULL; "" when
 * absent.
 */
struct wh_report {
	const char	*uid;		/* messageId: our own id we sent */
	/* accepted, delivered, undeliverable, expired, rejected, or "" */
	const char	*status;
	const char	*group_name;	/* groupName as sent, else groupId's */
	const char	*status_name;
	const char	*status_description;
	const char	*error_name;
	const char	*error_description;
	const char	*bulk_id;
	const char	*currency;
	const char	*sent_at;	/* payload_timestamp form or "" */
	const char	*done_at;	/* payload_timestamp form or "" */
	const char	*raw;		/* compact JSON of the item */
	const char	*error;		/* non-empty: this item is bad, why */
	double		 price;		/* pricePerMessage, -1 when absent */
	int		 sms_count;	/* smsCount or messageCount, or -1 */
};

/*
 * Parses a delivery-report body (results[] of up to thousands of items).
 * The status comes from status.groupName when it is a known group name,
 * else from status.groupId; never from the status name. Strings are cut
 * to the lengths they always had (uid 255 bytes, descriptions 255, names
 * 63, bulkId 127, groupName 31, currency 7). Returns as payload_mo_parse
 * does; the items and their strings are one allocation, freed with
 * payload_reports_free.
 */
int	payload_reports_parse(const char *body, size_t len,
	    struct wh_report **items, size_t *n, const char **why);

/* Frees what payload_reports_parse returned; NULL is fine. */
void	payload_reports_free(struct wh_report *items, size_t n);

/* One URL-shortening click notification. */
struct wh_click {
	char	 uid[WH_ID_MAX];	/* messageId */
	char	 recipient[64];
	char	*url;			/* owned, never NULL, "" when absent */
	char	 at[32];		/* sendDateTime (epoch ms) or "" */
	char	*raw;			/* owned, never NULL: compact JSON */
	char	 error[256];		/* non-empty: this item is bad, why */
};

/*
 * Parses a click notification: one object per POST, or a results[]
 * wrapper whose items are each taken; wrapped items without a usable
 * messageId are returned with a non-empty error. Returns 1 with a new array in
 * *items of *n entries (free with payload_clicks_free), 0 with a static
 * *why as payload_mo_parse gives, or "click without a usable messageId"
 * for a lone object, < 0 when out of memory.
 */
int	payload_clicks_parse(const char *body, size_t len,
	    struct wh_click **items, size_t *n, const char **why);

/* Frees what payload_clicks_parse returned; NULL is fine. */
void	payload_clicks_free(struct wh_click *items, size_t n);

/*
 * Normalises an Infobip timestamp to UTC "YYYY-MM-DD HH:MM:SS.SSS" in out
 * (outsz >= 24). Accepts 'T', 't' or a space between date and time,
 * optional fractional seconds (cut to milliseconds), and an offset of
 * "+0000", "+00:00", "+05", "Z", or none (taken as UTC). Returns 1, or 0
 * when in is unreadable (out is then "").
 */
int	payload_timestamp(const char *in, char *out, size_t outsz);

#endif

/* Infobip webhook bodies: delivery reports and link clicks (the shared readers are in payload_webhook.c). */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "log.h"
#include "parse.h"
#include "payload_int.h"
#include "payload_webhook.h"
#include "payload_webhook_int.h"

static const char wh_why_click[] = "click without a usable messageId";

/* Infobip's status groups, indexed by groupId, and the status we keep. */
static const struct {
	const char	*name;
	const char	*status;
} wh_groups[] = {
	{ "ACCEPTED", "accepted" },
	{ "PENDING", "accepted" },
	{ "UNDELIVERABLE", "undeliverable" },
	{ "DELIVERED", "delivered" },
	{ "EXPIRED", "expired" },
	{ "REJECTED", "rejected" },
};
#define WH_NGROUPS	((int)(sizeof(wh_groups) / sizeof(wh_groups[0])))

/* --- delivery reports ------------------------------------------------ */

/*
 * One report as it is read: fixed buffers that set how long each string
 * may be. Only one lives at a time (on the stack); what is kept of it is
 * packed into the body's block (struct wh_report).
 */
struct wh_report_wide {
	char	 uid[WH_ID_MAX];
	char	 status[16];
	char	 group_name[32];
	char	 status_name[64];
	char	 status_description[256];
	char	 error_name[64];
	char	 error_description[256];
	char	 bulk_id[128];
	double	 price;
	char	 currency[8];
	int	 sms_count;
	char	 sent_at[32];
	char	 done_at[32];
	char	*raw;			/* malloc'd compact JSON, or NULL */
	char	 error[256];
};

/* Each string kept: where it is read into, and which pointer of the item names it. */
static const struct {
	size_t	 wide;
	size_t	 item;
} wh_report_strings[] = {
	{ offsetof(struct wh_report_wide, uid), offsetof(struct wh_report, uid) },
	{ offsetof(struct wh_report_wide, status),
	    offsetof(struct wh_report, status) },
	{ offsetof(struct wh_report_wide, group_name),
	    offsetof(struct wh_report, group_name) },
	{ offsetof(struct wh_report_wide, status_name),
	    offsetof(struct wh_report, status_name) },
	{ offsetof(struct wh_report_wide, status_description),
	    offsetof(struct wh_report, status_description) },
	{ offsetof(struct wh_report_wide, error_name),
	    offsetof(struct wh_report, error_name) },
	{ offsetof(struct wh_report_wide, error_description),
	    offsetof(struct wh_report, error_description) },
	{ offsetof(struct wh_report_wide, bulk_id),
	    offsetof(struct wh_report, bulk_id) },
	{ offsetof(struct wh_report_wide, currency),
	    offsetof(struct wh_report, currency) },
	{ offsetof(struct wh_report_wide, sent_at),
	    offsetof(struct wh_report, sent_at) },
	{ offsetof(struct wh_report_wide, done_at),
	    offsetof(struct wh_report, done_at) },
	{ offsetof(struct wh_report_wide, error),
	    offsetof(struct wh_report, error) },
};
#define WH_REPORT_NSTR	(sizeof(wh_report_strings) / sizeof(wh_report_strings[0]))

/* An item's kept strings while the body is read: offsets into the text (the raw JSON last). */
struct wh_report_at {
	size_t	 off[WH_REPORT_NSTR + 1];
	double	 price;
	int	 sms_count;
};

/* The strings of a body's reports, one after another; offset 0 is "". */
struct wh_report_text {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Fills the status fields of r from item's status object. */
static void
wh_report_status(int *oom, struct json_object *item,
    struct wh_report_wide *r)
{
	struct json_object	*st, *v;
	const char		*s;
	int			 group = -1, gid, i;

	if ((st = pj_get(item, "status", json_type_object)) == NULL) {
		wh_fault(r->error, sizeof(r->error), "status is missing", NULL);
		return;
	}
	/* The name wins over the id when it is a name we know. */
	if ((v = pj_get(st, "groupName", json_type_string)) != NULL) {
		s = json_object_get_string(v);
		wh_copy(oom, r->group_name, sizeof(r->group_name), s,
		    (size_t)json_object_get_string_len(v));
		for (i = 0; i < WH_NGROUPS && group < 0; i++)
			if (strcasecmp(s, wh_groups[i].name) == 0)
				group = i;
	}
	if (group < 0 && wh_count(st, "groupId", &gid) && gid < WH_NGROUPS) {
		group = gid;
		if (r->group_name[0] == '\0')
			wh_copy(oom, r->group_name, sizeof(r->group_name),
			    wh_groups[gid].name, strlen(wh_groups[gid].name));
	}
	wh_copy_member(oom, st, "name", r->status_name,
	    sizeof(r->status_name));
	wh_copy_member(oom, st, "description", r->status_description,
	    sizeof(r->status_description));
	if (group < 0)
		wh_fault(r->error, sizeof(r->error), "unknown status group",
		    NULL);
	else
		wh_copy(oom, r->status, sizeof(r->status),
		    wh_groups[group].status, strlen(wh_groups[group].status));
}

/* Fills r from one results[] item; sets *oom when out of memory. */
static void
wh_report_item(int *oom, struct json_object *it, struct wh_report_wide *r)
{
	struct json_object	*e;
	enum wh_idcheck		 c;

	r->price = -1;
	r->sms_count = -1;
	if ((r->raw = wh_raw(it)) == NULL) {
		*oom = 1;
		return;
	}
	if (!json_object_is_type(it, json_type_object)) {
		wh_fault(r->error, sizeof(r->error), "item is not an object",
		    NULL);
		return;
	}
	if ((c = wh_id(it, "messageId", r->uid, sizeof(r->uid))) != WH_ID_OK)
		wh_fault(r->error, sizeof(r->error), "messageId",
		    wh_id_faults[c]);
	wh_report_status(oom, it, r);
	if ((e = pj_get(it, "error", json_type_object)) != NULL) {
		wh_copy_member(oom, e, "name", r->error_name,
		    sizeof(r->error_name));
		wh_copy_member(oom, e, "description", r->error_description,
		    sizeof(r->error_description));
	}
	wh_copy_member(oom, it, "bulkId", r->bulk_id, sizeof(r->bulk_id));
	wh_price(oom, it, &r->price, r->currency, sizeof(r->currency));
	if (!wh_count(it, "smsCount", &r->sms_count))
		wh_count(it, "messageCount", &r->sms_count);
	wh_time(it, "sentAt", r->sent_at, sizeof(r->sent_at));
	wh_time(it, "doneAt", r->done_at, sizeof(r->done_at));
}

/*
 * Appends the NUL-terminated s to the text; its offset, or 0 for "" (the
 * text's first byte). (size_t)-1 when out of memory.
 */
static size_t
wh_text_add(struct wh_report_text *t, const char *s)
{
	size_t	 n = strlen(s) + 1, at, cap;
	char	*p;

	if (n == 1)
		return 0;
	if (t->len + n > t->cap) {
		cap = t->cap * 2 > t->len + n ? t->cap * 2 : t->len + n;
		if ((p = realloc(t->p, cap)) == NULL)
			return (size_t)-1;
		t->p = p;
		t->cap = cap;
	}
	at = t->len;
	memcpy(t->p + at, s, n);
	t->len += n;
	return at;
}

/* Reads item into at, its strings appended to t. 1, or -1 out of memory. */
static int
wh_report_keep(struct json_object *item, struct wh_report_text *t,
    struct wh_report_at *at)
{
	struct wh_report_wide	 w;
	size_t			 k;
	int			 oom = 0, rc = -1;

	memset(&w, 0, sizeof(w));
	wh_report_item(&oom, item, &w);
	if (oom)
		goto out;
	for (k = 0; k < WH_REPORT_NSTR; k++)
		if ((at->off[k] = wh_text_add(t, (const char *)&w +
		    wh_report_strings[k].wide)) == (size_t)-1)
			goto out;
	if ((at->off[k] = wh_text_add(t, w.raw)) == (size_t)-1)
		goto out;
	at->price = w.price;
	at->sms_count = w.sms_count;
	rc = 1;
out:
	free(w.raw);
	return rc;
}

/*
 * The items and their text as one block: n records, then the text they
 * point into. NULL when out of memory.
 */
static struct wh_report *
wh_report_block(const struct wh_report_at *at, size_t n,
    const struct wh_report_text *t)
{
	struct wh_report	*items;
	char			*text;
	size_t			 i, k;

	if ((items = malloc(n * sizeof(*items) + t->len)) == NULL)
		return NULL;
	text = (char *)(items + n);
	memcpy(text, t->p, t->len);
	for (i = 0; i < n; i++) {
		for (k = 0; k < WH_REPORT_NSTR; k++)
			*(const char **)((char *)&items[i] +
			    wh_report_strings[k].item) = text + at[i].off[k];
		items[i].raw = text + at[i].off[k];
		items[i].price = at[i].price;
		items[i].sms_count = at[i].sms_count;
	}
	return items;
}

int
payload_reports_parse(const char *body, size_t len, struct wh_report **items,
    size_t *n, const char **why)
{
	struct json_object	*root = NULL, *arr;
	struct wh_report_text	 t = { NULL, 0, 0 };
	struct wh_report_at	*at = NULL;
	const char		*dummy;
	size_t			 i, cnt;
	int			 rc;

	if (why == NULL)
		why = &dummy;
	*items = NULL;
	*n = 0;
	*why = NULL;
	if ((rc = wh_results_array(body, len, &root, &arr, why)) <= 0)
		goto out;
	if ((cnt = json_object_array_length(arr)) == 0) {
		rc = 1;
		goto out;
	}
	/* The items' text is about the body's length: room for it at once. */
	t.cap = len + 64;
	if ((at = calloc(cnt, sizeof(*at))) == NULL ||
	    (t.p = malloc(t.cap)) == NULL)
		goto oom;
	t.p[0] = '\0';		/* offset 0: the empty string */
	t.len = 1;
	for (i = 0; i < cnt; i++)
		if (wh_report_keep(json_object_array_get_idx(arr, i), &t,
		    &at[i]) < 0)
			goto oom;
	if ((*items = wh_report_block(at, cnt, &t)) == NULL)
		goto oom;
	*n = cnt;
	rc = 1;
	goto out;
oom:
	log_error("payload_reports_parse: out of memory");
	rc = -1;
out:
	free(at);
	free(t.p);
	json_object_put(root);
	return rc;
}

void
payload_reports_free(struct wh_report *items, size_t n)
{
	(void)n;
	free(items);
}

/* --- clicks ---------------------------------------------------------- */

/* Normalises sendDateTime: epoch ms as a number or digits, or a timestamp. */
static void
wh_click_time(struct json_object *o, char *out, size_t outsz)
{
	struct json_object	*v;
	const char		*s;
	double			 d;
	long			 ms;

	out[0] = '\0';
	if (!json_object_object_get_ex(o, "sendDateTime", &v))
		return;
	switch (json_object_get_type(v)) {
	case json_type_int:
		wh_stamp_epoch_ms(json_object_get_int64(v), out, outsz);
		break;
	case json_type_double:
		d = json_object_get_double(v);
		if (d >= 0 && d < 1e15)
			wh_stamp_epoch_ms((int64_t)d, out, outsz);
		break;
	case json_type_string:
		s = json_object_get_string(v);
		if (parse_long(s, 0, LONG_MAX, &ms))
			wh_stamp_epoch_ms(ms, out, outsz);
		else
			payload_timestamp(s, out, outsz);
		break;
	default:
		break;
	}
}

/*
 * Fills c from one click object. Returns 1 when it is usable, else 0 with
 * why it is not in err (c is then to be freed); sets *oom when out of
 * memory.
 */
static int
wh_click_item(int *oom, struct json_object *it, struct wh_click *c,
    char *err, size_t errsz)
{
	struct json_object	*v;
	enum wh_idcheck		 k;
	size_t			 len;
	int			 repaired;

	if ((c->raw = wh_raw(it)) == NULL)
		goto oom;
	if (!json_object_is_type(it, json_type_object)) {
		wh_fault(err, errsz, "item is not an object", NULL);
		return 0;
	}
	if ((k = wh_id(it, "messageId", c->uid, sizeof(c->uid))) != WH_ID_OK) {
		wh_fault(err, errsz, "messageId", wh_id_faults[k]);
		return 0;
	}
	wh_copy_member(oom, it, "recipient", c->recipient,
	    sizeof(c->recipient));
	if ((v = pj_get(it, "url", json_type_string)) != NULL)
		c->url = wh_dup(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), &len, &repaired);
	else
		c->url = strdup("");
	if (c->url == NULL)
		goto oom;
	wh_click_time(it, c->at, sizeof(c->at));
	return 1;
oom:
	*oom = 1;
	return 1;
}

int
payload_clicks_parse(const char *body, size_t len, struct wh_click **items,
    size_t *n, const char **why)
{
	struct json_object	*root = NULL, *arr;
	struct wh_click		*v = NULL;
	const char		*dummy;
	char			 err[128];
	size_t			 i, total, cnt = 0;
	int			 rc, ok, oom = 0;

	if (why == NULL)
		why = &dummy;
	*items = NULL;
	*n = 0;
	*why = NULL;
	if ((rc = payload_object_parse(body, len, &root, why)) <= 0)
		goto out;
	rc = 0;
	arr = pj_get(root, "results", json_type_array);
	total = arr != NULL ? json_object_array_length(arr) : 1;
	if (total > 0 && (v = calloc(total, sizeof(*v))) == NULL)
		goto oom;
	for (i = 0; i < total; i++) {
		err[0] = '\0';
		ok = wh_click_item(&oom, arr != NULL ?
		    json_object_array_get_idx(arr, i) : root, &v[cnt], err,
		    sizeof(err));
		if (oom) {
			cnt++;
			goto oom;
		}
		if (ok) {
			cnt++;
			continue;
		}
		free(v[cnt].raw);
		free(v[cnt].url);
		memset(&v[cnt], 0, sizeof(v[cnt]));
		if (arr == NULL) {
			*why = wh_why_click;
			goto out;
		}
		/* Kept with its reason so that the answer and the log count it. */
		snprintf(v[cnt].error, sizeof(v[cnt].error), "%s", err);
		if ((v[cnt].url = strdup("")) == NULL ||
		    (v[cnt].raw = strdup("{}")) == NULL) {
			cnt++;
			goto oom;
		}
		cnt++;
	}
	*items = v;
	*n = cnt;
	v = NULL;
	rc = 1;
	goto out;
oom:
	log_error("payload_clicks_parse: out of memory");
	rc = -1;
out:
	payload_clicks_free(v, cnt);
	json_object_put(root);
	return rc;
}

void
payload_clicks_free(struct wh_click *items, size_t n)
{
	size_t	 i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(items[i].url);
		free(items[i].raw);
	}
	free(items);
}

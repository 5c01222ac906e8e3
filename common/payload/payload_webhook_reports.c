/* Infobip webhook bodies: delivery reports and link clicks (the shared readers are in payload_webhook.c). */
#include <limits.h>
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

/* Fills the status fields of r from item's status object. */
static void
wh_report_status(int *oom, struct json_object *item, struct wh_report *r)
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
wh_report_item(int *oom, struct json_object *it, struct wh_report *r)
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

static void
wh_report_fill(int *oom, struct json_object *item, void *dst)
{
	wh_report_item(oom, item, dst);
}

static void
wh_report_release(void *items, size_t n)
{
	payload_reports_free(items, n);
}

int
payload_reports_parse(const char *body, size_t len, struct wh_report **items,
    size_t *n, const char **why)
{
	void	*v;
	int	 rc;

	rc = wh_results(body, len, sizeof(**items), wh_report_fill,
	    wh_report_release, "payload_reports_parse", &v, n, why);
	*items = v;
	return rc;
}

void
payload_reports_free(struct wh_report *items, size_t n)
{
	size_t	 i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		free(items[i].raw);
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

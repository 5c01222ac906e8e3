/* Infobip webhook bodies: inbound SMS, delivery reports, link clicks; the shared readers, timestamps and inbound SMS (reports and clicks: payload_webhook_reports.c). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "log.h"
#include "payload_int.h"
#include "payload_webhook.h"
#include "payload_webhook_int.h"
#include "smstext.h"

/* "YYYY-MM-DD HH:MM:SS.SSS" and its NUL. */
#define WH_TS_SIZE	24

#define WH_MS_PER_DAY	86400000LL

static const char wh_why_results[] = "no results array";

const char *const wh_id_faults[] = {
	[WH_ID_OK] = "is fine",
	[WH_ID_MISSING] = "is missing",
	[WH_ID_NOTSTR] = "is not a string",
	[WH_ID_EMPTY] = "is empty",
	[WH_ID_CTRL] = "contains control characters",
	[WH_ID_UTF8] = "is not valid UTF-8",
	[WH_ID_LONG] = "is too long",
};

static const int wh_mdays[12] = {
	31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
};

/* --- JSON access ----------------------------------------------------- */

/* Records why an item is bad; the first reason is kept. */
void
wh_fault(char *err, size_t errsz, const char *what, const char *how)
{
	if (err[0] != '\0')
		return;
	if (how == NULL)
		snprintf(err, errsz, "%s", what);
	else
		snprintf(err, errsz, "%s %s", what, how);
}

/*
 * Copies the required string id key of o into dst (size dstsz) when it is
 * a non-empty string of valid UTF-8 with no control character that fits
 * whole: a cut id would name another message. Returns the verdict; dst
 * is "" unless WH_ID_OK.
 */
enum wh_idcheck
wh_id(struct json_object *o, const char *key, char *dst, size_t dstsz)
{
	struct json_object	*v;
	const unsigned char	*s;
	size_t			 len, i;

	dst[0] = '\0';
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return WH_ID_MISSING;
	if (!json_object_is_type(v, json_type_string))
		return WH_ID_NOTSTR;
	s = (const unsigned char *)json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0)
		return WH_ID_EMPTY;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return WH_ID_CTRL;
	if (!smstext_utf8_valid((const char *)s, len))
		return WH_ID_UTF8;
	if (len >= dstsz)
		return WH_ID_LONG;
	memcpy(dst, s, len + 1);
	return WH_ID_OK;
}

/*
 * Copies the len bytes at s into dst (size dstsz > 0) as valid UTF-8,
 * repairing them if needed and cutting at a character boundary when they
 * do not fit. Sets *oom (and leaves dst "") when out of memory.
 */
void
wh_copy(int *oom, char *dst, size_t dstsz, const char *s, size_t len)
{
	char	*fixed = NULL;
	size_t	 n;

	dst[0] = '\0';
	if (!smstext_utf8_valid(s, len)) {
		if ((fixed = smstext_utf8_repair(s, len)) == NULL) {
			*oom = 1;
			return;
		}
		s = fixed;
		len = strlen(fixed);
	}
	n = len;
	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	free(fixed);
}

/* Copies string member key of o as wh_copy does; else dst is "". */
void
wh_copy_member(int *oom, struct json_object *o, const char *key, char *dst,
    size_t dstsz)
{
	struct json_object	*v;

	dst[0] = '\0';
	if ((v = pj_get(o, key, json_type_string)) != NULL)
		wh_copy(oom, dst, dstsz, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
}

/* Whether the len bytes at s are valid UTF-8 once their NUL bytes are ignored. */
static int
wh_utf8_valid_but_nul(const char *s, size_t len)
{
	const char	*nul;
	size_t		 n;

	while ((nul = memchr(s, '\0', len)) != NULL) {
		n = (size_t)(nul - s);
		if (!smstext_utf8_valid(s, n))
			return 0;
		s += n + 1;
		len -= n + 1;
	}
	return smstext_utf8_valid(s, len);
}

/*
 * Returns a malloc'd NUL-terminated valid UTF-8 copy of the len bytes at
 * s, setting *repaired to what had to change (WH_TEXT_BAD_UTF8,
 * WH_TEXT_NUL), else 0; NULL when out of memory. *outlen gets the copy's
 * length.
 */
char *
wh_dup(const char *s, size_t len, size_t *outlen, int *repaired)
{
	char	*r;

	if (smstext_utf8_valid(s, len)) {
		*repaired = 0;
		if ((r = malloc(len + 1)) == NULL)
			return NULL;
		memcpy(r, s, len);
		r[len] = '\0';
		*outlen = len;
		return r;
	}
	/* A NUL (JSON's \u0000) is told apart from invalid UTF-8. */
	*repaired = memchr(s, '\0', len) != NULL ? WH_TEXT_NUL : 0;
	if (!wh_utf8_valid_but_nul(s, len))
		*repaired |= WH_TEXT_BAD_UTF8;
	if ((r = smstext_utf8_repair(s, len)) != NULL)
		*outlen = strlen(r);
	return r;
}

/*
 * Sets *out to the number member key of o: a JSON number or a string
 * holding one ("0.01"), finite and not negative. Returns 1, or 0 (*out
 * untouched) when absent or unusable.
 */
static int
wh_number(struct json_object *o, const char *key, double *out)
{
	struct json_object	*v;
	const char		*s;
	char			*end;
	double			 d;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		d = json_object_get_double(v);
		break;
	case json_type_string:
		s = json_object_get_string(v);
		if (*s == '\0')
			return 0;
		d = strtod(s, &end);
		if (end != s + json_object_get_string_len(v))
			return 0;
		break;
	default:
		return 0;
	}
	if (!isfinite(d) || d < 0)
		return 0;
	*out = d;
	return 1;
}

/*
 * Sets *out to the count member key of o: a whole JSON number or a string
 * of digits ("1"), from 0 to INT_MAX. Returns 1, or 0 (*out untouched)
 * when absent or unusable.
 */
int
wh_count(struct json_object *o, const char *key, int *out)
{
	struct json_object	*v;
	const char		*s;
	double			 d;
	int64_t			 c;
	size_t			 len, i;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	switch (json_object_get_type(v)) {
	case json_type_int:
		c = json_object_get_int64(v);
		break;
	case json_type_double:
		d = json_object_get_double(v);
		if (!(d >= 0 && d <= INT_MAX))
			return 0;
		c = (int64_t)d;
		if ((double)c != d)
			return 0;
		break;
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (len == 0 || len > 10)
			return 0;
		for (c = 0, i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return 0;
			c = c * 10 + (s[i] - '0');
		}
		break;
	default:
		return 0;
	}
	if (c < 0 || c > INT_MAX)
		return 0;
	*out = (int)c;
	return 1;
}

/* Reads price: {pricePerMessage, currency} (or a bare number) of item. */
void
wh_price(int *oom, struct json_object *item, double *price, char *cur,
    size_t cursz)
{
	struct json_object	*p;

	*price = -1;
	cur[0] = '\0';
	if ((p = pj_get(item, "price", json_type_object)) != NULL) {
		wh_number(p, "pricePerMessage", price);
		wh_copy_member(oom, p, "currency", cur, cursz);
	} else
		wh_number(item, "price", price);
}

/* Normalises the timestamp string member key of o into out, else "". */
void
wh_time(struct json_object *o, const char *key, char *out, size_t outsz)
{
	struct json_object	*v;
	const char		*s;

	out[0] = '\0';
	if ((v = pj_get(o, key, json_type_string)) == NULL)
		return;
	s = json_object_get_string(v);
	if (strlen(s) == (size_t)json_object_get_string_len(v))
		payload_timestamp(s, out, outsz);
}

/* Returns o as malloc'd compact valid UTF-8 JSON; NULL when out of memory. */
char *
wh_raw(struct json_object *o)
{
	const char	*s;
	size_t		 len, outlen;
	int		 repaired;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return NULL;
	return wh_dup(s, len, &outlen, &repaired);
}

/* --- timestamps ------------------------------------------------------ */

static int
wh_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
wh_month_days(int y, int m)
{
	return wh_mdays[m - 1] + (m == 2 && wh_leap(y));
}

/* Days from 0001-01-01 to y-m-d, proleptic Gregorian calendar, y >= 1. */
static int64_t
wh_days(int y, int m, int d)
{
	int64_t	 py = y - 1, days;
	int	 i;

	days = py * 365 + py / 4 - py / 100 + py / 400;
	for (i = 1; i < m; i++)
		days += wh_month_days(y, i);
	return days + d - 1;
}

/*
 * Writes t, milliseconds since 0001-01-01 00:00 UTC, as
 * "YYYY-MM-DD HH:MM:SS.SSS". Returns 1, or 0 (out "") when it is outside
 * years 1 to 9999.
 */
static int
wh_stamp(int64_t t, char *out, size_t outsz)
{
	int64_t	 days, rem;
	int	 y, m;

	out[0] = '\0';
	if (t < 0 || t >= wh_days(10000, 1, 1) * WH_MS_PER_DAY)
		return 0;
	days = t / WH_MS_PER_DAY;
	rem = t % WH_MS_PER_DAY;
	/* 146097 days make 400 years; the estimate is off by one at most. */
	y = (int)(days * 400 / 146097) + 1;
	while (y > 1 && wh_days(y, 1, 1) > days)
		y--;
	while (wh_days(y + 1, 1, 1) <= days)
		y++;
	days -= wh_days(y, 1, 1);
	for (m = 1; m < 12 && days >= wh_month_days(y, m); m++)
		days -= wh_month_days(y, m);
	snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d:%02d.%03d", y, m,
	    (int)days + 1, (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
	return 1;
}

/* As wh_stamp, for milliseconds since the Unix epoch. */
int
wh_stamp_epoch_ms(int64_t ms, char *out, size_t outsz)
{
	int64_t	 base;

	out[0] = '\0';
	if (outsz < WH_TS_SIZE)
		return 0;
	base = wh_days(1970, 1, 1) * WH_MS_PER_DAY;
	if (ms < -base || ms > wh_days(10000, 1, 1) * WH_MS_PER_DAY)
		return 0;
	return wh_stamp(ms + base, out, outsz);
}

/* Reads exactly n digits at *p into *out, advancing *p. Returns 1 or 0. */
static int
wh_digits(const char **p, int n, int *out)
{
	int	 v = 0;

	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return 0;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 1;
}

int
payload_timestamp(const char *in, char *out, size_t outsz)
{
	const char	*p = in;
	int		 y, mo, d, h, mi, s, ms = 0, nfrac = 0;
	int		 sign = 0, oh = 0, om = 0;
	int64_t		 t;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (in == NULL || out == NULL || outsz < WH_TS_SIZE)
		return 0;
	if (!wh_digits(&p, 4, &y) || *p++ != '-' ||
	    !wh_digits(&p, 2, &mo) || *p++ != '-' ||
	    !wh_digits(&p, 2, &d))
		return 0;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (!wh_digits(&p, 2, &h) || *p++ != ':' ||
	    !wh_digits(&p, 2, &mi) || *p++ != ':' ||
	    !wh_digits(&p, 2, &s))
		return 0;
	if (*p == '.' || *p == ',') {
		for (p++; *p >= '0' && *p <= '9'; p++, nfrac++)
			if (nfrac < 3)
				ms = ms * 10 + (*p - '0');
		if (nfrac == 0)
			return 0;
		for (; nfrac < 3; nfrac++)
			ms *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!wh_digits(&p, 2, &oh))
			return 0;
		/* Minutes may follow, with or without a colon. */
		if (*p == ':') {
			p++;
			if (!wh_digits(&p, 2, &om))
				return 0;
		} else if (*p != '\0' && !wh_digits(&p, 2, &om))
			return 0;
	}
	if (*p != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > wh_month_days(y, mo) || h > 23 || mi > 59 || s > 60 ||
	    oh > 23 || om > 59)
		return 0;
	t = ((wh_days(y, mo, d) * 24 + h) * 60 + mi) * 60 + s;
	t = t * 1000 + ms - (int64_t)sign * (oh * 60 + om) * 60000;
	return wh_stamp(t, out, outsz);
}

/* --- MO -------------------------------------------------------------- */

/* What one part of an MMS-style message[] holds. */
enum wh_part {
	WH_PART_SKIP,	/* not an object, or SMIL layout */
	WH_PART_TEXT,	/* inline text in "value" */
	WH_PART_MEDIA,	/* anything else: an image, a link to fetch, ... */
};

/*
 * Classifies part p; for text sets *val to its "value" (borrowed). A part
 * is text when it has a string value and a text/... contentType, or no
 * contentType and no url.
 */
static enum wh_part
wh_part_kind(struct json_object *p, struct json_object **val)
{
	struct json_object	*ct;
	const char		*type = NULL;

	if (!json_object_is_type(p, json_type_object))
		return WH_PART_SKIP;
	if ((ct = pj_get(p, "contentType", json_type_string)) != NULL)
		type = json_object_get_string(ct);
	if (type != NULL && strncasecmp(type, "application/smil", 16) == 0)
		return WH_PART_SKIP;
	if ((*val = pj_get(p, "value", json_type_string)) == NULL)
		return WH_PART_MEDIA;
	if (type != NULL)
		return strncasecmp(type, "text/", 5) == 0 ?
		    WH_PART_TEXT : WH_PART_MEDIA;
	return pj_get(p, "url", json_type_string) == NULL ?
	    WH_PART_TEXT : WH_PART_MEDIA;
}

/*
 * Takes the parts of an MMS-style message[]: the others are counted in
 * m->media_parts and, when want_text and there is any, the text parts are
 * joined with "\n" into m->text. Sets *oom when out of memory.
 */
static void
wh_mo_parts(int *oom, struct json_object *parts, struct wh_mo *m,
    int want_text)
{
	struct json_object	*val = NULL;
	char			*buf = NULL;
	size_t			 i, n, total = 0, at = 0, vlen;
	int			 pass, ntext;

	n = json_object_array_length(parts);
	/* Pass 0 measures and counts, pass 1 copies into one allocation. */
	for (pass = 0; pass < 2; pass++) {
		ntext = 0;
		for (i = 0; i < n; i++) {
			switch (wh_part_kind(json_object_array_get_idx(parts,
			    i), &val)) {
			case WH_PART_SKIP:
				continue;
			case WH_PART_MEDIA:
				if (pass == 0)
					m->media_parts++;
				continue;
			case WH_PART_TEXT:
				break;
			}
			vlen = (size_t)json_object_get_string_len(val);
			if (pass == 0)
				total += vlen + (ntext > 0);
			else {
				if (ntext > 0)
					buf[at++] = '\n';
				memcpy(buf + at, json_object_get_string(val),
				    vlen);
				at += vlen;
			}
			ntext++;
		}
		if (!want_text || ntext == 0)
			return;
		if (pass == 0 && (buf = malloc(total + 1)) == NULL) {
			*oom = 1;
			return;
		}
	}
	buf[at] = '\0';
	if (smstext_utf8_valid(buf, at)) {
		m->text = buf;
		m->text_len = at;
		return;
	}
	m->text = wh_dup(buf, at, &m->text_len, &m->text_repaired);
	if (m->text == NULL)
		*oom = 1;
	free(buf);
}

/* Fills m from one results[] item; sets *oom when out of memory. */
static void
wh_mo_item(int *oom, struct json_object *it, struct wh_mo *m)
{
	struct json_object	*text, *parts;
	enum wh_idcheck		 c;

	m->price = -1;
	m->sms_count = -1;
	if (!json_object_is_type(it, json_type_object)) {
		wh_fault(m->error, sizeof(m->error), "item is not an object",
		    NULL);
		goto empty;
	}
	if ((c = wh_id(it, "messageId", m->message_id,
	    sizeof(m->message_id))) != WH_ID_OK)
		wh_fault(m->error, sizeof(m->error), "messageId",
		    wh_id_faults[c]);
	if ((c = wh_id(it, "from", m->from, sizeof(m->from))) != WH_ID_OK)
		wh_fault(m->error, sizeof(m->error), "from", wh_id_faults[c]);
	wh_copy_member(oom, it, "to", m->to, sizeof(m->to));
	wh_copy_member(oom, it, "keyword", m->keyword, sizeof(m->keyword));
	wh_time(it, "receivedAt", m->received_at, sizeof(m->received_at));
	wh_price(oom, it, &m->price, m->currency, sizeof(m->currency));
	wh_count(it, "smsCount", &m->sms_count);

	if ((text = pj_get(it, "text", json_type_string)) != NULL) {
		m->text = wh_dup(json_object_get_string(text),
		    (size_t)json_object_get_string_len(text), &m->text_len,
		    &m->text_repaired);
		if (m->text == NULL) {
			*oom = 1;
			return;
		}
	}
	if ((parts = pj_get(it, "message", json_type_array)) != NULL)
		wh_mo_parts(oom, parts, m, m->text == NULL);
	if (*oom || m->text != NULL)
		return;
	if (json_object_object_get_ex(it, "text", &text) && text != NULL)
		wh_fault(m->error, sizeof(m->error), "text is not a string",
		    NULL);
	else if (m->media_parts > 0)
		goto empty;	/* media only: stored with empty text, media noted */
	else
		wh_fault(m->error, sizeof(m->error), "text is missing", NULL);
empty:
	/* Callers may rely on text never being NULL. */
	if ((m->text = strdup("")) == NULL)
		*oom = 1;
	m->text_len = 0;
}

/*
 * Parses body as a JSON object holding a results array: *root takes the
 * object (the caller puts it, whatever the answer) and *arr the array in
 * it. Returns as payload_object_parse does, and 0 with why when the object
 * has no results array.
 */
int
wh_results_array(const char *body, size_t len, struct json_object **root,
    struct json_object **arr, const char **why)
{
	int	 rc;

	*arr = NULL;
	if ((rc = payload_object_parse(body, len, root, why)) <= 0)
		return rc;
	if ((*arr = pj_get(*root, "results", json_type_array)) == NULL) {
		*why = wh_why_results;
		return 0;
	}
	return 1;
}

/*
 * Parses a body holding a results array into a calloc'd array of items of
 * itemsz bytes, each filled by fill(); on failure the filled items are
 * released with release(). Returns as payload_mo_parse does.
 */
int
wh_results(const char *body, size_t len, size_t itemsz,
    void (*fill)(int *, struct json_object *, void *),
    void (*release)(void *, size_t), const char *what, void **items,
    size_t *n, const char **why)
{
	struct json_object	*root = NULL, *arr;
	char			*v = NULL;
	const char		*dummy;
	size_t			 i, cnt = 0;
	int			 rc, oom = 0;

	if (why == NULL)
		why = &dummy;
	*items = NULL;
	*n = 0;
	*why = NULL;
	if ((rc = wh_results_array(body, len, &root, &arr, why)) <= 0)
		goto out;
	cnt = json_object_array_length(arr);
	if (cnt > 0 && (v = calloc(cnt, itemsz)) == NULL)
		goto oom;
	for (i = 0; i < cnt && !oom; i++)
		fill(&oom, json_object_array_get_idx(arr, i), v + i * itemsz);
	if (oom)
		goto oom;
	*items = v;
	*n = cnt;
	v = NULL;
	rc = 1;
	goto out;
oom:
	log_error("%s: out of memory", what);
	rc = -1;
out:
	release(v, cnt);
	json_object_put(root);
	return rc;
}

static void
wh_mo_fill(int *oom, struct json_object *item, void *dst)
{
	wh_mo_item(oom, item, dst);
}

static void
wh_mo_release(void *items, size_t n)
{
	payload_mo_free(items, n);
}

int
payload_mo_parse(const char *body, size_t len, struct wh_mo **items,
    size_t *n, const char **why)
{
	void	*v;
	int	 rc;

	rc = wh_results(body, len, sizeof(**items), wh_mo_fill, wh_mo_release,
	    "payload_mo_parse", &v, n, why);
	*items = v;
	return rc;
}

void
payload_mo_free(struct wh_mo *items, size_t n)
{
	size_t	 i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		free(items[i].text);
	free(items);
}

/* Campaigns' own rules: the CSV reader, {{field}} templates, local time and the sending window, and the sender's release of due recipients. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "log.h"
#include "outbound.h"
#include "payload_admin.h"
#include "settings.h"
#include "smstext.h"
#include "store.h"
#include "store_campaign.h"

/* --- CSV ------------------------------------------------------------------ */

struct csv {
	FILE		*in;
	char		*buf;		/* the record's bytes, then its fields in place */
	size_t		 len;
	char		*field[CAMPAIGN_FIELDS_MAX];
	uint64_t	 bytes;
	uint64_t	 line;		/* lines consumed so far */
	char		 sep;		/* 0 until the header is read */
	unsigned char	 pending[3];	/* bytes read ahead looking for a BOM */
	size_t		 npending, ipending;
	int		 bom_checked;
};

/* The next byte: those read ahead first. */
static int
next_byte(struct csv *c)
{
	if (c->ipending < c->npending)
		return c->pending[c->ipending++];
	return getc(c->in);
}

/* Skips a UTF-8 BOM at the start of the file; other bytes read are kept for reading. */
static void
bom_skip(struct csv *c)
{
	int	 ch;

	c->bom_checked = 1;
	while (c->npending < 3 && (ch = getc(c->in)) != EOF)
		c->pending[c->npending++] = (unsigned char)ch;
	if (c->npending == 3 && memcmp(c->pending, "\xef\xbb\xbf", 3) == 0) {
		c->npending = 0;
		c->bytes = 3;
	}
}

struct csv *
csv_open(FILE *in)
{
	struct csv	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->buf = malloc(CAMPAIGN_RECORD_MAX + 1)) == NULL) {
		free(c);
		return NULL;
	}
	c->in = in;
	return c;
}

void
csv_close(struct csv *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	free(c);
}

uint64_t
csv_bytes(const struct csv *c)
{
	return c->bytes;
}

char
csv_separator(const struct csv *c)
{
	return c->sep;
}

/*
 * Reads the raw bytes of one record: up to a newline outside quotes. Only
 * the quote state is tracked here (a doubled quote toggles it twice), so
 * the record's end is found whatever the separator. Returns 1 with the
 * bytes in c->buf (*toolong when they did not fit; *open when the file
 * ended inside quotes), 0 at the end of the file, < 0 on a read error.
 */
static int
raw_read(struct csv *c, int *toolong, int *open)
{
	int	 ch, quoted = 0, any = 0;

	c->len = 0;
	*toolong = *open = 0;
	if (c->bytes == 0 && !c->bom_checked)
		bom_skip(c);
	while ((ch = next_byte(c)) != EOF) {
		any = 1;
		c->bytes++;
		if (ch == '"')
			quoted = !quoted;
		if (ch == '\n') {
			c->line++;
			if (!quoted)
				break;
		}
		if (c->len < CAMPAIGN_RECORD_MAX)
			c->buf[c->len++] = (char)ch;
		else
			*toolong = 1;
	}
	if (ferror(c->in)) {
		log_error("csv: read: %s", strerror(errno));
		return -1;
	}
	if (!any && c->len == 0)
		return 0;
	if (ch == EOF && quoted)
		*open = 1;
	if (ch == EOF && c->len > 0)
		c->line++;	/* a last line without its newline */
	if (c->len > 0 && c->buf[c->len - 1] == '\r')
		c->len--;
	c->buf[c->len] = '\0';
	return 1;
}

/* The header's separator: semicolon when it has more of them than commas outside quotes. */
static char
guess_separator(const char *s, size_t len)
{
	size_t	 i, commas = 0, semis = 0;
	int	 quoted = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == ',')
			commas++;
		else if (!quoted && s[i] == ';')
			semis++;
	}
	return semis > commas ? ';' : ',';
}

/* Splits c->buf into fields in place. NULL, or why not (static text). */
static const char *
split(struct csv *c, size_t *n)
{
	char	*r = c->buf, *w = c->buf, *end = c->buf + c->len;

	*n = 0;
	for (;;) {
		if (*n == CAMPAIGN_FIELDS_MAX)
			return "bad CSV: more than 256 fields";
		c->field[(*n)++] = w;
		if (r < end && *r == '"') {
			for (r++;; r++) {
				if (r == end)
					return "bad CSV: a quote is not closed";
				if (*r == '"' && r + 1 < end && r[1] == '"')
					*w++ = *r++;
				else if (*r == '"')
					break;
				else
					*w++ = *r;
			}
			r++;
			if (r < end && *r != c->sep)
				return "bad CSV: text after a closing quote";
		} else
			while (r < end && *r != c->sep)
				*w++ = *r++;
		if (r == end) {
			*w = '\0';
			return NULL;
		}
		*w++ = '\0';	/* w <= r: the separator's place at the latest */
		r++;
	}
}

int
csv_read(struct csv *c, struct csv_record *rec)
{
	uint64_t	 start;
	int		 rc, toolong, open;

	memset(rec, 0, sizeof(*rec));
	do {
		start = c->line + 1;
		if ((rc = raw_read(c, &toolong, &open)) <= 0)
			return rc;
	} while (c->len == 0 && !toolong && !open);
	rec->line = start;
	rec->field = c->field;
	if (c->sep == 0)
		c->sep = guess_separator(c->buf, c->len);
	if (toolong) {
		rec->error = "bad CSV: the line is longer than 64 KiB";
		return 1;
	}
	if (open) {
		rec->error = "bad CSV: a quote is not closed";
		return 1;
	}
	if (memchr(c->buf, '\0', c->len) != NULL) {
		rec->error = "bad CSV: a NUL byte";
		return 1;
	}
	if (!smstext_utf8_valid(c->buf, c->len)) {
		rec->error = "not UTF-8 text";
		return 1;
	}
	if ((rec->error = split(c, &rec->n)) != NULL)
		rec->n = 0;
	return 1;
}

/* --- Templates -------------------------------------------------------------- */

static int
name_char(int ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '-' ||
	    ch == '.';
}

/*
 * Reads the placeholder at p (which starts with "{{"): 1 with the name
 * (CAMPAIGN_FIELD_NAME_MAX + 1 bytes) and *next past its "}}", else 0.
 */
static int
placeholder(const char *p, char *name, const char **next)
{
	size_t	 n = 0;

	p += 2;
	while (*p == ' ')
		p++;
	while (name_char(*p)) {
		if (n == CAMPAIGN_FIELD_NAME_MAX)
			return 0;
		name[n++] = *p++;
	}
	name[n] = '\0';
	while (*p == ' ')
		p++;
	if (n == 0 || p[0] != '}' || p[1] != '}')
		return 0;
	*next = p + 2;
	return 1;
}

int
campaign_template_check(const char *tmpl, char *why, size_t whysz)
{
	char		 name[CAMPAIGN_FIELD_NAME_MAX + 1];
	const char	*p, *next;

	for (p = tmpl; (p = strstr(p, "{{")) != NULL; p = next) {
		if (!placeholder(p, name, &next)) {
			snprintf(why, whysz, "unknown placeholder: %.40s%s", p,
			    strlen(p) > 40 ? "..." : "");
			return 0;
		}
	}
	return 1;
}

int
campaign_render(const char *tmpl,
    const char *(*lookup)(const char *, void *), void *arg, char **out,
    char *missing, size_t missingsz)
{
	char		 name[CAMPAIGN_FIELD_NAME_MAX + 1], *buf = NULL, *nb;
	const char	*p, *q, *next, *v;
	size_t		 len = 0, cap = 0, add;

	*out = NULL;
	missing[0] = '\0';
	for (p = tmpl; *p != '\0'; p = next) {
		if ((q = strstr(p, "{{")) == NULL)
			q = p + strlen(p);
		/* The literal text up to the placeholder, then its value. */
		v = NULL;
		next = q;
		if (*q != '\0') {
			if (!placeholder(q, name, &next)) {
				next = q + 2;
				q = next;	/* checked templates never get here */
			} else if ((v = lookup(name, arg)) == NULL ||
			    *v == '\0') {
				snprintf(missing, missingsz, "%s", name);
				free(buf);
				return 0;
			}
		}
		add = (size_t)(q - p) + (v != NULL ? strlen(v) : 0);
		if (len + add + 1 > cap) {
			cap = (len + add + 1) * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		memcpy(buf + len, p, (size_t)(q - p));
		len += (size_t)(q - p);
		if (v != NULL) {
			memcpy(buf + len, v, strlen(v));
			len += strlen(v);
		}
		buf[len] = '\0';
	}
	if (buf == NULL && (buf = strdup("")) == NULL)
		return -1;
	*out = buf;
	return 1;
}

/* --- Names, zones, windows -------------------------------------------------- */

int
campaign_name_valid(const char *s)
{
	size_t	 n;

	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	return n > 0 && n < 64 && s[n] == '\0';
}

int
campaign_tz_valid(const char *tz)
{
	const char	*dir;
	char		 path[512], magic[4];
	FILE		*f;
	size_t		 n;

	n = strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_+-/");
	if (n == 0 || n > 63 || tz[n] != '\0' || tz[0] == '/' ||
	    tz[0] == '-' || strstr(tz, "//") != NULL ||
	    strstr(tz, "..") != NULL)
		return 0;
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, tz) >=
	    sizeof(path) || (f = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	return n == 4 && memcmp(magic, "TZif", 4) == 0;
}

/* The check of a time zone setting (a settings_check_fn). */
static int
tz_check(const char *value, long max, char *why, size_t whysz)
{
	(void)max;
	if (campaign_tz_valid(value))
		return 1;
	snprintf(why, whysz, "not a time zone name (an IANA name such as"
	    " Europe/Berlin, or UTC)");
	return 0;
}

void
campaign_settings_register(void)
{
	settings_check_register(SETTING_ZONE, tz_check);
}

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* Runs the conversion with TZ set to zone tz, under tz_lock. local: to UTC (mktime) or from it. */
static int
with_zone(const char *tz, int to_utc, time_t *t, struct tm *tm)
{
	char	*saved = NULL, *old;
	int	 ok;

	if (!campaign_tz_valid(tz))
		return 0;
	pthread_mutex_lock(&tz_lock);
	if ((old = getenv("TZ")) != NULL && (saved = strdup(old)) == NULL) {
		pthread_mutex_unlock(&tz_lock);
		return 0;
	}
	setenv("TZ", tz, 1);
	tzset();
	if (to_utc) {
		tm->tm_isdst = -1;
		*t = mktime(tm);
		ok = *t != (time_t)-1;
	} else
		ok = localtime_r(t, tm) != NULL;
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	pthread_mutex_unlock(&tz_lock);
	free(saved);
	return ok;
}

int
campaign_localtime(const char *tz, time_t t, struct tm *out)
{
	return with_zone(tz, 0, &t, out);
}

int
campaign_local_to_utc(const char *tz, const char *local, time_t *out)
{
	struct tm	 tm, back;
	int		 y, mo, d, h, mi, n = 0;

	if (sscanf(local, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi,
	    &n) != 5 || local[n] != '\0' || strlen(local) != 16 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    h < 0 || mi < 0 || y < 1970 || y > 9999)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	back = tm;
	if (!with_zone(tz, 1, out, &tm))
		return 0;
	/* mktime moves a 31 February on: a date that is not one is refused. */
	return tm.tm_mday == back.tm_mday && tm.tm_mon == back.tm_mon;
}

/* Parses "HH:MM" of exactly five characters into minutes. */
static int
hhmm(const char *s, int *min)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return 0;
	*min = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 +
	    (s[3] - '0') * 10 + (s[4] - '0');
	return (s[0] - '0') * 10 + (s[1] - '0') < 24 &&
	    (s[3] - '0') * 10 + (s[4] - '0') < 60;
}

int
campaign_window_parse(const char *s, int *start, int *end)
{
	if (strlen(s) != 11 || s[5] != '-' || !hhmm(s, start) ||
	    !hhmm(s + 6, end))
		return 0;
	return *start != *end;
}

int
campaign_window_open(int start, int end, int minute)
{
	if (start < 0)
		return 1;
	if (start < end)
		return minute >= start && minute < end;
	return minute >= start || minute < end;
}

/* --- The sender's release ---------------------------------------------------- */

#define RELEASE_BATCH	100	/* recipients per transaction */
#define REPLY_BATCH	20000	/* inbound messages looked at for replies per turn */

/* Finds one field of a recipient for the template. */
struct fields_find {
	const char	*name;
	char		*value;
};

static int
field_match(const char *name, const char *value, void *arg)
{
	struct fields_find	*f = arg;

	if (strcmp(name, f->name) != 0)
		return 1;
	f->value = strdup(value);
	return 0;
}

/* What a recipient's template lookups read: its fields and its phone. */
struct rcpt_lookup {
	const struct store_rcpt	*r;
	char			*held[16];	/* values handed out, freed after rendering */
	size_t			 n;
};

static const char *
rcpt_field(const char *name, void *arg)
{
	struct rcpt_lookup	*l = arg;
	struct fields_find	 f = { name, NULL };

	if (strcmp(name, "phone") == 0)
		return l->r->phone;
	if (l->n == sizeof(l->held) / sizeof(l->held[0]))
		return NULL;
	payload_fields_each(l->r->fields, field_match, &f);
	if (f.value != NULL)
		l->held[l->n++] = f.value;
	return f.value;
}

/* Releases one recipient inside the caller's transaction. > 0 released or settled, < 0 error. */
static int
release_one(struct store *st, const struct store_campaign *c,
    const struct store_rcpt *r, long timeout)
{
	struct store_outbound	 o;
	struct rcpt_lookup	 l;
	char			 missing[CAMPAIGN_FIELD_NAME_MAX + 1];
	char			 reason[128], uid[STORE_UID_MAX], *text = NULL;
	int64_t			 contact, session, msg;
	size_t			 i;
	int			 opted_out, opened, rc;

	if (store_contact_get(st, r->phone, &contact, &opted_out) < 0)
		return -1;
	if (opted_out)
		return store_campaign_rcpt_set(st, r->id, RCPT_SKIPPED,
		    "opted out", 0);
	memset(&l, 0, sizeof(l));
	l.r = r;
	rc = campaign_render(c->text, rcpt_field, &l, &text, missing,
	    sizeof(missing));
	for (i = 0; i < l.n; i++)
		free(l.held[i]);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		snprintf(reason, sizeof(reason), "template field missing: %s",
		    missing);
		return store_campaign_rcpt_set(st, r->id, RCPT_SKIPPED, reason,
		    0);
	}
	if (store_session_open(st, c->conn, contact, 0, timeout, &session,
	    &opened) < 0 || store_session_campaign_add(st, session, c->id) < 0)
		goto err;
	memset(&o, 0, sizeof(o));
	o.conn = c->conn;
	o.session = session;
	o.contact = contact;
	o.author = "campaign";
	o.sender = c->sender;
	o.recipient = r->phone;
	o.text = text;
	if (outbound_queue(st, &o, &msg, uid) <= 0 ||
	    store_campaign_rcpt_set(st, r->id, RCPT_QUEUED, "", msg) < 0 ||
	    store_session_touch(st, session) <= 0)
		goto err;
	free(text);
	return 1;
err:
	free(text);
	return -1;
}

/* The campaign's zones whose window is open now: "" (its own) and the recipients' ones. */
static int
zone_open(const struct store_campaign *c, const char *zone, time_t now)
{
	struct tm	 tm;

	if (c->window_start < 0)
		return 1;
	if (!campaign_localtime(*zone != '\0' ? zone : c->tz, now, &tm))
		return 0;
	return campaign_window_open(c->window_start, c->window_end,
	    tm.tm_hour * 60 + tm.tm_min);
}

/* A second's worth of the campaign's rate, at least one message. */
static double
bucket_burst(const struct store_campaign *c)
{
	return c->rate / 60.0 < 1 ? 1 : c->rate / 60.0;
}

/*
 * The throttle: a bucket of up to a second's worth of the campaign's rate
 * (at least one), refilled at the rate since its last refill at. The
 * tokens it holds at now.
 */
static double
bucket_refill(const struct store_campaign *c, double tokens, double at,
    double now)
{
	double	 burst = bucket_burst(c);

	if (at > 0 && now > at)
		tokens += (now - at) * c->rate / 60.0;
	return tokens > burst ? burst : tokens;
}

/*
 * Releases what one running campaign may now. Each batch is one
 * transaction that reads the bucket, releases and writes the bucket back:
 * the rate is the store's, so it holds across senders (on PostgreSQL the
 * read locks the campaign's row until the commit). The rate is Infobip's
 * to see: while a second's worth of released messages wait in the outbox
 * (behind other messages, or for a stopped connection) nothing more is
 * released, or they would reach Infobip together once the outbox is free.
 * Only a release writes the bucket: an idle turn writes nothing. > 0 with
 * *released, < 0 error.
 */
static int
release_campaign(struct store *st, const struct store_campaign *c,
    double now, long timeout, long *released)
{
	struct store_rcpt	*v = NULL;
	char			 zone[64], prev[64];
	double			 tokens, at;
	size_t			 allow, i;
	long			 waiting;
	int			 n = 0, rc, first = 1;

	if (bucket_refill(c, c->bucket_tokens, c->bucket_at, now) < 1)
		return 1;	/* as read with the campaign: nothing to do yet */
	for (;;) {
		if ((rc = store_campaign_zone_next(st, c->id, first ? NULL :
		    prev, zone, sizeof(zone))) <= 0)
			return rc < 0 ? -1 : 1;
		first = 0;
		snprintf(prev, sizeof(prev), "%s", zone);
		if (!zone_open(c, zone, (time_t)now))
			continue;
		for (;;) {
			/*
			 * One transaction: the bucket, the recipients, their
			 * messages; read inside it, so that a pause, a cancel
			 * or another sender's release committed meanwhile is
			 * seen.
			 */
			if (store_begin(st) < 0)
				return -1;
			if ((rc = store_campaign_throttle(st, c->id, &tokens,
			    &at)) <= 0 ||
			    (tokens = bucket_refill(c, tokens, at, now)) < 1 ||
			    (rc = store_campaign_waiting(st, c->id,
			    &waiting)) < 0 ||
			    bucket_burst(c) - (double)waiting < 1) {
				store_rollback(st);
				return rc < 0 ? -1 : 1;
			}
			allow = (size_t)floor(tokens);
			if (bucket_burst(c) - (double)waiting < (double)allow)
				allow = (size_t)floor(bucket_burst(c) -
				    (double)waiting);
			n = store_campaign_due(st, c->id, zone, allow <
			    RELEASE_BATCH ? allow : RELEASE_BATCH, &v);
			if (n <= 0) {
				store_rollback(st);
				if (n < 0)
					return -1;
				break;
			}
			for (i = 0; i < (size_t)n; i++)
				if (release_one(st, c, &v[i], timeout) < 0)
					goto err;
			/*
			 * The refill's time never goes back: a machine whose
			 * clock is behind another's counts no time twice.
			 */
			if (store_campaign_bucket(st, c->id, tokens - n,
			    now > at ? now : at) < 0 || store_commit(st) < 0)
				goto err;
			store_rcpts_free(v, (size_t)n);
			v = NULL;
			*released += n;
		}
	}
err:
	store_rollback(st);
	store_rcpts_free(v, n > 0 ? (size_t)n : 0);
	return -1;
}

/* Collects the scheduled and running campaigns. */
struct active {
	struct store_campaign	*v;
	size_t			 n, cap;
};

static int
active_add(const struct store_campaign *c, void *arg)
{
	struct active		*a = arg;
	struct store_campaign	*nv;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		if ((nv = realloc(a->v, a->cap * sizeof(*nv))) == NULL)
			return 0;
		a->v = nv;
	}
	a->v[a->n++] = *c;
	return 1;
}

int
campaign_release(struct store *st, double now, long *released)
{
	struct active	 a = { NULL, 0, 0 };
	int64_t		 replied;
	size_t		 i;
	long		 timeout;
	int		 rc = 1;

	*released = 0;
	if (store_campaign_replies(st, REPLY_BATCH, &replied) < 0)
		return -1;
	if (store_campaign_each(st, 1, active_add, &a) < 0) {
		free(a.v);
		return -1;
	}
	timeout = settings_get_long(st, SET_SESSION_TIMEOUT_MINUTES);
	for (i = 0; i < a.n && rc > 0; i++) {
		struct store_campaign *c = &a.v[i];

		if (c->state == CAMP_SCHEDULED) {
			if (!c->start_due)
				continue;
			if ((rc = store_campaign_set_state(st, c->id,
			    CAMP_SCHEDULED, CAMP_RUNNING)) < 0)
				break;
			if (rc == 0) {
				rc = 1;		/* paused or canceled meanwhile */
				continue;
			}
			log_info("campaign %lld (%s) started", (long long)c->id,
			    c->name);
			c->state = CAMP_RUNNING;
			c->bucket_tokens = 1;
			c->bucket_at = 0;
		}
		if (c->conn_status == CONN_RUNNING &&
		    release_campaign(st, c, now, timeout, released) < 0) {
			rc = -1;
			break;
		}
		/* Done when nothing waits: every recipient past planned and queued. */
		if ((rc = store_campaign_unfinished(st, c->id)) < 0)
			break;
		if (rc == 0) {
			if ((rc = store_campaign_set_state(st, c->id,
			    CAMP_RUNNING, CAMP_COMPLETED)) < 0)
				break;
			if (rc > 0)
				log_info("campaign %lld (%s) completed",
				    (long long)c->id, c->name);
		}
		rc = 1;
	}
	free(a.v);
	return rc < 0 ? -1 : 1;
}

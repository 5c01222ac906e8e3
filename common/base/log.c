/* Process log: one line per event on standard error, control characters escaped. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "smstext.h"

static const char *log_prog = "ibchannel";
static enum log_level log_max = LOGL_INFO;

static const char *const log_names[] = {
	[LOGL_ERROR] = "error",
	[LOGL_WARN] = "warn",
	[LOGL_INFO] = "info",
	[LOGL_DEBUG] = "debug",
};

void
log_init(const char *prog)
{
	const char	*v;
	size_t		 i;

	if (prog != NULL)
		log_prog = prog;
	if ((v = getenv("IBCHANNEL_LOG")) == NULL)
		return;
	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcasecmp(v, log_names[i]) == 0)
			log_max = (enum log_level)i;
}

/*
 * Whether code point cp controls or reorders a terminal: C0, DEL, C1, and
 * the bidirectional overrides and isolates (not the plain marks such as
 * U+200E, which change no order beyond their own position).
 */
static int
log_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int
log_escape(const char *src, char *dst, size_t dstsz)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*p;
	char			 esc[16];
	uint32_t		 cp;
	size_t			 n = 0, len, span, elen, i;

	if (dstsz == 0)
		return 0;
	for (p = src, len = strlen(src); len > 0; p += span, len -= span) {
		span = smstext_utf8_next(p, len, &cp);
		if (cp == '\n' || cp == '\r' || cp == '\t' || cp == '\\') {
			esc[0] = '\\';
			esc[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' :
			    cp == '\t' ? 't' : '\\';
			elen = 2;
		} else if (cp == SMSTEXT_UTF8_BAD || cp < 0x20 || cp == 0x7f) {
			/* Each byte on its own: an invalid span is 1-3 bytes. */
			for (i = 0, elen = 0; i < span; i++, elen += 4) {
				esc[elen] = '\\';
				esc[elen + 1] = 'x';
				esc[elen + 2] = hex[(unsigned char)p[i] >> 4];
				esc[elen + 3] = hex[(unsigned char)p[i] & 0xf];
			}
		} else if (log_is_control(cp))
			elen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x",
			    (unsigned)cp);
		else {
			memcpy(esc, p, span);
			elen = span;
		}
		if (n + elen >= dstsz) {
			dst[n] = '\0';
			return 0;
		}
		memcpy(dst + n, esc, elen);
		n += elen;
	}
	dst[n] = '\0';
	return 1;
}

int
log_has_control(const char *s)
{
	uint32_t	 cp;
	size_t		 len, span;

	if (s == NULL)
		return 0;
	for (len = strlen(s); len > 0; s += span, len -= span) {
		span = smstext_utf8_next(s, len, &cp);
		if (cp == SMSTEXT_UTF8_BAD || log_is_control(cp))
			return 1;
	}
	return 0;
}

/* Formats, escapes and writes one line at level, tail (may be NULL) after it; log_write and log_limited end here. */
static void __attribute__((format(printf, 3, 0)))
log_vwrite(enum log_level level, const char *tail, const char *fmt,
    va_list ap)
{
	char		 raw[2048], line[4096], stamp[32];
	time_t		 now;
	struct tm	 tm;
	size_t		 n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	if (tail != NULL && (n = strlen(raw)) < sizeof(raw))
		snprintf(raw + n, sizeof(raw) - n, "%s", tail);
	log_escape(raw, line, sizeof(line));
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s %s: %s\n", stamp, log_prog, log_names[level],
	    line);
}

void
log_write(enum log_level level, const char *fmt, ...)
{
	va_list	 ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	log_vwrite(level, NULL, fmt, ap);
	va_end(ap);
}

int
log_limited(struct log_limit *l, int seconds, enum log_level level,
    const char *fmt, ...)
{
	static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
	struct timespec		 ts;
	unsigned long		 held;
	char			 tail[96];
	va_list			 ap;
	long			 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1: a clock that starts near 0 must not read as "never said". */
	now = (long)ts.tv_sec + 1;
	pthread_mutex_lock(&mu);
	if (l->last != 0 && now - l->last < seconds) {
		l->held++;
		pthread_mutex_unlock(&mu);
		return 0;
	}
	held = l->held;
	l->held = 0;
	l->last = now;
	pthread_mutex_unlock(&mu);
	if (level > log_max)
		return 1;
	tail[0] = '\0';
	if (held > 0)
		snprintf(tail, sizeof(tail), " (%lu more like it in the last"
		    " %d s)", held, seconds);
	va_start(ap, fmt);
	log_vwrite(level, tail, fmt, ap);
	va_end(ap);
	return 1;
}

/* Process log: one line per event on standard error, control characters escaped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

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

int
log_escape(const char *src, char *dst, size_t dstsz)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p;
	char			 esc[5];
	size_t			 n = 0, elen;

	if (dstsz == 0)
		return 0;
	for (p = (const unsigned char *)src; *p != '\0'; p++) {
		elen = 0;
		if (*p == '\n')
			memcpy(esc, "\\n", elen = 2);
		else if (*p == '\r')
			memcpy(esc, "\\r", elen = 2);
		else if (*p == '\t')
			memcpy(esc, "\\t", elen = 2);
		else if (*p == '\\')
			memcpy(esc, "\\\\", elen = 2);
		else if (*p < 0x20 || *p == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 0xf];
			elen = 4;
		} else {
			esc[0] = (char)*p;
			elen = 1;
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

void
log_write(enum log_level level, const char *fmt, ...)
{
	char		 raw[2048], line[4096], stamp[32];
	va_list		 ap;
	time_t		 now;
	struct tm	 tm;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_escape(raw, line, sizeof(line));
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s %s: %s\n", stamp, log_prog, log_names[level],
	    line);
}

/* Process log: one line per event on standard error, control characters escaped. */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

enum log_level {
	LOGL_ERROR,
	LOGL_WARN,
	LOGL_INFO,
	LOGL_DEBUG,
};

/* Sets the program name and reads the level from IBCHANNEL_LOG (error|warn|info|debug). */
void	log_init(const char *prog);

/* Writes one line at the level; the formatted text has control bytes escaped. */
void	log_write(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * A kind of line that comes in bursts while a cause lasts (the store
 * away, under load: every request and every retry would say it): said
 * at most once a period, with how many were held back meanwhile. Declare
 * one per kind, static, zeroed; log_limited is safe from any thread.
 */
struct log_limit {
	long		 last;		/* when it was last said (monotonic s); 0 never */
	unsigned long	 held;		/* lines held back since */
};

/*
 * Writes the line as log_write does when l's period (seconds) has passed
 * since it last did, adding how many were held back in between; else
 * only counts it. Returns 1 written, 0 held back.
 */
int	log_limited(struct log_limit *l, int seconds, enum log_level,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_error(...)	log_write(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_write(LOGL_WARN, __VA_ARGS__)
#define log_info(...)	log_write(LOGL_INFO, __VA_ARGS__)
#define log_debug(...)	log_write(LOGL_DEBUG, __VA_ARGS__)

/*
 * Copies src into dst (size dstsz, always NUL-terminated) with backslash
 * doubled, \n, \r and \t named, other C0 controls and DEL written as
 * \xNN, C1 controls (U+0080-U+009F) and the bidirectional overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069) as \uXXXX, and each byte that
 * is not valid UTF-8 as \xNN, so text from the network can neither forge
 * a line nor drive or reorder the terminal that shows it. Returns 1 if it
 * all fit, 0 if it was cut (between characters).
 */
int	log_escape(const char *src, char *dst, size_t dstsz);

/*
 * Whether s holds anything log_escape escapes besides a backslash: a C0
 * or C1 control, DEL, a bidirectional override or isolate, or invalid
 * UTF-8. One-line text an operator enters (names, descriptions, values)
 * is refused when it does. 1 yes, 0 no (also for NULL).
 */
int	log_has_control(const char *s);

#endif

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

#define log_error(...)	log_write(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_write(LOGL_WARN, __VA_ARGS__)
#define log_info(...)	log_write(LOGL_INFO, __VA_ARGS__)
#define log_debug(...)	log_write(LOGL_DEBUG, __VA_ARGS__)

/*
 * Copies src into dst (size dstsz, always NUL-terminated) with every byte
 * below 0x20 and 0x7f written as \n, \r, \t or \xNN and backslash doubled,
 * so text from the network cannot forge a line. Returns 1 if it all fit,
 * 0 if it was cut.
 */
int	log_escape(const char *src, char *dst, size_t dstsz);

#endif

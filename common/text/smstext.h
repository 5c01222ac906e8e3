/* SMS text rules: UTF-8 repair, the 1600-character cut, segment counts. */
#ifndef SMSTEXT_H
#define SMSTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Longest text we send, in Unicode code points. */
#define SMSTEXT_MAX_CHARS	1600

enum smstext_encoding {
	SMSTEXT_GSM7,	/* GSM 03.38 default alphabet plus extension table */
	SMSTEXT_UCS2,	/* anything else: UTF-16 code units */
};

struct smstext_info {
	enum smstext_encoding	 encoding;
	size_t			 units;		/* septets or UTF-16 units */
	size_t			 segments;	/* SMS parts it costs */
	size_t			 chars;		/* Unicode code points */
};

/* What smstext_utf8_next reports for an invalid sequence. */
#define SMSTEXT_UTF8_BAD	0xFFFFFFFFu

/*
 * Decodes the UTF-8 sequence at s (len > 0 bytes available). Returns how
 * many bytes it spans and sets *cp to its code point, or to
 * SMSTEXT_UTF8_BAD for an invalid sequence, whose span is then its maximal
 * subpart (at least 1 byte), where a decoder resumes.
 */
size_t	smstext_utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * Returns 1 if the len bytes at s are strict UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) and hold no NUL byte, else 0.
 */
int	smstext_utf8_valid(const char *s, size_t len);

/*
 * Returns a NUL-terminated copy of the len bytes at s in which every
 * invalid sequence (each maximal subpart, as Unicode recommends) is
 * replaced by U+FFFD and NUL bytes are dropped.  The caller frees it.
 * Returns NULL when out of memory.
 */
char	*smstext_utf8_repair(const char *s, size_t len);

/*
 * Returns the number of code points in the NUL-terminated string; each
 * invalid sequence counts as one, as it would after repair.  NULL is 0.
 */
size_t	 smstext_chars(const char *utf8);

/*
 * Whether text may be sent as a message, the one check of every text a
 * person or another system gives (the send API, the command line, the
 * admin): strict UTF-8, not empty, not only white space, and no control
 * character but line breaks and tabs (no ESC, BEL, DEL or C1). 1 valid,
 * 0 with a static *why.
 */
int	 smstext_check(const char *text, const char **why);

/*
 * Prepares outbound text: repairs it as smstext_utf8_repair does, then,
 * if it has more than SMSTEXT_MAX_CHARS code points, keeps the first
 * SMSTEXT_MAX_CHARS - 3 and appends "...", never splitting a sequence.
 * Sets *truncated (when not NULL) to 1 if it cut, else 0.  Returns a new
 * string the caller frees, or NULL when out of memory.
 */
char	*smstext_prepare(const char *s, size_t len, int *truncated);

/*
 * Fills info with how the NUL-terminated text would travel: GSM-7 when
 * every character is in the GSM 03.38 alphabet (extension characters take
 * two units), else UCS-2 (characters above U+FFFF take two units).  One
 * segment holds 160 GSM-7 or 70 UCS-2 units; longer text is split into
 * parts of 153 or 67.  Empty text (or NULL) is GSM-7 with 0 units and
 * 0 segments, since nothing would be sent.  Invalid UTF-8 is measured as
 * its repair would be (U+FFFD, so UCS-2).
 */
void	 smstext_measure(const char *utf8, struct smstext_info *info);

/*
 * Copies src into dst (size dstsz, NUL-terminated when dstsz > 0), cutting
 * a text too long for dst at a character boundary, never through a UTF-8
 * sequence.
 */
void	 smstext_copy(char *dst, size_t dstsz, const char *src);

#endif

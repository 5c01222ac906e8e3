/* SMS text rules: UTF-8 repair, the 1600-character cut, segment counts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smstext.h"

/* What utf8_next reports for an invalid sequence. */
#define UTF8_BAD	SMSTEXT_UTF8_BAD

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char utf8_replacement[] = "\xEF\xBF\xBD";

/*
 * Well-formed multi-byte sequences (Unicode 15, table 3-7).  Only the
 * second byte has a range narrower than 80..BF; the narrow ranges are what
 * exclude overlong forms, surrogates and code points above U+10FFFF.
 */
struct utf8_lead {
	unsigned char	first, last;	/* lead bytes this row covers */
	unsigned char	len;		/* bytes in the whole sequence */
	unsigned char	lo, hi;		/* allowed second byte */
};

static const struct utf8_lead utf8_leads[] = {
	{ 0xC2, 0xDF, 2, 0x80, 0xBF },
	{ 0xE0, 0xE0, 3, 0xA0, 0xBF },	/* below is overlong */
	{ 0xE1, 0xEC, 3, 0x80, 0xBF },
	{ 0xED, 0xED, 3, 0x80, 0x9F },	/* above is D800..DFFF */
	{ 0xEE, 0xEF, 3, 0x80, 0xBF },
	{ 0xF0, 0xF0, 4, 0x90, 0xBF },	/* below is overlong */
	{ 0xF1, 0xF3, 4, 0x80, 0xBF },
	{ 0xF4, 0xF4, 4, 0x80, 0x8F },	/* above is past U+10FFFF */
};

/* Marks a free slot in the GSM table: matches no code point. */
#define GSM_NONE	0xFFFFFFFFu

/*
 * GSM 03.38 default alphabet, indexed by septet, eight to a row.  0x1B is
 * the escape into the extension table, not a character of its own.
 */
static const uint32_t gsm_basic[128] = {
	/* 0x00 @ £ $ ¥ è é ù ì */
	0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
	/* 0x08 ò Ç LF Ø ø CR Å å */
	0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
	/* 0x10 Δ _ Φ Γ Λ Ω Π Ψ */
	0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
	/* 0x18 Σ Θ Ξ ESC Æ æ ß É */
	0x03A3, 0x0398, 0x039E, GSM_NONE, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
	/* 0x20 space ! " # ¤ % & ' */
	0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
	/* 0x28 ( ) * + , - . / */
	0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
	/* 0x30 0-7 */
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	/* 0x38 8 9 : ; < = > ? */
	0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
	/* 0x40 ¡ A-G */
	0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	/* 0x48 H-O */
	0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
	/* 0x50 P-W */
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	/* 0x58 X Y Z Ä Ö Ñ Ü § */
	0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
	/* 0x60 ¿ a-g */
	0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	/* 0x68 h-o */
	0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
	/* 0x70 p-w */
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	/* 0x78 x y z ä ö ñ ü à */
	0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* GSM 03.38 extension table: ESC then the septet, so two units each. */
static const struct {
	unsigned char	septet;
	uint32_t	cp;
} gsm_extension[] = {
	{ 0x0A, 0x000C },	/* form feed */
	{ 0x14, 0x005E },	/* ^ */
	{ 0x28, 0x007B },	/* { */
	{ 0x29, 0x007D },	/* } */
	{ 0x2F, 0x005C },	/* \ */
	{ 0x3C, 0x005B },	/* [ */
	{ 0x3D, 0x007E },	/* ~ */
	{ 0x3E, 0x005D },	/* ] */
	{ 0x40, 0x007C },	/* | */
	{ 0x65, 0x20AC },	/* € */
};

/* Units per segment: a lone SMS, and each part of a concatenated one. */
#define GSM7_SINGLE	160
#define GSM7_PART	153
#define UCS2_SINGLE	70
#define UCS2_PART	67

/*
 * Decodes the sequence at p (len > 0 bytes available).  Returns how many
 * bytes it spans and sets *cp to the code point, or to UTF8_BAD for an
 * invalid sequence, in which case the span is its maximal subpart (at
 * least 1), so a decoder resumes where Unicode says it should.
 */
static size_t
utf8_next(const unsigned char *p, size_t len, uint32_t *cp)
{
	const struct utf8_lead	*lead = NULL;
	uint32_t		 c;
	size_t			 i;
	unsigned char		 lo, hi;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	for (i = 0; i < sizeof(utf8_leads) / sizeof(utf8_leads[0]); i++)
		if (p[0] >= utf8_leads[i].first && p[0] <= utf8_leads[i].last) {
			lead = &utf8_leads[i];
			break;
		}
	if (lead == NULL) {
		*cp = UTF8_BAD;
		return 1;
	}
	c = p[0] & (0x7F >> lead->len);
	for (i = 1; i < lead->len; i++) {
		lo = i == 1 ? lead->lo : 0x80;
		hi = i == 1 ? lead->hi : 0xBF;
		if (i >= len || p[i] < lo || p[i] > hi) {
			*cp = UTF8_BAD;
			return i;
		}
		c = (c << 6) | (p[i] & 0x3F);
	}
	*cp = c;
	return lead->len;
}

size_t
smstext_utf8_next(const char *s, size_t len, uint32_t *cp)
{
	return utf8_next((const unsigned char *)s, len, cp);
}

int
smstext_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n;

	if (s == NULL)
		return len == 0;
	while (len > 0) {
		n = utf8_next(p, len, &cp);
		if (cp == UTF8_BAD || cp == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

int
smstext_check(const char *text, const char **why)
{
	size_t			 len = strlen(text), i, n;
	uint32_t		 cp;

	if (len == 0) {
		*why = "text is empty";
		return 0;
	}
	if (!smstext_utf8_valid(text, len)) {
		*why = "text is not valid UTF-8";
		return 0;
	}
	for (i = 0; i < len; i += n) {
		n = utf8_next((const unsigned char *)text + i, len - i, &cp);
		if ((cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t') ||
		    (cp >= 0x7f && cp <= 0x9f)) {
			*why = "text holds a control character (only line"
			    " breaks and tabs are allowed)";
			return 0;
		}
	}
	for (i = 0; i < len; i++)
		if (strchr(" \t\r\n", text[i]) == NULL)
			return 1;
	*why = "text is only white space";
	return 0;
}

char *
smstext_utf8_repair(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *shrunk;
	uint32_t		 cp;
	size_t			 n, used = 0;

	if (s == NULL)
		len = 0;
	/* Worst case: every byte is invalid and becomes three. */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	if ((out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	while (len > 0) {
		n = utf8_next(p, len, &cp);
		if (cp == UTF8_BAD) {
			memcpy(out + used, utf8_replacement, 3);
			used += 3;
		} else if (cp != 0) {
			memcpy(out + used, p, n);
			used += n;
		}
		p += n;
		len -= n;
	}
	out[used] = '\0';
	/* Give back the worst-case reserve; keeping it is harmless. */
	if ((shrunk = realloc(out, used + 1)) != NULL)
		out = shrunk;
	return out;
}

size_t
smstext_chars(const char *utf8)
{
	const unsigned char	*p = (const unsigned char *)utf8;
	uint32_t		 cp;
	size_t			 len, n, count = 0;

	if (utf8 == NULL)
		return 0;
	for (len = strlen(utf8); len > 0; len -= n, p += n) {
		n = utf8_next(p, len, &cp);
		count++;
	}
	return count;
}

char *
smstext_prepare(const char *s, size_t len, int *truncated)
{
	char	*text;
	size_t	 i, count = 0, keep = 0;

	if (truncated != NULL)
		*truncated = 0;
	if ((text = smstext_utf8_repair(s, len)) == NULL)
		return NULL;
	/* Valid now: every byte but a continuation byte starts a code point. */
	for (i = 0; text[i] != '\0'; i++) {
		if (((unsigned char)text[i] & 0xC0) == 0x80)
			continue;
		if (count == SMSTEXT_MAX_CHARS - 3)
			keep = i;
		if (++count > SMSTEXT_MAX_CHARS)
			break;
	}
	if (count <= SMSTEXT_MAX_CHARS)
		return text;
	/* At least four code points follow keep, so "..." fits in place. */
	memcpy(text + keep, "...", 4);
	if (truncated != NULL)
		*truncated = 1;
	return text;
}

/* Returns the GSM-7 units cp takes: 1 basic, 2 extension, 0 not GSM-7. */
static size_t
gsm_units(uint32_t cp)
{
	size_t	 i;

	for (i = 0; i < sizeof(gsm_basic) / sizeof(gsm_basic[0]); i++)
		if (gsm_basic[i] == cp)
			return 1;
	for (i = 0; i < sizeof(gsm_extension) / sizeof(gsm_extension[0]); i++)
		if (gsm_extension[i].cp == cp)
			return 2;
	return 0;
}

/* Returns the segments units take, given single and per-part capacity. */
static size_t
segments_for(size_t units, size_t single, size_t part)
{
	if (units == 0)
		return 0;
	if (units <= single)
		return 1;
	return (units + part - 1) / part;
}

void
smstext_measure(const char *utf8, struct smstext_info *info)
{
	const unsigned char	*p = (const unsigned char *)utf8;
	uint32_t		 cp;
	size_t			 len, n, g, gsm = 0, utf16 = 0, chars = 0;
	int			 all_gsm = 1;

	len = utf8 == NULL ? 0 : strlen(utf8);
	for (; len > 0; len -= n, p += n) {
		n = utf8_next(p, len, &cp);
		if (cp == UTF8_BAD)
			cp = 0xFFFD;
		chars++;
		if ((g = gsm_units(cp)) == 0)
			all_gsm = 0;
		gsm += g;
		utf16 += cp > 0xFFFF ? 2 : 1;
	}

	/*
	 * Plain arithmetic: a phone will not split an escape pair or a
	 * surrogate pair across parts, so a long text with one straddling a
	 * part boundary may really cost one segment more than this says.
	 */
	info->chars = chars;
	if (all_gsm) {
		info->encoding = SMSTEXT_GSM7;
		info->units = gsm;
		info->segments = segments_for(gsm, GSM7_SINGLE, GSM7_PART);
	} else {
		info->encoding = SMSTEXT_UCS2;
		info->units = utf16;
		info->segments = segments_for(utf16, UCS2_SINGLE, UCS2_PART);
	}
}

void
smstext_copy(char *dst, size_t dstsz, const char *src)
{
	size_t	 n;

	if (dstsz == 0)
		return;
	n = strlen(src);
	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

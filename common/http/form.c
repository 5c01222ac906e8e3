/* HTML form fields: application/x-www-form-urlencoded bodies and query strings, decoded and bounded. */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "parse.h"

void
form_init(struct form *f)
{
	memset(f, 0, sizeof(*f));
}

void
form_free(struct form *f)
{
	free(f->buf);
	form_init(f);
}


int
form_utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, n;
	unsigned int		 cp, min;

	while (i < len) {
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * Decodes src (n bytes) in place into dst, which may be src itself.
 * Returns the decoded length, or (size_t)-1 for a bad escape or a NUL.
 */
static size_t
decode(char *dst, const char *src, size_t n)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n)
				return (size_t)-1;
			if ((hi = parse_hex_digit(src[i + 1])) < 0 ||
			    (lo = parse_hex_digit(src[i + 2])) < 0)
				return (size_t)-1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0)
			return (size_t)-1;
		/* A browser's line break is CR LF: keep LF. */
		if (c == '\n' && o > 0 && dst[o - 1] == '\r')
			o--;
		dst[o++] = (char)c;
	}
	return o;
}

int
form_parse(struct form *f, const char *in, size_t len)
{
	char	*p, *end, *amp, *eq;
	size_t	 nlen, vlen;

	form_init(f);
	if ((f->buf = malloc(len + 1)) == NULL)
		return -1;
	memcpy(f->buf, in, len);
	f->buf[len] = '\0';
	end = f->buf + len;
	for (p = f->buf; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;	/* "a=1&&b=2" */
		if (f->n == FORM_FIELDS_MAX)
			goto bad;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if ((nlen = decode(p, p, (size_t)(eq - p))) == (size_t)-1 ||
		    nlen == 0 || !form_utf8_valid(p, nlen))
			goto bad;
		p[nlen] = '\0';
		f->f[f->n].name = p;
		if (eq == amp) {
			f->f[f->n].value = "";
		} else {
			if ((vlen = decode(eq + 1, eq + 1,
			    (size_t)(amp - eq - 1))) == (size_t)-1 ||
			    !form_utf8_valid(eq + 1, vlen))
				goto bad;
			eq[1 + vlen] = '\0';
			f->f[f->n].value = eq + 1;
		}
		f->n++;
	}
	return 1;
bad:
	form_free(f);
	return 0;
}

const char *
form_get(const struct form *f, const char *name)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->f[i].name, name) == 0)
			return f->f[i].value;
	return NULL;
}

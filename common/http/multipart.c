/* multipart/form-data bodies read as they stream: plain fields into a form, one file part into a FILE, in bounded memory. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

#define BUF_SIZE	(64 * 1024)

int
multipart_boundary(const char *ctype, char *out, size_t outsz)
{
	const char	*p;
	size_t		 n, o = 0;

	if (ctype == NULL)
		return 0;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	n = strcspn(ctype, "; \t");
	if (n != strlen("multipart/form-data") ||
	    strncasecmp(ctype, "multipart/form-data", n) != 0)
		return 0;
	for (p = ctype + n; (p = strchr(p, ';')) != NULL; ) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (o + 1 >= outsz)
					return 0;
				out[o++] = *p;
			}
			if (*p != '"')
				return 0;
		} else
			for (; *p != '\0' && *p != ';' && *p != ' ' &&
			    *p != '\t'; p++) {
				if (o + 1 >= outsz)
					return 0;
				out[o++] = *p;
			}
		out[o] = '\0';
		/* RFC 2046: 1 to 70 characters, none a control or a quote. */
		if (o == 0 || o > MULTIPART_BOUNDARY_MAX)
			return 0;
		for (n = 0; n < o; n++)
			if ((unsigned char)out[n] < 0x20 ||
			    (unsigned char)out[n] > 0x7e || out[n] == '"')
				return 0;
		return 1;
	}
	return 0;
}

/* The parse as it goes. */
struct mp {
	struct multipart_upload	*u;
	size_t			(*read)(void *, char *, size_t);
	void			*read_arg;
	char			*buf;
	size_t			 len;		/* bytes in buf */
	int			 eof;
	char			 delim[4 + MULTIPART_BOUNDARY_MAX + 1];
	size_t			 dlen;
	/* the current part */
	enum { PART_FIELD, PART_FILE, PART_SKIP }	 kind;
	/* the plain fields, re-encoded as a query string for form_parse */
	char			*enc;
	size_t			 enclen, encsz;
	size_t			 raw;		/* their bytes as sent */
	int			 oom, io;
};

/* Reads more of the body into buf. 1 read some, 0 at the end. */
static int
fill(struct mp *m)
{
	size_t	 n;

	if (m->eof || m->len == BUF_SIZE)
		return 0;
	if ((n = m->read(m->read_arg, m->buf + m->len, BUF_SIZE - m->len)) == 0) {
		m->eof = 1;
		return 0;
	}
	m->len += n;
	return 1;
}

static void
consume(struct mp *m, size_t n)
{
	memmove(m->buf, m->buf + n, m->len - n);
	m->len -= n;
}

/* Appends n bytes to the re-encoded fields, percent-encoded. 1 ok, 0 out of memory. */
static int
enc_add(struct mp *m, const char *s, size_t n, int raw)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;
	size_t			 i;
	char			*nb;

	if (m->enclen + 3 * n + 1 > m->encsz) {
		size_t	 want = (m->enclen + 3 * n + 1) * 2;

		if ((nb = realloc(m->enc, want)) == NULL) {
			m->oom = 1;
			return 0;
		}
		m->enc = nb;
		m->encsz = want;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (raw || isalnum(c))
			m->enc[m->enclen++] = (char)c;
		else {
			m->enc[m->enclen++] = '%';
			m->enc[m->enclen++] = hex[c >> 4];
			m->enc[m->enclen++] = hex[c & 0xf];
		}
	}
	return 1;
}

/*
 * Reads one parameter's value of a Content-Disposition at *pp: quoted
 * (backslash escapes) or a token, into out. 1 read, 0 malformed.
 */
static int
param_value(const char **pp, char *out, size_t outsz)
{
	const char	*p = *pp;
	size_t		 o = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p == '\0' || o + 1 >= outsz)
				return 0;
			out[o++] = *p;
		}
		p++;
	} else
		for (; *p != '\0' && *p != ';' && *p != ' ' && *p != '\t';
		    p++) {
			if (o + 1 >= outsz)
				return 0;
			out[o++] = *p;
		}
	out[o] = '\0';
	*pp = p;
	return 1;
}

/*
 * Finds name and filename in a part's header block (NUL-terminated, lines
 * ending CR LF). 1 found (a form-data disposition with a name), 0 not.
 */
static int
part_headers(char *h, char *name, size_t namesz, char *filename,
    size_t filenamesz, int *has_filename)
{
	char		*line, *next;
	const char	*p;
	char		 key[32];
	size_t		 n;
	int		 found = 0;

	*has_filename = 0;
	for (line = h; line != NULL && *line != '\0'; line = next) {
		if ((next = strstr(line, "\r\n")) != NULL) {
			*next = '\0';
			next += 2;
		}
		if (strncasecmp(line, "Content-Disposition:", 20) != 0)
			continue;
		p = line + 20;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "form-data", 9) != 0)
			return 0;
		p += 9;
		for (;;) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ';')
				break;
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			n = strcspn(p, "= \t;");
			if (p[n] != '=' || n >= sizeof(key))
				return 0;
			memcpy(key, p, n);
			key[n] = '\0';
			p += n + 1;
			if (strcasecmp(key, "name") == 0) {
				if (!param_value(&p, name, namesz))
					return 0;
				found = 1;
			} else if (strcasecmp(key, "filename") == 0) {
				if (!param_value(&p, filename, filenamesz))
					return 0;
				*has_filename = 1;
			} else {
				char	 skip[512];

				if (!param_value(&p, skip, sizeof(skip)))
					return 0;
			}
		}
		if (*p != '\0')
			return 0;
	}
	return found && *name != '\0';
}

/* The fields read so far as a form, for file_ok. 1 ok, 0 malformed, < 0 out of memory. */
static int
fields_now(struct mp *m, struct form *f)
{
	return form_parse(f, m->enc != NULL ? m->enc : "", m->enclen);
}

/* A part begins: decides where its content goes. 1 go on, 0 refused (*why), < 0 out of memory. */
static int
part_begin(struct mp *m, char *h, const char **why)
{
	struct multipart_upload	*u = m->u;
	struct form		 before;
	char			 name[256], filename[256];
	int			 has_filename, rc;

	name[0] = filename[0] = '\0';
	if (!part_headers(h, name, sizeof(name), filename, sizeof(filename),
	    &has_filename)) {
		*why = "a part has no form-data name";
		return 0;
	}
	if (has_filename) {
		/* A file input left empty sends an empty filename: no file. */
		if (u->file_field == NULL || strcmp(name, u->file_field) != 0 ||
		    filename[0] == '\0') {
			m->kind = PART_SKIP;
			return 1;
		}
		if (u->file_seen) {
			*why = "more than one file";
			return 0;
		}
		if (u->file_ok != NULL) {
			form_init(&before);
			if ((rc = fields_now(m, &before)) <= 0) {
				*why = "the fields are malformed";
				return rc;
			}
			rc = u->file_ok(&before, u->arg);
			form_free(&before);
			if (!rc) {
				*why = "refused before the file";
				return 0;
			}
		}
		u->file_seen = 1;
		snprintf(u->filename, sizeof(u->filename), "%s", filename);
		m->kind = PART_FILE;
		return 1;
	}
	m->kind = PART_FIELD;
	m->raw += strlen(name) + 1;
	if (m->raw > u->fields_max) {
		*why = "the fields are too large";
		return 0;
	}
	if ((m->enclen > 0 && !enc_add(m, "&", 1, 1)) ||
	    !enc_add(m, name, strlen(name), 0) || !enc_add(m, "=", 1, 1))
		return -1;
	return 1;
}

/* Content of the current part. 1 go on, 0 refused (*why), < 0 failed. */
static int
part_data(struct mp *m, const char *p, size_t n, const char **why)
{
	switch (m->kind) {
	case PART_FILE:
		if (n > 0 && fwrite(p, 1, n, m->u->file) != n) {
			m->io = 1;
			return -1;
		}
		m->u->file_size += n;
		return 1;
	case PART_FIELD:
		m->raw += n;
		if (m->raw > m->u->fields_max) {
			*why = "the fields are too large";
			return 0;
		}
		return enc_add(m, p, n, 0) ? 1 : -1;
	default:
		return 1;
	}
}

int
multipart_read(const char *boundary,
    size_t (*read)(void *, char *, size_t), void *read_arg,
    struct multipart_upload *u, const char **why)
{
	struct mp	 m;
	enum { PREAMBLE, AFTER_DELIM, HEADERS, BODY } state = PREAMBLE;
	char		*hit, *hdr = NULL;
	size_t		 keep, i;
	int		 rc = 0;

	*why = "malformed";
	form_init(&u->fields);
	u->file_seen = 0;
	u->file_size = 0;
	u->filename[0] = '\0';
	memset(&m, 0, sizeof(m));
	m.u = u;
	m.read = read;
	m.read_arg = read_arg;
	if (strlen(boundary) == 0 || strlen(boundary) > MULTIPART_BOUNDARY_MAX) {
		*why = "bad boundary";
		return 0;
	}
	m.dlen = (size_t)snprintf(m.delim, sizeof(m.delim), "\r\n--%s",
	    boundary);
	if ((m.buf = malloc(BUF_SIZE)) == NULL)
		return -1;
	/* The first delimiter may open the body: read it as if a line ended before. */
	memcpy(m.buf, "\r\n", 2);
	m.len = 2;
	for (;;) {
		switch (state) {
		case PREAMBLE:
			if ((hit = memmem(m.buf, m.len, m.delim, m.dlen)) !=
			    NULL) {
				consume(&m, (size_t)(hit - m.buf) + m.dlen);
				state = AFTER_DELIM;
				continue;
			}
			if (m.len >= m.dlen)
				consume(&m, m.len - (m.dlen - 1));
			if (!fill(&m)) {
				*why = "no part in the body";
				goto out;
			}
			continue;
		case AFTER_DELIM:
			/* "--" closes the body; else spaces, then CR LF. */
			for (i = 0; i < m.len && (m.buf[i] == ' ' ||
			    m.buf[i] == '\t'); i++)
				;
			if (i + 2 > m.len) {
				if (m.len >= 256 || !fill(&m)) {
					*why = "the body ends after a delimiter";
					goto out;
				}
				continue;
			}
			if (i == 0 && m.buf[0] == '-' && m.buf[1] == '-') {
				rc = 1;
				goto out;
			}
			if (m.buf[i] != '\r' || m.buf[i + 1] != '\n') {
				*why = "a delimiter is followed by text";
				goto out;
			}
			consume(&m, i + 2);
			state = HEADERS;
			continue;
		case HEADERS:
			if (m.len >= 2 && m.buf[0] == '\r' && m.buf[1] == '\n') {
				*why = "a part has no headers";
				goto out;
			}
			if ((hit = memmem(m.buf, m.len, "\r\n\r\n", 4)) ==
			    NULL) {
				if (m.len >= MULTIPART_HEADERS_MAX) {
					*why = "a part's headers are too long";
					goto out;
				}
				if (!fill(&m)) {
					*why = "the body ends in a part's"
					    " headers";
					goto out;
				}
				continue;
			}
			keep = (size_t)(hit - m.buf);
			if ((hdr = malloc(keep + 3)) == NULL) {
				rc = -1;
				goto out;
			}
			memcpy(hdr, m.buf, keep);
			memcpy(hdr + keep, "\r\n", 3);
			rc = part_begin(&m, hdr, why);
			free(hdr);
			hdr = NULL;
			if (rc <= 0)
				goto out;
			rc = 0;
			consume(&m, keep + 4);
			state = BODY;
			continue;
		case BODY:
			if ((hit = memmem(m.buf, m.len, m.delim, m.dlen)) !=
			    NULL) {
				keep = (size_t)(hit - m.buf);
				if ((rc = part_data(&m, m.buf, keep, why)) <= 0)
					goto out;
				rc = 0;
				consume(&m, keep + m.dlen);
				state = AFTER_DELIM;
				continue;
			}
			/* All but what could be the start of a delimiter. */
			if (m.len >= m.dlen) {
				keep = m.len - (m.dlen - 1);
				if ((rc = part_data(&m, m.buf, keep, why)) <= 0)
					goto out;
				rc = 0;
				consume(&m, keep);
			}
			if (!fill(&m)) {
				*why = "the body ends inside a part";
				goto out;
			}
			continue;
		}
	}
out:
	if (rc == 1) {
		if ((rc = fields_now(&m, &u->fields)) == 0)
			*why = "a field is not UTF-8 text, holds a NUL byte or"
			    " there are too many fields";
		else if (u->file_seen && fflush(u->file) != 0) {
			form_free(&u->fields);
			rc = -1;
		}
	}
	if (m.oom)
		rc = -1;
	if (rc <= 0)
		form_free(&u->fields);
	free(m.enc);
	free(m.buf);
	return rc;
}

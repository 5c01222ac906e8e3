/* Table test of multipart_boundary and multipart_read, read whole and in pieces of every size from 1 byte. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "multipart.h"

struct ctype_case {
	const char	*ctype;
	const char	*want;		/* NULL: refused */
};

static const struct ctype_case ctypes[] = {
	{ "multipart/form-data; boundary=abc", "abc" },
	{ "Multipart/Form-Data;boundary=\"a b:c\"", "a b:c" },
	{ "multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundaryx7",
	    "----WebKitFormBoundaryx7" },
	{ "multipart/form-data", NULL },
	{ "multipart/form-data; boundary=", NULL },
	{ "multipart/form-data; boundary=\"unterminated", NULL },
	{ "multipart/mixed; boundary=abc", NULL },
	{ "application/x-www-form-urlencoded", NULL },
	{ "multipart/form-data; boundary="
	    "12345678901234567890123456789012345678901234567890123456789012345678901", NULL },
	{ NULL, NULL },
};

#define CRLF "\r\n"
#define B "XyZ"

struct body_case {
	const char	*what;
	const char	*body;
	int		 want;		/* multipart_read's result */
	const char	*field, *value;	/* a field to look up (NULL: none) */
	const char	*file;		/* the file's content; NULL: no file */
	const char	*filename;
	int		 refuse;	/* file_ok refuses */
};

static const struct body_case bodies[] = {
	{ "two fields and a file",
	    "--" B CRLF
	    "Content-Disposition: form-data; name=\"csrf\"" CRLF CRLF
	    "tok" CRLF
	    "--" B CRLF
	    "Content-Disposition: form-data; name=\"text\"" CRLF CRLF
	    "Hi {{name}}" CRLF "second line & more=%" CRLF
	    "--" B CRLF
	    "Content-Disposition: form-data; name=\"csv\"; filename=\"r.csv\"" CRLF
	    "Content-Type: text/csv" CRLF CRLF
	    "phone,name" CRLF "491511,\"A\r\n--X\"" CRLF
	    "--" B "--" CRLF,
	    1, "text", "Hi {{name}}\nsecond line & more=%",
	    "phone,name" CRLF "491511,\"A\r\n--X\"", "r.csv", 0 },
	{ "a preamble and an epilogue are ignored",
	    "junk before" CRLF "--" B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF
	    "1" CRLF "--" B "--" CRLF "junk after",
	    1, "a", "1", NULL, NULL, 0 },
	{ "an empty file input is no file",
	    "--" B CRLF
	    "Content-Disposition: form-data; name=\"csv\"; filename=\"\"" CRLF CRLF
	    CRLF "--" B "--",
	    1, "csv", NULL, NULL, NULL, 0 },
	{ "another file input is skipped",
	    "--" B CRLF
	    "Content-Disposition: form-data; name=\"other\"; filename=\"x\"" CRLF CRLF
	    "zzz" CRLF "--" B "--",
	    1, "other", NULL, NULL, NULL, 0 },
	{ "an empty file",
	    "--" B CRLF
	    "Content-Disposition: form-data; name=\"csv\"; filename=\"e.csv\"" CRLF CRLF
	    CRLF "--" B "--",
	    1, NULL, NULL, "", "e.csv", 0 },
	{ "a quoted name with an escape",
	    "--" B CRLF
	    "content-disposition: form-data; name=\"a\\\"b\"" CRLF CRLF
	    "v" CRLF "--" B "--",
	    1, "a\"b", "v", NULL, NULL, 0 },
	{ "file_ok refuses: nothing written",
	    "--" B CRLF
	    "Content-Disposition: form-data; name=\"csv\"; filename=\"r.csv\"" CRLF CRLF
	    "secret" CRLF "--" B "--",
	    0, NULL, NULL, NULL, NULL, 1 },
	{ "no closing delimiter", "--" B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "1", 0,
	    NULL, NULL, NULL, NULL, 0 },
	{ "no delimiter at all", "a=1&b=2", 0, NULL, NULL, NULL, NULL, 0 },
	{ "empty body", "", 0, NULL, NULL, NULL, NULL, 0 },
	{ "a part without headers", "--" B CRLF CRLF "1" CRLF "--" B "--", 0,
	    NULL, NULL, NULL, NULL, 0 },
	{ "a part that is not form-data", "--" B CRLF
	    "Content-Disposition: attachment; name=a" CRLF CRLF "1" CRLF
	    "--" B "--", 0, NULL, NULL, NULL, NULL, 0 },
	{ "a part without a name", "--" B CRLF
	    "Content-Disposition: form-data" CRLF CRLF "1" CRLF "--" B "--", 0,
	    NULL, NULL, NULL, NULL, 0 },
	{ "text after a delimiter", "--" B "x" CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "1" CRLF
	    "--" B "--", 0, NULL, NULL, NULL, NULL, 0 },
	{ "a field that is not UTF-8", "--" B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "\xff" CRLF
	    "--" B "--", 0, NULL, NULL, NULL, NULL, 0 },
	{ "two files", "--" B CRLF
	    "Content-Disposition: form-data; name=csv; filename=a" CRLF CRLF
	    "1" CRLF "--" B CRLF
	    "Content-Disposition: form-data; name=csv; filename=b" CRLF CRLF
	    "2" CRLF "--" B "--", 0, NULL, NULL, NULL, NULL, 0 },
	{ "fields too large", "--" B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF
	    "0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123456789"
	    CRLF "--" B "--", 0, NULL, NULL, NULL, NULL, 0 },
};

/* A body read in pieces of step bytes. */
struct src {
	const char	*p;
	size_t		 len, off, step;
};

static size_t
src_read(void *arg, char *buf, size_t len)
{
	struct src	*s = arg;
	size_t		 n = s->len - s->off;

	if (n > len)
		n = len;
	if (n > s->step)
		n = s->step;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return n;
}

static int
refuse(const struct form *before, void *arg)
{
	(void)before;
	return *(int *)arg ? 0 : 1;
}

/* Checks one case read in pieces of step bytes. */
static void
run(const struct body_case *c, size_t step)
{
	struct multipart_upload	 u;
	struct src		 s = { c->body, strlen(c->body), 0, step };
	const char		*why = NULL, *v;
	char			*data = NULL;
	size_t			 dlen = 0;
	FILE			*f;
	int			 rc, refused = c->refuse;

	if ((f = open_memstream(&data, &dlen)) == NULL) {
		CHECK(0, "open_memstream");
		return;
	}
	memset(&u, 0, sizeof(u));
	u.file_field = "csv";
	u.file = f;
	u.fields_max = 128;
	u.file_ok = refuse;
	u.arg = &refused;
	rc = multipart_read(B, src_read, &s, &u, &why);
	fclose(f);
	CHECK(rc == c->want, "%s (step %zu): %d, want %d (%s)", c->what, step,
	    rc, c->want, why != NULL ? why : "");
	if (rc == 1) {
		if (c->field != NULL) {
			v = form_get(&u.fields, c->field);
			if (c->value == NULL)
				CHECK(v == NULL, "%s: no field %s", c->what,
				    c->field);
			else
				CHECK_STR(v, c->value, "%s: field %s",
				    c->what, c->field);
		}
		CHECK(u.file_seen == (c->file != NULL), "%s: file seen %d",
		    c->what, u.file_seen);
		if (c->file != NULL) {
			CHECK(dlen == strlen(c->file) && u.file_size == dlen &&
			    memcmp(data, c->file, dlen) == 0,
			    "%s (step %zu): file content (%zu bytes)", c->what,
			    step, dlen);
			CHECK_STR(u.filename, c->filename, "%s: filename",
			    c->what);
		}
	} else {
		CHECK(u.fields.n == 0, "%s: no fields after a refusal", c->what);
		if (c->refuse)
			CHECK(dlen == 0, "%s: nothing written", c->what);
	}
	form_free(&u.fields);
	free(data);
}

/* A file larger than the reader's buffer, full of near-delimiters, read in uneven pieces. */
static void
big_file(void)
{
	static const char	 head[] = "--" B CRLF "Content-Disposition:"
	    " form-data; name=\"csv\"; filename=\"big.csv\"" CRLF CRLF;
	static const char	 tail[] = CRLF "--" B "--" CRLF;
	static const char	*bits[] = { "\r\n--Xy", "\r\n-", "\r", "ab",
	    "\n--XyZ", "--XyZ" };
	struct multipart_upload	 u;
	struct src		 s;
	const char		*why = NULL;
	char			*body, *file, *data = NULL;
	size_t			 flen = 0, dlen = 0, i, k;
	FILE			*f;
	int			 rc;

	if ((file = malloc(300000)) == NULL || (body = malloc(300200)) == NULL)
		return;
	for (i = 0; flen < 299000; i++) {
		k = strlen(bits[i % 6]);
		memcpy(file + flen, bits[i % 6], k);
		flen += k;
	}
	memcpy(body, head, sizeof(head) - 1);
	memcpy(body + sizeof(head) - 1, file, flen);
	memcpy(body + sizeof(head) - 1 + flen, tail, sizeof(tail) - 1);
	s = (struct src){ body, sizeof(head) - 1 + flen + sizeof(tail) - 1,
	    0, 7777 };
	f = open_memstream(&data, &dlen);
	memset(&u, 0, sizeof(u));
	u.file_field = "csv";
	u.file = f;
	u.fields_max = 128;
	rc = multipart_read(B, src_read, &s, &u, &why);
	fclose(f);
	CHECK(rc == 1, "a big file: %d (%s)", rc, why != NULL ? why : "");
	CHECK(dlen == flen && memcmp(data, file, flen) == 0,
	    "a big file arrives whole: %zu of %zu bytes", dlen, flen);
	form_free(&u.fields);
	free(data);
	free(file);
	free(body);
}

/*
 * Mangled bodies (bytes changed, dropped or cut, a deterministic
 * sequence) read in uneven pieces: always an answer, never a crash (the
 * ASan build watches), never a file larger than the body.
 */
static void
mangled(void)
{
	struct multipart_upload	 u;
	struct src		 s;
	const char		*why;
	const char		*base = bodies[0].body;
	char			 buf[1024], *data;
	size_t			 n, len, dlen, i, k;
	unsigned int		 seed = 12345;
	FILE			*f;
	int			 rc, bad = 0;

	len = strlen(base);
	for (i = 0; i < 3000; i++) {
		memcpy(buf, base, len);
		n = len;
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			switch ((seed >> 16) % 3) {
			case 0:
				buf[(seed >> 4) % n] = (char)(seed >> 8);
				break;
			case 1:
				if (n > 1) {
					size_t at = (seed >> 4) % n;

					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
				break;
			default:
				n = 1 + (seed >> 4) % n;
				break;
			}
		}
		data = NULL;
		dlen = 0;
		f = open_memstream(&data, &dlen);
		memset(&u, 0, sizeof(u));
		u.file_field = "csv";
		u.file = f;
		u.fields_max = 64;
		s = (struct src){ buf, n, 0, 1 + i % 13 };
		why = NULL;
		rc = multipart_read(B, src_read, &s, &u, &why);
		fclose(f);
		if ((rc != 0 && rc != 1) || dlen > n || (rc == 0 && why == NULL))
			bad++;
		form_free(&u.fields);
		free(data);
	}
	CHECK(bad == 0, "mangled bodies: %d odd answers", bad);
}

int
main(void)
{
	char	 out[MULTIPART_BOUNDARY_MAX + 1];
	size_t	 i, step;
	int	 rc;

	for (i = 0; ctypes[i].ctype != NULL; i++) {
		rc = multipart_boundary(ctypes[i].ctype, out, sizeof(out));
		CHECK(rc == (ctypes[i].want != NULL), "multipart_boundary(\"%s\")"
		    " = %d", ctypes[i].ctype, rc);
		if (rc && ctypes[i].want != NULL)
			CHECK_STR(out, ctypes[i].want, "boundary of \"%s\"",
			    ctypes[i].ctype);
	}
	CHECK(multipart_boundary(NULL, out, sizeof(out)) == 0, "NULL type");
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		for (step = 1; step <= strlen(bodies[i].body) + 1; step++)
			run(&bodies[i], step);
	big_file();
	mangled();
	return check_done();
}

/* The admin's forms with a file (multipart/form-data): read as they stream, the file into an unlinked temporary file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "http.h"
#include "log.h"
#include "multipart.h"
#include "parse.h"
#include "settings.h"

#define UPLOAD_FIELDS_MAX	(128 * 1024)	/* the plain fields together */
#define UPLOAD_SLACK		(256 * 1024)	/* fields and part headers around the file */

/* The body as it is read, bounded. */
struct upload_src {
	struct http	*h;
	uint64_t	 got, max;
	int		 over;		/* more than max bytes were sent */
};

static size_t
upload_read(void *arg, char *buf, size_t len)
{
	struct upload_src	*s = arg;
	size_t			 n;

	if (s->got > s->max) {
		s->over = 1;
		return 0;
	}
	if (len > s->max + 1 - s->got)
		len = (size_t)(s->max + 1 - s->got);
	n = http_read(s->h, buf, len);
	s->got += n;
	if (s->got > s->max) {
		s->over = 1;
		return 0;
	}
	return n;
}

/* Whether the fields before the file carry this user's CSRF token: no file is written for a forged form. */
static int
upload_csrf_first(const struct form *before, void *arg)
{
	struct adm	*a = arg;

	return secret_equal(form_get(before, "csrf"), a->csrf);
}

/* An unlinked temporary file for the upload, in TMPDIR (else the system's). NULL on failure (logged). */
static FILE *
upload_tmpfile(void)
{
	const char	*dir = getenv("TMPDIR");
	char		 path[1024];
	FILE		*f;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = P_tmpdir;
	if ((size_t)snprintf(path, sizeof(path), "%s/ibchannel-upload-XXXXXX",
	    dir) >= sizeof(path)) {
		log_error("upload: TMPDIR too long");
		return NULL;
	}
	if ((fd = mkstemp(path)) < 0) {
		log_error("mkstemp %s: %s", path, strerror(errno));
		return NULL;
	}
	unlink(path);
	if ((f = fdopen(fd, "w+")) == NULL) {
		log_error("fdopen: %s", strerror(errno));
		close(fd);
	}
	return f;
}

int
admin_read_upload(struct adm *a)
{
	struct multipart_upload	 u;
	struct upload_src	 src;
	const char		*ct = http_param(a->h, "CONTENT_TYPE");
	const char		*cl = http_param(a->h, "CONTENT_LENGTH");
	const char		*why = NULL;
	char			 boundary[MULTIPART_BOUNDARY_MAX + 1], msg[256];
	long			 want;
	long			 mb;
	int			 rc;

	if (!multipart_boundary(ct, boundary, sizeof(boundary))) {
		admin_fail(a, 415, "This form carries a file: it is sent as"
		    " multipart/form-data (with its boundary), as the page's"
		    " form does.");
		return 0;
	}
	mb = settings_get_long(a->st, SET_CAMPAIGN_UPLOAD_MAX_MB);
	memset(&src, 0, sizeof(src));
	src.h = a->h;
	src.max = (uint64_t)mb * 1024 * 1024 + UPLOAD_SLACK;
	snprintf(msg, sizeof(msg), "The file is too large: uploads are"
	    " limited to %ld MiB (setting campaign_upload_max_mb). Split the"
	    " list, or import it with 'ibchannel campaign import'.", mb);
	/* A length that is no number is left to the reading, which counts. */
	if (parse_long(cl, 0, LONG_MAX, &want) && (uint64_t)want > src.max) {
		admin_fail(a, 413, msg);
		return 0;
	}
	if ((a->upload = upload_tmpfile()) == NULL) {
		admin_fail(a, 500, "No room for the upload: the temporary"
		    " directory could not be written.");
		return 0;
	}
	memset(&u, 0, sizeof(u));
	u.file_field = "csv";
	u.file = a->upload;
	u.fields_max = UPLOAD_FIELDS_MAX;
	u.file_ok = upload_csrf_first;
	u.arg = a;
	rc = multipart_read(boundary, upload_read, &src, &u, &why);
	if (rc <= 0) {
		if (src.over)
			admin_fail(a, 413, msg);
		else if (rc < 0)
			admin_fail(a, 500, "The upload could not be stored"
			    " (out of memory or disk space).");
		else if (strcmp(why, "refused before the file") == 0)
			admin_fail(a, 403, "The form's security token is"
			    " missing or wrong: reload the page and try"
			    " again.");
		else {
			snprintf(msg, sizeof(msg), "The form could not be"
			    " read: %s.", why);
			admin_fail(a, 400, msg);
		}
		return 0;
	}
	a->f = u.fields;
	a->upload_size = u.file_seen ? u.file_size : 0;
	/* Shown on the page: only when it is UTF-8 text. */
	if (form_utf8_valid(u.filename, strlen(u.filename)))
		snprintf(a->upload_name, sizeof(a->upload_name), "%s",
		    u.filename);
	if (!u.file_seen) {
		/* No file chosen: the handler says so next to the field. */
		fclose(a->upload);
		a->upload = NULL;
	} else
		rewind(a->upload);
	return 1;
}

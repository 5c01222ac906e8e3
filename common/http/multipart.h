/* multipart/form-data bodies read as they stream: plain fields into a form, one file part into a FILE, in bounded memory. */
#ifndef MULTIPART_H
#define MULTIPART_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "form.h"

#define MULTIPART_BOUNDARY_MAX	70	/* RFC 2046 */
#define MULTIPART_HEADERS_MAX	8192	/* one part's header block */

/*
 * The boundary of a Content-Type "multipart/form-data; boundary=...",
 * quoted or not, into out (MULTIPART_BOUNDARY_MAX + 1 bytes). 1 found,
 * 0 not multipart/form-data or no valid boundary.
 */
int	 multipart_boundary(const char *ctype, char *out, size_t outsz);

/*
 * Where a body's parts go. Plain fields are collected (at most
 * fields_max bytes together) into fields, decoded and checked as
 * form_parse does (UTF-8, no NUL, a browser's CR LF as LF); the content
 * of the part named file_field goes to file. Before the first byte of it
 * is written, file_ok (may be NULL) is called with the fields that came
 * before it: 0 refuses the body (the file is never written).
 */
struct multipart_upload {
	const char	*file_field;
	FILE		*file;
	size_t		 fields_max;
	int		(*file_ok)(const struct form *before, void *arg);
	void		*arg;
	/* What was read. */
	struct form	 fields;		/* form_free it */
	int		 file_seen;		/* the file part was there */
	uint64_t	 file_size;
	char		 filename[256];		/* as the browser named it, "" none */
};

/*
 * Reads a multipart/form-data body through read (len bytes at most into
 * buf, 0 at the end of the body) with boundary. Returns 1 read to its
 * closing delimiter; 0 malformed, refused by file_ok or fields too large
 * (*why, a static text for people); < 0 out of memory or the file could
 * not be written. Initialise u->fields with form_init first; after
 * anything but 1 it holds nothing.
 */
int	 multipart_read(const char *boundary,
	    size_t (*read)(void *arg, char *buf, size_t len), void *read_arg,
	    struct multipart_upload *u, const char **why);

#endif

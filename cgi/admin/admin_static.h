/* The admin's style sheet and script, built into the program (cgi/admin/static/, embedded by cgi/admin/static/embed.sh). */
#ifndef ADMIN_STATIC_H
#define ADMIN_STATIC_H

#include <stddef.h>

struct admin_static {
	const char	*name;		/* "admin.css" */
	const char	*type;		/* its Content-Type */
	const char	*hash;		/* of its content: the ETag */
	const char	*data;
	size_t		 len;
};

/* The file called name, or NULL. */
const struct admin_static *admin_static_find(const char *name);

#endif

/* The operator forms as tables: each field named once, walked by the admin's pages and the command line's options. */
#ifndef OPS_FORM_H
#define OPS_FORM_H

#include <stddef.h>

/*
 * A form of the operations layer (struct ops_connection_form and the
 * others) is a struct of borrowed strings, one per field. Its table says,
 * for each field in the order a page shows them: the name (the POSTed
 * field, the field of an ops_error), what people read (label, help), what
 * kind of value it holds, and which command line option gives it. The
 * admin reads a POST, keeps errors and renders a form by walking the
 * table; the command line takes its form options from it.
 */

/* What a field holds, which decides how it is typed and shown. */
enum ops_field_kind {
	OPS_FIELD_TEXT,		/* one line */
	OPS_FIELD_LINES,	/* several lines (a textarea) */
	OPS_FIELD_SECRET,	/* a key: shown masked, never shown back as typed, read from a file's first line */
	OPS_FIELD_CHOICE,	/* one of a list the page offers (a select) */
	OPS_FIELD_DATETIME,	/* a local date and time */
};

/* Flags of a field. */
#define OPS_FIELD_NOFILL	1	/* a browser should not suggest earlier values */

/* One field of a form. */
struct ops_field {
	const char		*name;		/* POSTed name, ops_error field */
	const char		*label;
	enum ops_field_kind	 kind;
	int			 required;
	const char		*help;		/* NULL: none */
	const char		*help_edit;	/* help when editing a saved one, NULL: help */
	const char		*placeholder;	/* an example value, NULL: none */
	int			 lines;		/* OPS_FIELD_LINES: rows shown, 0 default */
	unsigned		 flags;		/* OPS_FIELD_* */
	size_t			 offset;	/* of its const char * in the form struct */
	const char		*cli_option;	/* --option with the value, NULL: none */
	const char		*cli_file;	/* --option naming a file with it, NULL: none */
};

/* A form: its fields, in order. */
struct ops_form {
	const struct ops_field	*field;
	size_t			 n;
};

#define OPS_FORM_FIELDS_MAX	12	/* the most fields a form has */

/* The value of field f in the form struct form (NULL: not given). */
const char	*ops_form_get(const struct ops_field *, const void *form);
/* Sets the value of field f in the form struct form. */
void		 ops_form_set(const struct ops_field *, void *form,
		    const char *value);

/* The connection form (struct ops_connection_form), by index. */
enum ops_connection_field {
	OPS_CONN_NAME,
	OPS_CONN_DESCRIPTION,
	OPS_CONN_API_KEY,
	OPS_CONN_API_URL,
	OPS_CONN_SENDER,
	OPS_CONN__MAX,
};
extern const struct ops_form	ops_connection_fields;

/* The agent form (struct ops_agent_form), by index. */
enum ops_agent_field {
	OPS_AGENT_NAME,
	OPS_AGENT_KIND,
	OPS_AGENT_INSTRUCTIONS,
	OPS_AGENT_URL,
	OPS_AGENT_MODEL,
	OPS_AGENT_API_KEY,
	OPS_AGENT__MAX,
};
extern const struct ops_form	ops_agent_fields;

/* The campaign form (struct ops_campaign_form), by index. */
enum ops_campaign_field {
	OPS_CAMP_NAME,
	OPS_CAMP_CONNECTION,
	OPS_CAMP_AGENT,
	OPS_CAMP_TEXT,
	OPS_CAMP_START,
	OPS_CAMP_TZ,
	OPS_CAMP_WINDOW,
	OPS_CAMP_RATE,
	OPS_CAMP__MAX,
};
extern const struct ops_form	ops_campaign_fields;

/* The user form (struct ops_user_form), by index. */
enum ops_user_field {
	OPS_USER_USERNAME,
	OPS_USER_ROLE,
	OPS_USER__MAX,
};
extern const struct ops_form	ops_user_fields;

#endif

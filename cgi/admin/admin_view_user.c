/* View of the Users page: who may use the admin, with which role. */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "http.h"

static const char *const roles[] = {
	"viewer", "Viewer: reads everything",
	"operator", "Operator: answers sessions",
	"admin", "Admin: everything",
	NULL, NULL,
};

void
view_users_open(struct adm *a, int status, const struct user_page *up)
{
	page_open(a, status, SECTION_USERS, "Users");
	out_html(a, "<h1>Users</h1><p class=\"help\">The web server signs"
	    " people in; this list says what each may do. A viewer reads"
	    " everything; an operator also takes sessions over, replies,"
	    " hands back and closes them; an admin does everything.</p>\n");
	page_notice(a);
	if (up->error != NULL)
		callout(a, "bad", "Not saved:", up->error);
	out_html(a, "<div class=\"table-wrap\"><table class=\"list\""
	    " id=\"users\"><thead><tr><th scope=\"col\">User</th>"
	    "<th scope=\"col\">Role</th><th scope=\"col\">Added</th>"
	    "<th scope=\"col\"><span class=\"sr\">Actions</span></th>"
	    "</tr></thead><tbody>\n");
}

int
view_users_row(const struct store_user_row *u, void *arg)
{
	struct list_ctx	*lc = arg;
	struct adm	*a = lc->a;
	char		 label[300];

	out_html(a, "<tr data-user=\"");
	http_html_attr(a->h, u->username);
	out_html(a, "\"><th scope=\"row\">");
	out_text(a, u->username);
	out_html(a, "</th><td>");
	form_open(a, "row", "/admin/users");
	field_hidden(a, "username", u->username);
	snprintf(label, sizeof(label), "Role of %s", u->username);
	out_html(a, "<label class=\"sr\" for=\"role-");
	http_html_attr(a->h, u->username);
	out_html(a, "\">");
	out_text(a, label);
	out_html(a, "</label><select name=\"role\" id=\"role-");
	http_html_attr(a->h, u->username);
	out_html(a, "\">");
	for (const char *const *r = roles; r[0] != NULL; r += 2) {
		out_html(a, "<option value=\"");
		http_html_attr(a->h, r[0]);
		out_html_either(a, strcmp(r[0], user_role_name(u->role)) == 0,
		    "\" selected>",
		    "\">");
		out_text(a, r[0]);
		out_html(a, "</option>");
	}
	out_html(a, "</select>");
	button_submit(a, "Save", "small");
	form_close(a);
	out_html(a, "</td><td>");
	out_time(a, u->created_at);
	out_html(a, "</td><td>");
	form_open(a, "inline", "/admin/users/delete");
	field_hidden(a, "username", u->username);
	button_submit(a, "Delete", "small danger ghost");
	form_close(a);
	out_html(a, "</td></tr>\n");
	lc->rows++;
	return 1;
}

void
view_users_close(struct adm *a, const struct user_page *up, int rows)
{
	struct form_view	 v;

	out_html(a, "</tbody></table></div>\n");
	if (rows == 0)
		out_html(a, "<p class=\"empty\">No users yet.</p>");
	out_html(a, "<section class=\"panel\"><h2>Add a user</h2>");
	form_open(a, "inline-fields", "/admin/users");
	v = up->fv;
	v.form = &ops_user_fields;
	v.options[OPS_USER_ROLE] = roles;
	if (v.value[OPS_USER_ROLE] == NULL)
		v.value[OPS_USER_ROLE] = "viewer";
	form_view_fields(a, &v, 0, OPS_USER__MAX);
	button_submit(a, "Add", "primary");
	form_close(a);
	out_html(a, "</section>\n");
	page_close(a);
}

/* Handlers of the Users page: list, add or change a role, delete. */
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "ops.h"

/* Writes the page; up carries a refused form's error and values. */
static void
user_page(struct adm *a, int status, const struct user_page *up)
{
	struct list_ctx	 lc = { .a = a };

	view_users_open(a, status, up);
	if (ops_user_each(&a->ops, view_users_row, &lc) < 0)
		view_list_failed(a);
	view_users_close(a, up, lc.rows);
}

void
user_list(struct adm *a)
{
	struct user_page	 up;

	memset(&up, 0, sizeof(up));
	up.fv.form = &ops_user_fields;
	user_page(a, 200, &up);
}

/* Back to the list with notice, or the list with why not. */
static void
user_after(struct adm *a, int rc, const struct ops_error *e,
    const char *notice)
{
	struct user_page	 up;
	struct ops_user_form	 uf;

	if (rc > 0) {
		admin_redirect(a, notice, "/users");
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	memset(&uf, 0, sizeof(uf));
	form_view_read(a, &ops_user_fields, &uf);
	memset(&up, 0, sizeof(up));
	up.error = ops_error_text(e);
	form_view_fill(&up.fv, &ops_user_fields, &uf);
	user_page(a, admin_ops_status(e), &up);
}

void
user_set(struct adm *a)
{
	struct ops_error	 e;
	struct ops_user_form	 uf;

	memset(&uf, 0, sizeof(uf));
	form_view_read(a, &ops_user_fields, &uf);
	user_after(a, ops_user_set(&a->ops, uf.username != NULL ? uf.username :
	    "", uf.role != NULL ? uf.role : "", &e), &e, "user-saved");
}

void
user_delete(struct adm *a)
{
	struct ops_error	 e;
	const char		*u = arg(a, "username");

	user_after(a, ops_user_delete(&a->ops, u != NULL ? u : "", &e), &e,
	    "user-deleted");
}

/* Handlers of the Settings page: every setting of the table, changed through ops_settings_set as `ibchannel settings set` does. */
#include <string.h>

#include "admin.h"
#include "admin_view.h"
#include "ops.h"
#include "settings.h"

/*
 * Writes the page: each setting with its value as settings_get reads it,
 * except the one a refused form names (typed value and reason shown).
 */
static void
settings_page(struct adm *a, int status, const struct settings_page *sp)
{
	const struct setting_def	*d;
	struct setting_view		 v;
	char				 buf[4096];
	int				 g, failed = 0;

	view_settings_open(a, status, sp);
	for (g = 0; g < SETTING_GROUP__MAX; g++) {
		view_settings_group_open(a, settings_group_names[g]);
		for (d = settings_table; d->name != NULL; d++) {
			if ((int)d->group != g)
				continue;
			memset(&v, 0, sizeof(v));
			v.d = d;
			if (sp->name != NULL && strcmp(sp->name, d->name) == 0) {
				v.value = sp->value;
				v.error = sp->error;
			} else {
				if (settings_get(a->st, d->id, buf,
				    sizeof(buf)) < 0)
					failed = 1;
				v.value = buf;
			}
			view_setting(a, &v);
		}
		view_settings_group_close(a);
	}
	if (failed)
		view_list_failed(a);
	view_settings_close(a);
}

void
settings_show(struct adm *a)
{
	struct settings_page	 sp;

	memset(&sp, 0, sizeof(sp));
	settings_page(a, 200, &sp);
}

/*
 * Back to the page after ops_settings_set returned rc: a redirect with
 * notice when done, else the page with the typed value and the reason
 * next to its field.
 */
static void
settings_after(struct adm *a, int rc, const struct ops_error *e,
    const char *notice)
{
	struct settings_page	 sp;
	const char		*name = arg(a, "name");

	if (rc > 0) {
		admin_redirect(a, notice, "/settings");
		return;
	}
	if (rc < 0) {
		admin_store_error(a);
		return;
	}
	memset(&sp, 0, sizeof(sp));
	if (name != NULL && settings_find(name) != NULL) {
		sp.name = name;
		sp.value = arg(a, "value");
		sp.error = ops_error_text(e);
	} else
		sp.error_all = ops_error_text(e);
	settings_page(a, admin_ops_status(e), &sp);
}

void
settings_save(struct adm *a)
{
	struct ops_error	 e;
	const char		*value = arg(a, "value");

	settings_after(a, ops_settings_set(&a->ops, arg(a, "name"),
	    value != NULL ? value : "", &e), &e, "setting-saved");
}

void
settings_default(struct adm *a)
{
	struct ops_error	 e;

	settings_after(a, ops_settings_set(&a->ops, arg(a, "name"), NULL, &e),
	    &e, "setting-default");
}

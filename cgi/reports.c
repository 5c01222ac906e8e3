/* reports.fcgi: Infobip's delivery reports and click notifications. */
#include <string.h>

#include "app.h"
#include "http.h"
#include "store.h"
#include "webhook.h"

static void
handle(struct http *h, struct store *st)
{
	char		 id[STORE_ID_LEN + 1];
	const char	*rest;

	if (!app_channel_route(http_path(h), id, &rest)) {
		http_error(h, 404, "unknown connection");
		return;
	}
	if (strcmp(rest, "webhook/reports") == 0)
		app_webhook(h, st, id, "report", webhook_reports);
	else if (strcmp(rest, "webhook/clicks") == 0)
		app_webhook(h, st, id, "click", webhook_clicks);
	else
		http_error(h, 404, "no such resource");
}

int
main(void)
{
	return app_run("reports", handle);
}

/* reports.fcgi: Infobip's delivery reports and click notifications. */
#include <stddef.h>

#include "app.h"
#include "webhook.h"

static void
reports(struct http *h, struct store *st, const char *id)
{
	app_webhook(h, st, id, "report", webhook_reports);
}

static void
clicks(struct http *h, struct store *st, const char *id)
{
	app_webhook(h, st, id, "click", webhook_clicks);
}

static const struct app_route routes[] = {
	{ "webhook/reports", reports },
	{ "webhook/clicks", clicks },
	{ NULL, NULL },
};

static void
handle(struct http *h, struct store *st)
{
	app_channel_dispatch(h, st, routes);
}

int
main(void)
{
	return app_run("reports", handle);
}

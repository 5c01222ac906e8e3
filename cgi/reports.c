/* reports.fcgi: Infobip's delivery reports and click notifications. */
#include <stddef.h>

#include "app.h"
#include "webhook.h"

static void
reports(struct http *h, const char *id)
{
	app_webhook(h, id, "report", WEBHOOK_REPORTS);
}

static void
clicks(struct http *h, const char *id)
{
	app_webhook(h, id, "click", WEBHOOK_CLICKS);
}

static const struct app_route routes[] = {
	{ "webhook/reports", reports },
	{ "webhook/clicks", clicks },
	{ NULL, NULL },
};

static void
handle(struct http *h)
{
	app_channel_dispatch(h, routes);
}

int
main(void)
{
	return app_run("reports", handle);
}

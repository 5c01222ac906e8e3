/* inbound.fcgi: placeholder until its issue lands; answers 501. */
#include "app.h"
#include "http.h"

static void
handle(struct http *h, struct store *st)
{
	(void)st;
	http_error(h, 501, "not implemented yet");
}

int
main(void)
{
	return app_run("inbound", handle);
}

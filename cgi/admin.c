/* admin.fcgi: placeholder until its issue lands; answers 501. */
#include "app.h"
#include "http.h"

static void
handle(struct http *h)
{
	http_error(h, 501, "not implemented yet");
}

int
main(void)
{
	return app_run("admin", handle);
}

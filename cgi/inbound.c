/* inbound.fcgi: Infobip's forwarded SMS (POST /channel/{id}/webhook/sms), the send API, the public docs page and /health; the routes. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "http.h"
#include "inbound.h"
#include "payload.h"
#include "store.h"
#include "webhook.h"

/* The write /health makes: small, but a real commit, so a store that only reads fails it. */
static int
health_write(struct store *st, void *arg)
{
	(void)arg;
	return store_heartbeat(st, "health");
}

/*
 * GET /health, for load balancers (no authentication): 200 when the store
 * opens and takes a write (through the writer, as the webhooks' writes
 * go), 503 otherwise; both say when the sender last ran and, for a store
 * on a server, how many standbys stream from it and how many are
 * synchronous (a lost standby leaves it 200: commits go on).
 */
static void
health(struct http *h)
{
	struct store_replication rep;
	struct store_heartbeat	 hb;
	struct store		*st;
	char			*body;
	int			 ok, known = 0, repl = 0;

	if (strcmp(http_method(h), "GET") != 0 &&
	    strcmp(http_method(h), "HEAD") != 0) {
		app_method_not_allowed(h, "GET, HEAD");
		return;
	}
	ok = (st = app_store()) != NULL && app_write(health_write, NULL, 1) > 0;
	if (st != NULL) {
		known = store_heartbeat_get(st, "sender", &hb) > 0;
		repl = ok && store_replication(st, &rep) > 0;
	}
	if ((body = payload_health(ok, repl ? rep.standbys : -1, repl ?
	    rep.synchronous : 0, known ? hb.at : NULL, known ? hb.age_s :
	    0)) == NULL) {
		http_error(h, 500, "out of memory");
		return;
	}
	http_open(h, ok ? 200 : 503, "application/json");
	if (strcmp(http_method(h), "GET") == 0) {
		http_puts(h, body);
		http_puts(h, "\n");
	}
	free(body);
}

static void
sms(struct http *h, const char *id)
{
	app_webhook(h, id, "inbound", WEBHOOK_INBOUND);
}

static const struct app_route routes[] = {
	{ "webhook/sms", sms },
	{ "docs", inbound_docs },
	{ "messages", inbound_api_post },
	{ NULL, NULL },
};

static void
handle(struct http *h)
{
	char		 id[STORE_ID_LEN + 1];
	const char	*rest;

	if (strcmp(http_path(h), "/health") == 0)
		health(h);
	else if (app_channel_route(http_path(h), id, &rest) &&
	    strncmp(rest, "messages/", 9) == 0)
		inbound_api_get(h, id, rest + 9);
	else
		app_channel_dispatch(h, routes);
}

int
main(void)
{
	return app_run("inbound", handle);
}

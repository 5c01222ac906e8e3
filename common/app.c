/* The shared shape of the FastCGI programs: log, signals, store, request loop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "app.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "payload.h"
#include "secret.h"
#include "store.h"
#include "webhook.h"

static volatile sig_atomic_t	 app_quit;
static struct store		*app_store;
static app_handler		 app_fn;

static void
on_term(int sig)
{
	(void)sig;
	app_quit = 1;
	FCGX_ShutdownPending();
}

/*
 * Whether the key file decrypts the store's secrets (config_load_key):
 * 1 yes, 0 no, < 0 could not tell (a store error); logs why not.
 */
static int
key_check(struct store *st)
{
	unsigned char	 key[SECRET_KEY_LEN];
	const char	*why;
	int		 rc;

	rc = config_load_key(st, key, &why);
	explicit_bzero(key, sizeof(key));
	if (rc <= 0)
		log_error("key file: %s", why != NULL ? why : "unusable");
	return rc;
}

static void
dispatch(struct http *h, void *arg)
{
	(void)arg;
	if (app_store == NULL) {
		if (store_open(NULL, STORE_OPEN_EXISTING, &app_store) <= 0)
			log_error("store %s cannot be opened",
			    store_default_path());
		else if (key_check(app_store) <= 0) {
			store_close(app_store);
			app_store = NULL;
		}
	}
	app_fn(h, app_store);
}

int
app_run(const char *prog, app_handler fn)
{
	struct sigaction	 sa;
	const char		*why;
	int			 rc;

	log_init(prog);
	if (!store_sync_valid(&why)) {
		log_error("%s; not starting", why);
		return 1;
	}
	/*
	 * A key file that does not belong to the store stops us here,
	 * loudly. A store that does not exist yet, or cannot tell now, is
	 * checked again when a request opens it.
	 */
	if (store_open(NULL, STORE_OPEN_EXISTING, &app_store) > 0 &&
	    (rc = key_check(app_store)) <= 0) {
		store_close(app_store);
		app_store = NULL;
		if (rc == 0) {
			log_error("not starting");
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	app_fn = fn;
	rc = http_serve(dispatch, NULL, &app_quit);
	store_close(app_store);
	return rc == 0 ? 0 : 1;
}

int
app_channel_route(const char *path, char *id, const char **rest)
{
	const char	*p;

	if ((p = strstr(path, "/channel/")) == NULL)
		return 0;
	p += strlen("/channel/");
	if (strlen(p) < STORE_ID_LEN + 1 || p[STORE_ID_LEN] != '/')
		return 0;
	memcpy(id, p, STORE_ID_LEN);
	id[STORE_ID_LEN] = '\0';
	if (!store_id_valid(id))
		return 0;
	*rest = p + STORE_ID_LEN + 1;
	return 1;
}

void
app_method_not_allowed(struct http *h, const char *allow)
{
	http_open_headers(h, 405, "application/json");
	http_header(h, "Allow", allow);
	http_header(h, NULL, NULL);
	http_puts(h, "{\"error\": \"method not allowed; use ");
	http_puts(h, allow);
	http_puts(h, "\"}\n");
}

void
app_webhook(struct http *h, struct store *st, const char *id,
    const char *what, app_webhook_fn fn)
{
	struct store_connection	 c;
	struct webhook_result	 res;
	const char		*body, *why = NULL;
	char			*summary;
	size_t			 len;
	int			 rc;

	if (strcmp(http_method(h), "POST") != 0) {
		app_method_not_allowed(h, "POST");
		return;
	}
	if (st == NULL) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	if ((rc = store_connection_get(st, id, &c)) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	if (rc == 0) {
		http_error(h, 404, "unknown connection");
		return;
	}
	if (!http_content_is_json(h)) {
		store_log(st, c.id, "warn", what, "refused: Content-Type is"
		    " not JSON");
		http_error(h, 415, "Content-Type must be application/json");
		return;
	}
	if ((rc = http_body(h, HTTP_BODY_MAX, &body, &len)) <= 0) {
		store_log(st, c.id, "warn", what, "refused: %s", rc == 0 ?
		    "body larger than 1 MiB" : "body could not be read");
		if (rc == 0)
			http_error(h, 413, "body larger than 1 MiB");
		else
			http_error(h, 400, "body could not be read");
		return;
	}
	if ((rc = fn(st, &c, body, len, &res, &why)) < 0) {
		http_error(h, 503, "store unavailable; retry later");
		return;
	}
	if (rc == 0) {
		store_log(st, c.id, "warn", what, "refused: %s", why);
		http_error(h, 400, why);
		return;
	}
	if ((summary = payload_webhook_summary(&res)) == NULL) {
		http_error(h, 500, "out of memory");
		return;
	}
	http_open(h, 200, "application/json");
	http_puts(h, summary);
	http_puts(h, "\n");
	free(summary);
}

void
app_channel_dispatch(struct http *h, struct store *st,
    const struct app_route *routes)
{
	char		 id[STORE_ID_LEN + 1];
	const char	*rest;

	if (!app_channel_route(http_path(h), id, &rest)) {
		http_error(h, 404, "unknown connection");
		return;
	}
	for (; routes->rest != NULL; routes++)
		if (strcmp(rest, routes->rest) == 0) {
			routes->fn(h, st, id);
			return;
		}
	http_error(h, 404, "no such resource");
}

/* The shared shape of the FastCGI programs: log, signals, store, request loop. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#include "app.h"
#include "http.h"
#include "log.h"
#include "store.h"

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

static void
dispatch(struct http *h, void *arg)
{
	(void)arg;
	if (app_store == NULL &&
	    store_open(NULL, STORE_OPEN_EXISTING, &app_store) <= 0) {
		log_error("store %s cannot be opened", store_default_path());
		app_store = NULL;
	}
	app_fn(h, app_store);
}

int
app_run(const char *prog, app_handler fn)
{
	struct sigaction	 sa;
	int			 rc;

	log_init(prog);
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

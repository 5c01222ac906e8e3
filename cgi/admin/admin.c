/* admin.fcgi: the operators' pages under /admin/ — routing, users and roles, CSRF, then a handler. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "admin_campaign.h"
#include "admin_static.h"
#include "app.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "store_admin.h"
#include "url.h"

#define ADMIN_BODY_MAX	(256 * 1024)	/* instructions are at most 64 KiB */

/*
 * The routes. A pattern's segments match literally, except {conn} (a
 * connection id, into a->id) and {n} (a positive number, into a->n).
 * GET routes read; each POST route names the right it needs, checked
 * with the CSRF token before its handler runs.
 */
static const struct route {
	const char		*method;
	const char		*pattern;
	void			(*fn)(struct adm *);
	enum ops_right		 right;
} routes[] = {
	{ "GET", "/admin/", conn_list, OPS_READ },
	{ "GET", "/admin/connections", conn_list, OPS_READ },
	{ "GET", "/admin/connections/new", conn_new, OPS_CONFIGURE },
	{ "POST", "/admin/connections/new", conn_create, OPS_CONFIGURE },
	{ "GET", "/admin/connections/{conn}", conn_show, OPS_READ },
	{ "POST", "/admin/connections/{conn}", conn_save, OPS_CONFIGURE },
	{ "POST", "/admin/connections/{conn}/start", conn_start, OPS_CONFIGURE },
	{ "POST", "/admin/connections/{conn}/stop", conn_stop, OPS_CONFIGURE },
	{ "POST", "/admin/connections/{conn}/delete", conn_delete,
	    OPS_CONFIGURE },
	{ "POST", "/admin/connections/{conn}/env", conn_env_set, OPS_CONFIGURE },
	{ "POST", "/admin/connections/{conn}/env/delete", conn_env_unset,
	    OPS_CONFIGURE },
	{ "GET", "/admin/connections/{conn}/logs", conn_logs, OPS_READ },
	{ "GET", "/admin/connections/{conn}/status", conn_status_json,
	    OPS_READ },
	{ "GET", "/admin/agents", agent_list, OPS_READ },
	{ "GET", "/admin/agents/new", agent_new, OPS_CONFIGURE },
	{ "POST", "/admin/agents/new", agent_create, OPS_CONFIGURE },
	{ "GET", "/admin/agents/{n}", agent_show, OPS_READ },
	{ "POST", "/admin/agents/{n}", agent_save, OPS_CONFIGURE },
	{ "POST", "/admin/agents/{n}/start", agent_start, OPS_CONFIGURE },
	{ "POST", "/admin/agents/{n}/stop", agent_stop, OPS_CONFIGURE },
	{ "POST", "/admin/agents/{n}/delete", agent_delete, OPS_CONFIGURE },
	{ "POST", "/admin/agents/{n}/attach", agent_attach, OPS_CONFIGURE },
	{ "POST", "/admin/agents/{n}/detach", agent_detach, OPS_CONFIGURE },
	/* Answers without sending or storing anything. */
	{ "POST", "/admin/agents/{n}/try", agent_try, OPS_READ },
	{ "POST", "/admin/agents/{n}/tokens", agent_token_add, OPS_CONFIGURE },
	{ "POST", "/admin/agents/{n}/tokens/revoke", agent_token_revoke,
	    OPS_CONFIGURE },
	{ "GET", "/admin/sessions", session_list, OPS_READ },
	{ "GET", "/admin/sessions/{n}", session_show, OPS_READ },
	{ "GET", "/admin/sessions/{n}/export", session_export, OPS_READ },
	{ "GET", "/admin/sessions/{n}/live", session_live, OPS_READ },
	{ "POST", "/admin/sessions/{n}/takeover", session_takeover,
	    OPS_SESSIONS },
	{ "POST", "/admin/sessions/{n}/release", session_release,
	    OPS_SESSIONS },
	{ "POST", "/admin/sessions/{n}/reply", session_reply, OPS_SESSIONS },
	{ "POST", "/admin/sessions/{n}/close", session_close, OPS_SESSIONS },
	{ "GET", "/admin/campaigns", camp_list, OPS_READ },
	{ "GET", "/admin/campaigns/new", camp_new, OPS_CONFIGURE },
	{ "POST", "/admin/campaigns/new", camp_create, OPS_CONFIGURE },
	{ "GET", "/admin/campaigns/progress", camp_import_progress, OPS_READ },
	{ "GET", "/admin/campaigns/{n}", camp_show, OPS_READ },
	{ "GET", "/admin/campaigns/{n}/status", camp_status_json, OPS_READ },
	{ "GET", "/admin/campaigns/{n}/export.csv", camp_export, OPS_READ },
	{ "POST", "/admin/campaigns/{n}/import", camp_import, OPS_CONFIGURE },
	{ "POST", "/admin/campaigns/{n}/start", camp_start, OPS_CONFIGURE },
	{ "POST", "/admin/campaigns/{n}/pause", camp_pause, OPS_CONFIGURE },
	{ "POST", "/admin/campaigns/{n}/resume", camp_resume, OPS_CONFIGURE },
	{ "POST", "/admin/campaigns/{n}/cancel", camp_cancel, OPS_CONFIGURE },
	{ "GET", "/admin/dashboard", dash_show, OPS_READ },
	{ "GET", "/admin/metrics", metrics_show, OPS_READ },
	{ "GET", "/admin/users", user_list, OPS_CONFIGURE },
	{ "POST", "/admin/users", user_set, OPS_CONFIGURE },
	{ "POST", "/admin/users/delete", user_delete, OPS_CONFIGURE },
	{ "GET", "/admin/settings", settings_show, OPS_CONFIGURE },
	{ "POST", "/admin/settings", settings_save, OPS_CONFIGURE },
	{ "POST", "/admin/settings/default", settings_default, OPS_CONFIGURE },
	{ "GET", "/admin/outbox", outbox_show, OPS_READ },
	{ "POST", "/admin/outbox/resend", outbox_resend_selected, OPS_SESSIONS },
	{ "POST", "/admin/outbox/fail", outbox_fail_selected, OPS_SESSIONS },
	{ "POST", "/admin/outbox/{n}/resend", outbox_resend_one, OPS_SESSIONS },
	{ "POST", "/admin/outbox/{n}/fail", outbox_fail_one, OPS_SESSIONS },
};

/* The POST handlers whose form carries a file (multipart/form-data, admin_upload.c). */
static void (*const upload_handlers[])(struct adm *) = {
	camp_create,
	camp_import,
};

/* Whether route r takes a form with a file. */
static int
route_upload(const struct route *r)
{
	size_t	 i;

	for (i = 0; i < sizeof(upload_handlers) / sizeof(upload_handlers[0]);
	    i++)
		if (r->fn == upload_handlers[i])
			return 1;
	return 0;
}

int
admin_can(const struct adm *a, enum ops_right r)
{
	return ops_role_may(a->role, r);
}

const char *
arg(const struct adm *a, const char *name)
{
	const char	*v;

	if ((v = form_get(&a->f, name)) != NULL)
		return v;
	return form_get(&a->q, name);
}

const char *
arg_trim(const struct adm *a, const char *name, char *buf, size_t bufsz)
{
	const char	*v = arg(a, name);
	size_t		 n;

	if (v == NULL)
		v = "";
	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* Matches one path against a pattern; fills a->id and a->n. 1 matched. */
static int
route_match(struct adm *a, const char *pattern, const char *path)
{
	const char	*p = pattern, *s = path;
	char		 num[24];
	size_t		 n;

	while (*p != '\0') {
		if (strncmp(p, "{conn}", 6) == 0) {
			n = strcspn(s, "/");
			if (n != STORE_ID_LEN)
				return 0;
			memcpy(a->id, s, n);
			a->id[n] = '\0';
			if (!store_id_valid(a->id))
				return 0;
			p += 6;
			s += n;
		} else if (strncmp(p, "{n}", 3) == 0) {
			/* One spelling per number: no leading zero. */
			n = strcspn(s, "/");
			if (*s == '0' || n >= sizeof(num))
				return 0;
			memcpy(num, s, n);
			num[n] = '\0';
			if (!parse_id(num, &a->n))
				return 0;
			p += 3;
			s += n;
		} else if (*p++ != *s++)
			return 0;
	}
	return *s == '\0';
}

/* The headers a proxy adds: a request carrying one came through it, whatever its address. */
static const char *const proxy_headers[] = {
	"HTTP_FORWARDED",
	"HTTP_X_FORWARDED_FOR",
	"HTTP_VIA",
};

/*
 * Whether the request comes from this machine to this machine, straight:
 * REMOTE_ADDR and SERVER_ADDR loopback, and no proxy header (a reverse
 * proxy on this machine would make every remote request look local).
 */
static int
from_loopback(struct http *h)
{
	static const char *const addrs[] = { "REMOTE_ADDR", "SERVER_ADDR" };
	const char		*ip;
	size_t			 i;

	for (i = 0; i < sizeof(proxy_headers) / sizeof(proxy_headers[0]); i++)
		if (http_param(h, proxy_headers[i]) != NULL)
			return 0;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		if ((ip = http_param(h, addrs[i])) == NULL ||
		    !url_host_is_loopback(ip, strlen(ip)))
			return 0;
	return 1;
}

/*
 * Who is asking: REMOTE_USER and the users table. 1 known (a->user,
 * a->role set), 0 answered (401, 403 or 503).
 */
static int
authenticate(struct adm *a)
{
	const char	*user = http_param(a->h, "REMOTE_USER");
	const char	*noauth = getenv("IBCHANNEL_ADMIN_NO_AUTH");
	int		 rc;

	if (user == NULL || *user == '\0') {
		if (noauth != NULL && strcmp(noauth, "1") == 0 &&
		    from_loopback(a->h)) {
			snprintf(a->user, sizeof(a->user), "local");
			a->role = ROLE_ADMIN;
			a->noauth = 1;
			return 1;
		}
		admin_fail(a, 401, "The web server did not say who you are:"
		    " the admin must be behind its authentication (see"
		    " INSTALL.md).");
		return 0;
	}
	if (strlen(user) >= sizeof(a->user)) {
		admin_fail(a, 403, "This user may not use the admin.");
		return 0;
	}
	/* a->user stays empty until the role is known: a page shows no role it made up. */
	if ((rc = store_user_role(a->st, user, &a->role)) < 0) {
		admin_store_error(a);
		return 0;
	}
	if (rc == 0) {
		admin_fail(a, 403, "This user may not use the admin: an"
		    " administrator adds users on the Users page or with"
		    " 'ibchannel user set'.");
		return 0;
	}
	snprintf(a->user, sizeof(a->user), "%s", user);
	return 1;
}

/*
 * Whether a POST may act: the form's CSRF token is this user's, and the
 * browser's Origin, when it sends one, is this host over http or https.
 * "null" (a sandboxed frame, a data: page, a redirect across origins) is
 * no origin of ours; no Origin at all is an older client: the token decides.
 */
static int
csrf_ok(struct adm *a)
{
	static const char *const schemes[] = { "http://", "https://" };
	const char	*origin = http_param(a->h, "HTTP_ORIGIN");
	const char	*host = http_param(a->h, "HTTP_HOST");
	size_t		 i, n;

	if (!secret_equal(form_get(&a->f, "csrf"), a->csrf))
		return 0;
	if (origin == NULL)
		return 1;
	if (host == NULL || *host == '\0')
		return 0;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i]);
		if (strncasecmp(origin, schemes[i], n) == 0)
			return strcasecmp(origin + n, host) == 0;
	}
	return 0;
}

/* Reads the POSTed form. 1 read, 0 answered (413, 415 or 400). */
static int
read_form(struct adm *a)
{
	const char	*ct = http_param(a->h, "CONTENT_TYPE");
	const char	*body;
	size_t		 len, n;
	int		 rc;

	n = ct != NULL ? strcspn(ct, "; ") : 0;
	if (ct == NULL || n != strlen("application/x-www-form-urlencoded") ||
	    strncasecmp(ct, "application/x-www-form-urlencoded", n) != 0) {
		admin_fail(a, 415, "Forms are sent as"
		    " application/x-www-form-urlencoded.");
		return 0;
	}
	if ((rc = http_body(a->h, ADMIN_BODY_MAX, &body, &len)) <= 0) {
		admin_fail(a, rc == 0 ? 413 : 400, rc == 0 ?
		    "The form is too large." : "The form could not be read.");
		return 0;
	}
	if ((rc = form_parse(&a->f, body, len)) <= 0) {
		admin_fail(a, rc < 0 ? 500 : 400, rc < 0 ? "Out of memory." :
		    "The form is malformed (bad escapes or not UTF-8).");
		return 0;
	}
	return 1;
}

/* Serves /admin/static/NAME from the files built into the program. */
static int
serve_static(struct adm *a, const char *path)
{
	const struct admin_static	*f;
	char				 etag[64];
	const char			*inm;

	if (strncmp(path, "/admin/static/", 14) != 0)
		return 0;
	if ((f = admin_static_find(path + 14)) == NULL) {
		admin_fail(a, 404, "No such file.");
		return 1;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", f->hash);
	inm = http_param(a->h, "HTTP_IF_NONE_MATCH");
	http_open_headers(a->h, inm != NULL && strcmp(inm, etag) == 0 ? 304 :
	    200, f->type);
	http_header(a->h, "ETag", etag);
	http_header(a->h, NULL, NULL);
	if ((inm == NULL || strcmp(inm, etag) != 0) &&
	    strcmp(http_method(a->h), "HEAD") != 0)
		http_write(a->h, f->data, f->len);
	return 1;
}

/*
 * The page a POST to path belongs to, where its answer is shown after the
 * redirect: path itself or the nearest parent with a GET route, into out.
 */
static void
post_page(const char *path, char *out, size_t outsz)
{
	struct adm	 scratch;
	size_t		 i;
	char		*slash;

	snprintf(out, outsz, "%s", path);
	while ((slash = strrchr(out, '/')) != NULL && slash > out + 6) {
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
			if (strcmp(routes[i].method, "GET") == 0 &&
			    route_match(&scratch, routes[i].pattern, out))
				return;
		*slash = '\0';
	}
	snprintf(out, outsz, "/admin/");
}

/*
 * Answers a POST whose handler wrote a page (a refused form, a new token,
 * an answer to try) with a redirect to the form's page, the page kept
 * sealed as a one-time notice for this user: a reload shows the page
 * without it and sends nothing again. 1 done, 0 not kept (the caller
 * sends the page itself).
 */
static int
post_answer_later(struct adm *a, const char *path, const char *page)
{
	char	 at[1024], id[STORE_ID_LEN + 1];
	char	*sealed;
	int	 rc;

	if ((sealed = secret_encrypt(a->key, page)) == NULL) {
		log_error("secret_encrypt: %s", secret_error());
		return 0;
	}
	post_page(path, at, sizeof(at));
	rc = store_admin_notice_put(a->st, id, a->user, at, sealed);
	free(sealed);
	if (rc <= 0)
		return 0;
	admin_redirect(a, NULL, "%s?notice=%s", at + strlen("/admin"), id);
	return 1;
}

/* Serves this user's one-time notice named by ?notice= at this page. 1 served, 0 none. */
static int
notice_show(struct adm *a, const char *path)
{
	const char	*id = form_get(&a->q, "notice");
	char		*sealed = NULL, *page = NULL;
	int		 rc;

	if (id == NULL || !store_id_valid(id) ||
	    store_admin_notice_take(a->st, id, a->user, path, &sealed) <= 0)
		return 0;
	rc = secret_decrypt(a->key, sealed, &page);
	free(sealed);
	if (rc <= 0)
		return 0;
	http_puts(a->h, page);
	secret_free(page);
	return 1;
}

static void
handle(struct http *h)
{
	struct adm		 a;
	const struct route	*r = NULL;
	const char		*method = http_method(h), *path = http_path(h);
	const char		*qs, *why = NULL;
	char			*page;
	size_t			 i, len;
	int			 path_known = 0;

	memset(&a, 0, sizeof(a));
	a.h = h;
	form_init(&a.q);
	form_init(&a.f);
	if (strcmp(path, "/admin") == 0) {
		admin_redirect(&a, NULL, "/");
		return;
	}
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    serve_static(&a, path))
		return;
	if ((a.st = app_store()) == NULL) {
		admin_store_error(&a);
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_match(&a, routes[i].pattern, path))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0)) {
			r = &routes[i];
			break;
		}
	}
	if (!authenticate(&a))
		goto out;
	if (r == NULL) {
		if (path_known)
			admin_fail(&a, 405, "Method not allowed here.");
		else
			admin_fail(&a, 404, "No such page.");
		goto out;
	}
	qs = http_param(h, "QUERY_STRING");
	if (qs != NULL && form_parse(&a.q, qs, strlen(qs)) <= 0) {
		admin_fail(&a, 400, "The address is malformed.");
		goto out;
	}
	if (!admin_can(&a, r->right)) {
		admin_fail(&a, 403, "Your role may not do this.");
		goto out;
	}
	if (config_load_key(a.st, a.key, &why) <= 0 ||
	    secret_mac_hex(a.key, "admin csrf", a.user, a.csrf) <= 0) {
		log_error("key file: %s", why != NULL ? why : secret_error());
		admin_store_error(&a);
		goto out;
	}
	if (strcmp(method, "POST") == 0) {
		if (!(route_upload(r) ? admin_read_upload(&a) : read_form(&a)))
			goto out;
		if (!csrf_ok(&a)) {
			admin_fail(&a, 403, "The form's security token is"
			    " missing or wrong: reload the page and try"
			    " again.");
			goto out;
		}
	}
	a.ops.st = a.st;
	a.ops.key = a.key;
	a.ops.user = a.user;
	if (strcmp(method, "POST") != 0) {
		if (!notice_show(&a, path))
			r->fn(&a);
		goto out;
	}
	/*
	 * Every POST answers 303: a page it writes (a refused form, a new
	 * token, a campaign's import report with its rejected lines) is shown
	 * once after the redirect.
	 */
	http_capture_start(h);
	r->fn(&a);
	if ((page = http_capture_take(h, &len)) == NULL)
		admin_fail(&a, 500, "Out of memory.");
	else if (http_status(h) == 303 || !post_answer_later(&a, path, page))
		http_write(h, page, len);
	if (page != NULL)
		explicit_bzero(page, len);
	free(page);
out:
	if (a.upload != NULL)
		fclose(a.upload);
	explicit_bzero(a.key, sizeof(a.key));
	form_free(&a.q);
	form_free(&a.f);
}

int
main(void)
{
	return app_run("admin", handle);
}

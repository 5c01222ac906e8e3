/* Request helpers for the FastCGI programs: the only place that knows libfcgi. */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "http.h"
#include "log.h"
#include "parse.h"
#include "payload.h"

extern char **environ;

struct http {
	FCGX_Request	 req;
	int		 cgi;		/* plain CGI: environ, stdin, stdout */
	char		 path[2048];
	char		*body;
	int		 status;	/* the status answered; 0 before http_open */
	int		 capturing;	/* http_capture_start: the answer goes to cap */
	int		 capfail;	/* out of memory while capturing */
	char		*cap;
	size_t		 caplen, capsz;
	int		 local;		/* the web server reaches us by a Unix socket */
};

/*
 * Whether the request this thread serves was deferred (http_defer): from
 * then on it belongs to whoever answers it, and may be freed at any time,
 * so its serving thread asks here rather than of the request.
 */
static __thread int	 deferred;

/*
 * The requests answered later (http_defer) and not yet finished, at most
 * defer_max of them: each holds its parsed work and libfcgi's buffers, so
 * an overload queues no more than that many beyond the serving threads.
 */
static pthread_mutex_t	 defer_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t		 defer_n, defer_max;

static const struct {
	int		 code;
	const char	*reason;
} reasons[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 204, "No Content" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 409, "Conflict" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
};

const char *
http_reason(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return "Unknown";
}

const char *
http_param(struct http *h, const char *name)
{
	return h->cgi ? getenv(name) : FCGX_GetParam(name, h->req.envp);
}

const char *
http_method(struct http *h)
{
	const char	*m = http_param(h, "REQUEST_METHOD");

	return m != NULL ? m : "";
}

const char *
http_path(struct http *h)
{
	return h->path;
}

/* Works out the routing path once per request. */
static void
path_init(struct http *h)
{
	const char	*uri, *script, *info;
	size_t		 n;

	h->path[0] = '\0';
	h->status = 0;
	if ((uri = http_param(h, "REQUEST_URI")) != NULL && *uri != '\0') {
		n = strcspn(uri, "?#");
		if (n >= sizeof(h->path))
			n = 0;	/* absurdly long: routes nowhere */
		memcpy(h->path, uri, n);
		h->path[n] = '\0';
		return;
	}
	script = http_param(h, "SCRIPT_NAME");
	info = http_param(h, "PATH_INFO");
	snprintf(h->path, sizeof(h->path), "%s%s", script ? script : "",
	    info ? info : "");
}

/* Parameters of a media type we read; a type with more is refused. */
#define MEDIA_PARAMS_MAX	8

/*
 * Whether the parameters after a media type ("; charset=utf-8; ...") name
 * no charset or UTF-8 (quoted or not, any case), and none twice: which of
 * two charsets would count is anyone's guess.
 */
static int
charset_is_utf8(const char *p)
{
	const char	*name[MEDIA_PARAMS_MAX];
	size_t		 len[MEDIA_PARAMS_MAX], n, i, k = 0;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, "=; \t");
		for (i = 0; i < k; i++)
			if (len[i] == n && strncasecmp(name[i], p, n) == 0)
				return 0;
		if (k == MEDIA_PARAMS_MAX)
			return 0;
		name[k] = p;
		len[k++] = n;
		if (n != 7 || strncasecmp(p, "charset", 7) != 0 || p[7] != '=')
			continue;
		p += 8;
		if (*p == '"')
			p++;
		n = strcspn(p, "\"; \t");
		if (!(n == 5 && strncasecmp(p, "utf-8", 5) == 0) &&
		    !(n == 4 && strncasecmp(p, "utf8", 4) == 0))
			return 0;
	}
	return 1;
}

int
http_content_is_json(struct http *h)
{
	const char	*ct = http_param(h, "CONTENT_TYPE");
	size_t		 n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; ");
	if (!charset_is_utf8(ct + n))
		return 0;
	if (n == strlen("application/json") &&
	    strncasecmp(ct, "application/json", n) == 0)
		return 1;
	return n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0 &&
	    strncasecmp(ct, "application/", 12) == 0;
}

/* Reads up to len bytes; returns the count read (short only at end of input). */
static size_t
read_in(struct http *h, char *buf, size_t len)
{
	size_t	 got = 0;
	int	 n;

	if (h->cgi)
		return fread(buf, 1, len, stdin);
	while (got < len) {
		n = FCGX_GetStr(buf + got, (int)(len - got > 65536 ? 65536 :
		    len - got), h->req.in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

size_t
http_read(struct http *h, char *buf, size_t len)
{
	return read_in(h, buf, len);
}

int
http_body(struct http *h, size_t max, const char **body, size_t *len)
{
	const char	*cl = http_param(h, "CONTENT_LENGTH");
	char		*buf;
	long		 want;
	size_t		 cap, got = 0, n;

	*body = NULL;
	*len = 0;
	if (cl != NULL && *cl != '\0') {
		if (!parse_long(cl, 0, LONG_MAX, &want))
			return -1;
		if ((unsigned long)want > max)
			return 0;
		if ((buf = malloc((size_t)want + 1)) == NULL)
			return -1;
		got = read_in(h, buf, (size_t)want);
		if (got != (size_t)want) {
			free(buf);
			return -1;
		}
	} else {
		/* No length given: read to the end, one byte past the limit. */
		cap = 65536;
		if ((buf = malloc(cap + 1)) == NULL)
			return -1;
		while ((n = read_in(h, buf + got, cap - got)) > 0) {
			got += n;
			if (got > max) {
				free(buf);
				return 0;
			}
			if (got == cap) {
				char *nb;

				cap *= 2;
				if ((nb = realloc(buf, cap + 1)) == NULL) {
					free(buf);
					return -1;
				}
				buf = nb;
			}
		}
	}
	buf[got] = '\0';
	h->body = buf;
	*body = buf;
	*len = got;
	return 1;
}

void
http_body_release(struct http *h)
{
	free(h->body);
	h->body = NULL;
}

/* Appends to the capture buffer, kept NUL-terminated; remembers running out of memory. */
static void
capture(struct http *h, const char *buf, size_t len)
{
	char	*p;
	size_t	 sz;

	if (h->capfail)
		return;
	if (h->caplen + len + 1 > h->capsz) {
		sz = h->capsz > 0 ? h->capsz : 16384;
		while (sz < h->caplen + len + 1)
			sz *= 2;
		if ((p = realloc(h->cap, sz)) == NULL) {
			h->capfail = 1;
			return;
		}
		h->cap = p;
		h->capsz = sz;
	}
	memcpy(h->cap + h->caplen, buf, len);
	h->caplen += len;
	h->cap[h->caplen] = '\0';
}

void
http_capture_start(struct http *h)
{
	h->capturing = 1;
	h->capfail = 0;
	h->caplen = 0;
}

char *
http_capture_take(struct http *h, size_t *len)
{
	char	*out = h->capfail ? NULL : h->cap;

	if (out == NULL)
		free(h->cap);
	*len = out != NULL ? h->caplen : 0;
	h->cap = NULL;
	h->caplen = h->capsz = 0;
	h->capturing = h->capfail = 0;
	return out;
}

void
http_write(struct http *h, const char *buf, size_t len)
{
	if (h->capturing)
		capture(h, buf, len);
	else if (h->cgi)
		fwrite(buf, 1, len, stdout);
	else
		FCGX_PutStr(buf, (int)len, h->req.out);
}

void
http_puts(struct http *h, const char *s)
{
	http_write(h, s, strlen(s));
}

void
http_printf(struct http *h, const char *fmt, ...)
{
	char	 buf[4096];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	http_write(h, buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1);
}

void
http_header(struct http *h, const char *name, const char *value)
{
	if (name == NULL) {
		http_puts(h, "\r\n");
		return;
	}
	http_printf(h, "%s: %s\r\n", name, value);
}

void
http_open_headers(struct http *h, int status, const char *ctype)
{
	h->status = status;
	http_printf(h, "Status: %d %s\r\n", status, http_reason(status));
	http_printf(h, "Content-Type: %s\r\n", ctype);
	/*
	 * same-origin, not no-referrer: under no-referrer a browser sends
	 * "Origin: null" with its own forms, which the admin's CSRF check
	 * must refuse; other sites still learn nothing of our addresses.
	 */
	http_puts(h, "X-Content-Type-Options: nosniff\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: same-origin\r\n"
	    "Cache-Control: no-store\r\n"
	    "Content-Security-Policy: default-src 'none'; style-src 'self'"
	    " 'unsafe-inline'; script-src 'self'; img-src 'self';"
	    " connect-src 'self'; form-action 'self'; frame-ancestors 'none';"
	    " base-uri 'none'\r\n");
}

int
http_status(struct http *h)
{
	return h->status;
}

void
http_open(struct http *h, int status, const char *ctype)
{
	http_open_headers(h, status, ctype);
	http_header(h, NULL, NULL);
}

/* Writes s with the characters that need it replaced by entities. */
static void
html_escape(struct http *h, const char *s, int attr)
{
	const char	*p, *rep;

	if (s == NULL)
		return;
	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\'':
			rep = attr ? "&#39;" : NULL;
			break;
		default:
			rep = NULL;
		}
		if (rep == NULL && (unsigned char)*p < 0x20 && *p != '\n' &&
		    *p != '\t')
			rep = "&#xFFFD;";
		if (rep == NULL)
			continue;
		http_write(h, s, (size_t)(p - s));
		http_puts(h, rep);
		s = p + 1;
	}
	http_write(h, s, (size_t)(p - s));
}

void
http_html_text(struct http *h, const char *s)
{
	html_escape(h, s, 0);
}

void
http_html_attr(struct http *h, const char *s)
{
	html_escape(h, s, 1);
}

void
http_json(struct http *h, int status, char *body)
{
	http_open(h, body != NULL ? status : 500, "application/json");
	http_puts(h, body != NULL ? body : PAYLOAD_ERROR_NOMEM);
	http_puts(h, "\n");
	free(body);
}

void
http_error(struct http *h, int status, const char *msg)
{
	http_json(h, status, payload_error_body(msg));
}

int
http_is_cgi(void)
{
	return FCGX_IsCGI();
}

/* What the serving threads share. */
struct serve {
	void			(*fn)(struct http *, void *);
	void			(*done)(void *);
	void			*arg;
	volatile sig_atomic_t	*quit;
	int			 local;	/* the web server reaches us by a Unix socket */
};

/*
 * Whether the request's connection may simply be closed once answered:
 * the web server comes over a Unix socket and every byte it sent is read
 * (the body's end seen, which reads at most one byte past the body).
 * libfcgi otherwise shuts its side down and waits in poll() until the
 * web server closes first, so that no unread input turns the close into a
 * reset that loses the answer (as TCP does). A Unix socket delivers what
 * was written before the close in any case, and with nothing left unread
 * the wait only cost each request a sleep, a wake-up and four system
 * calls (shutdown, poll, read, poll again), holding its thread meanwhile.
 */
static int
closes_at_once(struct http *h)
{
	if (!h->local)
		return 0;
	return FCGX_HasSeenEOF(h->req.in) == EOF ||
	    FCGX_GetChar(h->req.in) == EOF;
}

/* A new request of sv's to accept into; NULL (logged) when out of memory. */
static struct http *
request_new(const struct serve *sv)
{
	struct http	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    FCGX_InitRequest(&h->req, FCGI_LISTENSOCK_FILENO, 0) != 0) {
		log_error("cannot set up a request: out of memory");
		free(h);
		return NULL;
	}
	h->local = sv->local;
	return h;
}

/* Ends an answered request: its connection closed, its memory kept for the next. */
static void
request_end(struct http *h)
{
	if (closes_at_once(h))
		FCGX_Detach(&h->req);
	FCGX_Finish_r(&h->req);
	free(h->body);
	h->body = NULL;
}

int
http_defer(struct http *h)
{
	int	 ok;

	/*
	 * Only a request that will close at once: whoever ends it then
	 * never waits on the web server (its last bytes are read here, on
	 * the serving thread, where a wait harms no one else).
	 */
	if (h->cgi || !closes_at_once(h))
		return 0;
	pthread_mutex_lock(&defer_mu);
	if ((ok = defer_n < defer_max))
		defer_n++;
	pthread_mutex_unlock(&defer_mu);
	deferred = ok;
	return ok;
}

void
http_undefer(void)
{
	if (!deferred)
		return;
	deferred = 0;
	pthread_mutex_lock(&defer_mu);
	defer_n--;
	pthread_mutex_unlock(&defer_mu);
}

int
http_deferred(void)
{
	return deferred;
}

void
http_finish(struct http *h)
{
	request_end(h);
	FCGX_Free(&h->req, 1);
	free(h);
	pthread_mutex_lock(&defer_mu);
	defer_n--;
	pthread_mutex_unlock(&defer_mu);
}

/* One serving thread: accepts and answers requests until told to stop. */
static void *
serve_thread(void *p)
{
	struct serve	*sv = p;
	struct http	*h;
	int		 rc;

	if ((h = request_new(sv)) == NULL)
		goto out;
	for (;;) {
		/*
		 * Every thread waits in accept() at once: Linux hands each
		 * connection to one of them, with no lock to pass around.
		 */
		rc = *sv->quit ? -1 : FCGX_Accept_r(&h->req);
		if (rc < 0)
			break;
		path_init(h);
		deferred = 0;
		sv->fn(h, sv->arg);
		if (!deferred) {
			request_end(h);
			continue;
		}
		/* Another thread answers it (http_finish): accept into a new one. */
		if ((h = request_new(sv)) == NULL)
			goto out;
	}
	FCGX_Free(&h->req, 1);
	free(h);
out:
	if (!*sv->quit) {
		/* Accepting failed on its own: wake the main thread to end. */
		*sv->quit = 1;
		kill(getpid(), SIGTERM);
	}
	if (sv->done != NULL)
		sv->done(sv->arg);
	return NULL;
}

/* Whether the listening socket (descriptor 0, as the web server gave it) is a Unix socket. */
static int
listens_local(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (getsockname(FCGI_LISTENSOCK_FILENO, (struct sockaddr *)&ss,
	    &len) != 0)
		return 0;
	return ss.ss_family == AF_UNIX;
}

int
http_serve(void (*fn)(struct http *, void *), void (*done)(void *),
    void *arg, volatile sig_atomic_t *quit, size_t threads)
{
	struct serve	 sv;
	struct http	 h;
	pthread_t	*tids = NULL;
	pthread_attr_t	 attr;
	sigset_t	 term, old;
	size_t		 i, n = 0;
	int		 rc;

	if (FCGX_IsCGI()) {
		memset(&h, 0, sizeof(h));
		h.cgi = 1;
		path_init(&h);
		fn(&h, arg);
		fflush(stdout);
		free(h.body);
		if (done != NULL)
			done(arg);
		return 0;
	}
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		return -1;
	}
	if (threads < 1)
		threads = 1;
	defer_max = threads;
	memset(&sv, 0, sizeof(sv));
	sv.local = listens_local();
	sv.fn = fn;
	sv.done = done;
	sv.arg = arg;
	sv.quit = quit;
	if ((tids = calloc(threads, sizeof(*tids))) == NULL)
		return -1;
	/* SIGTERM reaches only this thread, which then stops the others. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	pthread_attr_init(&attr);
	/* Our deepest stack use is a few tens of KiB; keep RSS and mappings small. */
	pthread_attr_setstacksize(&attr, 512 * 1024);
	for (i = 0; i < threads; i++) {
		if ((rc = pthread_create(&tids[n], &attr, serve_thread, &sv)) != 0) {
			log_error("pthread_create: %s", strerror(rc));
			break;
		}
		n++;
	}
	pthread_attr_destroy(&attr);
	if (n == 0)
		*quit = 1;
	sigdelset(&old, SIGTERM);
	while (!*quit)
		sigsuspend(&old);
	/*
	 * Wake the threads blocked in accept(): shutting the listening socket
	 * down makes accept() fail. Requests already accepted are answered.
	 */
	shutdown(FCGI_LISTENSOCK_FILENO, SHUT_RDWR);
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return n > 0 ? 0 : -1;
}

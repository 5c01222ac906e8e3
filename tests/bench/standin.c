/* standin: make bench's fast Infobip and Kannel sink; counts every message it is handed, once per id. */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

/*
 * One single-threaded epoll loop speaking HTTP/1.1 with keep-alive, enough
 * for libcurl (the sender), Kannel's HTTP client and the bench:
 *
 *   GET  /account/1/balance     Infobip's balance, so a connection can Start
 *   POST /sms/3/messages        Infobip's send: every destination's messageId
 *                               is counted and echoed with status PENDING
 *   GET  /sink/mo?...&text=T    Kannel's sms-service get-url (MO), counted by T
 *   GET  /sink/mt?...&text=T    Kannel's HTTP SMSC send-url (MT), counted by T
 *   GET  /_stats                the counts, as JSON
 *   GET  /_arrivals             "to monotonic-ns" per first sight of a message
 *                               id on /sms/3/messages, for the latency row
 *   POST /_reset                forget everything (between bench rows)
 *
 * Times are CLOCK_MONOTONIC nanoseconds, the clock of Python's
 * time.monotonic_ns(), so the bench can subtract its own readings.
 */

#define BODY_MAX	(16 * 1024 * 1024)	/* larger requests get 413 */
#define EVENTS_MAX	64

/* The counted streams; each has a row in tally_names. */
enum tally {
	TALLY_INFOBIP,
	TALLY_MO,
	TALLY_MT,
	TALLY__MAX
};

static const char *const tally_names[TALLY__MAX] = {
	"infobip", "mo", "mt",
};

/* A set of strings: open addressing, grown at half full. */
struct set {
	char	**slot;
	size_t	  cap, used;
};

struct count {
	uint64_t	 requests;	/* HTTP requests on the stream */
	uint64_t	 messages;	/* ids seen, duplicates included */
	uint64_t	 duplicates;	/* ids seen before */
	int64_t		 first_ns, last_ns; /* first and last new id */
	struct set	 seen;
};

struct arrival {
	int64_t	 ns;
	char	 to[32];
};

struct buf {
	char	*data;
	size_t	 len, cap, off;
};

struct conn {
	int		 fd;
	int		 closing;	/* close once out is written */
	struct buf	 in, out;
};

static struct count	 counts[TALLY__MAX];
static struct arrival	*arrivals;
static size_t		 narrivals, arrivals_cap;
static uint64_t		 bulks;
static volatile sig_atomic_t quit;

static int64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		perror("standin: realloc");
		exit(1);
	}
	return p;
}

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */
	size_t		 i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void
set_clear(struct set *s)
{
	size_t	 i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Adds key[0..n); returns 1 when it is new, 0 when it was there. */
static int
set_add(struct set *s, const char *key, size_t n)
{
	char	**old;
	size_t	  i, oldcap;

	if (2 * (s->used + 1) > s->cap) {
		old = s->slot;
		oldcap = s->cap;
		s->cap = oldcap ? 2 * oldcap : 1024;
		s->slot = xrealloc(NULL, s->cap * sizeof(*s->slot));
		memset(s->slot, 0, s->cap * sizeof(*s->slot));
		for (i = 0; i < oldcap; i++) {
			size_t	 j;

			if (old[i] == NULL)
				continue;
			j = hash(old[i], strlen(old[i])) & (s->cap - 1);
			while (s->slot[j] != NULL)
				j = (j + 1) & (s->cap - 1);
			s->slot[j] = old[i];
		}
		free(old);
	}
	for (i = hash(key, n) & (s->cap - 1); s->slot[i] != NULL;
	    i = (i + 1) & (s->cap - 1))
		if (strncmp(s->slot[i], key, n) == 0 && s->slot[i][n] == '\0')
			return 0;
	s->slot[i] = xrealloc(NULL, n + 1);
	memcpy(s->slot[i], key, n);
	s->slot[i][n] = '\0';
	s->used++;
	return 1;
}

/* Counts one id on a stream; returns 1 when it is new. */
static int
count_id(enum tally t, const char *id, size_t n)
{
	struct count	*c = &counts[t];
	int64_t		 ns = now_ns();

	c->messages++;
	if (!set_add(&c->seen, id, n)) {
		c->duplicates++;
		return 0;
	}
	if (c->first_ns == 0)
		c->first_ns = ns;
	c->last_ns = ns;
	return 1;
}

static void
reset(void)
{
	int	 t;

	for (t = 0; t < TALLY__MAX; t++) {
		set_clear(&counts[t].seen);
		memset(&counts[t], 0, sizeof(counts[t]));
	}
	narrivals = 0;
}

static void
buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = b->len + n > 2 * b->cap ? b->len + n : 2 * b->cap;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char	 small[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = b->len + (size_t)n + 1;
		b->data = xrealloc(b->data, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 413:
		return "Content Too Large";
	default:
		return "Error";
	}
}

static void
reply(struct conn *c, int status, const char *ctype, const char *body,
    size_t len)
{
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%s\r\n", status, reason(status), ctype,
	    len, c->closing ? "Connection: close\r\n" : "");
	buf_add(&c->out, body, len);
}

static void
reply_str(struct conn *c, int status, const char *ctype, const char *body)
{
	reply(c, status, ctype, body, strlen(body));
}

static void
reply_json(struct conn *c, int status, struct json_object *o)
{
	const char	*s;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	reply_str(c, status, "application/json", s);
}

static const char *
str_member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
pending_status(void)
{
	struct json_object	*st = json_object_new_object();

	json_object_object_add(st, "groupId", json_object_new_int(1));
	json_object_object_add(st, "groupName",
	    json_object_new_string("PENDING"));
	json_object_object_add(st, "id", json_object_new_int(26));
	json_object_object_add(st, "name",
	    json_object_new_string("PENDING_ACCEPTED"));
	json_object_object_add(st, "description",
	    json_object_new_string("Message sent to next instance"));
	return st;
}

/* Notes when a new message id for to arrived (just counted). */
static void
note_arrival(const char *to)
{
	if (narrivals == arrivals_cap) {
		arrivals_cap = arrivals_cap ? 2 * arrivals_cap : 4096;
		arrivals = xrealloc(arrivals, arrivals_cap * sizeof(*arrivals));
	}
	arrivals[narrivals].ns = counts[TALLY_INFOBIP].last_ns;
	snprintf(arrivals[narrivals].to, sizeof(arrivals[0].to), "%s", to);
	narrivals++;
}

/* POST /sms/3/messages: Infobip's v3 send, answered as Infobip does. */
static void
infobip_send(struct conn *c, const char *body, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*req = NULL, *msgs, *dests, *ans, *out, *m;
	const char		*id, *to;
	char			 made[64];
	size_t			 i, j;

	counts[TALLY_INFOBIP].requests++;
	tok = json_tokener_new();
	req = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (req == NULL || !json_object_object_get_ex(req, "messages", &msgs) ||
	    !json_object_is_type(msgs, json_type_array)) {
		reply_str(c, 400, "application/json", "{\"errorCode\":\"E400\","
		    "\"description\":\"Request cannot be processed.\","
		    "\"action\":\"Check the syntax.\",\"violations\":[],"
		    "\"resources\":[]}");
		json_object_put(req);
		return;
	}
	ans = json_object_new_object();
	snprintf(made, sizeof(made), "standin-bulk-%" PRIu64, ++bulks);
	json_object_object_add(ans, "bulkId", json_object_new_string(made));
	json_object_object_add(ans, "messages", out = json_object_new_array());
	for (i = 0; i < json_object_array_length(msgs); i++) {
		m = json_object_array_get_idx(msgs, i);
		if (!json_object_object_get_ex(m, "destinations", &dests) ||
		    !json_object_is_type(dests, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(dests); j++) {
			struct json_object *d, *r;

			d = json_object_array_get_idx(dests, j);
			if ((to = str_member(d, "to")) == NULL)
				to = "";
			if ((id = str_member(d, "messageId")) == NULL) {
				snprintf(made, sizeof(made), "standin-%" PRIu64
				    "-%zu", bulks, j);
				id = made;
			}
			if (count_id(TALLY_INFOBIP, id, strlen(id)))
				note_arrival(to);
			r = json_object_new_object();
			json_object_object_add(r, "messageId",
			    json_object_new_string(id));
			json_object_object_add(r, "status", pending_status());
			json_object_object_add(r, "destination",
			    json_object_new_string(to));
			json_object_array_add(out, r);
		}
	}
	reply_json(c, 200, ans);
	json_object_put(ans);
	json_object_put(req);
}

/* GET /sink/{mo,mt}?...: counted by the raw value of the text parameter. */
static void
sink(struct conn *c, enum tally t, const char *query)
{
	const char	*p = query, *end;

	counts[t].requests++;
	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		if (strncmp(p, "text=", 5) == 0) {
			p += 5;
			count_id(t, p, end ? (size_t)(end - p) : strlen(p));
			break;
		}
		p = end ? end + 1 : NULL;
	}
	reply_str(c, 200, "text/plain", "ACK\n");
}

static void
stats(struct conn *c)
{
	struct json_object	*o, *t;
	int			 i;

	o = json_object_new_object();
	for (i = 0; i < TALLY__MAX; i++) {
		t = json_object_new_object();
		json_object_object_add(t, "requests",
		    json_object_new_int64((int64_t)counts[i].requests));
		json_object_object_add(t, "messages",
		    json_object_new_int64((int64_t)counts[i].messages));
		json_object_object_add(t, "unique",
		    json_object_new_int64((int64_t)counts[i].seen.used));
		json_object_object_add(t, "duplicates",
		    json_object_new_int64((int64_t)counts[i].duplicates));
		json_object_object_add(t, "first_ns",
		    json_object_new_int64(counts[i].first_ns));
		json_object_object_add(t, "last_ns",
		    json_object_new_int64(counts[i].last_ns));
		json_object_object_add(o, tally_names[i], t);
	}
	reply_json(c, 200, o);
	json_object_put(o);
}

static void
arrivals_list(struct conn *c)
{
	struct buf	 b = { 0 };
	size_t		 i;

	for (i = 0; i < narrivals; i++)
		buf_printf(&b, "%s %" PRId64 "\n", arrivals[i].to,
		    arrivals[i].ns);
	reply(c, 200, "text/plain", b.data ? b.data : "", b.len);
	free(b.data);
}

static void
route(struct conn *c, const char *method, char *target, const char *auth,
    const char *body, size_t len)
{
	char	*query;

	if ((query = strchr(target, '?')) != NULL)
		*query++ = '\0';
	if (strcmp(method, "POST") == 0 &&
	    strcmp(target, "/sms/3/messages") == 0) {
		if (auth == NULL || strncmp(auth, "App ", 4) != 0)
			reply_str(c, 401, "application/json",
			    "{\"errorCode\":\"E401\",\"description\":"
			    "\"Invalid login details\",\"action\":\"\","
			    "\"violations\":[],\"resources\":[]}");
		else
			infobip_send(c, body, len);
	} else if (strcmp(method, "GET") == 0 &&
	    strcmp(target, "/account/1/balance") == 0)
		reply_str(c, 200, "application/json",
		    "{\"balance\":1000.0,\"currency\":\"EUR\"}");
	else if (strcmp(method, "GET") == 0 && strcmp(target, "/sink/mo") == 0)
		sink(c, TALLY_MO, query);
	else if (strcmp(method, "GET") == 0 && strcmp(target, "/sink/mt") == 0)
		sink(c, TALLY_MT, query);
	else if (strcmp(method, "GET") == 0 && strcmp(target, "/_stats") == 0)
		stats(c);
	else if (strcmp(method, "GET") == 0 &&
	    strcmp(target, "/_arrivals") == 0)
		arrivals_list(c);
	else if (strcmp(method, "POST") == 0 && strcmp(target, "/_reset") == 0) {
		reset();
		reply_str(c, 200, "application/json", "{\"reset\":true}");
	} else
		reply_str(c, 404, "text/plain", "not found\n");
}

/* Case-insensitive header lookup in head (NUL-terminated); value or NULL. */
static const char *
header(char *head, const char *name, char *val, size_t valsz)
{
	size_t	 n = strlen(name);
	char	*p, *e;

	for (p = strstr(head, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, n) != 0 || p[n] != ':')
			continue;
		p += n + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if ((e = strstr(p, "\r\n")) == NULL)
			e = p + strlen(p);
		snprintf(val, valsz, "%.*s", (int)(e - p), p);
		return val;
	}
	return NULL;
}

/* Whether the client wants the connection kept after this request. */
static int
keep_alive(char *head, const char *version)
{
	char	 val[64];

	if (header(head, "Connection", val, sizeof(val)) != NULL)
		return strcasecmp(val, "close") != 0;
	return strcmp(version, "HTTP/1.0") != 0;
}

/*
 * Answers every complete request in c->in (bodies by Content-Length; no
 * client of the bench sends chunked ones). A request it cannot parse is
 * answered with an error and the connection closed after it.
 */
static void
serve(struct conn *c)
{
	char		 method[16], target[8192], version[16], val[64];
	char		 authbuf[1024], *head, *end;
	const char	*auth;
	size_t		 hlen, blen;

	while (!c->closing) {
		end = memmem(c->in.data + c->in.off, c->in.len - c->in.off,
		    "\r\n\r\n", 4);
		if (end == NULL) {
			if (c->in.len - c->in.off > 65536) {
				c->closing = 1;
				reply_str(c, 413, "text/plain", "head too large\n");
			}
			return;
		}
		head = c->in.data + c->in.off;
		hlen = (size_t)(end - head) + 4;
		end[2] = '\0';	/* head is now a string ending in one CRLF */
		if (sscanf(head, "%15s %8191s %15s", method, target,
		    version) != 3) {
			c->closing = 1;
			reply_str(c, 400, "text/plain", "bad request line\n");
			return;
		}
		blen = header(head, "Content-Length", val, sizeof(val)) ?
		    strtoul(val, NULL, 10) : 0;
		if (blen > BODY_MAX) {
			c->closing = 1;
			reply_str(c, 413, "text/plain", "body too large\n");
			return;
		}
		if (c->in.len - c->in.off < hlen + blen) {
			end[2] = '\r';	/* parsed again when the body is in */
			return;
		}
		c->closing = !keep_alive(head, version);
		auth = header(head, "Authorization", authbuf, sizeof(authbuf));
		route(c, method, target, auth, head + hlen, blen);
		c->in.off += hlen + blen;
	}
}

static int
flush_out(struct conn *c)
{
	ssize_t	 n;

	while (c->out.off < c->out.len) {
		n = write(c->fd, c->out.data + c->out.off,
		    c->out.len - c->out.off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->out.off += (size_t)n;
	}
	c->out.off = c->out.len = 0;
	return 1;
}

static void
conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in.data);
	free(c->out.data);
	free(c);
}

/* Reads what there is, answers it; returns -1 when c must be closed. */
static int
on_event(int ep, struct conn *c, uint32_t ev)
{
	struct epoll_event	 e;
	char			 chunk[65536];
	ssize_t			 n;
	int			 done;

	if (ev & EPOLLIN) {
		for (;;) {
			n = read(c->fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0)
				return -1;
			if (c->in.off > 0) {	/* drop what was answered */
				memmove(c->in.data, c->in.data + c->in.off,
				    c->in.len - c->in.off);
				c->in.len -= c->in.off;
				c->in.off = 0;
			}
			buf_add(&c->in, chunk, (size_t)n);
		}
		serve(c);
	}
	if ((ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN))
		return -1;
	if ((done = flush_out(c)) < 0)
		return -1;
	if (done && c->closing)
		return -1;
	e.events = done ? EPOLLIN : EPOLLIN | EPOLLOUT;
	e.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct epoll_event	 e, evs[EVENTS_MAX];
	struct sigaction	 sa;
	struct conn		 lc, *c;
	int			 lfd, ep, fd, n, i, one = 1;
	long			 port;

	if (argc != 2 || (port = strtol(argv[1], NULL, 10)) <= 0 ||
	    port > 65535) {
		fprintf(stderr, "usage: standin PORT (listens on 127.0.0.1)\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1024) < 0 || (ep = epoll_create1(0)) < 0) {
		perror("standin: listen");
		return 1;
	}
	memset(&lc, 0, sizeof(lc));
	lc.fd = lfd;
	e.events = EPOLLIN;
	e.data.ptr = &lc;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);

	while (!quit) {
		if ((n = epoll_wait(ep, evs, EVENTS_MAX, 500)) < 0) {
			if (errno == EINTR)
				continue;
			perror("standin: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c != &lc) {
				if (on_event(ep, c, evs[i].events) < 0)
					conn_close(ep, c);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK)) >= 0) {
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one));
				c = xrealloc(NULL, sizeof(*c));
				memset(c, 0, sizeof(*c));
				c->fd = fd;
				e.events = EPOLLIN;
				e.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
			}
		}
	}
	reset();
	free(arrivals);
	close(ep);
	close(lfd);
	return 0;
}

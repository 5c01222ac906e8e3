/* The unit tests' helper servers (the Infobip simulator, the fake agent) run as children on a free loopback port, calls to their control APIs, and the requests they recorded. */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>
#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "check.h"

/* A running helper server. */
struct child {
	pid_t	 pid;		/* -1: none */
	int	 out;		/* its stdout, kept open; -1: none */
};

#define CHILD_NONE	{ -1, -1 }

/*
 * Starts argv (argv[0] found on PATH, argv[1] the script, relative to the
 * repository root) with its stdout on a pipe and its stderr on errfd, and
 * waits up to 20 s for its first line, which must say "listening on
 * http://127.0.0.1:PORT". Returns 1 with that URL in url (urlsz bytes), 0
 * when it did not start (a failed check says why, naming it as name).
 */
static int
child_start(struct child *c, const char *const argv[], int errfd,
    const char *name, char *url, size_t urlsz)
{
	static const char	 mark[] = "listening on http://127.0.0.1:";
	struct timespec		 now;
	struct pollfd		 pfd;
	char			 buf[512];
	const char		*p;
	size_t			 len = 0;
	ssize_t			 r;
	time_t			 deadline;
	int			 fds[2];

	if (access(argv[1], R_OK) != 0) {
		CHECK(0, "%s not found: run from the repository root", argv[1]);
		return 0;
	}
	if (pipe(fds) == -1)
		return 0;
	fflush(NULL);
	if ((c->pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	if (c->pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		/* Its own messages stay out of the log a test captures. */
		dup2(errfd, STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	c->out = fds[0];
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = now.tv_sec + 20;
	pfd.fd = c->out;
	pfd.events = POLLIN;
	while (memchr(buf, '\n', len) == NULL && len < sizeof(buf) - 1 &&
	    now.tv_sec < deadline) {
		if (poll(&pfd, 1, 500) > 0) {
			if ((r = read(c->out, buf + len,
			    sizeof(buf) - 1 - len)) <= 0)
				break;
			len += (size_t)r;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	buf[len] = '\0';
	if ((p = strstr(buf, mark)) == NULL) {
		CHECK(0, "%s did not start: \"%s\"", name, buf);
		return 0;
	}
	p += strlen("listening on ");
	snprintf(url, urlsz, "%.*s", (int)strcspn(p, "\r\n"), p);
	return 1;
}

/* Stops the child: SIGTERM, then SIGKILL after 5 s. A child never started is fine. */
static void
child_stop(struct child *c)
{
	int	 i, status;

	if (c->pid <= 0)
		return;
	kill(c->pid, SIGTERM);
	for (i = 0; i < 50; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid)
			break;
		usleep(100 * 1000);
	}
	if (i == 50) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	c->pid = -1;
	if (c->out != -1)
		close(c->out);
	c->out = -1;
}

/* Appends what a child sends to *arg, a malloc'd string (the caller frees it); a curl write callback. */
static size_t
child_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	char	**buf = arg, *p;
	size_t	 old = *buf ? strlen(*buf) : 0, n = size * nmemb;

	if ((p = realloc(*buf, old + n + 1)) == NULL)
		return 0;
	memcpy(p + old, ptr, n);
	p[old + n] = '\0';
	*buf = p;
	return n;
}

/*
 * One call to a child's control API at url: GET, or POST of json (NULL:
 * "{}") as JSON. Returns the body (malloc'd, the caller frees it; NULL
 * when there is none) and the HTTP status in *status, -1 without an
 * answer.
 */
static char *
child_call(const char *method, const char *url, const char *json,
    long *status)
{
	CURL			*h;
	struct curl_slist	*hdrs = NULL;
	char			*body = NULL;

	*status = -1;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, child_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	if (strcmp(method, "POST") == 0) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json ? json : "{}");
	}
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return body;
}

/*
 * Copies header name (any case) from the headers object of a request a
 * child recorded into dst (dstsz bytes); none when it is not there.
 */
static void
child_header(struct json_object *hdrs, const char *name, const char *none,
    char *dst, size_t dstsz)
{
	struct json_object_iterator	 it, end;

	snprintf(dst, dstsz, "%s", none);
	it = json_object_iter_begin(hdrs);
	end = json_object_iter_end(hdrs);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if (strcasecmp(json_object_iter_peek_name(&it), name) == 0)
			snprintf(dst, dstsz, "%s", json_object_get_string(
			    json_object_iter_peek_value(&it)));
}

#endif

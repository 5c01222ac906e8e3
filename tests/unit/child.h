/* The unit tests' helper servers (the Infobip simulator, the fake agent) run as children on a free loopback port. */
#ifndef CHILD_H
#define CHILD_H

#include <sys/types.h>
#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

#endif

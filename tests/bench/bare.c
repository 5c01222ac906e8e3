/* bare.fcgi: make bench's ceiling: reads the request body, answers 200 with a small JSON body, nothing else. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <fcgiapp.h>

/*
 * It answers with the same headers as the real programs (common/http/http.c), so
 * the only difference left between its row and theirs is the work they do.
 * BENCH_BARE_THREADS (default 1) threads accept requests, for comparing
 * with programs that accept in several threads. Like the real programs
 * (closes_at_once in common/http/http.c; the bench reaches it by a Unix
 * socket), it closes the
 * connection as soon as the request's input is all read, rather than
 * libfcgi's shutdown and wait for the web server to close first;
 * BENCH_BARE_LINGER=1 keeps libfcgi's way.
 */
static const char answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cache-Control: no-store\r\n"
    "Content-Security-Policy: default-src 'none'; style-src 'self'"
    " 'unsafe-inline'; script-src 'self'; img-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
    "\r\n"
    "{\"items\":1,\"stored\":1,\"duplicates\":0,\"rejected\":0}\n";

static int	 linger;

static void *
serve(void *arg)
{
	FCGX_Request	 req;
	char		 body[16384];

	(void)arg;
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&req) >= 0) {
		while (FCGX_GetStr(body, sizeof(body), req.in) > 0)
			continue;
		FCGX_PutStr(answer, sizeof(answer) - 1, req.out);
		if (!linger)
			FCGX_Detach(&req);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

int
main(void)
{
	pthread_t	 t[64];
	const char	*s;
	long		 n = 1, i;

	if ((s = getenv("BENCH_BARE_THREADS")) != NULL)
		n = strtol(s, NULL, 10);
	if (n < 1 || n > 64) {
		fprintf(stderr, "bare.fcgi: BENCH_BARE_THREADS must be 1-64\n");
		return 2;
	}
	linger = (s = getenv("BENCH_BARE_LINGER")) != NULL && *s == '1';
	if (FCGX_Init() != 0)
		return 1;
	for (i = 1; i < n; i++)
		if (pthread_create(&t[i], NULL, serve, NULL) != 0)
			return 1;
	serve(NULL);
	return 0;
}

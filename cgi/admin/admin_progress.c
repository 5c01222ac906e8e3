/* How far the imports running in this admin process have got, for the page that uploaded them to ask. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "admin_campaign.h"
#include "http.h"
#include "payload_admin.h"

#define SLOTS		32	/* imports remembered at once; the oldest goes */
#define TOKEN_LEN	32	/* hex digits the page's script draws */

/*
 * The table is the process's: the admin's threads share it. A page that
 * asks another process (an installation running several) is told
 * nothing is known, and its script says "importing" without a figure.
 */
static struct slot {
	char		 token[TOKEN_LEN + 1];
	char		 user[256];
	struct camp_progress p;
	time_t		 at;
} slots[SLOTS];
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;

int
camp_progress_token_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return 0;
	for (i = 0; i < TOKEN_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[TOKEN_LEN] == '\0';
}

void
camp_progress_set(const char *token, const char *user,
    const struct camp_progress *p)
{
	struct slot	*s, *oldest = &slots[0];
	size_t		 i;

	if (!camp_progress_token_valid(token))
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < SLOTS; i++) {
		s = &slots[i];
		if (strcmp(s->token, token) == 0 && strcmp(s->user, user) == 0)
			break;
		if (s->at < oldest->at)
			oldest = s;
	}
	if (i == SLOTS) {
		s = oldest;
		snprintf(s->token, sizeof(s->token), "%s", token);
		snprintf(s->user, sizeof(s->user), "%s", user);
	}
	s->p = *p;
	s->at = time(NULL);
	pthread_mutex_unlock(&lock);
}

int
camp_progress_get(const char *token, const char *user,
    struct camp_progress *p)
{
	size_t	 i;
	int	 found = 0;

	if (!camp_progress_token_valid(token))
		return 0;
	pthread_mutex_lock(&lock);
	for (i = 0; i < SLOTS; i++)
		if (strcmp(slots[i].token, token) == 0 &&
		    strcmp(slots[i].user, user) == 0) {
			*p = slots[i].p;
			found = 1;
			break;
		}
	pthread_mutex_unlock(&lock);
	return found;
}

void
camp_import_progress(struct adm *a)
{
	struct camp_progress	 p;
	const char		*token = arg(a, "token");
	int			 known;

	known = camp_progress_get(token, a->user, &p);
	http_json(a->h, 200, payload_import_progress(known, known ? p.done : 0,
	    known ? p.total : 0, known ? p.lines : 0, known && p.finished));
}

/* ibchannel campaign: create, import (with its progress), start, pause, resume, cancel, status, list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ibchannel.h"
#include "ops_campaign.h"
#include "parse.h"

/* The campaign number of the first argument: 0, or EXIT_USAGE said. */
static int
campaign_arg(struct cli *c, int64_t *id)
{
	const char	*s = c->arg[0];

	if (!parse_id(s, id))
		return say(EXIT_USAGE, "'%s' is not a valid campaign number",
		    s);
	return 0;
}

int
cmd_campaign_create(struct cli *c)
{
	struct ops_campaign_form	 f;
	char				*files[OPS_FORM_FIELDS_MAX];
	int64_t				 id;
	int				 rc;

	memset(&f, 0, sizeof(f));
	if ((rc = cli_form(c, &f, files)) != 0)
		return rc;
	if ((rc = ops_campaign_create(&c->ops, &f, &id, &c->e)) > 0)
		printf("%lld\n", (long long)id);
	return report(c, rc);
}

/* What the import shows as it goes. */
struct progress {
	int	 tty;		/* stderr is a terminal: a bar redrawn in place */
	time_t	 last;		/* else a line every few seconds (since the start) */
	int	 drawn;
	FILE	*rejects;	/* the rejected lines, printed after the counts */
};

static void
on_progress(uint64_t done, uint64_t total, uint64_t lines, void *arg)
{
	struct progress	*p = arg;
	char		 bar[41];
	int		 pct, i;
	time_t		 now = time(NULL);

	pct = total > 0 ? (int)(done * 100 / total) : -1;
	if (pct > 100)
		pct = 100;
	if (p->tty) {
		for (i = 0; i < 40; i++)
			bar[i] = pct >= 0 && i < pct * 40 / 100 ? '#' : '.';
		bar[40] = '\0';
		if (pct >= 0)
			fprintf(stderr, "\r[%s] %3d%% %llu lines", bar, pct,
			    (unsigned long long)lines);
		else
			fprintf(stderr, "\r%llu lines",
			    (unsigned long long)lines);
		p->drawn = 1;
		return;
	}
	/* Every few seconds: a file read in less says nothing. */
	if (now - p->last < 3)
		return;
	p->last = now;
	if (pct >= 0)
		fprintf(stderr, "ibchannel: importing: %d%%, %llu lines\n",
		    pct, (unsigned long long)lines);
	else
		fprintf(stderr, "ibchannel: importing: %llu lines\n",
		    (unsigned long long)lines);
}

static void
on_reject(uint64_t line, const char *reason, void *arg)
{
	struct progress	*p = arg;

	fprintf(p->rejects, "line %llu: %s\n", (unsigned long long)line,
	    esc(reason));
}

int
cmd_campaign_import(struct cli *c)
{
	struct ops_import_report	 rep;
	struct ops_import_result	 res;
	struct progress			 p;
	struct stat			 sb;
	FILE				*in;
	char				 buf[8192];
	size_t				 n;
	int64_t				 id;
	int				 rc;

	if ((rc = campaign_arg(c, &id)) != 0)
		return rc;
	memset(&p, 0, sizeof(p));
	p.tty = isatty(STDERR_FILENO);
	p.last = time(NULL);
	if ((in = strcmp(c->arg[1], "-") == 0 ? stdin :
	    store_input_open(c->arg[1])) == NULL)
		return say(1, "%s: %s", c->arg[1], strerror(errno));
	/* The rejected lines wait in a file: a million of them need no memory. */
	if ((p.rejects = tmpfile()) == NULL) {
		if (in != stdin)
			fclose(in);
		return say(1, "cannot make a temporary file: %s",
		    strerror(errno));
	}
	memset(&rep, 0, sizeof(rep));
	rep.progress = on_progress;
	rep.reject = on_reject;
	rep.arg = &p;
	rc = ops_campaign_import(&c->ops, id, in, fstat(fileno(in), &sb) == 0 &&
	    S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0, &rep, &res, &c->e);
	if (p.drawn)
		fputc('\n', stderr);
	if (in != stdin)
		fclose(in);
	if (rc > 0) {
		printf("imported %llu, rejected %llu\n",
		    (unsigned long long)res.imported,
		    (unsigned long long)res.rejected);
		rewind(p.rejects);
		while ((n = fread(buf, 1, sizeof(buf), p.rejects)) > 0)
			fwrite(buf, 1, n, stdout);
	}
	fclose(p.rejects);
	return report(c, rc);
}

int
cmd_campaign_act(struct cli *c)
{
	static const struct {
		const char	*verb;
		int		(*fn)(const struct ops *, int64_t,
				    struct ops_error *);
	} acts[] = {
		{ "start", ops_campaign_start },
		{ "pause", ops_campaign_pause },
		{ "resume", ops_campaign_resume },
		{ "cancel", ops_campaign_cancel },
	};
	struct ops_campaign_view	*v;
	struct ops_error		 e;
	size_t				 i;
	int64_t				 id;
	int				 rc;

	if ((rc = campaign_arg(c, &id)) != 0)
		return rc;
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(acts[i].verb, c->cmd->verb) == 0)
			break;
	if (i == sizeof(acts) / sizeof(acts[0]))
		return say(1, "no such campaign action '%s'", c->cmd->verb);
	if ((rc = acts[i].fn(&c->ops, id, &c->e)) > 0) {
		if ((v = malloc(sizeof(*v))) != NULL &&
		    ops_campaign_get(&c->ops, id, v, &e) > 0)
			printf("campaign %lld %s\n", (long long)id,
			    campaign_state_name(v->state));
		free(v);
	}
	return report(c, rc);
}

int
cmd_campaign_status(struct cli *c)
{
	struct ops_campaign_view	*v;
	int64_t				 id;
	int				 rc, i;

	if ((rc = campaign_arg(c, &id)) != 0)
		return rc;
	if ((v = malloc(sizeof(*v))) == NULL)
		return say(1, "out of memory");
	if ((rc = ops_campaign_get(&c->ops, id, v, &c->e)) > 0) {
		printf("state: %s\n", campaign_state_name(v->state));
		for (i = 0; i < RCPT__MAX; i++)
			printf("%s: %lld\n", rcpt_status_name(i),
			    (long long)v->counts[i]);
	}
	free(v);
	return report(c, rc);
}

static int
list_one(const struct ops_campaign_view *v, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%lld recipients\t%lld planned\n",
	    (long long)v->id, v->name, campaign_state_name(v->state),
	    esc(v->connection_name), (long long)v->total,
	    (long long)v->counts[RCPT_PLANNED]);
	return 1;
}

int
cmd_campaign_list(struct cli *c)
{
	if (ops_campaign_each(&c->ops, list_one, NULL) < 0)
		return say(1, "store error (see the log)");
	return 0;
}

/* Handler of /admin/metrics: the store's figures in Prometheus' text format. */
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"
#include "http.h"
#include "store_admin.h"

/* The families read as rows from the store: name, help, and the names of its labels. */
static const struct {
	enum store_metric	 which;
	const char		*name, *help;
	const char		*label1, *label2;	/* NULL: none */
} families[] = {
	{ STORE_METRIC_MESSAGES, "ibchannel_messages",
	    "Messages in the store by direction and status.",
	    "direction", "status" },
	{ STORE_METRIC_OUTBOX, "ibchannel_outbox_messages",
	    "Outbound messages not yet answered by Infobip, by state.",
	    "state", NULL },
	{ STORE_METRIC_CONNECTIONS, "ibchannel_connections",
	    "Connections by status.", "status", NULL },
	{ STORE_METRIC_REPORTS_WAITING, "ibchannel_reports_waiting",
	    "Delivery reports kept until their message is known.", NULL, NULL },
};

/* A label value with Prometheus' escapes (backslash, quote, newline). */
static void
label(FILE *f, const char *name, const char *v)
{
	fprintf(f, "%s=\"", name);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

struct family_out {
	FILE		*f;
	size_t		 i;		/* into families[] */
};

static int
family_row(const char *l1, const char *l2, double v, void *arg)
{
	struct family_out	*o = arg;

	fputs(families[o->i].name, o->f);
	if (families[o->i].label1 != NULL) {
		fputc('{', o->f);
		label(o->f, families[o->i].label1, l1);
		if (families[o->i].label2 != NULL) {
			fputc(',', o->f);
			label(o->f, families[o->i].label2, l2);
		}
		fputc('}', o->f);
	}
	fprintf(o->f, " %.17g\n", v);
	return 1;
}

/* One gauge without labels. */
static void
gauge(FILE *f, const char *name, const char *help, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help,
	    name, name, v);
}

/*
 * GET /admin/metrics (any role: it reads). Everything is read before the
 * answer starts, so a store error is a 503, never half a page.
 */
void
metrics_show(struct adm *a)
{
	struct store_queue_stats q;
	struct store_heartbeat	 hb;
	struct family_out	 o;
	char			*buf = NULL;
	size_t			 len = 0;
	int			 rc, known;

	if ((o.f = open_memstream(&buf, &len)) == NULL) {
		admin_fail(a, 500, "out of memory");
		return;
	}
	rc = 1;
	for (o.i = 0; rc > 0 && o.i < sizeof(families) / sizeof(families[0]);
	    o.i++) {
		fprintf(o.f, "# HELP %s %s\n# TYPE %s gauge\n",
		    families[o.i].name, families[o.i].help, families[o.i].name);
		rc = store_admin_metric(a->st, families[o.i].which, family_row,
		    &o);
	}
	if (rc > 0 && (rc = store_admin_queues(a->st, &q)) > 0 &&
	    (known = store_heartbeat_get(a->st, "sender", &hb)) >= 0) {
		gauge(o.f, "ibchannel_outbox_oldest_seconds", "Age of the"
		    " oldest message in the outbox (0 when empty).",
		    q.outbox_oldest_s);
		gauge(o.f, "ibchannel_agent_queue_messages", "Inbound messages"
		    " waiting for their agent's answer.", (double)q.agent_queue);
		gauge(o.f, "ibchannel_agent_queue_oldest_seconds", "Age of the"
		    " oldest message waiting for its agent (0 when none).",
		    q.agent_oldest_s);
		gauge(o.f, "ibchannel_sender_last_run_timestamp_seconds",
		    "When the sender last ran, as a Unix time (0: never).",
		    known > 0 ? hb.unix_s : 0);
	} else if (rc > 0)
		rc = -1;
	if (fclose(o.f) != 0 || rc < 0) {
		free(buf);
		admin_store_error(a);
		return;
	}
	http_open(a->h, 200, "text/plain; version=0.0.4; charset=utf-8");
	http_write(a->h, buf, len);
	free(buf);
}

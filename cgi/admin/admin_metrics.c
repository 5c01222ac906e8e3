/* Handler of /admin/metrics: the store's figures in Prometheus' text format. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "http.h"
#include "metrics.h"
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

static int
request_row(const char *program, const char *route, int status, int64_t n,
    void *arg)
{
	FILE	*f = arg;

	fputs("ibchannel_webhook_requests_total{", f);
	label(f, "program", program);
	fputc(',', f);
	label(f, "route", route);
	fprintf(f, ",status=\"%d\"} %" PRId64 "\n", status, n);
	return 1;
}

/* The histograms: the sender's latency series, with the name of their label. */
static const struct {
	const char	*series;	/* in latency_buckets */
	const char	*name, *help;
	const char	*label;		/* NULL: none */
} histograms[] = {
	{ METRICS_SEND_BATCH, "ibchannel_send_batch_seconds", "How long the"
	    " sender's POST of one batch of messages to Infobip took.", NULL },
	{ METRICS_AGENT, "ibchannel_agent_seconds", "How long one agent call"
	    " took, by the agent's kind.", "kind" },
};

/* One histogram being written: the label read last and its buckets so far. */
struct hist_out {
	FILE		*f;
	size_t		 i;		/* into histograms[] */
	int		 open;		/* a label is being gathered */
	char		 label[64];
	int64_t		 count, bucket[METRICS_BUCKETS];
	double		 sum;
};

/* Writes the gathered label's series: cumulative buckets, then its sum and count. */
static void
hist_emit(struct hist_out *o)
{
	const char	*name = histograms[o->i].name;
	int64_t		 cum = 0;
	size_t		 b;

	if (!o->open)
		return;
	for (b = 0; b < METRICS_BUCKETS; b++) {
		cum += o->bucket[b];
		fprintf(o->f, "%s_bucket{", name);
		if (histograms[o->i].label != NULL) {
			label(o->f, histograms[o->i].label, o->label);
			fputc(',', o->f);
		}
		if (isinf(metrics_bucket_le[b]))
			fputs("le=\"+Inf\"", o->f);
		else
			fprintf(o->f, "le=\"%g\"", metrics_bucket_le[b]);
		fprintf(o->f, "} %" PRId64 "\n", cum);
	}
	fprintf(o->f, "%s_sum", name);
	if (histograms[o->i].label != NULL) {
		fputc('{', o->f);
		label(o->f, histograms[o->i].label, o->label);
		fputc('}', o->f);
	}
	fprintf(o->f, " %.17g\n%s_count", o->sum, name);
	if (histograms[o->i].label != NULL) {
		fputc('{', o->f);
		label(o->f, histograms[o->i].label, o->label);
		fputc('}', o->f);
	}
	fprintf(o->f, " %" PRId64 "\n", o->count);
	o->open = 0;
}

static int
hist_row(const struct store_latency_row *x, void *arg)
{
	struct hist_out	*o = arg;
	size_t		 b;

	if (!o->open || strcmp(o->label, x->label) != 0) {
		hist_emit(o);
		o->open = 1;
		snprintf(o->label, sizeof(o->label), "%s", x->label);
		o->count = x->count;
		o->sum = x->sum;
		memset(o->bucket, 0, sizeof(o->bucket));
	}
	if (!x->has_bucket)
		return 1;
	/* A bound no longer in the list counts in the next one above it. */
	for (b = 0; b < METRICS_BUCKETS - 1 && x->le > metrics_bucket_le[b];
	    b++)
		;
	o->bucket[b] += x->bucket_count;
	return 1;
}

/*
 * GET /admin/metrics (any role: it reads). Everything is read before the
 * answer starts, so a store error is a 503, never half a page.
 */
void
metrics_show(struct adm *a)
{
	struct store_queue_stats q;
	struct store_replication rep;
	struct store_heartbeat	 hb;
	struct family_out	 o;
	struct hist_out		 h;
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
	/* A store on a server: its standbys (a file has none: no gauge). */
	if (rc > 0 && (rc = store_replication(a->st, &rep)) > 0) {
		gauge(o.f, "ibchannel_store_standbys", "Standbys streaming"
		    " from the store's PostgreSQL primary.",
		    (double)rep.standbys);
		gauge(o.f, "ibchannel_store_sync_standby", "1 when a standby"
		    " is synchronous (a commit waits for it), 0 when the"
		    " store runs without one.", rep.synchronous > 0 ? 1 : 0);
	} else if (rc == 0)
		rc = 1;
	if (rc > 0) {
		fputs("# HELP ibchannel_webhook_requests_total Requests the"
		    " web-facing programs answered, by program, route and HTTP"
		    " status.\n# TYPE ibchannel_webhook_requests_total counter\n",
		    o.f);
		rc = store_admin_requests(a->st, request_row, o.f);
	}
	for (h.i = 0; rc > 0 && h.i < sizeof(histograms) /
	    sizeof(histograms[0]); h.i++) {
		h.f = o.f;
		h.open = 0;
		fprintf(o.f, "# HELP %s %s\n# TYPE %s histogram\n",
		    histograms[h.i].name, histograms[h.i].help,
		    histograms[h.i].name);
		rc = store_admin_latency(a->st, histograms[h.i].series,
		    hist_row, &h);
		hist_emit(&h);
	}
	if (fclose(o.f) != 0 || rc < 0) {
		free(buf);
		admin_store_error(a);
		return;
	}
	http_open(a->h, 200, "text/plain; version=0.0.4; charset=utf-8");
	http_write(a->h, buf, len);
	free(buf);
}

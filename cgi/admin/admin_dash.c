/* Handler of the Dashboard: the last days from the rollup, the queues, each connection's last Start. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "admin_view.h"
#include "ops.h"
#include "store_admin.h"

/* The connection's slot, added when new; NULL when the table is full. */
static struct dash_conn *
conn_slot(struct dash *d, const char *id, const char *name)
{
	size_t	 i;

	for (i = 0; i < d->nconns; i++)
		if (strcmp(d->conns[i].id, id) == 0)
			return &d->conns[i];
	if (d->nconns == DASH_CONNS)
		return NULL;
	snprintf(d->conns[d->nconns].id, sizeof(d->conns[0].id), "%s", id);
	snprintf(d->conns[d->nconns].name, sizeof(d->conns[0].name), "%s",
	    name);
	return &d->conns[d->nconns++];
}

static int
add_conn(const struct store_connection *c, void *arg)
{
	struct dash_conn	*dc;

	if ((dc = conn_slot(arg, c->id, c->name)) != NULL) {
		dc->listed = 1;
		dc->status = c->status;
		snprintf(dc->status_message, sizeof(dc->status_message),
		    "%.250s", c->status_message);
	}
	return 1;
}

/*
 * The currency of a connection that has no priced message yet: the one
 * its last Start's balance names ("... balance 12.50 EUR"), else the one
 * the other connections are priced in, so that "0.00" never stands bare.
 */
static void
currency_fill(struct dash *d)
{
	const char	*any = "", *p;
	size_t		 i, n;

	for (i = 0; i < d->nconns; i++)
		if (d->conns[i].currency[0] != '\0') {
			any = d->conns[i].currency;
			break;
		}
	for (i = 0; i < d->nconns; i++) {
		if (d->conns[i].currency[0] != '\0')
			continue;
		if ((p = strstr(d->conns[i].balance, "balance ")) != NULL &&
		    (p = strchr(p + 8, ' ')) != NULL &&
		    (n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == 3)
			snprintf(d->conns[i].currency,
			    sizeof(d->conns[i].currency), "%.3s", p + 1);
		else
			snprintf(d->conns[i].currency,
			    sizeof(d->conns[i].currency), "%s", any);
	}
}

static int
add_day(const struct store_day_row *r, void *arg)
{
	struct dash		*d = arg;
	struct dash_conn	*c;
	size_t			 i;

	for (i = 0; i < DASH_DAYS; i++)
		if (strcmp(d->days[i].day, r->day) == 0) {
			d->days[i].received += r->received;
			d->days[i].sent += r->sent;
			d->days[i].delivered += r->delivered;
			d->days[i].not_delivered += r->not_delivered;
		}
	if ((c = conn_slot(d, r->conn, r->conn_name)) != NULL) {
		c->spend += r->spend;
		c->sent += r->sent;
		c->delivered += r->delivered;
		if (r->currency[0] != '\0')
			snprintf(c->currency, sizeof(c->currency), "%s",
			    r->currency);
	}
	return 1;
}

void
dash_show(struct adm *a)
{
	static struct dash	 zero;
	struct dash		 d = zero;
	struct tm		 tm;
	time_t			 now = time(NULL), t;
	size_t			 i;

	/* The window: the last DASH_DAYS days, today included (UTC). */
	for (i = 0; i < DASH_DAYS; i++) {
		t = now - (time_t)(DASH_DAYS - 1 - i) * 86400;
		gmtime_r(&t, &tm);
		strftime(d.days[i].day, sizeof(d.days[i].day), "%Y-%m-%d", &tm);
	}
	if (ops_connection_each_row(&a->ops, add_conn, &d) < 0 ||
	    store_admin_days(a->st, d.days[0].day, add_day, &d) < 0 ||
	    store_admin_queues(a->st, &d.q) < 0) {
		admin_store_error(a);
		return;
	}
	for (i = 0; i < d.nconns; i++)
		if (store_admin_log_last(a->st, d.conns[i].id, "start",
		    "RUNNING:", d.conns[i].balance_at,
		    sizeof(d.conns[i].balance_at), d.conns[i].balance,
		    sizeof(d.conns[i].balance)) < 0) {
			admin_store_error(a);
			return;
		}
	currency_fill(&d);
	view_dash(a, &d);
}

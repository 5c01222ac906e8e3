/* The campaign actions (ops_campaign.h) against a real store: form errors by field, edit, import, the reads the admin uses, state changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ops.h"
#include "ops_campaign.h"
#include "secret.h"
#include "store.h"

static char	 dir[256];

struct rejects {
	char	 text[1024];
	int	 n;
	int	 progress;
};

static void
on_reject(uint64_t line, const char *reason, void *arg)
{
	struct rejects	*r = arg;
	size_t		 n = strlen(r->text);

	snprintf(r->text + n, sizeof(r->text) - n, "%llu %s|",
	    (unsigned long long)line, reason);
	r->n++;
}

static void
on_progress(uint64_t done, uint64_t total, uint64_t lines, void *arg)
{
	struct rejects	*r = arg;

	(void)done;
	(void)total;
	(void)lines;
	r->progress++;
}

/* Collects recipients' phones joined by ','. */
static int
on_rcpt(const struct ops_recipient_row *row, void *arg)
{
	char	*buf = arg;
	size_t	 n = strlen(buf);

	snprintf(buf + n, 512 - n, "%s:%s,", row->phone,
	    rcpt_status_name(row->status));
	return 1;
}

static int
on_preview(const char *phone, const char *text, void *arg)
{
	char	*buf = arg;
	size_t	 n = strlen(buf);

	snprintf(buf + n, 512 - n, "%s=%s|", phone, text);
	return 1;
}

static int
on_each(const struct ops_campaign_view *v, void *arg)
{
	int64_t	*last = arg;

	*last = v->id;
	return 0;	/* the newest only */
}

static void
test_campaigns(struct ops *o)
{
	struct ops_connection_form	 cf;
	struct ops_agent_form		 af;
	struct ops_campaign_form	 f;
	struct ops_campaign_view	*v;
	struct ops_import_report	 rep;
	struct ops_import_result	 res;
	struct ops_recipient_filter	 flt;
	struct ops_error		 e;
	struct rejects			 rj;
	char				 conn[STORE_ID_LEN + 1], agent[32];
	char				 buf[512], *mem = NULL;
	int64_t				 aid, id, newest = 0;
	size_t				 memsz = 0;
	FILE				*in, *out;
	const char			*dup, *csv = "phone,name\n+4915112340001,Ann\n"
	    "4915112340002,=cmd()\nbad,Bo\n4915112340001,Ann again\n"
	    "4915112340003,\n";

	memset(&cf, 0, sizeof(cf));
	cf.name = "Line";
	cf.api_key = "secret-key-abcd1234";
	cf.api_url = "x.api.infobip.com";
	cf.sender = "Shop";
	memset(&af, 0, sizeof(af));
	af.name = "Desk";
	af.kind = "rules";
	if (ops_connection_add(o, &cf, conn, &e) <= 0 ||
	    ops_agent_add(o, &af, &aid, &e) <= 0 ||
	    ops_agent_attach(o, aid, conn, 0, &e) <= 0) {
		CHECK(0, "setup: %s", ops_error_text(&e));
		return;
	}
	snprintf(agent, sizeof(agent), "%lld", (long long)aid);
	v = malloc(sizeof(*v));

	/* Every field's problem at once, by field. */
	memset(&f, 0, sizeof(f));
	f.name = "lower";
	f.connection = "nothex";
	f.agent = "Nobody";
	f.text = "Hi {{ }}";
	f.tz = "Nowhere/City";
	f.window = "25:00-01:00";
	f.rate = "0";
	CHECK(ops_campaign_create(o, &f, &id, &e) == 0 && e.n == 7,
	    "bad form refused with 7 problems, got %zu", e.n);
	CHECK(ops_error_for(&e, "name") && ops_error_for(&e, "connection") &&
	    ops_error_for(&e, "agent") && ops_error_for(&e, "text") &&
	    ops_error_for(&e, "tz") && ops_error_for(&e, "window") &&
	    ops_error_for(&e, "rate"), "each field named");

	memset(&f, 0, sizeof(f));
	f.name = "SPRING";
	f.connection = conn;
	f.agent = "Desk";
	f.text = "Hi {{name}}";
	CHECK(ops_campaign_create(o, &f, &id, &e) > 0 && id > 0, "created by"
	    " agent name: %s", ops_error_text(&e));
	CHECK(ops_campaign_get(o, id, v, &e) > 0 && v->state == CAMP_DRAFT &&
	    strcmp(v->tz, "UTC") == 0 && v->rate == 600 && v->window[0] ==
	    '\0' && v->agent_id == aid && strcmp(v->connection_name, "Line") ==
	    0 && v->total == 0, "view: draft, the defaults");

	/* Edit: NULL keeps a field; a bad one is refused by its field. */
	memset(&f, 0, sizeof(f));
	f.window = "22:00-06:00";
	f.tz = "Europe/Berlin";
	f.start = "2030-01-02 03:04";
	CHECK(ops_campaign_edit(o, id, &f, &e) > 0, "edited: %s",
	    ops_error_text(&e));
	CHECK(ops_campaign_get(o, id, v, &e) > 0 &&
	    strcmp(v->window, "22:00-06:00") == 0 &&
	    strcmp(v->start_local, "2030-01-02 03:04") == 0 &&
	    strcmp(v->start_utc, "2030-01-02 02:04") == 0 &&
	    strcmp(v->name, "SPRING") == 0, "view after the edit: %s %s",
	    v->window, v->start_utc);
	memset(&f, 0, sizeof(f));
	f.rate = "x";
	CHECK(ops_campaign_edit(o, id, &f, &e) == 0 &&
	    ops_error_for(&e, "rate") != NULL, "edit: bad rate refused");
	f.rate = NULL;
	f.start = "";
	CHECK(ops_campaign_edit(o, id, &f, &e) > 0 &&
	    ops_campaign_get(o, id, v, &e) > 0 && v->start_utc[0] == '\0',
	    "edit: the start removed");

	/* Import: the good lines, the bad ones reported with their line. */
	memset(&rj, 0, sizeof(rj));
	memset(&rep, 0, sizeof(rep));
	rep.reject = on_reject;
	rep.progress = on_progress;
	rep.arg = &rj;
	in = fmemopen((void *)csv, strlen(csv), "r");
	CHECK(ops_campaign_import(o, id, in, strlen(csv), &rep, &res, &e) > 0 &&
	    res.lines == 5 && res.imported == 2 && res.rejected == 3,
	    "imported 2 of 5: %s", ops_error_text(&e));
	fclose(in);
	CHECK_STR(rj.text, "4 invalid phone number: not digits|"
	    "5 duplicate phone in the campaign|"
	    "6 template field missing: name|", "rejects");
	CHECK(rj.progress >= 1, "progress reported");
	in = fmemopen((void *)"number\n1\n", 9, "r");
	CHECK(ops_campaign_import(o, id, in, 0, NULL, &res, &e) == 0 &&
	    e.kind == OPS_INVALID && strstr(ops_error_text(&e), "no phone") !=
	    NULL, "no phone column: refused");
	fclose(in);
	dup = "\xef\xbb\xbf\nphone,name,Phone\n1,a,2\n";
	in = fmemopen((void *)dup, strlen(dup), "r");
	CHECK(ops_campaign_import(o, id, in, 0, NULL, &res, &e) == 0 &&
	    e.kind == OPS_INVALID && strstr(ops_error_text(&e), "line 2:") !=
	    NULL && strstr(ops_error_text(&e), "'Phone' twice (columns 1 and"
	    " 3)") != NULL && res.imported == 0,
	    "two phone columns: refused with the line: %s", ops_error_text(&e));
	fclose(in);
	/* A line already imported: read, nothing added. */
	dup = "phone,name,,\n4915112340001,a,,\n";
	in = fmemopen((void *)dup, strlen(dup), "r");
	CHECK(ops_campaign_import(o, id, in, 0, NULL, &res, &e) > 0 &&
	    res.lines == 1, "unnamed columns are no duplicates: %s",
	    ops_error_text(&e));
	fclose(in);

	/* The reads the admin uses. */
	memset(&flt, 0, sizeof(flt));
	flt.status = RCPT__MAX;
	flt.limit = 10;
	buf[0] = '\0';
	CHECK(ops_campaign_recipients(o, id, &flt, on_rcpt, buf, &e) > 0,
	    "recipients");
	CHECK_STR(buf, "+4915112340001:planned,+4915112340002:planned,",
	    "all recipients");
	buf[0] = '\0';
	flt.phone = "4915112340002";
	CHECK(ops_campaign_recipients(o, id, &flt, on_rcpt, buf, &e) > 0,
	    "by phone");
	CHECK_STR(buf, "+4915112340002:planned,", "a phone prefix without +");
	flt.phone = "12-3";
	CHECK(ops_campaign_recipients(o, id, &flt, on_rcpt, buf, &e) == 0 &&
	    ops_error_for(&e, "phone") != NULL, "a bad phone filter");
	flt.phone = NULL;
	flt.limit = 0;
	CHECK(ops_campaign_recipients(o, id, &flt, on_rcpt, buf, &e) == 0 &&
	    ops_error_for(&e, "limit") != NULL, "a bad limit");
	buf[0] = '\0';
	CHECK(ops_campaign_preview(o, id, 2, on_preview, buf, &e) > 0,
	    "preview");
	CHECK_STR(buf, "+4915112340001=Hi Ann|+4915112340002=Hi =cmd()|",
	    "the first messages rendered");
	out = open_memstream(&mem, &memsz);
	CHECK(ops_campaign_export(o, id, out, &e) > 0, "export");
	fclose(out);
	CHECK(mem != NULL && strncmp(mem, "\"line\",\"phone\",\"status\"", 23) ==
	    0 && strstr(mem, "\"2\",\"'+4915112340001\",\"planned\",\"\",\"\","
	    "\"\",\"") != NULL, "export: quoted, a leading + guarded: %s", mem);
	free(mem);
	CHECK(ops_campaign_each(o, on_each, &newest) > 0 && newest == id,
	    "each: the newest first");

	/* State changes, each refused where it does not apply. */
	CHECK(ops_campaign_resume(o, id, &e) == 0 && e.kind == OPS_REFUSED &&
	    strstr(ops_error_text(&e), "is draft") != NULL, "resume a draft");
	CHECK(ops_campaign_start(o, id, &e) > 0 && ops_campaign_get(o, id, v,
	    &e) > 0 && v->state == CAMP_RUNNING && v->started_at[0] != '\0',
	    "started: running");
	memset(&f, 0, sizeof(f));
	f.rate = "5";
	CHECK(ops_campaign_edit(o, id, &f, &e) == 0 && e.kind == OPS_REFUSED,
	    "no edit once started");
	CHECK(ops_campaign_pause(o, id, &e) > 0, "paused");
	in = fmemopen((void *)"phone,name\n4915112340009,Zed\n", 29, "r");
	CHECK(ops_campaign_import(o, id, in, 0, NULL, &res, &e) > 0 &&
	    res.imported == 1, "imported into a paused campaign");
	fclose(in);
	CHECK(ops_campaign_resume(o, id, &e) > 0, "resumed");
	CHECK(ops_campaign_cancel(o, id, &e) > 0 && ops_campaign_get(o, id, v,
	    &e) > 0 && v->state == CAMP_CANCELED && v->counts[RCPT_CANCELED] ==
	    3 && v->total == 3 && v->ended_at[0] != '\0', "canceled: all 3");
	CHECK(ops_campaign_cancel(o, id, &e) == 0 && e.kind == OPS_REFUSED,
	    "cancel twice");
	in = fmemopen((void *)"phone\n4915112340008\n", 20, "r");
	CHECK(ops_campaign_import(o, id, in, 0, NULL, &res, &e) == 0 &&
	    e.kind == OPS_REFUSED, "no import into a canceled campaign");
	fclose(in);
	CHECK(ops_campaign_get(o, 999, v, &e) == 0 && e.kind == OPS_NOT_FOUND,
	    "unknown campaign");
	free(v);
}

int
main(void)
{
	unsigned char	 key[SECRET_KEY_LEN];
	struct ops	 o;
	char		 path[300];

	snprintf(dir, sizeof(dir), "%s/ibc-campops-XXXXXX", P_tmpdir);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ops.db", dir);
	memset(&o, 0, sizeof(o));
	memset(key, 7, sizeof(key));
	o.key = key;
	o.user = "tester";
	if (store_open(path, STORE_OPEN_CREATE, &o.st) <= 0)
		return 1;
	test_campaigns(&o);
	store_close(o.st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return check_done();
}

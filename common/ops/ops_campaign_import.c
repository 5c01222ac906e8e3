/* Campaign import (ops_campaign_import): recipients from CSV, checked line by line, committed in batches. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "log.h"
#include "ops_campaign.h"
#include "ops_int.h"
#include "payload_campaign.h"
#include "phone.h"
#include "store.h"
#include "store_campaign.h"

#define IMPORT_BATCH	2000	/* recipients per transaction of an import */

/* What an import keeps between lines. */
struct import {
	const struct ops		*o;
	const struct ops_import_report	*rep;
	struct ops_import_result	*res;
	struct store_rcpt_writer	*w;
	char				*names[CAMPAIGN_FIELDS_MAX];
	size_t				 ncols;
	size_t				 phone_col, tz_col;	/* SIZE_MAX when none */
	char				*need[PLACEHOLDERS_MAX];	/* the template's fields */
	size_t				 nneed;
	char				 zones[8][64];	/* zones found valid lately */
	size_t				 nzones;
};

static void
reject(struct import *im, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reject(struct import *im, uint64_t line, const char *fmt, ...)
{
	va_list	 ap;
	char	 reason[512];

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	im->res->rejected++;
	if (im->rep != NULL && im->rep->reject != NULL)
		im->rep->reject(line, reason, im->rep->arg);
}

/* s without surrounding spaces and tabs, in place. */
static char *
trim(char *s)
{
	size_t	 n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Whether zone is valid, remembering the last few that were. */
static int
zone_ok(struct import *im, const char *zone)
{
	size_t	 i;

	for (i = 0; i < im->nzones; i++)
		if (strcmp(im->zones[i], zone) == 0)
			return 1;
	if (!campaign_tz_valid(zone))
		return 0;
	snprintf(im->zones[im->nzones % 8], sizeof(im->zones[0]), "%s", zone);
	if (im->nzones < 8)
		im->nzones++;
	return 1;
}

/* The template's field names, each once, into im->need. */
static int
template_fields(struct import *im, const char *tmpl)
{
	const char	*p, *q;
	char		 name[CAMPAIGN_FIELD_NAME_MAX + 1];
	size_t		 i, n;

	for (p = tmpl; (p = strstr(p, "{{")) != NULL; p = q + 2) {
		q = p + 2 + strspn(p + 2, " ");
		n = strcspn(q, " }");
		if (n == 0 || n > CAMPAIGN_FIELD_NAME_MAX)
			return 0;
		memcpy(name, q, n);
		name[n] = '\0';
		if ((q = strstr(q, "}}")) == NULL)
			return 0;
		for (i = 0; i < im->nneed; i++)
			if (strcmp(im->need[i], name) == 0)
				break;
		if (i < im->nneed || strcmp(name, "phone") == 0)
			continue;
		if (im->nneed == PLACEHOLDERS_MAX ||
		    (im->need[im->nneed] = strdup(name)) == NULL)
			return 0;
		im->nneed++;
	}
	return 1;
}

/* Imports one data record. > 0 imported or rejected, < 0 store error. */
static int
import_record(struct import *im, const struct csv_record *rec)
{
	const char	*names[CAMPAIGN_FIELDS_MAX], *values[CAMPAIGN_FIELDS_MAX];
	const char	*why, *zone = "";
	char		 phone[PHONE_MAX], *fields;
	size_t		 i, j, n = 0;
	int		 rc, opted_out;

	if (rec->error != NULL) {
		reject(im, rec->line, "%s", rec->error);
		return 1;
	}
	if (rec->n > im->ncols) {
		reject(im, rec->line, "bad CSV: %zu fields, the header has %zu",
		    rec->n, im->ncols);
		return 1;
	}
	if (im->phone_col >= rec->n || !phone_normalize(trim(
	    rec->field[im->phone_col]), phone, sizeof(phone), &why)) {
		reject(im, rec->line, "invalid phone number: %s",
		    im->phone_col >= rec->n ? "empty" : why);
		return 1;
	}
	if (im->tz_col < rec->n && *(zone = trim(rec->field[im->tz_col])) !=
	    '\0' && !zone_ok(im, zone)) {
		reject(im, rec->line, "invalid timezone: %.64s", zone);
		return 1;
	}
	for (j = 0; j < im->nneed; j++) {
		for (i = 0; i < rec->n; i++)
			if (strcmp(im->names[i], im->need[j]) == 0 &&
			    rec->field[i][0] != '\0')
				break;
		if (i == rec->n) {
			reject(im, rec->line, "template field missing: %s",
			    im->need[j]);
			return 1;
		}
	}
	for (i = 0; i < rec->n; i++) {
		if (i == im->phone_col)
			continue;
		names[n] = im->names[i];
		values[n++] = rec->field[i];
	}
	if ((fields = payload_fields_build(names, values, n)) == NULL) {
		log_error("import: out of memory");
		return -1;
	}
	rc = store_rcpt_writer_add(im->w, rec->line, phone, fields, zone,
	    &opted_out);
	free(fields);
	if (rc < 0)
		return -1;
	if (rc == 0)
		reject(im, rec->line, opted_out ? "opted-out contact" :
		    "duplicate phone in the campaign");
	else
		im->res->imported++;
	return 1;
}

/* Reads the header: > 0, 0 refused (err filled). */
static int
import_header(struct import *im, struct csv *csv, struct ops_error *e)
{
	struct csv_record	 rec;
	char			*name;
	size_t			 i, j;
	int			 rc;

	if ((rc = csv_read(csv, &rec)) < 0)
		return ops_fail(e, OPS_FAILED, "file", "the file cannot be"
		    " read");
	if (rc == 0)
		return ops_fail(e, OPS_INVALID, "file", "the file is empty (it"
		    " needs a header row with a phone column)");
	if (rec.error != NULL)
		return ops_fail(e, OPS_INVALID, "file", "the header row: %s",
		    rec.error);
	im->phone_col = im->tz_col = (size_t)-1;
	for (i = 0; i < rec.n; i++) {
		name = trim(rec.field[i]);
		/*
		 * Which of two phone columns would count is anyone's guess;
		 * unnamed columns (a trailing separator) are no one's.
		 */
		for (j = 0; j < i && *name != '\0'; j++)
			if (strcasecmp(name, im->names[j]) == 0)
				return ops_fail(e, OPS_INVALID, "file", "line"
				    " %llu: the header row names column"
				    " '%.40s' twice (columns %zu and %zu)",
				    (unsigned long long)rec.line, name, j + 1,
				    i + 1);
		if ((im->names[i] = strdup(name)) == NULL)
			return ops_fail(e, OPS_FAILED, NULL, "out of memory");
		im->ncols++;
		if (strcasecmp(name, "phone") == 0 && im->phone_col ==
		    (size_t)-1)
			im->phone_col = i;
		else if (strcasecmp(name, "timezone") == 0 && im->tz_col ==
		    (size_t)-1)
			im->tz_col = i;
	}
	if (im->phone_col == (size_t)-1)
		return ops_fail(e, OPS_INVALID, "file", "the header row has no"
		    " phone column (columns are separated by '%c')",
		    csv_separator(csv));
	return 1;
}

/* Whether campaign id still takes recipients, read inside the batch's transaction: > 0, 0 refused, < 0 error. */
static int
import_open(const struct ops *o, int64_t id, struct store_campaign *c,
    const struct ops_import_result *res, struct ops_error *e)
{
	int	 rc;

	if ((rc = ops_campaign_load(o, id, c, e)) <= 0)
		return rc;
	if (c->state == CAMP_COMPLETED || c->state == CAMP_CANCELED)
		return ops_fail(e, OPS_REFUSED, NULL, "campaign %lld became"
		    " %s during the import: %llu line(s) read, the rest not"
		    " imported", (long long)id, campaign_state_name(c->state),
		    (unsigned long long)res->lines);
	return 1;
}

int
ops_campaign_import(const struct ops *o, int64_t id, FILE *in, uint64_t size,
    const struct ops_import_report *rep, struct ops_import_result *res,
    struct ops_error *e)
{
	struct store_campaign	*c;
	struct import		 im;
	struct csv		*csv = NULL;
	struct csv_record	 rec;
	size_t			 i, inbatch = 0;
	int			 rc, tx = 0;

	ops_reset(e);
	memset(res, 0, sizeof(*res));
	memset(&im, 0, sizeof(im));
	im.o = o;
	im.rep = rep;
	im.res = res;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ops_fail(e, OPS_FAILED, NULL, "out of memory");
	if ((rc = ops_campaign_load(o, id, c, e)) <= 0)
		goto out;
	if (c->state != CAMP_DRAFT && c->state != CAMP_SCHEDULED &&
	    c->state != CAMP_PAUSED) {
		rc = ops_fail(e, OPS_REFUSED, NULL, "campaign %lld is %s:"
		    " recipients are imported into a draft, scheduled or"
		    " paused campaign", (long long)id,
		    campaign_state_name(c->state));
		goto out;
	}
	if (!template_fields(&im, c->text) || (csv = csv_open(in)) == NULL) {
		rc = ops_fail(e, OPS_FAILED, NULL, "out of memory");
		goto out;
	}
	if ((rc = import_header(&im, csv, e)) <= 0)
		goto out;
	if (store_rcpt_writer_open(o->st, id, &im.w) < 0) {
		rc = ops_store_error(e);
		goto out;
	}
	for (;;) {
		if ((rc = csv_read(csv, &rec)) < 0) {
			rc = ops_fail(e, OPS_FAILED, "file", "the file cannot"
			    " be read after line %llu",
			    (unsigned long long)res->lines);
			goto out;
		}
		if (rc == 0)
			break;
		if (!tx) {
			if (store_begin(o->st) < 0) {
				rc = ops_store_error(e);
				goto out;
			}
			tx = 1;
			/*
			 * Each batch sees the campaign's state: one that ended
			 * meanwhile (its start came and it ran out, or it was
			 * canceled) takes no more recipients.
			 */
			if ((rc = import_open(o, id, c, res, e)) <= 0)
				goto out;
		}
		res->lines++;
		if (import_record(&im, &rec) < 0) {
			rc = ops_store_error(e);
			goto out;
		}
		if (++inbatch == IMPORT_BATCH) {
			tx = inbatch = 0;
			if (store_commit(o->st) < 0) {
				rc = ops_store_error(e);
				goto out;
			}
			if (rep != NULL && rep->progress != NULL)
				rep->progress(csv_bytes(csv), size, res->lines,
				    rep->arg);
		}
	}
	if (tx) {
		tx = 0;
		if (store_commit(o->st) < 0) {
			rc = ops_store_error(e);
			goto out;
		}
	}
	if (rep != NULL && rep->progress != NULL)
		rep->progress(csv_bytes(csv), size, res->lines, rep->arg);
	if (store_log(o->st, c->conn, "info", "campaign", "campaign %lld:"
	    " %s imported %llu recipient(s), rejected %llu line(s)",
	    (long long)id, ops_user(o), (unsigned long long)res->imported,
	    (unsigned long long)res->rejected) < 0) {
		rc = ops_store_error(e);
		goto out;
	}
	rc = 1;
out:
	if (tx)
		store_rollback(o->st);
	store_rcpt_writer_close(im.w);
	csv_close(csv);
	for (i = 0; i < im.ncols; i++)
		free(im.names[i]);
	for (i = 0; i < im.nneed; i++)
		free(im.need[i]);
	free(c);
	return rc;
}

/* libFuzzer target: every parser that reads bytes from the network (webhook bodies, Infobip and agent answers, the send API, admin forms and uploads, campaign CSV, numbers, text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "form.h"
#include "infobip.h"
#include "keyword.h"
#include "multipart.h"
#include "payload_api.h"
#include "payload_agent.h"
#include "payload_infobip.h"
#include "payload_webhook.h"
#include "phone.h"
#include "smstext.h"
#include "webhook.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The input as a stream for multipart_read: a few bytes at a time, so that
 * boundaries fall across reads. */
struct chunks {
	const char	*p;
	size_t		 left;
};

static size_t
chunks_read(void *arg, char *buf, size_t len)
{
	struct chunks	*c = arg;
	size_t		 n = len < 7 ? len : 7;

	if (n > c->left)
		n = c->left;
	memcpy(buf, c->p, n);
	c->p += n;
	c->left -= n;
	return n;
}

/* The admin's forms and uploads, and a campaign's CSV file. */
static void
fuzz_operator_input(const char *s, size_t size)
{
	struct form		 f;
	struct multipart_upload	 u;
	struct chunks		 ch = { s, size };
	struct csv		*csv;
	struct csv_record	 rec;
	FILE			*in, *file;
	const char		*why;
	int			 i;

	form_init(&f);
	form_parse(&f, s, size);
	form_free(&f);

	if ((file = tmpfile()) != NULL) {
		memset(&u, 0, sizeof(u));
		u.file_field = "file";
		u.file = file;
		u.fields_max = 4096;
		form_init(&u.fields);
		multipart_read("XyZ", chunks_read, &ch, &u, &why);
		form_free(&u.fields);
		fclose(file);
	}

	if ((in = fmemopen((void *)s, size ? size : 1, "r")) != NULL) {
		if ((csv = csv_open(in)) != NULL) {
			for (i = 0; i < 1000 && csv_read(csv, &rec) > 0; i++)
				;
			csv_close(csv);
		}
		fclose(in);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wh_mo		*mo;
	struct wh_report	*rep;
	struct wh_click		*clk;
	struct ib_outmsg	 msgs[2] = { { "u1", "+4915112345678", "a" },
				    { "u2", "4915112345679", "b" } };
	struct ib_result	 res[2];
	struct ib_error		 err;
	struct ib_balance	 bal;
	struct smstext_info	 info;
	struct keyword_lists	 kl;
	struct api_request	 req;
	int			 status;
	const char		*why;
	char			*s, *text, out[64], errbuf[256];
	size_t			 n;
	int			 found, trunc;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (payload_mo_parse(s, size, &mo, &n, &why) > 0)
		payload_mo_free(mo, n);
	if (payload_reports_parse(s, size, &rep, &n, &why) > 0)
		payload_reports_free(rep, n);
	if (payload_clicks_parse(s, size, &clk, &n, &why) > 0)
		payload_clicks_free(clk, n);
	memset(&req, 0, sizeof(req));
	if (payload_api_parse(s, size, &req, &status, out, sizeof(out),
	    errbuf, sizeof(errbuf)) > 0)
		payload_api_free(&req);
	fuzz_operator_input(s, size);
	payload_timestamp(s, out, sizeof(out));
	payload_send_response(s, size, msgs, 2, res);
	payload_error(s, size, &err);
	payload_balance(s, size, &bal);
	payload_logs_find(s, size, "u1", res, &found);
	text = NULL;
	payload_agent_http_reply(s, size, &text, errbuf, sizeof(errbuf));
	free(text);
	text = NULL;
	payload_agent_openai_reply(s, size, &text, errbuf, sizeof(errbuf));
	free(text);
	phone_normalize(s, out, sizeof(out), &why);
	ib_base_url_normalize(s, out, sizeof(out), &why);
	webhook_keywords_load(NULL, &kl);
	keyword_classify(&kl, s, 1);
	if ((text = smstext_prepare(s, size, &trunc)) != NULL) {
		smstext_measure(text, &info);
		free(text);
	}
	free(s);
	return 0;
}

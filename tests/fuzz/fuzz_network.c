/* libFuzzer target: every parser that reads bytes from the network (webhook bodies, Infobip and agent answers, numbers, text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "infobip.h"
#include "keyword.h"
#include "payload_agent.h"
#include "payload_infobip.h"
#include "payload_webhook.h"
#include "phone.h"
#include "smstext.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
	keyword_lists_load(NULL, &kl);
	keyword_classify(&kl, s, 1);
	if ((text = smstext_prepare(s, size, &trunc)) != NULL) {
		smstext_measure(text, &info);
		free(text);
	}
	free(s);
	return 0;
}

/* Unit tests of the Infobip JSON module over real samples and hostile text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "payload_infobip.h"
#include "sample.h"

/* A body: a sample file name, or the literal text when file is NULL. */
struct body {
	const char	*file;
	const char	*text;
};

static char *
body_get(const struct body *b, size_t *len)
{
	if (b->file != NULL)
		return sample(b->file, len);
	*len = strlen(b->text);
	return strdup(b->text);
}

/* --- send request -------------------------------------------------- */

static const struct ib_send_opts opts_full = {
	"InfoSMS",
	"https://ib.example.org/channel/abc/webhook/reports",
	"https://ib.example.org/channel/abc/webhook/clicks",
	"go.example.org",
};
static const struct ib_send_opts opts_tracking_only = {
	"InfoSMS", NULL, "https://ib.example.org/c", "",
};
static const struct ib_send_opts opts_none = { NULL, "", "", NULL };

static const struct ib_outmsg msgs_two[] = {
	{ "m-1", "+41793026727", "Hello" },
	{ "m-2", "41793026834", "Second" },
};
static const struct ib_outmsg msgs_hostile[] = {
	{ "q\"\\id", "+447700900123",
	    "He said \"hi\" \\ back\n\ttab \x01\x1f ctrl </script> "
	    "\xf0\x9f\x98\x80 \xc3\xa9 \xe2\x82\xac" },
};

static const struct {
	const char			*name;
	const struct ib_send_opts	*opts;
	const struct ib_outmsg		*msgs;
	size_t				 n;
	const char			*want;
} request_cases[] = {
	{ "two messages, all options", &opts_full, msgs_two, 2,
	    "{\"messages\":["
	    "{\"sender\":\"InfoSMS\",\"destinations\":[{\"to\":\"41793026727\","
	    "\"messageId\":\"m-1\"}],\"content\":{\"text\":\"Hello\"},"
	    "\"webhooks\":{\"delivery\":{\"url\":\"https://ib.example.org/"
	    "channel/abc/webhook/reports\"},\"contentType\":"
	    "\"application/json\"}},"
	    "{\"sender\":\"InfoSMS\",\"destinations\":[{\"to\":\"41793026834\","
	    "\"messageId\":\"m-2\"}],\"content\":{\"text\":\"Second\"},"
	    "\"webhooks\":{\"delivery\":{\"url\":\"https://ib.example.org/"
	    "channel/abc/webhook/reports\"},\"contentType\":"
	    "\"application/json\"}}],"
	    "\"options\":{\"tracking\":{\"shortenUrl\":true,\"trackClicks\":true,"
	    "\"trackingUrl\":\"https://ib.example.org/channel/abc/webhook/"
	    "clicks\",\"customDomain\":\"go.example.org\"}}}" },
	{ "tracking without delivery URL or custom domain",
	    &opts_tracking_only, msgs_two, 1,
	    "{\"messages\":[{\"sender\":\"InfoSMS\",\"destinations\":[{\"to\":"
	    "\"41793026727\",\"messageId\":\"m-1\"}],\"content\":{\"text\":"
	    "\"Hello\"},\"webhooks\":{\"contentType\":\"application/json\"}}],"
	    "\"options\":{\"tracking\":{\"shortenUrl\":true,\"trackClicks\":true,"
	    "\"trackingUrl\":\"https://ib.example.org/c\"}}}" },
	{ "no sender, no webhooks, no tracking", &opts_none, msgs_two + 1, 1,
	    "{\"messages\":[{\"destinations\":[{\"to\":\"41793026834\","
	    "\"messageId\":\"m-2\"}],\"content\":{\"text\":\"Second\"},"
	    "\"webhooks\":{\"contentType\":\"application/json\"}}]}" },
	{ "NULL options", NULL, msgs_two + 1, 1,
	    "{\"messages\":[{\"destinations\":[{\"to\":\"41793026834\","
	    "\"messageId\":\"m-2\"}],\"content\":{\"text\":\"Second\"},"
	    "\"webhooks\":{\"contentType\":\"application/json\"}}]}" },
	{ "hostile text: quotes, backslash, controls, slash, emoji",
	    &opts_none, msgs_hostile, 1,
	    "{\"messages\":[{\"destinations\":[{\"to\":\"447700900123\","
	    "\"messageId\":\"q\\\"\\\\id\"}],\"content\":{\"text\":"
	    "\"He said \\\"hi\\\" \\\\ back\\n\\ttab \\u0001\\u001f ctrl "
	    "</script> \xf0\x9f\x98\x80 \xc3\xa9 \xe2\x82\xac\"},"
	    "\"webhooks\":{\"contentType\":\"application/json\"}}]}" },
};

static void
test_send_request(void)
{
	static const struct ib_outmsg	 no_text[] = { { "u", "1", NULL } };
	char				*s;
	size_t				 i;

	for (i = 0; i < sizeof(request_cases) / sizeof(request_cases[0]);
	    i++) {
		s = payload_send_request(request_cases[i].opts,
		    request_cases[i].msgs, request_cases[i].n);
		CHECK_STR(s, request_cases[i].want, "request: %s",
		    request_cases[i].name);
		free(s);
	}
	CHECK(payload_send_request(NULL, no_text, 1) == NULL,
	    "request: NULL text refused");
}

/* --- send response ------------------------------------------------- */

struct want_result {
	int		 accepted;
	int		 group_id;
	const char	*group_name;
	const char	*status_name;
	const char	*description;
	const char	*infobip_id;
	const char	*bulk_id;
	int		 message_count;
};

#define PENDING(id, bulk, count) \
	{ 1, 1, "PENDING", "PENDING_ACCEPTED", \
	    "Message sent to next instance", id, bulk, count }
#define ACCEPTED_V1(id, count) \
	{ 1, 0, "ACCEPTED", "MESSAGE_ACCEPTED", "Message accepted", id, \
	    "BULK-ID-123-xyz", count }
#define MISSING \
	{ 0, -1, "", "", "missing from Infobip's response", "", "", 0 }

static const struct {
	const char		*name;
	struct body		 body;
	size_t			 n;
	const char		*uids[3];
	struct want_result	 want[3];
} response_cases[] = {
	{ "v3, one, matched by id", { "send-response-v3-1.json", NULL }, 1,
	    { "2250be2d4219-3af1-78856-aabe-1362af1edfd2" },
	    { PENDING("2250be2d4219-3af1-78856-aabe-1362af1edfd2",
	    "2034072219640523072", 1) } },
	{ "v3, two, ids in the other order", { "send-response-v3-2.json",
	    NULL }, 2,
	    { "3350be2d4219-3af1-23343-bbbb-1362af1edfd3",
	    "2250be2d4219-3af1-78856-aabe-1362af1edfd2" },
	    { PENDING("3350be2d4219-3af1-23343-bbbb-1362af1edfd3",
	    "2034072219640523072", 1),
	    PENDING("2250be2d4219-3af1-78856-aabe-1362af1edfd2",
	    "2034072219640523072", 1) } },
	{ "v2, Infobip's own id, by order", { "send-response-v2-1.json",
	    NULL }, 1, { "ours-1" },
	    { PENDING("2250be2d4219-3af1-78856-aabe-1362af1edfd2",
	    "2034072219640523072", 0) } },
	{ "v2, two by order", { "send-response-v2-2.json", NULL }, 2,
	    { "ours-1", "ours-2" },
	    { PENDING("2033247207850523791", "2034072219640523073", 0),
	    PENDING("2033247207850523792", "2034072219640523073", 0) } },
	{ "v2, one answer too many", { "send-response-v2-3.json", NULL }, 1,
	    { "ours-1" },
	    { PENDING("33644485987105283960", "33644485987105283959", 0) } },
	{ "v1 ACCEPTED with smsCount, one id echoed",
	    { "send-response-v1-accepted-1.json", NULL }, 3,
	    { "x-1", "x-2", "MESSAGE-ID-123-xyz" },
	    { ACCEPTED_V1("9304a5a3ab19-1ca1-be74-76ad87651ed25f35", 1),
	    ACCEPTED_V1("5f35f87a2f19-a141-43a4-91cd81b85f8c689", 2),
	    ACCEPTED_V1("MESSAGE-ID-123-xyz", 1) } },
	{ "200 with no credit", { "send-response-rejected-1.json", NULL }, 1,
	    { "u-1" },
	    { { 0, 5, "REJECTED", "REJECTED_NOT_ENOUGH_CREDITS",
	    "Not enough credits", "2285429234203536773", "", 1 } } },
	{ "200 with missing destination, no messageId",
	    { "send-response-rejected-2.json", NULL }, 1, { "u-1" },
	    { { 0, 5, "REJECTED", "MISSING_TO", "Missing destination.", "",
	    "", 0 } } },
	{ "empty messages: every message missing",
	    { NULL, "{\"messages\":[]}" }, 2, { "u-1", "u-2" },
	    { MISSING, MISSING } },
	{ "fewer answers than messages",
	    { NULL, "{\"messages\":[{\"messageId\":\"u-2\",\"status\":"
	    "{\"groupId\":1,\"groupName\":\"PENDING\"}}]}" }, 2,
	    { "u-1", "u-2" },
	    { MISSING, { 1, 1, "PENDING", "", "", "u-2", "", 0 } } },
	{ "groupName only",
	    { NULL, "{\"messages\":[{\"messageId\":\"u-1\",\"status\":"
	    "{\"groupName\":\"DELIVERED\",\"name\":\"WHATEVER\"}}]}" }, 1,
	    { "u-1" }, { { 1, 3, "DELIVERED", "WHATEVER", "", "u-1", "", 0 } } },
	{ "groupId wins over a misleading name",
	    { NULL, "{\"messages\":[{\"messageId\":\"u-1\",\"status\":"
	    "{\"groupId\":5,\"name\":\"PENDING_ACCEPTED\"}}]}" }, 1,
	    { "u-1" },
	    { { 0, 5, "REJECTED", "PENDING_ACCEPTED", "", "u-1", "", 0 } } },
	{ "no status",
	    { NULL, "{\"messages\":[{\"messageId\":\"u-1\"}]}" }, 1, { "u-1" },
	    { { 0, -1, "", "", "no status in Infobip's response", "u-1", "",
	    0 } } },
	{ "groupId as a string is no group",
	    { NULL, "{\"messages\":[{\"messageId\":\"u-1\",\"status\":"
	    "{\"groupId\":\"1\"}}]}" }, 1, { "u-1" },
	    { { 0, -1, "", "", "", "u-1", "", 0 } } },
	{ "hostile description",
	    { NULL, "{\"messages\":[{\"messageId\":\"u-1\",\"status\":"
	    "{\"groupId\":1,\"description\":\"a \\\"q\\\" \\\\ \\n \\u00e9 "
	    "\xf0\x9f\x98\x80\"}}]}" }, 1, { "u-1" },
	    { { 1, 1, "PENDING", "", "a \"q\" \\ \n \xc3\xa9 \xf0\x9f\x98\x80",
	    "u-1", "", 0 } } },
	{ "messageId with a NUL byte does not match",
	    { NULL, "{\"messages\":[{\"messageId\":\"u-1\\u0000x\",\"status\":"
	    "{\"groupId\":1}},{\"messageId\":\"u-1\",\"status\":"
	    "{\"groupId\":5}}]}" }, 1, { "u-1" },
	    { { 0, 5, "REJECTED", "", "", "u-1", "", 0 } } },
};

static void
check_result(const char *name, size_t i, const struct ib_result *r,
    const char *uid, const struct want_result *w)
{
	CHECK_STR(r->uid, uid, "%s [%zu] uid", name, i);
	CHECK(r->accepted == w->accepted, "%s [%zu] accepted %d", name, i,
	    r->accepted);
	CHECK(r->group_id == w->group_id, "%s [%zu] group_id %d", name, i,
	    r->group_id);
	CHECK_STR(r->group_name, w->group_name, "%s [%zu] group_name", name,
	    i);
	CHECK_STR(r->status_name, w->status_name, "%s [%zu] status_name",
	    name, i);
	CHECK_STR(r->description, w->description, "%s [%zu] description",
	    name, i);
	CHECK_STR(r->infobip_id, w->infobip_id, "%s [%zu] infobip_id", name,
	    i);
	CHECK_STR(r->bulk_id, w->bulk_id, "%s [%zu] bulk_id", name, i);
	CHECK(r->message_count == w->message_count,
	    "%s [%zu] message_count %d", name, i, r->message_count);
}

static void
test_send_response(void)
{
	struct ib_outmsg	 msgs[3];
	struct ib_result	 res[3];
	char			*b;
	size_t			 i, j, len;

	for (i = 0; i < sizeof(response_cases) / sizeof(response_cases[0]);
	    i++) {
		if ((b = body_get(&response_cases[i].body, &len)) == NULL)
			continue;
		memset(msgs, 0, sizeof(msgs));
		for (j = 0; j < response_cases[i].n; j++) {
			msgs[j].uid = response_cases[i].uids[j];
			msgs[j].to = "41793026727";
			msgs[j].text = "x";
		}
		CHECK(payload_send_response(b, len, msgs, response_cases[i].n,
		    res) == 1, "send response: %s readable",
		    response_cases[i].name);
		for (j = 0; j < response_cases[i].n; j++)
			check_result(response_cases[i].name, j, &res[j],
			    response_cases[i].uids[j],
			    &response_cases[i].want[j]);
		free(b);
	}
}

/* A long description is cut at a character boundary, never mid-UTF-8. */
static void
test_send_response_truncation(void)
{
	static const char	 head[] =
	    "{\"messages\":[{\"messageId\":\"u\",\"status\":{\"groupId\":1,"
	    "\"description\":\"";
	struct ib_outmsg	 m = { "u", "1", "x" };
	struct ib_result	 r;
	char			 body[1024];
	size_t			 i, n;

	n = strlen(head);
	memcpy(body, head, n);
	for (i = 0; i < 200; i++) {
		memcpy(body + n, "\xc3\xa9", 2);	/* é */
		n += 2;
	}
	memcpy(body + n, "\"}}]}", 6);
	CHECK(payload_send_response(body, strlen(body), &m, 1, &r) == 1,
	    "truncation: readable");
	CHECK(strlen(r.description) == 254, "truncation: %zu bytes kept",
	    strlen(r.description));
	CHECK(strspn(r.description, "\xc3\xa9") == 254,
	    "truncation: whole characters only");
}

static const struct body unreadable[] = {
	{ NULL, "" },
	{ NULL, "not json" },
	{ NULL, "<html><body>Bad Gateway</body></html>" },
	{ NULL, "{\"messages\":{}}" },
	{ NULL, "[1,2]" },
	{ NULL, "{\"bulkId\":\"x\"}" },
	{ NULL, "{\"bulkId\":\"2034072219640523072\",\"messages\":"
	    "[{\"messageId\":" },				/* the sim's "malformed" */
	{ NULL, "{\"messages\":[]} trailing" },
	{ NULL, "{\"messages\":[]}{\"messages\":[]}" },
	{ "error-400-v3-spec.json", NULL },
	{ "balance-1.json", NULL },
};

static void
test_send_response_unreadable(void)
{
	struct ib_outmsg	 m = { "u", "1", "x" };
	struct ib_result	 r;
	char			*b;
	size_t			 i, len;

	for (i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++) {
		if ((b = body_get(&unreadable[i], &len)) == NULL)
			continue;
		memset(&r, 0x5a, sizeof(r));
		CHECK(payload_send_response(b, len, &m, 1, &r) == 0,
		    "send response %zu (%s) unreadable", i,
		    unreadable[i].file ? unreadable[i].file : b);
		CHECK(r.uid[0] == 0x5a, "send response %zu: res untouched", i);
		free(b);
	}
	/* An embedded NUL is not JSON, even before valid text. */
	CHECK(payload_send_response("{\"messages\":[]}\0x", 17, &m, 1,
	    &r) == 0, "send response with a NUL byte unreadable");
	CHECK(payload_is_json("{\"messages\":[]}  \r\n", 19) == 1,
	    "trailing white space is fine");
	CHECK(payload_is_json("42", 2) == 1, "a bare number is JSON");
	CHECK(payload_is_json("4 2", 3) == 0, "two numbers are not JSON");
	CHECK(payload_is_json("<html>", 6) == 0, "HTML is not JSON");
}

/* --- errors -------------------------------------------------------- */

static const struct {
	struct body	 body;
	const char	*code;
	const char	*text;
	const char	*violations;
} error_cases[] = {
	{ { "error-400-legacy-validation.json", NULL }, "E400", "Bad request",
	    "messages[0].text: invalid text" },
	{ { "error-400-v2-spec.json", NULL }, "E400", "Bad request", "" },
	{ { "error-400-v3-spec.json", NULL }, "E400",
	    "Request cannot be processed.", "property.path: Violation message." },
	{ { "error-401-legacy-live.json", NULL }, "E401",
	    "Invalid login details", "" },
	{ { "error-401-legacy-spec.json", NULL }, "E401", "Unauthorized", "" },
	{ { "error-401-v3.json", NULL }, "E401", "The request lacks valid "
	    "authentication credentials for the requested resource.", "" },
	{ { "error-403-legacy.json", NULL }, "E403", "Forbidden", "" },
	{ { "error-403-v3.json", NULL }, "E403", "Insufficient permissions "
	    "to access the requested resource.", "" },
	{ { "error-404-legacy.json", NULL }, "E404", "Not found", "" },
	{ { "error-429-legacy.json", NULL }, "E429", "Too many requests", "" },
	{ { "error-429-v3.json", NULL }, "E429", "Too many requests sent.", "" },
	{ { "error-500-legacy.json", NULL }, "E500",
	    "Something went wrong. Please contact support.", "" },
	{ { "error-500-v3.json", NULL }, "E500", "Something went wrong.", "" },
	{ { NULL, "{\"errorCode\":\"E400\",\"description\":\"Bad.\","
	    "\"violations\":[{\"property\":\"messages[0].sender\","
	    "\"violation\":\"must not be null\"},{\"property\":"
	    "\"messages[0].destinations[0].to\",\"violation\":"
	    "\"size must be between 0 and 64\"}]}" }, "E400", "Bad.",
	    "messages[0].sender: must not be null; "
	    "messages[0].destinations[0].to: size must be between 0 and 64" },
	{ { NULL, "{\"requestError\":{\"serviceException\":{\"messageId\":"
	    "\"BAD_REQUEST\",\"text\":\"Bad request\",\"validationErrors\":"
	    "{\"messages[0].to\":[\"must not be blank\",\"size must be "
	    "between 1 and 64\"],\"messages[0].text\":[\"x\"]}}}}" }, "E400",
	    "Bad request", "messages[0].to: must not be blank; "
	    "messages[0].to: size must be between 1 and 64; "
	    "messages[0].text: x" },
	{ { NULL, "{\"requestError\":{\"serviceException\":{\"messageId\":"
	    "\"METHOD_NOT_ALLOWED\",\"text\":\"Method not allowed\"}}}" },
	    "METHOD_NOT_ALLOWED", "Method not allowed", "" },
};

static const struct body not_errors[] = {
	{ "balance-1.json", NULL },
	{ "send-response-v3-1.json", NULL },
	{ NULL, "<html><title>404</title></html>" },
	{ NULL, "{\"requestError\":{}}" },
	{ NULL, "{\"requestError\":{\"serviceException\":{}}}" },
	{ NULL, "{\"errorCode\":400}" },
	{ NULL, "" },
};

static void
test_errors(void)
{
	struct ib_error	 err;
	char		*b;
	size_t		 i, len;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		if ((b = body_get(&error_cases[i].body, &len)) == NULL)
			continue;
		memset(&err, 0, sizeof(err));
		err.http_status = 418;
		CHECK(payload_error(b, len, &err) == 1, "error %zu readable", i);
		CHECK_STR(err.code, error_cases[i].code, "error %zu code", i);
		CHECK_STR(err.text, error_cases[i].text, "error %zu text", i);
		CHECK_STR(err.violations, error_cases[i].violations,
		    "error %zu violations", i);
		CHECK(err.http_status == 418, "error %zu: status untouched", i);
		free(b);
	}
	for (i = 0; i < sizeof(not_errors) / sizeof(not_errors[0]); i++) {
		if ((b = body_get(&not_errors[i], &len)) == NULL)
			continue;
		memset(&err, 0, sizeof(err));
		strcpy(err.code, "KEEP");
		CHECK(payload_error(b, len, &err) == 0, "not an error %zu", i);
		CHECK_STR(err.code, "KEEP", "not an error %zu: untouched", i);
		free(b);
	}
}

/* Many long violations fill the buffer without overflowing it. */
static void
test_errors_overflow(void)
{
	static const char start[] = "messages[0].text: must not be blank "
	    "and this is long; messages[1].text: must";
	struct ib_error	 err;
	char		*body, *p;
	size_t		 i;

	if ((body = malloc(64 * 1024)) == NULL)
		return;
	p = body + sprintf(body, "{\"errorCode\":\"E400\",\"violations\":[");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "%s{\"property\":\"messages[%zu].text\","
		    "\"violation\":\"must not be blank and this is long\"}",
		    i ? "," : "", i);
	strcpy(p, "]}");
	memset(&err, 0, sizeof(err));
	CHECK(payload_error(body, strlen(body), &err) == 1, "overflow: read");
	CHECK(strlen(err.violations) == sizeof(err.violations) - 1,
	    "overflow: buffer filled (%zu)", strlen(err.violations));
	CHECK(strncmp(err.violations, start, sizeof(start) - 1) == 0,
	    "overflow: starts with the first violations");
	free(body);
}

/* --- balance ------------------------------------------------------- */

static void
test_balance(void)
{
	static const struct {
		struct body	 body;
		int		 rv;
		double		 balance;
		const char	*currency;
	} cases[] = {
		{ { "balance-1.json", NULL }, 1, 47.79134, "EUR" },
		{ { NULL, "{\"balance\":5,\"currency\":\"USD\"}" }, 1, 5, "USD" },
		{ { NULL, "{\"balance\":-0.5,\"currency\":\"GBP\"}" }, 1, -0.5,
		    "GBP" },
		{ { NULL, "{\"balance\":\"5\",\"currency\":\"EUR\"}" }, 0, 0, "" },
		{ { NULL, "{\"currency\":\"EUR\"}" }, 0, 0, "" },
		{ { NULL, "{\"balance\":5}" }, 0, 0, "" },
		{ { "error-401-legacy-live.json", NULL }, 0, 0, "" },
		{ { NULL, "<html></html>" }, 0, 0, "" },
	};
	struct ib_balance	 bal;
	char			*b;
	size_t			 i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((b = body_get(&cases[i].body, &len)) == NULL)
			continue;
		memset(&bal, 0, sizeof(bal));
		CHECK(payload_balance(b, len, &bal) == cases[i].rv,
		    "balance %zu", i);
		CHECK(bal.balance == cases[i].balance, "balance %zu: %f", i,
		    bal.balance);
		CHECK_STR(bal.currency, cases[i].currency, "balance %zu currency",
		    i);
		free(b);
	}
}

/* --- logs ---------------------------------------------------------- */

/* The example answer of GET /sms/3/logs in Infobip's OpenAPI document. */
static const char logs_spec[] =
    "{\"results\":[{\"destination\":\"41793026727\",\"bulkId\":"
    "\"BULK-ID-123-xyz\",\"messageId\":\"MESSAGE-ID-123-xyz\",\"sentAt\":"
    "\"2019-11-09T16:00:00.000+0100\",\"doneAt\":"
    "\"2019-11-09T16:00:00.000+0100\",\"messageCount\":1,\"price\":"
    "{\"pricePerMessage\":0.01,\"currency\":\"EUR\"},\"status\":{\"groupId\":3,"
    "\"groupName\":\"DELIVERED\",\"id\":5,\"name\":\"DELIVERED_TO_HANDSET\","
    "\"description\":\"Message delivered to handset\"},"
    "\"error\":{\"groupId\":0,"
    "\"groupName\":\"OK\",\"id\":0,\"name\":\"NO_ERROR\",\"description\":"
    "\"No Error\",\"permanent\":false},\"platform\":{\"entityId\":"
    "\"promotional-traffic-entity\",\"applicationId\":"
    "\"marketing-automation-application\"},\"content\":{\"text\":"
    "\"This is a sample message\"},\"mccMnc\":\"22801\"},"
    "{\"destination\":\"41793026834\",\"bulkId\":\"BULK-ID-123-xyz\","
    "\"messageId\":\"12db39c3-7822-4e72-a3ec-c87442c0ffc5\",\"sentAt\":"
    "\"2019-11-09T17:00:00.000+0100\",\"doneAt\":"
    "\"2019-11-09T17:00:00.000+0100\",\"messageCount\":2,\"price\":"
    "{\"pricePerMessage\":0.01,\"currency\":\"EUR\"},\"status\":{\"groupId\":5,"
    "\"groupName\":\"REJECTED\",\"id\":12,\"name\":"
    "\"REJECTED_NOT_ENOUGH_CREDITS\",\"description\":\"Not enough credits\"},"
    "\"content\":{\"text\":\"This is a sample message\"}}]}";

static void
test_logs(void)
{
	static const struct {
		const char		*body;
		const char		*uid;
		int			 rv;
		int			 found;
		struct want_result	 want;
	} cases[] = {
		{ logs_spec, "MESSAGE-ID-123-xyz", 1, 1,
		    { 1, 3, "DELIVERED", "DELIVERED_TO_HANDSET",
		    "Message delivered to handset", "MESSAGE-ID-123-xyz",
		    "BULK-ID-123-xyz", 1 } },
		{ logs_spec, "12db39c3-7822-4e72-a3ec-c87442c0ffc5", 1, 1,
		    { 0, 5, "REJECTED", "REJECTED_NOT_ENOUGH_CREDITS",
		    "Not enough credits", "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
		    "BULK-ID-123-xyz", 2 } },
		{ logs_spec, "MESSAGE-ID-123", 1, 0, { 0 } },
		{ logs_spec, "nope", 1, 0, { 0 } },
		{ "{\"results\":[]}", "nope", 1, 0, { 0 } },
		{ "{\"results\":{}}", "nope", 0, 0, { 0 } },
		{ "{\"messages\":[]}", "nope", 0, 0, { 0 } },
		{ "<html>", "nope", 0, 0, { 0 } },
	};
	struct ib_result	 r;
	size_t			 i;
	int			 found;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		found = -1;
		memset(&r, 0, sizeof(r));
		CHECK(payload_logs_find(cases[i].body, strlen(cases[i].body),
		    cases[i].uid, &r, &found) == cases[i].rv, "logs %zu", i);
		CHECK(found == cases[i].found, "logs %zu found %d", i, found);
		if (cases[i].found)
			check_result("logs", i, &r, cases[i].uid,
			    &cases[i].want);
	}
}

int
main(void)
{
	test_send_request();
	test_send_response();
	test_send_response_truncation();
	test_send_response_unreadable();
	test_errors();
	test_errors_overflow();
	test_balance();
	test_logs();
	return check_done();
}

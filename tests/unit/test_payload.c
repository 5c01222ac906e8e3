/* Payload tests: the answers our web programs build from plain values (errors, health, the admin's status reads, the summary). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "payload.h"
#include "payload_admin.h"

/* One built answer and the text it must be. */
struct pcase {
	char		*got;
	const char	*want;
	const char	*what;
};

int
main(void)
{
	static const char *const names[] = { "pending", "sent" };
	static const int64_t counts[] = { 3, 4 };
	struct payload_item_error	 errs[1] = { { 2, "bad <phone>" } };
	struct payload_summary		 sum = { 5, 3, 1, 0, 1, 1, errs };
	struct pcase			 cases[] = {
		{ payload_error_body("unknown connection"),
		    "{\"error\":\"unknown connection\"}", "error" },
		{ payload_error_body("<script>\"x\""),
		    "{\"error\":\"\\u003cscript\\u003e\\\"x\\\"\"}",
		    "error: < and > escaped" },
		{ payload_error_body(NULL), "{\"error\":\"\"}", "error: NULL" },
		{ payload_health(1, -1, 0, "2026-01-02 03:04:05", 7.9),
		    "{\"status\":\"ok\",\"store\":\"writable\",\"sender_last_run\":"
		    "\"2026-01-02 03:04:05\",\"sender_seconds_ago\":7}",
		    "health: sender known" },
		{ payload_health(1, 1, 0, NULL, 0),
		    "{\"status\":\"ok\",\"store\":\"writable\","
		    "\"sender_last_run\":null,\"sender_seconds_ago\":null,"
		    "\"store_standbys\":1,\"store_synchronous_standbys\":0}",
		    "health: a server with an asynchronous standby" },
		{ payload_health(0, -1, 0, NULL, 0),
		    "{\"status\":\"unavailable\",\"store\":\"unavailable\","
		    "\"sender_last_run\":null,\"sender_seconds_ago\":null}",
		    "health: never ran" },
		{ payload_conn_status("running", "a <b>"),
		    "{\"status\":\"running\",\"message\":\"a \\u003cb\\u003e\"}",
		    "connection status" },
		{ payload_import_progress(0, 1, 2, 3, 1), "{\"known\":false}",
		    "progress unknown" },
		{ payload_import_progress(1, 10, 20, 2, 0),
		    "{\"known\":true,\"bytes\":10,\"total\":20,\"lines\":2,"
		    "\"finished\":false}", "progress known" },
		{ payload_campaign_status("running", 7, 4, 57, names, counts, 2),
		    "{\"state\":\"running\",\"total\":7,\"done\":4,\"pct\":57,"
		    "\"counts\":{\"pending\":3,\"sent\":4}}", "campaign status" },
		{ payload_webhook_summary(&sum),
		    "{\"received\":5,\"stored\":3,\"duplicates\":1,\"pending\":0,"
		    "\"rejected\":1,\"errors\":[{\"index\":2,\"error\":"
		    "\"bad <phone>\"}]}", "webhook summary" },
	};
	size_t				 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_STR(cases[i].got, cases[i].want, "%s", cases[i].what);
		free(cases[i].got);
	}
	return check_done();
}

/* The operations layer against a real store: form errors by field, the masked key kept, one admin kept, delete rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ops.h"
#include "secret.h"
#include "store.h"

static char	 dir[] = "/tmp/ibc-ops-XXXXXX";

static void
test_connection(struct ops *o)
{
	struct ops_connection_form	 f;
	struct ops_connection_view	 v;
	struct ops_error		 e;
	char				 id[STORE_ID_LEN + 1], enc[1024];

	/* Every field's problem at once, each by its field. */
	memset(&f, 0, sizeof(f));
	f.description = "bad\ttab";
	f.api_url = "ftp://x";
	f.sender = "12-34";
	CHECK(ops_connection_add(o, &f, id, &e) == 0 && e.kind == OPS_INVALID,
	    "add with bad fields refused");
	CHECK(e.n == 5, "five problems, got %zu", e.n);
	CHECK(ops_error_for(&e, "name") != NULL &&
	    ops_error_for(&e, "description") != NULL &&
	    ops_error_for(&e, "api_url") != NULL &&
	    ops_error_for(&e, "sender") != NULL &&
	    ops_error_for(&e, "api_key") != NULL, "each field named");
	CHECK(ops_error_for(&e, "nothing") == NULL, "a good field has none");
	CHECK_STR(ops_error_text(&e), e.p[0].text, "text is the first problem");

	memset(&f, 0, sizeof(f));
	f.name = "Line";
	f.api_key = "secret-key-abcd1234";
	f.api_url = "x.api.infobip.com";
	f.sender = "Shop";
	CHECK(ops_connection_add(o, &f, id, &e) > 0 && e.n == 0, "added");
	CHECK(ops_connection_get(o, id, &v, &e) > 0 &&
	    strcmp(v.api_key_masked, "****1234") == 0 &&
	    strcmp(v.c.api_url, "https://x.api.infobip.com") == 0 &&
	    v.c.status == CONN_STOPPED && v.alnum_sender == 1,
	    "view: masked key, normalised URL, STOPPED");
	snprintf(enc, sizeof(enc), "%s", v.c.api_key_enc);

	/* The form filled with the mask keeps the key; a new value replaces it. */
	memset(&f, 0, sizeof(f));
	f.api_key = "****1234";
	f.name = "Line 2";
	CHECK(ops_connection_edit(o, id, &f, &e) > 0, "edit with the mask");
	CHECK(ops_connection_get(o, id, &v, &e) > 0 &&
	    strcmp(v.c.api_key_enc, enc) == 0 && strcmp(v.c.name, "Line 2") == 0,
	    "the mask keeps the sealed key as it was");
	f.api_key = "new-key-wxyz9999";
	CHECK(ops_connection_edit(o, id, &f, &e) > 0 &&
	    ops_connection_get(o, id, &v, &e) > 0 &&
	    strcmp(v.api_key_masked, "****9999") == 0, "a new key replaces it");
	f.api_key = "";
	CHECK(ops_connection_edit(o, id, &f, &e) == 0 &&
	    ops_error_for(&e, "api_key") != NULL, "an empty key is refused");

	CHECK(ops_connection_edit(o, "0123", &f, &e) == 0 &&
	    e.kind == OPS_INVALID, "malformed id: invalid");
	CHECK(ops_connection_edit(o, "00000000000000000000000000000000", &f,
	    &e) == 0 && e.kind == OPS_NOT_FOUND, "unknown id: not found");

	/* Delete: refused while RUNNING, then gone from every lookup. */
	CHECK(store_connection_set_status(o->st, id, CONN_RUNNING, "", "{}") > 0,
	    "running");
	CHECK(ops_connection_delete(o, id, &e) == 0 && e.kind == OPS_REFUSED,
	    "delete refused while RUNNING");
	CHECK(ops_connection_stop(o, id, &e) > 0, "stopped");
	CHECK(ops_connection_delete(o, id, &e) > 0, "deleted");
	CHECK(ops_connection_get(o, id, &v, &e) == 0 &&
	    e.kind == OPS_NOT_FOUND, "deleted: not found");
	CHECK(ops_env_set(o, id, "A", "b", &e) == 0 && e.kind == OPS_NOT_FOUND,
	    "deleted: no environment");
}

static void
test_users(struct ops *o)
{
	struct ops_error	 e;

	CHECK(ops_user_set(o, "root", "admin", &e) > 0, "first admin");
	CHECK(ops_user_set(o, "root", "viewer", &e) == 0 &&
	    e.kind == OPS_REFUSED, "the only admin keeps the role");
	CHECK(ops_user_delete(o, "root", &e) == 0 && e.kind == OPS_REFUSED,
	    "the only admin stays");
	CHECK(ops_user_set(o, "ann", "admin", &e) > 0 &&
	    ops_user_delete(o, "root", &e) > 0, "with two admins, one may go");
	CHECK(ops_user_set(o, "x", "king", &e) == 0 && e.kind == OPS_INVALID &&
	    ops_error_for(&e, "role") != NULL, "unknown role");
	CHECK(ops_user_delete(o, "nobody", &e) == 0 && e.kind == OPS_NOT_FOUND,
	    "unknown user");
	CHECK(ops_role_may(ROLE_ADMIN, OPS_CONFIGURE) &&
	    ops_role_may(ROLE_OPERATOR, OPS_SESSIONS) &&
	    !ops_role_may(ROLE_OPERATOR, OPS_CONFIGURE) &&
	    ops_role_may(ROLE_VIEWER, OPS_READ) &&
	    !ops_role_may(ROLE_VIEWER, OPS_SESSIONS), "rights by role");
}

static void
test_agents(struct ops *o)
{
	struct ops_agent_form	 f;
	struct ops_error	 e;
	char			*reply;
	int64_t			 id;

	memset(&f, 0, sizeof(f));
	f.name = "Desk";
	f.kind = "rules";
	f.instructions = "rule: price => It costs 5.";
	CHECK(ops_agent_add(o, &f, &id, &e) > 0, "rules agent added");
	CHECK(ops_agent_try(o, id, "what is the price?", &reply, &e) > 0 &&
	    reply != NULL && strstr(reply, "costs 5") != NULL, "try it");
	free(reply);
	memset(&f, 0, sizeof(f));
	f.kind = "openai";
	CHECK(ops_agent_edit(o, id, &f, &e) == 0 &&
	    ops_error_for(&e, "model") != NULL &&
	    ops_error_for(&e, "url") != NULL, "openai needs a URL and a model");
	CHECK(ops_agent_start(o, id, &e) > 0 && ops_agent_delete(o, id, &e) == 0 &&
	    e.kind == OPS_REFUSED, "a RUNNING agent is not deleted");
	CHECK(ops_agent_stop(o, id, &e) > 0 && ops_agent_delete(o, id, &e) > 0,
	    "a stopped one is");
	CHECK(ops_agent_delete(o, id, &e) == 0 && e.kind == OPS_NOT_FOUND,
	    "gone");
}

int
main(void)
{
	unsigned char	 key[SECRET_KEY_LEN];
	struct ops	 o;
	char		 path[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ops.db", dir);
	memset(&o, 0, sizeof(o));
	memset(key, 7, sizeof(key));
	o.key = key;
	o.user = "tester";
	if (store_open(path, STORE_OPEN_CREATE, &o.st) <= 0)
		return 1;
	test_connection(&o);
	test_users(&o);
	test_agents(&o);
	store_close(o.st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return check_done();
}

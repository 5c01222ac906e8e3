/* Table tests of the send API's validators, its token helpers and its request parser. */
#include <stdlib.h>
#include <string.h>

#include "apitoken.h"
#include "check.h"
#include "payload_api.h"
#include "sendapi.h"
#include "smstext.h"

struct valid_case {
	const char	*in;
	int		 ok;
};

static const struct valid_case communications[] = {
	{ "SPRING_OFFER", 1 },
	{ "A", 1 },
	{ "TABLE_READY_2", 1 },
	{ "_", 1 },
	{ "", 0 },
	{ "spring", 0 },
	{ "SPRING-OFFER", 0 },
	{ "SPRING OFFER", 0 },
	{ "ÄPFEL", 0 },
	{ "A234567890123456789012345678901234567890123456789012345678901234", 1 },
	{ "A2345678901234567890123456789012345678901234567890123456789012345", 0 },
};

static const struct valid_case references[] = {
	{ "order-1234", 1 },
	{ "a", 1 },
	{ "550e8400-e29b-41d4-a716-446655440000", 1 },
	{ "!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", 1 },
	{ "", 0 },
	{ "a b", 0 },
	{ "tab\t", 0 },
	{ "caf\xc3\xa9", 0 },
	{ "nl\n", 0 },
};

static const struct valid_case tokens[] = {
	{ "ibt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1 },
	{ "ibt_0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 0 },
	{ "ibt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", 0 },
	{ "ibt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", 0 },
	{ "xyz_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0 },
	{ "ibt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", 0 },
	{ "", 0 },
};

/* One request body and what the parser makes of it. */
struct parse_case {
	const char	*body;
	int		 rc;		/* 1 read, 0 refused */
	int		 status;	/* when refused */
	const char	*field;		/* when refused, "": the body */
	const char	*to, *text, *communication, *reference;	/* when read */
};

static const struct parse_case parses[] = {
	{ "{\"to\": \"+41793026727\", \"text\": \"Hi\"}", 1, 0, NULL,
	    "+41793026727", "Hi", NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"x\", \"communication\": \"C\","
	    " \"reference\": \"r\"}", 1, 0, NULL, "1", "x", "C", "r" },
	{ "{\"to\": \"1\", \"text\": \"x\", \"communication\": null,"
	    " \"reference\": null}", 1, 0, NULL, "1", "x", NULL, NULL },
	{ " {\"text\": \"caf\\u00e9\", \"to\": \"1\"}\n", 1, 0, NULL, "1",
	    "caf\xc3\xa9", NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"a\", \"text\": \"b\"}", 0, 422, "",
	    NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"to\": \"1\", \"text\": \"a\"}", 0, 422, "",
	    NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"text\": {\"a\": 1, \"a\": 2}}", 0, 422, "",
	    NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"it's: \\\"ok\\\": {a: b}\"}", 1, 0,
	    NULL, "1", "it's: \"ok\": {a: b}", NULL, NULL },
	{ "{\"to\": \"1\", /* \"to\": 2 */ \"text\": \"x\"}", 1, 0, NULL,
	    "1", "x", NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"x\\ud800y\"}", 1, 0, NULL, "1",
	    "x\xffy", NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"\\udc00\\ud83d\\ude00\\\\ud800\"}",
	    1, 0, NULL, "1", "\xff\xf0\x9f\x98\x80\\ud800", NULL, NULL },
	{ "", 0, 400, "", NULL, NULL, NULL, NULL },
	{ "[]", 0, 400, "", NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\"", 0, 400, "", NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"x\"} x", 0, 400, "", NULL, NULL, NULL,
	    NULL },
	{ "{\"text\": \"x\"}", 0, 422, "to", NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\"}", 0, 422, "text", NULL, NULL, NULL, NULL },
	{ "{\"to\": 1, \"text\": \"x\"}", 0, 422, "to", NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"text\": null}", 0, 422, "text", NULL, NULL, NULL,
	    NULL },
	{ "{\"to\": \"1\", \"text\": \"a\\u0000b\"}", 0, 422, "text", NULL,
	    NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"x\", \"communication\": 5}", 0, 422,
	    "communication", NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"x\", \"reference\": {}}", 0, 422,
	    "reference", NULL, NULL, NULL, NULL },
	{ "{\"to\": \"1\", \"text\": \"x\", \"txt\": \"y\"}", 0, 422, "txt",
	    NULL, NULL, NULL, NULL },
};

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
main(void)
{
	struct api_request	 req;
	const char		*why;
	char			 field[80];
	char			 tok[APITOKEN_SIZE], tok2[APITOKEN_SIZE];
	char			 hash[APITOKEN_HASH_SIZE], hash2[APITOKEN_HASH_SIZE];
	char			 prefix[APITOKEN_PREFIX_SIZE], wbuf[256];
	size_t			 i;
	int			 rc, status;

	for (i = 0; i < sizeof(communications) / sizeof(communications[0]);
	    i++)
		CHECK(sendapi_communication_valid(communications[i].in, &why) ==
		    communications[i].ok, "communication \"%s\"",
		    communications[i].in);
	for (i = 0; i < sizeof(references) / sizeof(references[0]); i++)
		CHECK(sendapi_reference_valid(references[i].in, &why) ==
		    references[i].ok, "reference %zu", i);
	memset(wbuf, 'r', 129);
	wbuf[128] = '\0';
	CHECK(sendapi_reference_valid(wbuf, &why) == 1, "reference of 128");
	wbuf[128] = 'r';
	wbuf[129] = '\0';
	CHECK(sendapi_reference_valid(wbuf, &why) == 0, "reference of 129");
	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		CHECK(apitoken_valid(tokens[i].in) == tokens[i].ok, "token %zu",
		    i);

	/* SHA-256 of "abc" (FIPS 180-2). */
	CHECK(apitoken_sha256("abc", 3, hash) == 1, "sha256");
	CHECK_STR(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
	    "b410ff61f20015ad", "sha256 of abc");
	CHECK(apitoken_new(tok, hash, prefix) == 1 && apitoken_new(tok2,
	    hash2, prefix) == 1, "two new tokens");
	CHECK(apitoken_valid(tok) && apitoken_valid(tok2) &&
	    strcmp(tok, tok2) != 0, "new tokens are well-formed and differ");
	CHECK(strlen(prefix) == APITOKEN_PREFIX_LEN &&
	    strncmp(prefix, tok2, APITOKEN_PREFIX_LEN) == 0, "prefix");
	apitoken_sha256(tok2, strlen(tok2), hash);
	CHECK_STR(hash, hash2, "the hash is the token's SHA-256");

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		rc = payload_api_parse(parses[i].body, strlen(parses[i].body),
		    &req, &status, field, sizeof(field), wbuf, sizeof(wbuf));
		CHECK(rc == parses[i].rc, "parse %zu: rc %d", i, rc);
		if (rc == 1)
			CHECK(same(req.to, parses[i].to) &&
			    same(req.text, parses[i].text) &&
			    same(req.communication, parses[i].communication) &&
			    same(req.reference, parses[i].reference),
			    "parse %zu: members", i);
		else
			CHECK(status == parses[i].status &&
			    same(field, parses[i].field) && wbuf[0] != '\0',
			    "parse %zu: status %d field %s why %s", i, status,
			    field, wbuf);
		payload_api_free(&req);
	}
	/* A lone surrogate reads as invalid UTF-8: the text check refuses it. */
	CHECK(payload_api_parse("{\"to\": \"1\", \"text\": \"\\ud800\"}", 29,
	    &req, &status, field, sizeof(field), wbuf, sizeof(wbuf)) == 1 &&
	    !smstext_check(req.text, &why) && strstr(why, "UTF-8") != NULL,
	    "a lone surrogate's text is refused");
	payload_api_free(&req);
	return check_done();
}

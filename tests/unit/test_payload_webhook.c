/* Unit tests of the webhook bodies: samples, hostile items, bad bodies. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "payload_webhook.h"
#include "sample.h"
#include "smstext.h"

/* Returns 1 when the samples directory exists, else says so and fails once. */
static int
samples_present(void)
{
	static int	 known = -1;
	struct stat	 st;

	if (known < 0) {
		known = stat(samples_dir(), &st) == 0 && S_ISDIR(st.st_mode);
		if (!known) {
			printf("samples directory %s is missing: sample "
			    "tests skipped\n", samples_dir());
			CHECK(0, "samples directory %s is missing",
			    samples_dir());
		}
	}
	return known;
}

/* A growing string for bodies built in the tests. */
struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL) {
			perror("realloc");
			exit(2);
		}
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Wraps item into {"results":[item]}; the caller frees. */
static char *
wrap(const char *item)
{
	struct buf	 b = { NULL, 0, 0 };

	buf_puts(&b, "{\"results\":[");
	buf_puts(&b, item);
	buf_puts(&b, "]}");
	return b.p;
}

/* --- timestamps ------------------------------------------------------ */

static const struct {
	const char	*in;
	const char	*out;	/* "" when unreadable */
} ts_cases[] = {
	/* The documented form, and the forms seen in SDK fixtures. */
	{ "2019-11-09T16:00:00.000+0000", "2019-11-09 16:00:00.000" },
	{ "2019-11-09T16:00:00.000+0100", "2019-11-09 15:00:00.000" },
	{ "2016-10-06T09:28:39.220+00:00", "2016-10-06 09:28:39.220" },
	{ "2023-08-01T16:10:00+05:30", "2023-08-01 10:40:00.000" },
	{ "2015-06-04T13:01:52.933", "2015-06-04 13:01:52.933" },
	{ "2019-11-09T16:00:00Z", "2019-11-09 16:00:00.000" },
	{ "2019-11-09t16:00:00.001z", "2019-11-09 16:00:00.001" },
	{ "2019-11-09 16:00:00.000+0000", "2019-11-09 16:00:00.000" },
	{ "2019-11-09 16:00:00", "2019-11-09 16:00:00.000" },
	/* Offsets that cross a day, a month, a leap day, a year. */
	{ "2019-12-31T23:30:00.000-0100", "2020-01-01 00:30:00.000" },
	{ "2020-03-01T00:10:00+01:00", "2020-02-29 23:10:00.000" },
	{ "2019-03-01T00:10:00+01:00", "2019-02-28 23:10:00.000" },
	{ "2000-02-29T12:00:00-12:00", "2000-03-01 00:00:00.000" },
	{ "2019-11-09T02:00:00.000+0530", "2019-11-08 20:30:00.000" },
	{ "2019-11-09T16:00:00+05", "2019-11-09 11:00:00.000" },
	/* Fractions shorter and longer than milliseconds. */
	{ "2019-11-09T16:00:00.5Z", "2019-11-09 16:00:00.500" },
	{ "2019-11-09T16:00:00.12+0000", "2019-11-09 16:00:00.120" },
	{ "2019-11-09T16:00:00.123456789+0000", "2019-11-09 16:00:00.123" },
	{ "2019-11-09T16:00:00,250Z", "2019-11-09 16:00:00.250" },
	/* A leap second carries into the next minute. */
	{ "2016-12-31T23:59:60Z", "2017-01-01 00:00:00.000" },
	{ "0001-01-01T00:00:00Z", "0001-01-01 00:00:00.000" },
	{ "9999-12-31T23:59:59.999Z", "9999-12-31 23:59:59.999" },
	{ "1970-01-01T00:00:00Z", "1970-01-01 00:00:00.000" },
	/* Unreadable. */
	{ "", "" },
	{ "garbage", "" },
	{ "1704106800000", "" },
	{ "2019-11-09", "" },
	{ "2019-11-09T16:00", "" },
	{ "2019-11-09T16:00:00.", "" },
	{ "2019-11-09T16:00:00.Z", "" },
	{ "2019-11-09T16:00:00+0000 ", "" },
	{ " 2019-11-09T16:00:00+0000", "" },
	{ "2019-11-09T16:00:00+00:", "" },
	{ "2019-11-09T16:00:00+0", "" },
	{ "2019-11-09T16:00:00+000", "" },
	{ "2019-11-09T16:00:00+2500", "" },
	{ "2019-11-09T16:00:00+0060", "" },
	{ "2019-11-09T16:00:00UTC", "" },
	{ "2019-11-09X16:00:00Z", "" },
	{ "2019-13-01T00:00:00Z", "" },
	{ "2019-00-01T00:00:00Z", "" },
	{ "2019-02-29T00:00:00Z", "" },
	{ "2019-04-31T00:00:00Z", "" },
	{ "2019-11-00T00:00:00Z", "" },
	{ "2019-11-09T24:00:00Z", "" },
	{ "2019-11-09T23:60:00Z", "" },
	{ "2019-11-09T23:00:61Z", "" },
	{ "19-11-09T16:00:00Z", "" },
	{ "2019-1-09T16:00:00Z", "" },
	{ "0000-01-01T00:00:00Z", "" },
	{ "0001-01-01T00:00:00+0100", "" },
	{ "9999-12-31T23:59:59.999-0100", "" },
};

static void
test_timestamps(void)
{
	char	 out[32], small[10];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(ts_cases) / sizeof(ts_cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		rc = payload_timestamp(ts_cases[i].in, out, sizeof(out));
		CHECK(rc == (ts_cases[i].out[0] != '\0'),
		    "timestamp \"%s\": rc %d", ts_cases[i].in, rc);
		CHECK_STR(out, ts_cases[i].out, "timestamp \"%s\"",
		    ts_cases[i].in);
	}
	memset(small, 'x', sizeof(small));
	CHECK(payload_timestamp("2019-11-09T16:00:00Z", small,
	    sizeof(small)) == 0, "timestamp into a short buffer");
	CHECK_STR(small, "", "timestamp into a short buffer");
	CHECK(payload_timestamp(NULL, out, sizeof(out)) == 0,
	    "timestamp NULL");
	CHECK_STR(out, "", "timestamp NULL");
}

/* --- MO -------------------------------------------------------------- */

static const struct {
	const char	*file;
	const char	*id, *from, *to, *text, *keyword, *received_at;
	double		 price;
	const char	*currency;
	int		 sms_count;
} mo_samples[] = {
	{ "mo-1.json", "817790313235066447", "385916242493", "385921004026",
	  "QUIZ Correct answer is Paris", "QUIZ", "2019-11-09 16:00:00.000",
	  0, "EUR", 1 },
	{ "mo-2.json", "817790313235066447", "385916242493", "385921004026",
	  "QUIZ Correct answer is Paris", "QUIZ", "2016-10-06 09:28:39.220",
	  0, "EUR", 1 },
	{ "mo-3.json", "817790313235066447", "385916242493", "385921004026",
	  "QUIZ Correct answer is Paris", "QUIZ", "2016-10-06 09:28:39.220",
	  0, "EUR", 1 },
	{ "mo-4.json", "0191e180-7d60-7000-aded-7d8b151cbd5b", "385916242494",
	  "385921004027", "This is an SMS message", "",
	  "2016-10-06 09:28:40.000", 0, "EUR", 1 },
	{ "mo-5.json", "817790313235066447", "385916242493", "385921004026",
	  "QUIZ Correct answer is Paris", "QUIZ", "2023-08-01 10:40:00.000",
	  0, "EUR", 1 },
};

static void
test_mo_samples(void)
{
	struct wh_mo	*m;
	const char	*why, *f;
	char		*body;
	size_t		 i, n, len;
	int		 rc;

	if (!samples_present())
		return;
	for (i = 0; i < sizeof(mo_samples) / sizeof(mo_samples[0]); i++) {
		f = mo_samples[i].file;
		if ((body = sample(f, &len)) == NULL)
			continue;
		rc = payload_mo_parse(body, len, &m, &n, &why);
		CHECK(rc == 1 && n == 1, "%s: rc %d n %zu", f, rc, n);
		if (rc == 1 && n == 1) {
			CHECK_STR(m[0].error, "", "%s error", f);
			CHECK_STR(m[0].message_id, mo_samples[i].id, "%s id",
			    f);
			CHECK_STR(m[0].from, mo_samples[i].from, "%s from", f);
			CHECK_STR(m[0].to, mo_samples[i].to, "%s to", f);
			CHECK_STR(m[0].text, mo_samples[i].text, "%s text", f);
			CHECK(m[0].text_len == strlen(mo_samples[i].text),
			    "%s text_len %zu", f, m[0].text_len);
			CHECK(m[0].text_repaired == 0 && m[0].media_parts == 0,
			    "%s repaired/media", f);
			CHECK_STR(m[0].keyword, mo_samples[i].keyword,
			    "%s keyword", f);
			CHECK_STR(m[0].received_at, mo_samples[i].received_at,
			    "%s receivedAt", f);
			CHECK(m[0].price == mo_samples[i].price, "%s price %g",
			    f, m[0].price);
			CHECK_STR(m[0].currency, mo_samples[i].currency,
			    "%s currency", f);
			CHECK(m[0].sms_count == mo_samples[i].sms_count,
			    "%s smsCount %d", f, m[0].sms_count);
		}
		payload_mo_free(m, n);
		free(body);
	}
}

/* Items that are each wrapped into {"results":[...]} alone. */
static const struct {
	const char	*name;
	const char	*item;
	const char	*error;
	const char	*id, *from, *text;
	int		 repaired, media;
	double		 price;
	int		 sms_count;
	const char	*keyword, *received_at;
} mo_cases[] = {
	{ "from with plus, kept as sent",
	  "{\"messageId\":\"m1\",\"from\":\"+41793026727\",\"text\":\"hi\"}",
	  "", "m1", "+41793026727", "hi", 0, 0, -1, -1, "", "" },
	{ "empty text is allowed",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"\"}",
	  "", "m1", "41", "", 0, 0, -1, -1, "", "" },
	{ "text missing",
	  "{\"messageId\":\"m1\",\"from\":\"41\"}",
	  "text is missing", "m1", "41", "", 0, 0, -1, -1, "", "" },
	{ "text null",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":null}",
	  "text is missing", "m1", "41", "", 0, 0, -1, -1, "", "" },
	{ "text a number",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":5}",
	  "text is not a string", "m1", "41", "", 0, 0, -1, -1, "", "" },
	{ "from missing",
	  "{\"messageId\":\"m1\",\"text\":\"x\"}",
	  "from is missing", "m1", "", "x", 0, 0, -1, -1, "", "" },
	{ "from empty",
	  "{\"messageId\":\"m1\",\"from\":\"\",\"text\":\"x\"}",
	  "from is empty", "m1", "", "x", 0, 0, -1, -1, "", "" },
	{ "from a number",
	  "{\"messageId\":\"m1\",\"from\":41793026727,\"text\":\"x\"}",
	  "from is not a string", "m1", "", "x", 0, 0, -1, -1, "", "" },
	{ "from with CR LF",
	  "{\"messageId\":\"m1\",\"from\":\"41\\r\\nX: y\",\"text\":\"x\"}",
	  "from contains control characters", "m1", "", "x", 0, 0, -1, -1,
	  "", "" },
	{ "from too long",
	  "{\"messageId\":\"m1\",\"from\":\"1234567890123456789012345678901"
	  "234567890123456789012345678901234\",\"text\":\"x\"}",
	  "from is too long", "m1", "", "x", 0, 0, -1, -1, "", "" },
	{ "from not UTF-8",
	  "{\"messageId\":\"m1\",\"from\":\"41\xff\",\"text\":\"x\"}",
	  "from is not valid UTF-8", "m1", "", "x", 0, 0, -1, -1, "", "" },
	{ "messageId missing (first fault wins)",
	  "{\"text\":\"x\"}",
	  "messageId is missing", "", "", "x", 0, 0, -1, -1, "", "" },
	{ "messageId null",
	  "{\"messageId\":null,\"from\":\"41\",\"text\":\"x\"}",
	  "messageId is missing", "", "41", "x", 0, 0, -1, -1, "", "" },
	{ "messageId a number",
	  "{\"messageId\":817790313235066447,\"from\":\"41\",\"text\":\"x\"}",
	  "messageId is not a string", "", "41", "x", 0, 0, -1, -1, "", "" },
	{ "messageId with NUL",
	  "{\"messageId\":\"m\\u0000\",\"from\":\"41\",\"text\":\"x\"}",
	  "messageId contains control characters", "", "41", "x", 0, 0, -1,
	  -1, "", "" },
	{ "messageId with tab",
	  "{\"messageId\":\"m\\t1\",\"from\":\"41\",\"text\":\"x\"}",
	  "messageId contains control characters", "", "41", "x", 0, 0, -1,
	  -1, "", "" },
	{ "messageId with DEL",
	  "{\"messageId\":\"m\\u007f\",\"from\":\"41\",\"text\":\"x\"}",
	  "messageId contains control characters", "", "41", "x", 0, 0, -1,
	  -1, "", "" },
	{ "messageId not UTF-8",
	  "{\"messageId\":\"m\xc3\",\"from\":\"41\",\"text\":\"x\"}",
	  "messageId is not valid UTF-8", "", "41", "x", 0, 0, -1, -1, "",
	  "" },
	{ "item a number",
	  "5",
	  "item is not an object", "", "", "", 0, 0, -1, -1, "", "" },
	{ "item null",
	  "null",
	  "item is not an object", "", "", "", 0, 0, -1, -1, "", "" },
	{ "MMS: text parts joined, image counted, SMIL ignored",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"message\":["
	  "{\"contentType\":\"application/smil\",\"value\":\"<smil/>\"},"
	  "{\"contentType\":\"text/plain\",\"value\":\"Hello\"},"
	  "{\"contentType\":\"image/jpeg\",\"url\":\"https://x/1.jpg\"},"
	  "{\"contentType\":\"text/plain; charset=utf-8\",\"value\":\"World\"},"
	  "7]}",
	  "", "m1", "41", "Hello\nWorld", 0, 1, -1, -1, "", "" },
	{ "MMS: part with a value and no contentType is text",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"message\":["
	  "{\"value\":\"Hi\"},{\"url\":\"https://x/v.mp4\"}]}",
	  "", "m1", "41", "Hi", 0, 1, -1, -1, "", "" },
	{ "MMS: image only is kept with empty text",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"message\":["
	  "{\"contentType\":\"image/png\",\"url\":\"https://x/1.png\"}]}",
	  "", "m1", "41", "", 0, 1, -1, -1,
	  "", "" },
	{ "MMS: text field wins, media still counted",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"T\",\"message\":["
	  "{\"contentType\":\"text/plain\",\"value\":\"P\"},"
	  "{\"contentType\":\"image/gif\",\"url\":\"u\"},"
	  "{\"contentType\":\"audio/amr\",\"url\":\"v\"}]}",
	  "", "m1", "41", "T", 0, 2, -1, -1, "", "" },
	{ "MMS: empty message[]",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"message\":[]}",
	  "text is missing", "m1", "41", "", 0, 0, -1, -1, "", "" },
	{ "invalid UTF-8 text repaired",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"caf\xc3 \xff!\"}",
	  "", "m1", "41", "caf\xef\xbf\xbd \xef\xbf\xbd!", 1, 0, -1, -1, "",
	  "" },
	{ "lone surrogates repaired as invalid bytes are",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":"
	  "\"a\\ud800b\\udc00\\ud83d\\ude00\\\\ud800\\ud800\\u0041\"}",
	  "", "m1", "41", "a\xef\xbf\xbd" "b\xef\xbf\xbd\xf0\x9f\x98\x80\\ud800"
	  "\xef\xbf\xbd" "A", WH_TEXT_BAD_UTF8, 0, -1, -1, "", "" },
	{ "a lone surrogate in an MMS text part repaired",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"message\":["
	  "{\"contentType\":\"text/plain\",\"value\":\"x\\udbff\"}]}",
	  "", "m1", "41", "x\xef\xbf\xbd", 1, 0, -1, -1, "", "" },
	{ "a lone surrogate in messageId refused as invalid bytes are",
	  "{\"messageId\":\"m\\ud800\",\"from\":\"41\",\"text\":\"x\"}",
	  "messageId is not valid UTF-8", "", "41", "x", 0, 0, -1, -1, "", "" },
	{ "NUL in text dropped",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"a\\u0000b\"}",
	  "", "m1", "41", "ab", WH_TEXT_NUL, 0, -1, -1, "", "" },
	{ "NUL and invalid UTF-8 both named",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"a\\u0000\xff\"}",
	  "", "m1", "41", "a\xef\xbf\xbd", WH_TEXT_NUL | WH_TEXT_BAD_UTF8, 0,
	  -1, -1, "", "" },
	{ "invalid UTF-8 in an MMS text part repaired",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"message\":["
	  "{\"contentType\":\"text/plain\",\"value\":\"\xe2\x82\"}]}",
	  "", "m1", "41", "\xef\xbf\xbd", 1, 0, -1, -1, "", "" },
	{ "control characters in text kept",
	  "{\"messageId\":\"m1\",\"from\":\"41\","
	  "\"text\":\"a\\u0001\\u001b[31m\\r\\n\\tb\"}",
	  "", "m1", "41", "a\x01\x1b[31m\r\n\tb", 0, 0, -1, -1, "", "" },
	{ "price and smsCount as strings",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"x\","
	  "\"price\":{\"pricePerMessage\":\"0.01\",\"currency\":\"EUR\"},"
	  "\"smsCount\":\"2\",\"keyword\":null,\"receivedAt\":\"yesterday\"}",
	  "", "m1", "41", "x", 0, 0, 0.01, 2, "", "" },
	{ "odd types skipped",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"x\","
	  "\"price\":\"abc\",\"smsCount\":-3,\"receivedAt\":5,"
	  "\"keyword\":[\"K\"],\"to\":{},\"cleanText\":5}",
	  "", "m1", "41", "x", 0, 0, -1, -1, "", "" },
	{ "null price parts, fractional count",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"x\","
	  "\"price\":{\"pricePerMessage\":null,\"currency\":7},"
	  "\"smsCount\":1.5,\"to\":null}",
	  "", "m1", "41", "x", 0, 0, -1, -1, "", "" },
	{ "negative price, count too big, trailing text after number",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"x\","
	  "\"price\":{\"pricePerMessage\":-1.5},\"smsCount\":\"99999999999\","
	  "\"keyword\":\"KW\",\"receivedAt\":\"2019-11-09T16:00:00.000+0000\"}",
	  "", "m1", "41", "x", 0, 0, -1, -1, "KW", "2019-11-09 16:00:00.000" },
	{ "bare price, whole double count",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"x\","
	  "\"price\":0.5,\"smsCount\":3.0}",
	  "", "m1", "41", "x", 0, 0, 0.5, 3, "", "" },
	{ "price string with junk",
	  "{\"messageId\":\"m1\",\"from\":\"41\",\"text\":\"x\","
	  "\"price\":{\"pricePerMessage\":\"0.01 EUR\"},\"smsCount\":\"\"}",
	  "", "m1", "41", "x", 0, 0, -1, -1, "", "" },
};

static void
test_mo_cases(void)
{
	struct wh_mo	*m;
	const char	*why, *name;
	char		*body;
	size_t		 i, n;
	int		 rc;

	for (i = 0; i < sizeof(mo_cases) / sizeof(mo_cases[0]); i++) {
		name = mo_cases[i].name;
		body = wrap(mo_cases[i].item);
		rc = payload_mo_parse(body, strlen(body), &m, &n, &why);
		CHECK(rc == 1 && n == 1, "%s: rc %d n %zu", name, rc, n);
		if (rc == 1 && n == 1) {
			CHECK_STR(m[0].error, mo_cases[i].error, "%s: error",
			    name);
			CHECK_STR(m[0].message_id, mo_cases[i].id, "%s: id",
			    name);
			CHECK_STR(m[0].from, mo_cases[i].from, "%s: from",
			    name);
			CHECK_STR(m[0].text, mo_cases[i].text, "%s: text",
			    name);
			CHECK(m[0].text_len == strlen(mo_cases[i].text),
			    "%s: text_len %zu", name, m[0].text_len);
			CHECK(m[0].text_repaired == mo_cases[i].repaired,
			    "%s: repaired %d", name, m[0].text_repaired);
			CHECK(m[0].media_parts == mo_cases[i].media,
			    "%s: media %d", name, m[0].media_parts);
			CHECK(m[0].price == mo_cases[i].price, "%s: price %g",
			    name, m[0].price);
			CHECK(m[0].sms_count == mo_cases[i].sms_count,
			    "%s: smsCount %d", name, m[0].sms_count);
			CHECK_STR(m[0].keyword, mo_cases[i].keyword,
			    "%s: keyword", name);
			CHECK_STR(m[0].received_at, mo_cases[i].received_at,
			    "%s: receivedAt", name);
			CHECK(smstext_utf8_valid(m[0].text, m[0].text_len),
			    "%s: text is valid UTF-8", name);
		}
		payload_mo_free(m, n);
		free(body);
	}
}

/* One bad item among good ones, and fields cut at character boundaries. */
static void
test_mo_mixed(void)
{
	static const char body[] = "{\"results\":["
	    "{\"messageId\":\"a\",\"from\":\"41\",\"text\":\"one\"},"
	    "{\"from\":\"42\",\"text\":\"two\"},"
	    "{\"messageId\":\"c\",\"from\":\"43\",\"text\":\"three\"}],"
	    "\"messageCount\":3,\"pendingMessageCount\":0}";
	struct wh_mo	*m;
	struct buf	 b = { NULL, 0, 0 };
	const char	*why;
	size_t		 n, i;
	int		 rc;

	rc = payload_mo_parse(body, strlen(body), &m, &n, &why);
	CHECK(rc == 1 && n == 3, "mixed MO: rc %d n %zu", rc, n);
	if (rc == 1 && n == 3) {
		CHECK_STR(m[0].error, "", "mixed MO item 0");
		CHECK_STR(m[0].text, "one", "mixed MO item 0");
		CHECK_STR(m[1].error, "messageId is missing",
		    "mixed MO item 1");
		CHECK_STR(m[1].from, "42", "mixed MO item 1 from");
		CHECK_STR(m[2].error, "", "mixed MO item 2");
		CHECK_STR(m[2].message_id, "c", "mixed MO item 2");
		CHECK_STR(m[2].text, "three", "mixed MO item 2");
	}
	payload_mo_free(m, n);

	/* 40 two-byte characters: 31 fit in keyword[64], a 32nd would split. */
	buf_puts(&b, "{\"results\":[{\"messageId\":\"a\",\"from\":\"41\","
	    "\"text\":\"x\",\"keyword\":\"");
	for (i = 0; i < 40; i++)
		buf_puts(&b, "\xc3\xa9");
	buf_puts(&b, "\",\"to\":\"");
	for (i = 0; i < 70; i++)
		buf_puts(&b, "7");
	buf_puts(&b, "\"}]}");
	rc = payload_mo_parse(b.p, b.len, &m, &n, &why);
	CHECK(rc == 1 && n == 1, "long keyword: rc %d n %zu", rc, n);
	if (rc == 1 && n == 1) {
		CHECK(strlen(m[0].keyword) == 62, "keyword cut to %zu bytes",
		    strlen(m[0].keyword));
		CHECK(smstext_utf8_valid(m[0].keyword, strlen(m[0].keyword)),
		    "cut keyword is valid UTF-8");
		CHECK(strlen(m[0].to) == 63 &&
		    strspn(m[0].to, "7") == 63, "to cut to %zu bytes",
		    strlen(m[0].to));
		CHECK_STR(m[0].error, "", "long keyword: no item error");
	}
	payload_mo_free(m, n);
	free(b.p);
}

/* Emoji, HTML and SQL quotes survive exactly; a 64 KiB text too. */
static void
test_mo_text_exact(void)
{
	static const char body[] = "{\"results\":[{\"messageId\":\"e\","
	    "\"from\":\"41\",\"text\":\"Hi \\ud83d\\ude00 "
	    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd "
	    "<script>alert('x')</script> \\\"q\\\" O'Brien'; DROP TABLE t;-- "
	    "&amp; \\\\ \\/ \xe2\x80\xae\"}]}";
	static const char want[] = "Hi \xf0\x9f\x98\x80 "
	    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd "
	    "<script>alert('x')</script> \"q\" O'Brien'; DROP TABLE t;-- "
	    "&amp; \\ / \xe2\x80\xae";
	static const char unit[] = "ab\xc3\xa9\xf0\x9f\x98\x80<>&'";
	struct wh_mo	*m;
	struct buf	 b = { NULL, 0, 0 }, w = { NULL, 0, 0 };
	const char	*why;
	size_t		 n;
	int		 rc;

	rc = payload_mo_parse(body, strlen(body), &m, &n, &why);
	CHECK(rc == 1 && n == 1, "exact text: rc %d n %zu", rc, n);
	if (rc == 1 && n == 1) {
		CHECK_STR(m[0].text, want, "exact text");
		CHECK(m[0].text_len == strlen(want) && m[0].text_repaired == 0,
		    "exact text: len %zu repaired %d", m[0].text_len,
		    m[0].text_repaired);
	}
	payload_mo_free(m, n);

	buf_puts(&b, "{\"results\":[{\"messageId\":\"big\",\"from\":\"41\","
	    "\"text\":\"");
	while (w.len < 65536 + 100) {
		buf_puts(&b, unit);
		buf_puts(&b, "\\\"\\n");
		buf_puts(&w, unit);
		buf_puts(&w, "\"\n");
	}
	buf_puts(&b, "\"}]}");
	rc = payload_mo_parse(b.p, b.len, &m, &n, &why);
	CHECK(rc == 1 && n == 1, "64 KiB text: rc %d n %zu", rc, n);
	if (rc == 1 && n == 1) {
		CHECK(m[0].text_len == w.len &&
		    memcmp(m[0].text, w.p, w.len) == 0,
		    "64 KiB text: %zu bytes, want %zu", m[0].text_len, w.len);
		CHECK_STR(m[0].error, "", "64 KiB text: error");
	}
	payload_mo_free(m, n);
	free(b.p);
	free(w.p);
}

/* --- delivery reports ------------------------------------------------ */

static const struct {
	const char	*file;
	size_t		 n, idx;
	const char	*uid, *status, *group_name, *status_name, *error_name;
	double		 price;
	const char	*currency;
	int		 sms_count;
	const char	*sent_at, *done_at, *bulk_id;
} dlr_samples[] = {
	{ "dlr-delivered-1.json", 2, 0, "MESSAGE-ID-123-xyz", "delivered",
	  "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01, "EUR", 1,
	  "2019-11-09 15:00:00.000", "2019-11-09 15:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-1.json", 2, 1, "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01,
	  "EUR", 1, "2019-11-09 16:00:00.000", "2019-11-09 16:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-2.json", 2, 0, "MESSAGE-ID-123-xyz", "delivered",
	  "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01, "EUR", 1,
	  "2019-11-09 16:00:00.000", "2019-11-09 16:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-2.json", 2, 1, "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01,
	  "EUR", 1, "2019-11-09 17:00:00.000", "2019-11-09 17:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-3.json", 2, 0, "MESSAGE-ID-123-xyz", "delivered",
	  "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01, "EUR", 1,
	  "2019-11-09 16:00:00.000", "2019-11-09 16:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-3.json", 2, 1, "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01,
	  "EUR", 1, "2019-11-09 17:00:00.000", "2019-11-09 17:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-4.json", 2, 0, "MESSAGE-ID-123-xyz", "delivered",
	  "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01, "EUR", 1,
	  "2019-11-09 16:00:00.000", "2019-11-09 16:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-4.json", 2, 1, "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01,
	  "EUR", 1, "2019-11-09 17:00:00.000", "2019-11-09 17:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-5.json", 1, 0, "c9823180-94d4-4ea0-9bf3-ec907e7534a6",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.0001,
	  "EUR", 1, "2015-06-04 13:01:52.933", "2015-06-04 13:02:00.134",
	  "BULK-ID-123-xyz" },
	{ "dlr-delivered-6-pull-live-like.json", 4, 0, "33640241674303572142",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0,
	  "EUR", 1, "2021-11-08 20:13:36.768", "2021-11-08 20:13:39.819",
	  "33640241674303572139" },
	{ "dlr-delivered-6-pull-live-like.json", 4, 1, "33640241674303572141",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0,
	  "EUR", 1, "2021-11-08 20:13:36.749", "2021-11-08 20:13:40.293",
	  "33640241674303572139" },
	{ "dlr-delivered-6-pull-live-like.json", 4, 2, "33644485987105283960",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0,
	  "EUR", 1, "2021-11-09 08:00:59.881", "2021-11-09 08:01:03.268",
	  "33644485987105283959" },
	{ "dlr-delivered-6-pull-live-like.json", 4, 3, "33644485987105283961",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0,
	  "EUR", 1, "2021-11-09 08:00:59.880", "2021-11-09 08:01:03.745",
	  "33644485987105283959" },
	{ "dlr-delivered-7.json", 2, 0, "bcfb828b-7df9-4e7b-8715-f34f5c61271a",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01,
	  "EUR", 1, "2015-02-12 08:51:43.123", "2015-02-12 08:51:43.127",
	  "80664c0c-e1ca-414d-806a-5caf146463df" },
	{ "dlr-delivered-7.json", 2, 1, "12db39c3-7822-4e72-a3ec-c87442c0ffc5",
	  "delivered", "DELIVERED", "DELIVERED_TO_HANDSET", "NO_ERROR", 0.01,
	  "EUR", 1, "2015-02-12 08:50:22.221", "2015-02-12 08:50:22.232",
	  "08fe4407-c48f-4d4b-a2f4-9ff583c985b8" },
	{ "dlr-expired-1-partial.json", 1, 0,
	  "0191e180-7d60-7000-aded-7d8b151cbd5b", "expired", "EXPIRED", "", "",
	  -1, "", -1, "", "", "" },
	{ "dlr-pending-1-partial.json", 2, 0,
	  "0191e180-7d60-7000-aded-7d8b151cbd5b", "accepted", "PENDING", "",
	  "", -1, "", -1, "", "", "" },
	{ "dlr-pending-1-partial.json", 2, 1,
	  "0191e180-7d60-7000-aded-7d8b151cbd5b", "accepted", "PENDING", "",
	  "", -1, "", -1, "", "", "" },
	{ "dlr-rejected-1-partial.json", 1, 0,
	  "0191e180-7d60-7000-aded-7d8b151cbd5b", "rejected", "REJECTED", "",
	  "", -1, "", -1, "", "", "" },
	{ "dlr-undeliverable-1.json", 1, 0, "msg-abc123", "undeliverable",
	  "UNDELIVERABLE", "UNDELIVERABLE_REJECTED_OPERATOR",
	  "EC_ILLEGAL_SUBSCRIBER", 0.005, "EUR", 1, "2026-03-03 13:22:30.000",
	  "2026-03-03 13:22:35.000", "BULK-123456" },
	{ "dlr-undeliverable-2.json", 2, 0,
	  "07e03aae-fabc-44ad-b1ce-222e14094d70", "delivered", "DELIVERED",
	  "DELIVERED_TO_HANDSET", "NO_ERROR", 0, "EUR", 1,
	  "2015-02-23 16:41:11.833", "2015-02-23 16:41:11.843",
	  "bafdeb3d-719b-4cce-8762-54d47b40f3c5" },
	{ "dlr-undeliverable-2.json", 2, 1,
	  "faa48fe6-fe2c-4f36-a43b-a070e2906ecb", "undeliverable",
	  "UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", "NO_ERROR", 0, "EUR",
	  1, "2015-02-23 15:22:37.413", "2015-02-23 15:22:37.437",
	  "1dece649-6c8f-404e-8c6e-c7e073be509a" },
	{ "dlr-undeliverable-3-partial.json", 1, 0,
	  "0191e180-7d60-7000-aded-7d8b151cbd5b", "undeliverable",
	  "UNDELIVERABLE", "", "", -1, "", -1, "", "", "" },
	{ "SYNTH-dlr-v2-undeliverable.json", 1, 0, "MESSAGE-ID-123-xyz",
	  "undeliverable", "UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED",
	  "EC_ABSENT_SUBSCRIBER", 0, "EUR", 1, "2019-11-09 16:00:00.000",
	  "2019-11-09 16:00:05.000", "BULK-ID-123-xyz" },
	{ "SYNTH-dlr-v3-expired.json", 1, 0, "MESSAGE-ID-124-xyz", "expired",
	  "EXPIRED", "EXPIRED_EXPIRED", "EC_ABSENT_SUBSCRIBER", 0, "EUR", 1,
	  "2019-11-09 16:00:00.000", "2019-11-11 16:00:00.000",
	  "BULK-ID-123-xyz" },
	{ "SYNTH-dlr-v3-rejected.json", 1, 0, "MESSAGE-ID-125-xyz", "rejected",
	  "REJECTED", "REJECTED_NOT_ENOUGH_CREDITS", "NO_ERROR", 0, "EUR", 1,
	  "2019-11-09 16:00:00.000", "2019-11-09 16:00:00.100",
	  "BULK-ID-123-xyz" },
	{ "SYNTH-dlr-v3-undeliverable.json", 1, 0, "MESSAGE-ID-123-xyz",
	  "undeliverable", "UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED",
	  "EC_ABSENT_SUBSCRIBER", 0, "EUR", 1, "2019-11-09 16:00:00.000",
	  "2019-11-09 16:00:05.000", "BULK-ID-123-xyz" },
};

static void
test_dlr_samples(void)
{
	struct wh_report	*r, *it;
	const char		*why, *f;
	char			*body;
	size_t			 i, n, len, k;
	int			 rc;

	if (!samples_present())
		return;
	for (i = 0; i < sizeof(dlr_samples) / sizeof(dlr_samples[0]); i++) {
		f = dlr_samples[i].file;
		k = dlr_samples[i].idx;
		if ((body = sample(f, &len)) == NULL)
			continue;
		rc = payload_reports_parse(body, len, &r, &n, &why);
		CHECK(rc == 1 && n == dlr_samples[i].n, "%s: rc %d n %zu", f,
		    rc, n);
		if (rc == 1 && n == dlr_samples[i].n) {
			it = &r[k];
			CHECK_STR(it->error, "", "%s[%zu] error", f, k);
			CHECK_STR(it->uid, dlr_samples[i].uid, "%s[%zu] uid", f,
			    k);
			CHECK_STR(it->status, dlr_samples[i].status,
			    "%s[%zu] status", f, k);
			CHECK_STR(it->group_name, dlr_samples[i].group_name,
			    "%s[%zu] groupName", f, k);
			CHECK_STR(it->status_name, dlr_samples[i].status_name,
			    "%s[%zu] status name", f, k);
			CHECK_STR(it->error_name, dlr_samples[i].error_name,
			    "%s[%zu] error name", f, k);
			CHECK(it->price == dlr_samples[i].price,
			    "%s[%zu] price %g", f, k, it->price);
			CHECK_STR(it->currency, dlr_samples[i].currency,
			    "%s[%zu] currency", f, k);
			CHECK(it->sms_count == dlr_samples[i].sms_count,
			    "%s[%zu] count %d", f, k, it->sms_count);
			CHECK_STR(it->sent_at, dlr_samples[i].sent_at,
			    "%s[%zu] sentAt", f, k);
			CHECK_STR(it->done_at, dlr_samples[i].done_at,
			    "%s[%zu] doneAt", f, k);
			CHECK_STR(it->bulk_id, dlr_samples[i].bulk_id,
			    "%s[%zu] bulkId", f, k);
			CHECK(it->raw != NULL && it->raw[0] == '{' &&
			    strstr(it->raw, dlr_samples[i].uid) != NULL &&
			    strchr(it->raw, '\n') == NULL, "%s[%zu] raw", f, k);
		}
		payload_reports_free(r, n);
		free(body);
	}

	/* Descriptions, and raw as exact compact JSON. */
	if ((body = sample("dlr-undeliverable-1.json", &len)) == NULL)
		return;
	rc = payload_reports_parse(body, len, &r, &n, &why);
	CHECK(rc == 1 && n == 1, "dlr-undeliverable-1: rc %d", rc);
	if (rc == 1 && n == 1) {
		CHECK_STR(r[0].status_description,
		    "Message rejected by operator", "status description");
		CHECK_STR(r[0].error_description, "Illegal Subscriber",
		    "error description");
		CHECK_STR(r[0].raw, "{\"bulkId\":\"BULK-123456\","
		    "\"channel\":\"SMS\",\"price\":{\"pricePerMessage\":0.005,"
		    "\"currency\":\"EUR\"},\"status\":{\"groupId\":2,"
		    "\"groupName\":\"UNDELIVERABLE\",\"id\":4,"
		    "\"name\":\"UNDELIVERABLE_REJECTED_OPERATOR\","
		    "\"description\":\"Message rejected by operator\"},"
		    "\"error\":{\"groupId\":1,\"groupName\":\"HANDSET_ERRORS\","
		    "\"id\":9,\"name\":\"EC_ILLEGAL_SUBSCRIBER\","
		    "\"description\":\"Illegal Subscriber\","
		    "\"permanent\":true},"
		    "\"messageId\":\"msg-abc123\","
		    "\"doneAt\":\"2026-03-03T14:22:35.000+0100\","
		    "\"messageCount\":1,"
		    "\"sentAt\":\"2026-03-03T14:22:30.000+0100\","
		    "\"mccMnc\":\"21910\","
		    "\"callbackData\":\"custom-user-data\","
		    "\"to\":\"385911234567\",\"sender\":\"InfoSMS\","
		    "\"platform\":{\"entityId\":\"ext-entity-001\","
		    "\"applicationId\":\"ext-app-001\"},"
		    "\"campaignReferenceId\":\"CAMP-2026-Q1\"}", "raw");
	}
	payload_reports_free(r, n);
	free(body);
}

static const struct {
	const char	*name;
	const char	*item;
	const char	*error;
	const char	*uid, *status, *group_name;
	double		 price;
	int		 sms_count;
	const char	*raw;		/* NULL: not checked */
} dlr_cases[] = {
	{ "groupId only",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":4}}",
	  "", "a", "expired", "EXPIRED", -1, -1, NULL },
	{ "groupId 0 is accepted",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":0}}",
	  "", "a", "accepted", "ACCEPTED", -1, -1, NULL },
	{ "groupId as a string",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":\"3\"}}",
	  "", "a", "delivered", "DELIVERED", -1, -1, NULL },
	{ "groupName wins over a disagreeing groupId",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":3,"
	  "\"groupName\":\"REJECTED\",\"name\":\"DELIVERED_TO_HANDSET\"}}",
	  "", "a", "rejected", "REJECTED", -1, -1, NULL },
	{ "unknown groupName, known groupId",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":2,"
	  "\"groupName\":\"WEIRD\"}}",
	  "", "a", "undeliverable", "WEIRD", -1, -1, NULL },
	{ "groupName in lower case",
	  "{\"messageId\":\"a\",\"status\":{\"groupName\":\"delivered\"}}",
	  "", "a", "delivered", "delivered", -1, -1, NULL },
	{ "the status name is never used",
	  "{\"messageId\":\"a\","
	  "\"status\":{\"name\":\"DELIVERED_TO_HANDSET\"}}",
	  "unknown status group", "a", "", "", -1, -1, NULL },
	{ "unknown groupId",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":9}}",
	  "unknown status group", "a", "", "", -1, -1, NULL },
	{ "negative groupId",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":-1}}",
	  "unknown status group", "a", "", "", -1, -1, NULL },
	{ "status missing",
	  "{\"messageId\":\"a\"}",
	  "status is missing", "a", "", "", -1, -1, NULL },
	{ "status a string",
	  "{\"messageId\":\"a\",\"status\":\"DELIVERED\"}",
	  "status is missing", "a", "", "", -1, -1, NULL },
	{ "messageId missing",
	  "{\"status\":{\"groupName\":\"DELIVERED\"}}",
	  "messageId is missing", "", "delivered", "DELIVERED", -1, -1, NULL },
	{ "messageId a number",
	  "{\"messageId\":5,\"status\":{\"groupName\":\"DELIVERED\"}}",
	  "messageId is not a string", "", "delivered", "DELIVERED", -1, -1,
	  NULL },
	{ "messageId with a newline",
	  "{\"messageId\":\"a\\nb\",\"status\":{\"groupName\":\"DELIVERED\"}}",
	  "messageId contains control characters", "", "delivered",
	  "DELIVERED", -1, -1, NULL },
	{ "messageId with an escape sequence",
	  "{\"messageId\":\"\\u001b[2J\",\"status\":{\"groupId\":3}}",
	  "messageId contains control characters", "", "delivered",
	  "DELIVERED", -1, -1, NULL },
	{ "messageId empty",
	  "{\"messageId\":\"\",\"status\":{\"groupId\":3}}",
	  "messageId is empty", "", "delivered", "DELIVERED", -1, -1, NULL },
	{ "item a number",
	  "5",
	  "item is not an object", "", "", "", -1, -1, "5" },
	{ "item an array",
	  "[1,{\"messageId\":\"a\"}]",
	  "item is not an object", "", "", "", -1, -1,
	  "[1,{\"messageId\":\"a\"}]" },
	{ "liberal types: price and smsCount as strings, mccMnc \"null\"",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":3,"
	  "\"groupName\":\"DELIVERED\"},\"error\":{\"groupId\":0,"
	  "\"groupName\":\"Ok\",\"name\":\"NO_ERROR\"},\"mccMnc\":\"null\","
	  "\"price\":{\"pricePerMessage\":\"0.05\",\"currency\":null},"
	  "\"smsCount\":\"1\"}",
	  "", "a", "delivered", "DELIVERED", 0.05, 1, NULL },
	{ "liberal types: nulls and wrong types everywhere",
	  "{\"messageId\":\"a\",\"status\":{\"groupId\":null,"
	  "\"groupName\":\"PENDING\",\"name\":5,\"description\":[]},"
	  "\"error\":\"none\",\"bulkId\":7,\"price\":null,\"smsCount\":\"x\","
	  "\"messageCount\":{},\"sentAt\":123,\"doneAt\":null}",
	  "", "a", "accepted", "PENDING", -1, -1, NULL },
	{ "v3 messageCount",
	  "{\"messageId\":\"a\",\"status\":{\"groupName\":\"DELIVERED\"},"
	  "\"messageCount\":3,\"price\":{\"pricePerMessage\":0}}",
	  "", "a", "delivered", "DELIVERED", 0, 3, NULL },
	{ "raw is compact, slashes and UTF-8 kept, control characters escaped",
	  "{ \"messageId\" : \"a\",\n"
	  " \"status\": {\"groupName\": \"DELIVERED\"},"
	  " \"callbackData\": \"https://x/y \xc3\xa9\\u0001\" }",
	  "", "a", "delivered", "DELIVERED", -1, -1,
	  "{\"messageId\":\"a\",\"status\":{\"groupName\":\"DELIVERED\"},"
	  "\"callbackData\":\"https://x/y \xc3\xa9\\u0001\"}" },
	{ "raw with invalid UTF-8 is repaired",
	  "{\"messageId\":\"a\",\"status\":{\"groupName\":\"DELIVERED\"},"
	  "\"callbackData\":\"\xff\"}",
	  "", "a", "delivered", "DELIVERED", -1, -1,
	  "{\"messageId\":\"a\",\"status\":{\"groupName\":\"DELIVERED\"},"
	  "\"callbackData\":\"\xef\xbf\xbd\"}" },
};

static void
test_dlr_cases(void)
{
	struct wh_report	*r;
	const char		*why, *name;
	char			*body;
	size_t			 i, n;
	int			 rc;

	for (i = 0; i < sizeof(dlr_cases) / sizeof(dlr_cases[0]); i++) {
		name = dlr_cases[i].name;
		body = wrap(dlr_cases[i].item);
		rc = payload_reports_parse(body, strlen(body), &r, &n, &why);
		CHECK(rc == 1 && n == 1, "%s: rc %d n %zu", name, rc, n);
		if (rc == 1 && n == 1) {
			CHECK_STR(r[0].error, dlr_cases[i].error, "%s: error",
			    name);
			CHECK_STR(r[0].uid, dlr_cases[i].uid, "%s: uid", name);
			CHECK_STR(r[0].status, dlr_cases[i].status,
			    "%s: status", name);
			CHECK_STR(r[0].group_name, dlr_cases[i].group_name,
			    "%s: groupName", name);
			CHECK(r[0].price == dlr_cases[i].price, "%s: price %g",
			    name, r[0].price);
			CHECK(r[0].sms_count == dlr_cases[i].sms_count,
			    "%s: count %d", name, r[0].sms_count);
			CHECK(r[0].raw != NULL, "%s: raw", name);
			if (dlr_cases[i].raw != NULL)
				CHECK_STR(r[0].raw, dlr_cases[i].raw, "%s: raw",
				    name);
		}
		payload_reports_free(r, n);
		free(body);
	}
}

/* One bad item among good ones; an over-long id; 2,000 items in one POST. */
static void
test_dlr_bulk(void)
{
	static const char *const names[] = {
		"ACCEPTED", "PENDING", "UNDELIVERABLE", "DELIVERED", "EXPIRED",
		"REJECTED",
	};
	static const char *const ours[] = {
		"accepted", "accepted", "undeliverable", "delivered", "expired",
		"rejected",
	};
	static const char mixed[] = "{\"results\":["
	    "{\"messageId\":\"a\",\"status\":{\"groupName\":\"DELIVERED\"}},"
	    "{\"status\":{\"groupName\":\"DELIVERED\"}},"
	    "{\"messageId\":\"c\",\"status\":{\"groupId\":5}},"
	    "{\"messageId\":\"d\",\"status\":{\"groupId\":77}},"
	    "{\"messageId\":\"e\",\"status\":{\"groupId\":2}}]}";
	struct wh_report	*r;
	struct buf		 b = { NULL, 0, 0 };
	const char		*why;
	char			 item[512], uid[32], done[32];
	size_t			 n, i, good;
	int			 rc;

	rc = payload_reports_parse(mixed, strlen(mixed), &r, &n, &why);
	CHECK(rc == 1 && n == 5, "mixed reports: rc %d n %zu", rc, n);
	if (rc == 1 && n == 5) {
		CHECK_STR(r[0].error, "", "mixed[0]");
		CHECK_STR(r[0].status, "delivered", "mixed[0]");
		CHECK_STR(r[1].error, "messageId is missing", "mixed[1]");
		CHECK_STR(r[2].error, "", "mixed[2]");
		CHECK_STR(r[2].status, "rejected", "mixed[2]");
		CHECK_STR(r[3].error, "unknown status group", "mixed[3]");
		CHECK_STR(r[3].uid, "d", "mixed[3] uid");
		CHECK_STR(r[4].error, "", "mixed[4]");
		CHECK_STR(r[4].uid, "e", "mixed[4]");
		CHECK_STR(r[4].status, "undeliverable", "mixed[4]");
	}
	payload_reports_free(r, n);

	/* A cut id would name another message: the item is bad instead. */
	buf_puts(&b, "{\"results\":[{\"messageId\":\"");
	for (i = 0; i < WH_ID_MAX; i++)
		buf_puts(&b, "x");
	buf_puts(&b, "\",\"status\":{\"groupId\":3}},{\"messageId\":\"");
	for (i = 0; i < WH_ID_MAX - 1; i++)
		buf_puts(&b, "y");
	buf_puts(&b, "\",\"status\":{\"groupId\":3}}]}");
	rc = payload_reports_parse(b.p, b.len, &r, &n, &why);
	CHECK(rc == 1 && n == 2, "long ids: rc %d n %zu", rc, n);
	if (rc == 1 && n == 2) {
		CHECK_STR(r[0].error, "messageId is too long", "256-byte id");
		CHECK_STR(r[0].uid, "", "256-byte id");
		CHECK_STR(r[1].error, "", "255-byte id");
		CHECK(strlen(r[1].uid) == WH_ID_MAX - 1, "255-byte id kept");
	}
	payload_reports_free(r, n);
	free(b.p);

	/* Strings keep the lengths they always had: longer ones are cut. */
	memset(&b, 0, sizeof(b));
	buf_puts(&b, "{\"results\":[{\"messageId\":\"L\",\"bulkId\":\"");
	for (i = 0; i < 200; i++)
		buf_puts(&b, "b");
	buf_puts(&b, "\",\"status\":{\"groupId\":3,\"description\":\"");
	for (i = 0; i < 300; i++)
		buf_puts(&b, "d");
	buf_puts(&b, "\"}}]}");
	rc = payload_reports_parse(b.p, b.len, &r, &n, &why);
	CHECK(rc == 1 && n == 1, "long strings: rc %d n %zu", rc, n);
	if (rc == 1 && n == 1) {
		CHECK_STR(r[0].error, "", "long strings");
		CHECK(strlen(r[0].bulk_id) == 127, "bulkId cut to 127: %zu",
		    strlen(r[0].bulk_id));
		CHECK(strlen(r[0].status_description) == 255,
		    "description cut to 255: %zu",
		    strlen(r[0].status_description));
		CHECK_STR(r[0].error_name, "", "absent error name");
		CHECK(strstr(r[0].raw, "ddddd") != NULL, "raw whole");
	}
	payload_reports_free(r, n);
	free(b.p);

	memset(&b, 0, sizeof(b));
	buf_puts(&b, "{\"results\":[");
	for (i = 0; i < 2000; i++) {
		snprintf(item, sizeof(item), "%s{\"bulkId\":\"B\","
		    "\"messageId\":\"m-%zu\",\"to\":\"41793026727\","
		    "\"sentAt\":\"2019-11-09T16:00:00.000+0000\","
		    "\"doneAt\":\"2019-11-09T16:%02zu:%02zu.%03zu+0000\","
		    "\"messageCount\":1,\"price\":{\"pricePerMessage\":0.01,"
		    "\"currency\":\"EUR\"},\"status\":{\"groupId\":%zu,"
		    "\"groupName\":\"%s\",\"id\":5,\"name\":\"N\","
		    "\"description\":\"D\"},\"error\":{\"groupId\":0,"
		    "\"groupName\":\"OK\",\"id\":0,\"name\":\"NO_ERROR\","
		    "\"description\":\"No Error\",\"permanent\":false}}",
		    i > 0 ? "," : "", i, i / 60 % 60, i % 60, i % 1000, i % 6,
		    names[i % 6]);
		buf_puts(&b, item);
	}
	buf_puts(&b, "]}");
	rc = payload_reports_parse(b.p, b.len, &r, &n, &why);
	CHECK(rc == 1 && n == 2000, "2000 reports: rc %d n %zu (%zu bytes)",
	    rc, n, b.len);
	if (rc == 1 && n == 2000) {
		for (good = 0, i = 0; i < n; i++) {
			snprintf(uid, sizeof(uid), "m-%zu", i);
			snprintf(done, sizeof(done),
			    "2019-11-09 16:%02zu:%02zu.%03zu", i / 60 % 60,
			    i % 60, i % 1000);
			good += r[i].error[0] == '\0' &&
			    strcmp(r[i].uid, uid) == 0 &&
			    strcmp(r[i].status, ours[i % 6]) == 0 &&
			    strcmp(r[i].done_at, done) == 0 &&
			    r[i].price == 0.01 && r[i].sms_count == 1 &&
			    strcmp(r[i].bulk_id, "B") == 0 &&
			    strcmp(r[i].currency, "EUR") == 0 &&
			    strcmp(r[i].error_description, "No Error") == 0 &&
			    strcmp(r[i].sent_at, "2019-11-09 16:00:00.000") == 0 &&
			    r[i].raw != NULL && strstr(r[i].raw, uid) != NULL &&
			    /* the text lies after the records, in their block */
			    r[i].raw > (const char *)(r + n) &&
			    r[i].uid > (const char *)(r + n);
		}
		CHECK(good == 2000, "2000 reports: %zu right", good);
	}
	payload_reports_free(r, n);
	free(b.p);
}

/* --- clicks ---------------------------------------------------------- */

static const struct {
	const char	*name;
	const char	*file;		/* or NULL: body */
	const char	*body;
	int		 rc;
	const char	*why;		/* when rc is 0 */
	size_t		 n;
	const char	*uid, *recipient, *url, *at;	/* of the last item */
} click_cases[] = {
	{ "Infobip sample", "click-1.json", NULL, 1, NULL, 1,
	  "a28dd97c-1ffb-4fcf-99f1-0b557ed381da", "41793026727",
	  "https://www.google.com", "2024-01-01 11:00:00.000" },
	{ "e-mail click has a numeric messageId",
	  "click-email-analog-1.json", NULL, 0,
	  "click without a usable messageId", 0, NULL, NULL, NULL, NULL },
	{ "results wrapper, bad items kept with their reason", NULL,
	  "{\"results\":[{\"messageId\":\"m1\",\"url\":\"u1\"},"
	  "{\"url\":\"u2\"},\"junk\",{\"messageId\":\"m\\r3\"},"
	  "{\"messageId\":\"m4\",\"recipient\":\"41\","
	  "\"url\":\"https://a/b?c=d&e\","
	  "\"sendDateTime\":\"1704106800123\"}]}",
	  1, NULL, 5, "m4", "41", "https://a/b?c=d&e",
	  "2024-01-01 11:00:00.123" },
	{ "empty results", NULL, "{\"results\":[]}", 1, NULL, 0, NULL, NULL,
	  NULL, NULL },
	{ "no url, no time", NULL, "{\"messageId\":\"m1\"}", 1, NULL, 1, "m1",
	  "", "", "" },
	{ "timestamp string, odd recipient", NULL,
	  "{\"messageId\":\"m1\",\"recipient\":41,\"url\":null,"
	  "\"sendDateTime\":\"2024-01-01T12:00:00.000+0100\"}",
	  1, NULL, 1, "m1", "", "", "2024-01-01 11:00:00.000" },
	{ "time as a double, URL with bad UTF-8", NULL,
	  "{\"messageId\":\"m1\",\"url\":\"https://x/\xe9\","
	  "\"sendDateTime\":1704106800000.0}",
	  1, NULL, 1, "m1", "", "https://x/\xef\xbf\xbd",
	  "2024-01-01 11:00:00.000" },
	{ "time unreadable", NULL,
	  "{\"messageId\":\"m1\",\"sendDateTime\":true}",
	  1, NULL, 1, "m1", "", "", "" },
	{ "time out of range", NULL,
	  "{\"messageId\":\"m1\",\"sendDateTime\":9223372036854775807}",
	  1, NULL, 1, "m1", "", "", "" },
	{ "lone object without messageId", NULL, "{\"url\":\"u\"}", 0,
	  "click without a usable messageId", 0, NULL, NULL, NULL, NULL },
	{ "results not an array: a lone object", NULL, "{\"results\":5}", 0,
	  "click without a usable messageId", 0, NULL, NULL, NULL, NULL },
	{ "array body", NULL, "[{\"messageId\":\"m1\"}]", 0,
	  "body is not a JSON object", 0, NULL, NULL, NULL, NULL },
};

static void
test_clicks(void)
{
	struct wh_click	*c;
	const char	*why, *name;
	char		*body;
	size_t		 i, n, len;
	int		 rc;

	for (i = 0; i < sizeof(click_cases) / sizeof(click_cases[0]); i++) {
		name = click_cases[i].name;
		if (click_cases[i].file != NULL) {
			if (!samples_present() ||
			    (body = sample(click_cases[i].file, &len)) == NULL)
				continue;
		} else {
			body = strdup(click_cases[i].body);
			len = strlen(body);
		}
		rc = payload_clicks_parse(body, len, &c, &n, &why);
		CHECK(rc == click_cases[i].rc && n == click_cases[i].n,
		    "%s: rc %d n %zu", name, rc, n);
		if (rc == 0)
			CHECK_STR(why, click_cases[i].why, "%s: why", name);
		if (rc == 1 && n == click_cases[i].n && n > 0) {
			CHECK_STR(c[n - 1].uid, click_cases[i].uid, "%s: uid",
			    name);
			CHECK_STR(c[n - 1].recipient, click_cases[i].recipient,
			    "%s: recipient", name);
			CHECK_STR(c[n - 1].url, click_cases[i].url, "%s: url",
			    name);
			CHECK_STR(c[n - 1].at, click_cases[i].at, "%s: at",
			    name);
			CHECK(c[n - 1].raw != NULL && c[n - 1].raw[0] == '{',
			    "%s: raw", name);
		}
		payload_clicks_free(c, n);
		free(body);
	}

	body = strdup("{\"results\":[{\"messageId\":\"m1\",\"url\":\"u1\"},"
	    "{\"url\":\"u2\"},{\"messageId\":\"m3\",\"url\":\"u3\"}]}");
	rc = payload_clicks_parse(body, strlen(body), &c, &n, &why);
	CHECK(rc == 1 && n == 3, "clicks kept in order: rc %d n %zu", rc, n);
	if (rc == 1 && n == 3) {
		CHECK_STR(c[0].uid, "m1", "first click");
		CHECK_STR(c[0].url, "u1", "first click");
		CHECK_STR(c[0].raw, "{\"messageId\":\"m1\",\"url\":\"u1\"}",
		    "first click raw");
		CHECK_STR(c[0].error, "", "a good click has no error");
		CHECK_STR(c[1].error, "messageId is missing",
		    "a bad click keeps its reason");
		CHECK_STR(c[1].url, "", "a bad click's url is empty");
		CHECK_STR(c[2].uid, "m3", "second good click");
		CHECK_STR(c[2].error, "", "second good click has no error");
	}
	payload_clicks_free(c, n);
	free(body);
}

/* --- bodies that are not webhooks ------------------------------------ */

static const struct {
	const char	*body;
	const char	*why;		/* for MO and reports */
	const char	*why_click;
} bad_bodies[] = {
	{ "", "empty body", "empty body" },
	{ " \r\n\t", "empty body", "empty body" },
	{ "{", "malformed JSON", "malformed JSON" },
	{ "{\"results\":[", "malformed JSON", "malformed JSON" },
	{ "{\"results\":[}", "malformed JSON", "malformed JSON" },
	{ "{\"results\":\"abc}", "malformed JSON", "malformed JSON" },
	{ "{\"results\":[\"a\" \"b\"]}", "malformed JSON", "malformed JSON" },
	{ "{\"results\":[]} x", "malformed JSON", "malformed JSON" },
	{ "{\"results\":[]}{}", "malformed JSON", "malformed JSON" },
	{ "{\"results\":[]}]", "malformed JSON", "malformed JSON" },
	{ "nul", "malformed JSON", "malformed JSON" },
	{ "<html></html>", "malformed JSON", "malformed JSON" },
	{ "[]", "body is not a JSON object", "body is not a JSON object" },
	{ "null", "body is not a JSON object", "body is not a JSON object" },
	{ "5", "body is not a JSON object", "body is not a JSON object" },
	{ " 5 ", "body is not a JSON object", "body is not a JSON object" },
	{ "true", "body is not a JSON object", "body is not a JSON object" },
	{ "\"results\"", "body is not a JSON object",
	  "body is not a JSON object" },
	{ "{\"results\": 5}", "no results array",
	  "click without a usable messageId" },
	{ "{\"results\": null}", "no results array",
	  "click without a usable messageId" },
	{ "{\"results\": {}}", "no results array",
	  "click without a usable messageId" },
	{ "{}", "no results array", "click without a usable messageId" },
	{ "{\"Results\": []}", "no results array",
	  "click without a usable messageId" },
};

/* Runs all three parsers on body; each must answer 0 with the reason. */
static void
check_bad(const char *label, const char *body, size_t len, const char *why_r,
    const char *why_c)
{
	struct wh_mo		*m;
	struct wh_report	*r;
	struct wh_click		*c;
	const char		*why;
	size_t			 n;
	int			 rc;

	why = "unset";
	rc = payload_mo_parse(body, len, &m, &n, &why);
	CHECK(rc == 0 && n == 0 && m == NULL, "MO %s: rc %d", label, rc);
	CHECK_STR(why, why_r, "MO %s: why", label);
	payload_mo_free(m, n);
	why = "unset";
	rc = payload_reports_parse(body, len, &r, &n, &why);
	CHECK(rc == 0 && n == 0 && r == NULL, "reports %s: rc %d", label, rc);
	CHECK_STR(why, why_r, "reports %s: why", label);
	payload_reports_free(r, n);
	why = "unset";
	rc = payload_clicks_parse(body, len, &c, &n, &why);
	CHECK(rc == 0 && n == 0 && c == NULL, "clicks %s: rc %d", label, rc);
	CHECK_STR(why, why_c, "clicks %s: why", label);
	payload_clicks_free(c, n);
}

static void
test_bad_bodies(void)
{
	static const char with_nul[] = "{\"results\":[]}\0";
	struct buf	 b = { NULL, 0, 0 };
	char		 label[64];
	size_t		 i;

	for (i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
		snprintf(label, sizeof(label), "\"%s\"", bad_bodies[i].body);
		check_bad(label, bad_bodies[i].body, strlen(bad_bodies[i].body),
		    bad_bodies[i].why, bad_bodies[i].why_click);
	}
	check_bad("NULL", NULL, 0, "empty body", "empty body");
	check_bad("trailing NUL", with_nul, sizeof(with_nul) - 1,
	    "malformed JSON", "malformed JSON");
	check_bad("cut at len", "{\"results\":[]}", 5, "malformed JSON",
	    "malformed JSON");

	for (i = 0; i < 10000; i++)
		buf_puts(&b, "[");
	for (i = 0; i < 10000; i++)
		buf_puts(&b, "]");
	check_bad("10000 nested arrays", b.p, b.len, "JSON nested too deeply",
	    "JSON nested too deeply");
	free(b.p);

	memset(&b, 0, sizeof(b));
	buf_puts(&b, "{\"results\":[");
	for (i = 0; i < 10000; i++)
		buf_puts(&b, "{\"a\":");
	buf_puts(&b, "1");
	for (i = 0; i < 10000; i++)
		buf_puts(&b, "}");
	buf_puts(&b, "]}");
	check_bad("10000 nested objects in results", b.p, b.len,
	    "JSON nested too deeply", "JSON nested too deeply");
	free(b.p);
}

int
main(void)
{
	test_timestamps();
	test_mo_samples();
	test_mo_cases();
	test_mo_mixed();
	test_mo_text_exact();
	test_dlr_samples();
	test_dlr_cases();
	test_dlr_bulk();
	test_clicks();
	test_bad_bodies();
	return check_done();
}

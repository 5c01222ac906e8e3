/* Tests of the built-in rules agent: the format, matching, collection, hostile text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "check.h"
#include "rules.h"
#include "smstext.h"

#define PHONE	"+14155550100"

/* The example of rules.h, give or take. */
static const char acme[] =
    "# Acme's SMS line\n"
    "greeting: Hi, this is Acme.\n"
    "rule: price*, cost*, how much => Plans start at 9 EUR a month.\n"
    "  RULE : hours, open => We are open 9:00-17:00.\\nClosed Sundays.\n"
    "trigger: callback, call me\n"
    "\n"
    "ask: name => What is your name?\n"
    "ask: email email => Thanks {name}. Your email address?\n"
    "hint: Please send an address like ann@example.com.\n"
    "done: Thank you {name}, we will write to {email}.\n"
    "fallback: Sorry, I did not get that.\r\n";

static const char bikes[] =
    "greeting: Welcome to Bob's Bikes.\n"
    "rule: price => From 10 EUR a day.\n"
    "ask: name => Your name?\n"
    "ask: phone phone => Your phone number?\n"
    "ask: people number => How many bikes?\n"
    "done: Booked {people} bikes for {name}, we text {phone}.\n";

/* The reply, without agent.c (this test links the rules agent alone). */
static void
reply_free(struct agent_reply *r)
{
	free(r->text);
	free(r->session_data);
	memset(r, 0, sizeof(*r));
}

/* One message of a conversation and what must come back. */
struct turn {
	const char	*in;
	const char	*want;		/* NULL: no reply */
	int		 step;		/* collect_step after it */
	const char	*data;		/* session data after it; NULL: not checked */
	const char	*name;		/* contact_name set; NULL: must be "" */
	const char	*email;
};

struct convo {
	const char	*title;
	const char	*instructions;
	const char	*data;		/* session data to start from */
	struct turn	 turns[10];
};

static void
run_convo(const struct convo *c)
{
	struct agent_turn	 hist[32];
	struct agent_job	 job;
	struct agent_reply	 r;
	const struct turn	*t;
	char			*data;
	size_t			 i, nh = 0;
	int			 step = 0, rv;

	data = strdup(c->data != NULL ? c->data : "{}");
	for (i = 0; c->turns[i].in != NULL; i++) {
		t = &c->turns[i];
		memset(&job, 0, sizeof(job));
		job.kind = "rules";
		job.instructions = c->instructions;
		job.phone = PHONE;
		job.text = t->in;
		job.history = hist;
		job.nhistory = nh;
		job.session_data = data;
		job.collect_step = step;
		rv = rules_answer(&job, &r);
		CHECK(rv > 0, "%s, turn %zu: answered", c->title, i);
		if (t->want != NULL)
			CHECK_STR(r.text, t->want, "%s, turn %zu: reply", c->title,
			    i);
		else
			CHECK(r.text == NULL, "%s, turn %zu: no reply, got "
			    "\"%s\"", c->title, i, r.text);
		CHECK(r.collect_step == t->step, "%s, turn %zu: step %d, want "
		    "%d", c->title, i, r.collect_step, t->step);
		CHECK_STR(r.contact_name, t->name != NULL ? t->name : "",
		    "%s, turn %zu: contact name", c->title, i);
		CHECK_STR(r.contact_email, t->email != NULL ? t->email : "",
		    "%s, turn %zu: contact email", c->title, i);
		CHECK_STR(r.error, "", "%s, turn %zu: no error", c->title, i);
		if (r.session_data != NULL) {
			free(data);
			data = strdup(r.session_data);
		}
		if (t->data != NULL)
			CHECK_STR(data, t->data, "%s, turn %zu: session data",
			    c->title, i);
		step = r.collect_step;
		if (nh + 2 <= sizeof(hist) / sizeof(hist[0])) {
			hist[nh].inbound = 1;
			hist[nh++].text = t->in;
			hist[nh].inbound = 0;
			hist[nh++].text = "(reply)";
		}
		reply_free(&r);
	}
	free(data);
}

static void
test_conversations(void)
{
	static const struct convo convos[] = {
	{ "greeting, rules, fallback", acme, NULL, {
		{ "hello", "Hi, this is Acme.", 0, "{}", NULL, NULL },
		{ "What is the price?", "Plans start at 9 EUR a month.", 0,
		    "{}", NULL, NULL },
		{ "Are you OPEN today?",
		    "We are open 9:00-17:00.\nClosed Sundays.", 0, NULL, NULL,
		    NULL },
		{ "We reopen soon", "Sorry, I did not get that.", 0, NULL,
		    NULL, NULL },
		{ "costs?", "Plans start at 9 EUR a month.", 0, NULL, NULL,
		    NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "collection on a trigger", acme, NULL, {
		{ "hi", "Hi, this is Acme.", 0, "{}", NULL, NULL },
		{ "can you CALL\tme back?", "What is your name?", 1, "{}",
		    NULL, NULL },
		{ "how much is it?",
		    "Plans start at 9 EUR a month.\nWhat is your name?", 1,
		    "{}", NULL, NULL },
		{ "  Ann O'Neil ", "Thanks Ann O'Neil. Your email address?", 2,
		    "{\"name\":\"Ann O'Neil\"}", "Ann O'Neil", NULL },
		{ "ann at example dot com",
		    "Please send an address like ann@example.com.\n"
		    "Thanks Ann O'Neil. Your email address?", 2,
		    "{\"name\":\"Ann O'Neil\"}", NULL, NULL },
		{ "it is ann@example.com.",
		    "Thank you Ann O'Neil, we will write to ann@example.com.",
		    3, "{\"name\":\"Ann O'Neil\",\"email\":\"ann@example.com\"}",
		    NULL, "ann@example.com" },
		{ "callback", "Sorry, I did not get that.", 3, NULL, NULL,
		    NULL },
		{ "price?", "Plans start at 9 EUR a month.", 3, NULL, NULL,
		    NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "trigger on the first message", acme, NULL, {
		{ "Call me, what does it cost?",
		    "Hi, this is Acme.\nPlans start at 9 EUR a month.\n"
		    "What is your name?", 1, "{}", NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "immediate collection, all types", bikes, NULL, {
		{ "price?", "Welcome to Bob's Bikes.\nFrom 10 EUR a day.\n"
		    "Your name?", 1, "{}", NULL, NULL },
		{ "Zo\xc3\xab \xf0\x9f\x9a\xb2", "Your phone number?", 2,
		    "{\"name\":\"Zo\xc3\xab \xf0\x9f\x9a\xb2\"}",
		    "Zo\xc3\xab \xf0\x9f\x9a\xb2", NULL },
		{ "+44 7700 900123", "Please send the number with its country "
		    "code, digits only, like +14155550123.\nYour phone number?",
		    2, NULL, NULL, NULL },
		{ "447700900123", "How many bikes?", 3, NULL, NULL, NULL },
		{ "two", "Please answer with digits only.\nHow many bikes?", 3,
		    NULL, NULL, NULL },
		{ "what is the price", "From 10 EUR a day.\nHow many bikes?", 3,
		    NULL, NULL, NULL },
		{ " 2 ", "Booked 2 bikes for Zo\xc3\xab \xf0\x9f\x9a\xb2, we "
		    "text +447700900123.", 4,
		    "{\"name\":\"Zo\xc3\xab \xf0\x9f\x9a\xb2\",\"phone\":"
		    "\"+447700900123\",\"people\":\"2\"}", NULL, NULL },
		{ "hello again", NULL, 4, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "immediate collection, plain first message", bikes, NULL, {
		{ "hi", "Welcome to Bob's Bikes.\nYour name?", 1, "{}", NULL,
		    NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "session data merged", "ask: name => Name?\ndone: Hi {name}.",
	    "{\"source\":\"web\",\"name\":\"old\"}", {
		{ "x", "Name?", 1, NULL, NULL, NULL },
		{ "Bo", "Hi Bo.", 2, "{\"source\":\"web\",\"name\":\"Bo\"}",
		    "Bo", NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "unreadable session data", "ask: email email => Mail?",
	    "not json", {
		{ "x", "Mail?", 1, NULL, NULL, NULL },
		{ "a@b.co", "Thank you!", 2, "{\"email\":\"a@b.co\"}", NULL,
		    "a@b.co" },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "values known before collection", "greeting: Hello {name}, "
	    "{phone}!\nask: name => Name?", "{\"name\":\"Kim\"}", {
		{ "x", "Hello Kim, +14155550100!\nName?", 1, NULL, NULL,
		    NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "default instructions", "", NULL, {
		{ "hi", "Hello! Thanks for your message. Someone from our "
		    "team will reply soon.", 0, "{}", NULL, NULL },
		{ "and?", "Thanks, we got your message. Someone from our team "
		    "will reply soon.", 0, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "comments only mean the default", "# nothing yet\n\n   \n", NULL, {
		{ "hi", "Hello! Thanks for your message. Someone from our "
		    "team will reply soon.", 0, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "nothing to say", "rule: price => P", NULL, {
		{ "hello", NULL, 0, "{}", NULL, NULL },
		{ "price", "P", 0, NULL, NULL, NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "braces that are not references",
	    "greeting: {phone} {x {} {Bad-one} \\n {phone", NULL, {
		{ "hi", PHONE " {x {} {Bad-one} \n {phone", 0, NULL, NULL,
		    NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "hostile text", "ask: name => Name?\ndone: Hi {name}.", NULL, {
		{ "x", "Name?", 1, NULL, NULL, NULL },
		{ "<script>alert(\"x\")</script> & \\ \t\"'",
		    "Hi <script>alert(\"x\")</script> & \\ \t\"'.", 2,
		    "{\"name\":\"<script>alert(\\\"x\\\")</script> & \\\\ "
		    "\\t\\\"'\"}", "<script>alert(\"x\")</script> & \\ \t\"'",
		    NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	{ "broken UTF-8 is repaired", "rule: price => P\nask: name => N?",
	    NULL, {
		{ "\xff price", "P\nN?", 1, NULL, NULL, NULL },
		{ "Jo\xc3", "Thank you!", 2, "{\"name\":\"Jo\xef\xbf\xbd\"}",
		    "Jo\xef\xbf\xbd", NULL },
		{ NULL, NULL, 0, NULL, NULL, NULL } } },
	};
	size_t	 i;

	for (i = 0; i < sizeof(convos) / sizeof(convos[0]); i++)
		run_convo(&convos[i]);
}

/* One message to instructions with no greeting, not the first of its session. */
static char *
answer_one(const char *instructions, const char *text, int step)
{
	struct agent_turn	 hist[1] = { { 1, "earlier" } };
	struct agent_job	 job;
	struct agent_reply	 r;
	char			*out;

	memset(&job, 0, sizeof(job));
	job.kind = "rules";
	job.instructions = instructions;
	job.phone = PHONE;
	job.text = text;
	job.history = hist;
	job.nhistory = 1;
	job.session_data = "{}";
	job.collect_step = step;
	if (rules_answer(&job, &r) <= 0)
		return strdup("(failed)");
	out = r.text;
	r.text = NULL;
	reply_free(&r);
	return out;
}

static void
test_matching(void)
{
	static const char rules[] =
	    "rule: price => P\n"
	    "rule: how much => H\n"
	    "rule: caf\xc3\xa9 => C\n"
	    "rule: deliver*, ship => D\n"
	    "rule: ?? => Q\n";
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "What is the price?", "P" },
		{ "PRICE", "P" },
		{ "pre-price", "P" },
		{ "priceless", NULL },
		{ "price2", NULL },
		{ "How   much\tis it", "H" },
		{ "howmuch", NULL },
		{ "how muchness", NULL },
		{ "Un CAF\xc3\x89, s'il vous pla\xc3\xaet", "C" },
		{ "caf\xc3\xa9s", NULL },
		{ "d\xc3\xa9\x63\x61\x66\xc3\xa9", NULL },
		{ "\xf0\x9f\x98\x80price\xf0\x9f\x98\x80", "P" },
		{ "\xe2\x80\x9cprice\xe2\x80\x9d", "P" },
		{ "<b>price</b>", "P" },
		{ "delivery?", "D" },
		{ "Delivered", "D" },
		{ "undelivered", NULL },
		{ "shipping", NULL },
		{ "how much is the price", "P" },	/* first rule wins */
		{ "price how much", "P" },
		{ "what??", "Q" },
		{ "what?", NULL },
		{ "", NULL },
		{ "   ", NULL },
	};
	char	*got, big[2100];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = answer_one(rules, cases[i].in, 0);
		if (cases[i].want != NULL)
			CHECK_STR(got, cases[i].want, "match %zu \"%s\"", i,
			    cases[i].in);
		else
			CHECK(got == NULL, "match %zu \"%s\": none, got \"%s\"",
			    i, cases[i].in, got);
		free(got);
	}

	/* 2 KB of text, the keyword at the very end. */
	memset(big, 'a', sizeof(big));
	memcpy(big + sizeof(big) - 8, " price", 7);
	got = answer_one(rules, big, 0);
	CHECK_STR(got, "P", "2 KB message, keyword at the end");
	free(got);
	big[sizeof(big) - 7] = 'x';
	got = answer_one(rules, big, 0);
	CHECK(got == NULL, "2 KB message without a keyword");
	free(got);
}

static void
test_validators(void)
{
	static const struct {
		const char	*type;
		const char	*in;
		const char	*want;		/* value; NULL: refused */
	} cases[] = {
		{ "email", "ann@example.com", "ann@example.com" },
		{ "email", " Ann.Lee+x@Example.co.uk ", "Ann.Lee+x@Example.co.uk" },
		{ "email", "my email is ann@example.com", "ann@example.com" },
		{ "email", "<ann@example.com>", "ann@example.com" },
		{ "email", "\"ann@example.com\",", "ann@example.com" },
		{ "email", "j\xc3\xb6rg@m\xc3\xbcller.de", "j\xc3\xb6rg@m\xc3\xbcller.de" },
		{ "email", "ann", NULL },
		{ "email", "ann@", NULL },
		{ "email", "@example.com", NULL },
		{ "email", "ann@example", NULL },
		{ "email", "ann@@example.com", NULL },
		{ "email", "a@b@example.com", NULL },
		{ "email", "ann@.example.com", NULL },
		{ "email", "ann@example.", NULL },
		{ "email", "ann@ex ample.com", NULL },
		{ "email", "a@b.com or c@d.com", NULL },
		{ "email", "", NULL },
		{ "phone", "+447700900123", "+447700900123" },
		{ "phone", "447700900123", "+447700900123" },
		{ "phone", " +14155550123\n", "+14155550123" },
		{ "phone", "07700900123", NULL },
		{ "phone", "+44 7700 900123", NULL },
		{ "phone", "+44-7700-900123", NULL },
		{ "phone", "1234567", NULL },
		{ "phone", "+1234567890123456", NULL },
		{ "phone", "call me", NULL },
		{ "number", "42", "42" },
		{ "number", "0042", "0042" },
		{ "number", "12345678901234567890123456789012",
		    "12345678901234567890123456789012" },
		{ "number", "123456789012345678901234567890123", NULL },
		{ "number", "4 2", NULL },
		{ "number", "-1", NULL },
		{ "number", "1.5", NULL },
		{ "number", "\xd9\xa4", NULL },		/* Arabic-Indic four */
		{ "text", "a", "a" },
		{ "text", "   ", NULL },
	};
	char	 instr[256], want[512], *got;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(instr, sizeof(instr), "ask: f %s => Q?\nhint: H.\n"
		    "done: got [{f}]", cases[i].type);
		if (cases[i].want != NULL)
			snprintf(want, sizeof(want), "got [%s]", cases[i].want);
		else
			snprintf(want, sizeof(want), "H.\nQ?");
		got = answer_one(instr, cases[i].in, 1);
		CHECK_STR(got, want, "%s %zu \"%s\"", cases[i].type, i,
		    cases[i].in);
		free(got);
	}
}

/* Long answers: the 500-character limit and a contact name cut between characters. */
static void
test_long_answers(void)
{
	struct agent_turn	 hist[1] = { { 1, "earlier" } };
	struct agent_job	 job;
	struct agent_reply	 r;
	char			 text[2200];
	size_t			 i;

	memset(&job, 0, sizeof(job));
	job.kind = "rules";
	job.instructions = "ask: name => Name?\ndone: ok";
	job.phone = PHONE;
	job.history = hist;
	job.nhistory = 1;
	job.session_data = "{}";
	job.collect_step = 1;
	job.text = text;

	/* 400 emoji: 1600 bytes but 400 characters, accepted. */
	for (i = 0; i < 400; i++)
		memcpy(text + 4 * i, "\xf0\x9f\x98\x80", 4);
	text[1600] = '\0';
	CHECK(rules_answer(&job, &r) > 0, "400 emoji answered");
	CHECK_STR(r.text, "ok", "400 emoji: recorded");
	CHECK(strlen(r.contact_name) == 252, "contact name cut to 252 bytes, "
	    "got %zu", strlen(r.contact_name));
	CHECK(smstext_utf8_valid(r.contact_name, strlen(r.contact_name)),
	    "contact name cut between characters");
	CHECK(r.session_data != NULL && strlen(r.session_data) ==
	    strlen("{\"name\":\"\"}") + 1600, "session data keeps the whole "
	    "value");
	reply_free(&r);

	/* 2 KB of text is more than 500 characters: the hint. */
	memset(text, 'b', 2048);
	text[2048] = '\0';
	CHECK(rules_answer(&job, &r) > 0, "2 KB answered");
	CHECK_STR(r.text, "Please answer in a few words.\nName?",
	    "2 KB answer refused");
	CHECK(r.collect_step == 1 && r.session_data == NULL &&
	    r.contact_name[0] == '\0', "2 KB answer: nothing recorded");
	reply_free(&r);

	/* Exactly 500 characters is fine. */
	memset(text, 'c', 500);
	text[500] = '\0';
	CHECK(rules_answer(&job, &r) > 0, "500 characters answered");
	CHECK_STR(r.text, "ok", "500 characters recorded");
	reply_free(&r);

	/* A state past the fields (they were shortened) only gets rules. */
	job.collect_step = 7;
	CHECK(rules_answer(&job, &r) > 0 && r.text == NULL &&
	    r.collect_step == 7, "state past the last field");
	reply_free(&r);

	/* Invalid instructions: no reply, the reason in error. */
	job.instructions = "greeting: hi\nbogus line";
	job.collect_step = 0;
	CHECK(rules_answer(&job, &r) > 0, "invalid instructions answered");
	CHECK(r.text == NULL, "invalid instructions: no reply");
	CHECK_STR(r.error, "rules instructions: line 2: expected \"name: "
	    "value\"", "invalid instructions: error");
	reply_free(&r);
}

static void
test_check(void)
{
	static const struct {
		const char	*in;
		const char	*why;		/* NULL: valid */
	} cases[] = {
		{ acme, NULL },
		{ bikes, NULL },
		{ "", NULL },
		{ NULL, NULL },
		{ "GREETING: hi\nFallBack: no", NULL },
		{ "greeting: a {b c} {x", NULL },
		{ "rule: a=>b=>c", NULL },
		{ "greeting: hi\ngreeting: again",
		    "line 2: greeting given twice (first on line 1)" },
		{ "hello", "line 1: expected \"name: value\"" },
		{ "\n# c\nfoo: bar", "line 3: unknown directive \"foo\" "
		    "(greeting, rule, fallback, ask, hint, trigger or done)" },
		{ "\xc3\xa9t\xc3\xa9: x", "line 1: unknown directive \"...\" "
		    "(greeting, rule, fallback, ask, hint, trigger or done)" },
		{ "rule: price", "line 1: rule: expected KEYWORDS => ANSWER" },
		{ "rule: price =>  ", "line 1: rule: empty answer" },
		{ "rule: a, , b => x", "line 1: empty keyword" },
		{ "rule: * => x", "line 1: empty keyword" },
		{ "rule: => x", "line 1: empty keyword" },
		{ "ask: Name => q", "line 1: ask: the field name must be a "
		    "lower-case letter followed by up to 31 lower-case letters, "
		    "digits or _" },
		{ "ask: 1st => q", "line 1: ask: the field name must be a "
		    "lower-case letter followed by up to 31 lower-case letters, "
		    "digits or _" },
		{ "ask: name text extra => q", "line 1: ask: expected FIELD "
		    "[TYPE] => QUESTION" },
		{ "ask: name", "line 1: ask: expected FIELD [TYPE] => QUESTION" },
		{ "ask: name =>", "line 1: ask: empty question" },
		{ "ask: age integer => q", "line 1: ask: unknown type "
		    "\"integer\" (text, email, phone or number)" },
		{ "ask: a => q\n\nask: a => r",
		    "line 3: ask: field a already asked on line 1" },
		{ "hint: x", "line 1: hint: no ask line above it" },
		{ "ask: a => q\nhint: x\nhint: y",
		    "line 3: hint: field a has a hint already (line 2)" },
		{ "trigger: go", "line 1: trigger: there is no ask line" },
		{ "greeting: x\ndone: ok", "line 2: done: there is no ask line" },
		{ "greeting:   ", "line 1: greeting: empty value" },
		{ "greeting: Hi {nmae}\nask: name => q",
		    "line 1: unknown field {nmae}" },
		{ "ask: name => q\ndone: {Name}", "line 2: unknown field {Name}" },
		{ "greeting: hi\n\xff\xfe", "line 2: not valid UTF-8" },
	};
	char	 why[256], *big;
	size_t	 i;
	int	 rv;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(why, 'x', sizeof(why));
		rv = rules_check(cases[i].in, why, sizeof(why));
		if (cases[i].why == NULL) {
			CHECK(rv == 1, "check %zu valid: %s", i, why);
			CHECK_STR(why, "", "check %zu: why empty", i);
		} else {
			CHECK(rv == 0, "check %zu invalid", i);
			CHECK_STR(why, cases[i].why, "check %zu reason", i);
		}
	}

	/* The 33rd field is one too many. */
	big = malloc(RULES_TEXT_MAX + 2);
	big[0] = '\0';
	for (i = 0; i < 33; i++)
		snprintf(big + strlen(big), 32, "ask: f%zu => q\n", i);
	CHECK(rules_check(big, why, sizeof(why)) == 0, "33 fields refused");
	CHECK_STR(why, "line 33: ask: more than 32 fields", "33 fields reason");
	big[strlen(big) - strlen("ask: f32 => q\n")] = '\0';
	CHECK(rules_check(big, why, sizeof(why)) == 1, "32 fields accepted");

	memset(big, '#', RULES_TEXT_MAX + 1);
	big[RULES_TEXT_MAX + 1] = '\0';
	CHECK(rules_check(big, why, sizeof(why)) == 0, "too long refused");
	CHECK_STR(why, "the instructions are longer than 65536 bytes",
	    "too long reason");
	big[RULES_TEXT_MAX] = '\0';
	CHECK(rules_check(big, why, sizeof(why)) == 1, "65536 bytes accepted");
	free(big);

	/* A small buffer still ends in NUL. */
	CHECK(rules_check("hello", why, 8) == 0 && strcmp(why, "line 1:") == 0,
	    "reason cut to the buffer: \"%s\"", why);
	CHECK(rules_check("hello", NULL, 0) == 0, "no buffer");

	CHECK(rules_default() != NULL && rules_check(rules_default(), why,
	    sizeof(why)) == 1, "the default instructions are valid");
}

int
main(void)
{
	test_conversations();
	test_matching();
	test_validators();
	test_long_answers();
	test_check();
	return check_done();
}

/* Tests of the URL validators: url_check, loopback hosts, agent URLs, and credentials in an API URL. */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "check.h"
#include "infobip.h"
#include "url.h"

static void
test_url_check(void)
{
	static const struct {
		const char	*in;
		int		 ok, https, loopback;
		const char	*why;		/* refused: the reason starts so */
	} cases[] = {
		{ "https://agent.example.com/answer", 1, 1, 0, NULL },
		{ "HTTPS://Agent.Example.com", 1, 1, 0, NULL },
		{ "http://agent.example.com:8080/a?x=1#f", 1, 0, 0, NULL },
		{ "http://127.0.0.1:11434", 1, 0, 1, NULL },
		{ "http://127.9.8.7/v1", 1, 0, 1, NULL },
		{ "http://localhost:8080/", 1, 0, 1, NULL },
		{ "http://[::1]:9090/x", 1, 0, 1, NULL },
		{ "https://[2001:db8::1]/", 1, 1, 0, NULL },
		{ "http://127.0.0.1.example.com/", 1, 0, 0, NULL },
		{ "http://localhost.example.com/", 1, 0, 0, NULL },
		{ "http://128.0.0.1/", 1, 0, 0, NULL },
		{ "", 0, 0, 0, "the URL is empty" },
		{ NULL, 0, 0, 0, "the URL is empty" },
		{ "ftp://example.com/", 0, 0, 0,
		    "the URL must start with http:// or https://" },
		{ "example.com/x", 0, 0, 0,
		    "the URL must start with http:// or https://" },
		{ "https://", 0, 0, 0, "the URL has no host" },
		{ "https:///path", 0, 0, 0, "the URL has no host" },
		{ "https://u:p@example.com/", 0, 0, 0,
		    "the URL has a user name or password; credentials in the"
		    " URL are not allowed" },
		{ "http://127.0.0.1:9@evil.example/", 0, 0, 0,
		    "the URL has a user name or password" },
		{ "https://example.com:0/", 0, 0, 0, "the URL has a bad port" },
		{ "https://example.com:65536/", 0, 0, 0,
		    "the URL has a bad port" },
		{ "https://example.com:/", 0, 0, 0, "the URL has a bad port" },
		{ "https://[::1/", 0, 0, 0,
		    "the URL has a malformed IPv6 address" },
		{ "https://exa%mple.com/", 0, 0, 0,
		    "the URL has a character not allowed in a host" },
		{ "https://example.com/a b", 0, 0, 0,
		    "the URL holds a space or a control character" },
		{ "https://example.com/\r\nX: 1", 0, 0, 0,
		    "the URL holds a space or a control character" },
		{ "https://ex\xc3\xa4mple.com/", 0, 0, 0,
		    "the URL holds a byte that is not ASCII" },
		{ "https://example.com/\"><script>", 0, 0, 0,
		    "the URL holds a character not allowed in a URL" },
	};
	char	 why[256];
	size_t	 i;
	int	 https, loopback, ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		https = loopback = -1;
		ok = url_check(cases[i].in, "the URL", &https, &loopback, why,
		    sizeof(why));
		CHECK(ok == cases[i].ok, "url_check %zu \"%s\": %d (%s)", i,
		    cases[i].in ? cases[i].in : "(null)", ok, why);
		if (cases[i].ok)
			CHECK(https == cases[i].https &&
			    loopback == cases[i].loopback,
			    "url_check %zu: https %d loopback %d", i, https,
			    loopback);
		else
			CHECK(strncmp(why, cases[i].why, strlen(cases[i].why))
			    == 0, "url_check %zu: \"%s\", want \"%s...\"", i,
			    why, cases[i].why);
	}
}

static void
test_loopback(void)
{
	static const struct {
		const char	*host;
		int		 want;
	} cases[] = {
		{ "127.0.0.1", 1 },
		{ "127.255.255.254", 1 },
		{ "localhost", 1 },
		{ "LocalHost", 1 },
		{ "::1", 1 },
		{ "[::1]", 1 },
		{ "::ffff:127.0.0.1", 1 },
		{ "[::ffff:127.0.0.1]", 1 },
		{ "", 0 },
		{ "10.0.0.1", 0 },
		{ "192.0.2.7", 0 },
		{ "127.1", 0 },
		{ "127.0.0.256", 0 },
		{ "127.0.0.1.example.com", 0 },
		{ "::2", 0 },
		{ "::ffff:10.0.0.1", 0 },
		{ "2001:db8::1", 0 },
		{ "localhost.example.com", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(url_host_is_loopback(cases[i].host,
		    strlen(cases[i].host)) == cases[i].want,
		    "loopback \"%s\": want %d", cases[i].host, cases[i].want);
}

static void
test_agent_url(void)
{
	static const struct {
		const char	*kind, *url;
		int		 key, ok;
		const char	*why;
	} cases[] = {
		{ "rules", NULL, 0, 1, NULL },
		{ "rules", "", 0, 1, NULL },
		{ "rules", "https://x.example/", 0, 0,
		    "a rules agent takes no URL" },
		{ "http", NULL, 0, 0, "the agent has no URL" },
		{ "openai", "", 1, 0, "the agent has no URL" },
		{ "http", "https://agent.example.com/hook", 1, 1, NULL },
		{ "http", "http://agent.example.com/hook", 0, 1, NULL },
		{ "http", "http://agent.example.com/hook", 1, 0,
		    "the agent URL must use https when the agent has an API"
		    " key" },
		{ "openai", "http://api.example.com", 1, 0,
		    "the agent URL must use https" },
		{ "openai", "http://127.0.0.1:11434", 1, 1, NULL },
		{ "openai", "http://localhost:8080/v1", 1, 1, NULL },
		{ "openai", "http://[::1]:8080", 1, 1, NULL },
		{ "openai", "HTTPS://api.example.com/v1", 1, 1, NULL },
		{ "http", "https://k:s@agent.example.com/", 0, 0,
		    "the agent URL has a user name or password" },
		{ "http", "ftp://agent.example.com/", 0, 0,
		    "the agent URL must start with http:// or https://" },
		{ "http", "https://agent.example.com/a b", 0, 0,
		    "the agent URL holds a space" },
		{ "http", "https://agent.example.com/\xc3\xa4", 0, 0,
		    "the agent URL holds a byte that is not ASCII" },
		{ "smoke", "https://x.example/", 0, 0,
		    "unknown agent kind \"smoke\"" },
		{ NULL, NULL, 0, 0, "unknown agent kind" },
	};
	const char	*why;
	size_t		 i;
	int		 ok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = "unset";
		ok = agent_url_valid(cases[i].kind, cases[i].url, cases[i].key,
		    &why);
		CHECK(ok == cases[i].ok, "agent URL %zu \"%s\": %d (%s)", i,
		    cases[i].url ? cases[i].url : "(null)", ok,
		    why ? why : "");
		if (cases[i].ok)
			CHECK(why == NULL, "agent URL %zu: no reason", i);
		else
			CHECK(why != NULL && strncmp(why, cases[i].why,
			    strlen(cases[i].why)) == 0,
			    "agent URL %zu: \"%s\", want \"%s...\"", i,
			    why ? why : "(null)", cases[i].why);
	}
}

/* An API URL with user info is refused for what it is, not as a bad port. */
static void
test_api_url_credentials(void)
{
	static const char *const cases[] = {
		"https://u:p@x.api.infobip.com",
		"u:p@x.api.infobip.com",
		"https://user@x.api.infobip.com/",
		"http://127.0.0.1:9@evil.example",
	};
	char		 out[256];
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		CHECK(ib_base_url_normalize(cases[i], out, sizeof(out), &why)
		    == 0 && why != NULL && strstr(why, "credentials in the"
		    " URL are not allowed") != NULL,
		    "API URL \"%s\": \"%s\"", cases[i], why ? why : "(null)");
	}
	CHECK(ib_base_url_normalize("https://x.example.com:99999", out,
	    sizeof(out), &why) == 0 && strcmp(why, "API URL has a bad port")
	    == 0, "a bad port is still a bad port: %s", why);
}

int
main(void)
{
	test_url_check();
	test_loopback();
	test_agent_url();
	test_api_url_credentials();
	return check_done();
}

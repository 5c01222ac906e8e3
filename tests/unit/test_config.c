/* Tests of the configuration file (config_file_load), the key check (config_load_key, config_key_init) and the public URL checks. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "campaign.h"
#include "check.h"
#include "config.h"
#include "secret.h"
#include "settings.h"
#include "store.h"

static char	 dir[] = "/tmp/ibc-config-XXXXXX";
static char	 dbpath[256], keypath[256], otherpath[256];

/* Runs one statement on the store behind the program's back (an older store, a lost row). */
static void
sql(const char *q)
{
	sqlite3	*db;
	char	*err = NULL;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK ||
	    sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sql: %s: %s\n", q, err ? err : "open");
		exit(2);
	}
	sqlite3_close(db);
}

/* Writes a key file of n random bytes at path with mode. */
static void
key_file(const char *path, size_t n, mode_t mode)
{
	unsigned char	 buf[64];
	int		 fd;

	unlink(path);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(rand() & 0xff);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write(fd, buf, n) != (ssize_t)n || close(fd) == -1 ||
	    chmod(path, mode) == -1) {
		perror(path);
		exit(2);
	}
}

/* config_load_key for the key file at path: its result and reason. */
static int
load(struct store *st, const char *path, const char **why)
{
	unsigned char	 key[SECRET_KEY_LEN];

	setenv("IBCHANNEL_KEY_FILE", path, 1);
	return config_load_key(st, key, why);
}

/* Adds a connection whose API key is sealed under the key file at path. */
static void
add_secret(struct store *st, const char *path)
{
	struct store_connection	 c;
	unsigned char		 key[SECRET_KEY_LEN];
	char			*enc;

	memset(&c, 0, sizeof(c));
	if (secret_key_load(path, key) <= 0 ||
	    (enc = secret_encrypt(key, "infobip-api-key-1234")) == NULL) {
		fprintf(stderr, "add_secret: %s\n", secret_error());
		exit(2);
	}
	snprintf(c.name, sizeof(c.name), "line");
	snprintf(c.api_url, sizeof(c.api_url), "https://x.api.infobip.com");
	snprintf(c.sender, sizeof(c.sender), "Shop");
	snprintf(c.api_key_enc, sizeof(c.api_key_enc), "%s", enc);
	free(enc);
	CHECK(store_connection_add(st, &c) > 0, "connection added");
}

static void
test_key_check(struct store *st)
{
	const char	*why;
	int		 created;

	/* init makes the key and binds it to the store. */
	setenv("IBCHANNEL_KEY_FILE", keypath, 1);
	CHECK(config_key_init(st, &created, &why) == 1 && created == 1,
	    "init creates the key: %s", why ? why : "");
	CHECK(access(keypath, F_OK) == 0, "key file exists");
	CHECK(config_key_init(st, &created, &why) == 1 && created == 0,
	    "second init keeps it: %s", why ? why : "");
	CHECK(load(st, keypath, &why) == 1, "its own key loads: %s",
	    why ? why : "");

	/* Another 32-byte key does not belong, with or without secrets. */
	key_file(otherpath, 32, 0600);
	CHECK(load(st, otherpath, &why) == 0 && why != NULL &&
	    strstr(why, "does not belong to this store") != NULL &&
	    strstr(why, "ibchannel init") != NULL,
	    "another key, no secrets: refused, with the way out: %s", why);
	add_secret(st, keypath);
	CHECK(load(st, otherpath, &why) == 0 && why != NULL &&
	    strstr(why, "encrypted API keys") != NULL &&
	    strstr(why, "ibchannel init") == NULL,
	    "another key, with secrets: refused, no new-key advice: %s", why);
	setenv("IBCHANNEL_KEY_FILE", otherpath, 1);
	CHECK(config_key_init(st, &created, &why) == 0 && created == 0,
	    "init refuses another key too");

	/* What every program refuses, init refuses. */
	key_file(otherpath, 31, 0600);
	CHECK(load(st, otherpath, &why) == 0, "31 bytes refused");
	CHECK(config_key_init(st, &created, &why) == 0 && why != NULL &&
	    strstr(why, "32 bytes") != NULL, "init: 31 bytes refused: %s", why);
	key_file(otherpath, 32, 0604);
	CHECK(config_key_init(st, &created, &why) == 0 && why != NULL &&
	    strstr(why, "by others") != NULL,
	    "init: a key readable by others refused: %s", why);

	/* Missing, with secrets in the store: no new key. */
	unlink(otherpath);
	CHECK(config_key_init(st, &created, &why) == 0 && created == 0 &&
	    access(otherpath, F_OK) == -1 && why != NULL &&
	    strstr(why, "missing") != NULL,
	    "init with the key missing and secrets stored: refused: %s", why);

	/* A store from before the key check: the secrets decide. */
	sql("DELETE FROM key_check");
	key_file(otherpath, 32, 0600);
	CHECK(load(st, otherpath, &why) == 0, "no check: a key that opens no"
	    " secret is refused");
	CHECK(load(st, keypath, &why) == 1, "no check: the key that opens the"
	    " secrets is taken: %s", why ? why : "");
	CHECK(load(st, otherpath, &why) == 0, "and the check it wrote refuses"
	    " the other key");

	/* A store without secrets whose key was lost: init starts over. */
	sql("DELETE FROM connections");
	unlink(keypath);
	setenv("IBCHANNEL_KEY_FILE", keypath, 1);
	CHECK(config_key_init(st, &created, &why) == 1 && created == 1,
	    "init replaces a lost key of a store without secrets: %s",
	    why ? why : "");
	CHECK(load(st, keypath, &why) == 1, "the new key is the store's: %s",
	    why ? why : "");
	CHECK(load(st, otherpath, &why) == 0, "and the old check is gone");
}

static void
test_public_url(struct store *st)
{
	static const struct {
		const char	*url;		/* IBCHANNEL_PUBLIC_URL; NULL unset */
		const char	*viewer;	/* REMOTE_ADDR */
		int		 usable;	/* config_public_url_check */
		int		 shown;		/* config_docs_base */
	} cases[] = {
		{ NULL, "127.0.0.1", 0, 0 },
		{ NULL, "203.0.113.5", 0, 0 },
		{ "http://127.0.0.1:8080", "127.0.0.1", 0, 1 },
		{ "http://127.0.0.1:8080", "::1", 0, 1 },
		{ "http://localhost:8080/", "::ffff:127.0.0.1", 0, 1 },
		{ "http://127.0.0.1:8080", "203.0.113.5", 0, 0 },
		{ "http://127.0.0.1:8080", "10.1.2.3", 0, 0 },
		{ "http://127.0.0.1:8080", NULL, 0, 0 },
		{ "https://sms.example.com", "203.0.113.5", 1, 1 },
		{ "https://sms.example.com/", NULL, 1, 1 },
		{ "not a url", "127.0.0.1", 0, 0 },
	};
	const char	*why;
	char		 base[512];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].url != NULL)
			setenv("IBCHANNEL_PUBLIC_URL", cases[i].url, 1);
		else
			unsetenv("IBCHANNEL_PUBLIC_URL");
		why = NULL;
		CHECK(config_public_url_check(st, base, sizeof(base), &why) ==
		    cases[i].usable && (cases[i].usable ? why == NULL :
		    why != NULL && strstr(why, "cannot arrive") != NULL),
		    "public URL %zu usable %d: %s", i, cases[i].usable,
		    why ? why : "");
		CHECK(config_docs_base(st, cases[i].viewer, base, sizeof(base))
		    == cases[i].shown && (cases[i].shown ? base[0] != '\0' :
		    base[0] == '\0'), "docs base %zu shown %d: \"%s\"", i,
		    cases[i].shown, base);
	}
	unsetenv("IBCHANNEL_PUBLIC_URL");
}

/* The setting wins over IBCHANNEL_PUBLIC_URL; the variable serves only while the setting is unset. */
static void
test_public_url_source(struct store *st)
{
	static const struct {
		const char	*setting;	/* public_url; NULL unset */
		const char	*env;		/* IBCHANNEL_PUBLIC_URL; NULL unset */
		int		 rc;		/* config_public_url */
		const char	*want;
	} cases[] = {
		{ "https://set.example.com", "https://env.example.com", 1,
		    "https://set.example.com" },
		{ "https://set.example.com/", NULL, 1, "https://set.example.com" },
		{ "https://set.example.com", "", 1, "https://set.example.com" },
		{ NULL, "https://env.example.com/", 1, "https://env.example.com" },
		{ NULL, NULL, 0, "" },
		{ NULL, "", 0, "" },
	};
	const char	*why;
	char		 base[512];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].setting != NULL)
			CHECK(settings_set(st, "public_url", cases[i].setting,
			    &why) > 0, "set public_url %zu", i);
		else
			CHECK(settings_set(st, "public_url", NULL, &why) >= 0,
			    "unset public_url %zu", i);
		if (cases[i].env != NULL)
			setenv("IBCHANNEL_PUBLIC_URL", cases[i].env, 1);
		else
			unsetenv("IBCHANNEL_PUBLIC_URL");
		rc = config_public_url(st, base, sizeof(base));
		CHECK(rc == cases[i].rc && (rc == 0 ||
		    strcmp(base, cases[i].want) == 0),
		    "public URL source %zu: %d \"%s\"", i, rc, base);
	}
	CHECK(settings_set(st, "public_url", NULL, &why) >= 0, "unset");
	unsetenv("IBCHANNEL_PUBLIC_URL");
}

/* The settings table: a row per enum at its own index, names found by text, the zone check registered by its owner. */
static void
test_settings_table(struct store *st)
{
	const struct setting_def	*d;
	const char			*why;
	char				 buf[64];
	int				 i;

	for (i = 0; i < SET__MAX; i++) {
		d = &settings_table[i];
		CHECK(d->name != NULL && (int)d->id == i &&
		    settings_find(d->name) == d, "row %d in place", i);
	}
	CHECK(settings_table[SET__MAX].name == NULL, "the table ends");
	CHECK(settings_find("no_such_setting") == NULL, "unknown name");
	/* Where people find each one, its unit and when a change is used: data of the rows. */
	for (i = 0; i < SET__MAX; i++) {
		d = &settings_table[i];
		CHECK((unsigned)d->group < SETTING_GROUP__MAX &&
		    settings_group_names[d->group] != NULL &&
		    (unsigned)d->applies < SETTING_APPLIES__MAX &&
		    settings_applies_text[d->applies] != NULL,
		    "%s: a group and when it applies", d->name);
		CHECK(d->type != SETTING_INT || d->unit != NULL,
		    "%s: a number has a unit", d->name);
	}
	for (i = 0; i < SETTING_GROUP__MAX; i++)
		CHECK(settings_group_names[i] != NULL, "group %d named", i);
	CHECK(settings_table[SET_WEBHOOK_THREADS].applies ==
	    SETTING_APPLIES_RESTART && settings_table[SET_SEND_BATCH_SIZE].applies
	    == SETTING_APPLIES_SENDER_RUN &&
	    settings_table[SET_SESSION_TIMEOUT_MINUTES].applies ==
	    SETTING_APPLIES_NOW, "when each applies, as its reader reads it");
	CHECK(settings_table[SET_SESSION_TIMEOUT_MINUTES].unit != NULL &&
	    strcmp(settings_table[SET_SESSION_TIMEOUT_MINUTES].unit,
	    "minutes") == 0, "a unit");
	CHECK(settings_get(st, SET_CAMPAIGN_TIMEZONE, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "UTC") == 0, "a default by enum");
	CHECK(settings_get_long(st, SET_SEND_BATCH_SIZE) == 100,
	    "a number by enum");
	CHECK(!settings_check("campaign_timezone", "UTC", &why),
	    "a zone is refused until its check is registered");
	campaign_settings_register();
	CHECK(settings_check("campaign_timezone", "UTC", &why), "UTC");
	CHECK(!settings_check("campaign_timezone", "Not/AZone", &why) &&
	    strstr(why, "time zone") != NULL, "an unknown zone refused");
}

/*
 * The configuration file: each case a file's text, whether it loads, and
 * what IBCHANNEL_DB and IBCHANNEL_LOG are after (NULL: unset). A refused
 * file sets nothing; the environment wins over the file.
 */
static void
test_config_file(void)
{
	static const struct {
		const char	*text;
		int		 ok;
		const char	*db, *log;
		const char	*why;	/* in the refusal */
	} cases[] = {
		{ "IBCHANNEL_DB=/srv/a.db\nIBCHANNEL_LOG=debug\n", 1,
		    "/srv/a.db", "debug", NULL },
		{ "# comment\n; comment\n\n   \nIBCHANNEL_DB=/srv/a.db", 1,
		    "/srv/a.db", NULL, NULL },
		{ "  IBCHANNEL_DB = /srv/b.db  \r\n", 1, "/srv/b.db", NULL,
		    NULL },
		{ "IBCHANNEL_DB=\"/srv/c d.db\"\n", 1, "/srv/c d.db", NULL,
		    NULL },
		{ "IBCHANNEL_DB='/srv/e.db'\n", 1, "/srv/e.db", NULL, NULL },
		{ "IBCHANNEL_DB=postgresql://u:pw@/ibc?host=/run/postgresql&"
		    "port=5432\n", 1, "postgresql://u:pw@/ibc?host=/run/"
		    "postgresql&port=5432", NULL, NULL },
		{ "IBCHANNEL_DB=\n", 1, "", NULL, NULL },
		{ "", 1, NULL, NULL, NULL },
		{ "IBCHANNEL_LOG=debug\nIBCHANNEL_DB=/x\nFOO=1\n", 0, NULL,
		    NULL, "line 3: unknown name 'FOO'" },
		{ "IBCHANNEL_ADMIN_NO_AUTH=1\n", 0, NULL, NULL,
		    "unknown name 'IBCHANNEL_ADMIN_NO_AUTH'" },
		{ "IBCHANNEL_DB=/a\nIBCHANNEL_DB=/b\n", 0, NULL, NULL,
		    "line 2: IBCHANNEL_DB is set twice" },
		{ "IBCHANNEL_DB\n", 0, NULL, NULL, "line 1: not NAME=VALUE" },
		{ "export IBCHANNEL_DB=/a\n", 0, NULL, NULL, "unknown name" },
		{ "IBCHANNEL_DB=/a\\b\n", 0, NULL, NULL, "backslash" },
		{ "IBCHANNEL_DB=\"/a\n", 0, NULL, NULL, "quote" },
		{ "IBCHANNEL_DB='/a\"\n", 0, NULL, NULL, "quote" },
		{ "IBCHANNEL_DB=/a\tb\n", 0, NULL, NULL, "control" },
		{ "IBCHANNEL_DB=$(rm -rf /)\n", 1, "$(rm -rf /)", NULL, NULL },
	};
	char		 path[300];
	const char	*why, *v;
	FILE		*f;
	size_t		 i;
	int		 rc;

	snprintf(path, sizeof(path), "%s/ibchannel.conf", dir);
	setenv("IBCHANNEL_CONFIG", path, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsetenv("IBCHANNEL_DB");
		unsetenv("IBCHANNEL_LOG");
		if ((f = fopen(path, "w")) == NULL ||
		    fputs(cases[i].text, f) == EOF || fclose(f) == EOF) {
			perror(path);
			exit(2);
		}
		rc = config_file_load(&why);
		CHECK(rc == cases[i].ok, "case %zu: %d, want %d (%s)", i, rc,
		    cases[i].ok, why != NULL ? why : "");
		v = getenv("IBCHANNEL_DB");
		CHECK(cases[i].db == NULL ? v == NULL : v != NULL &&
		    strcmp(v, cases[i].db) == 0, "case %zu: IBCHANNEL_DB %s",
		    i, v != NULL ? v : "(unset)");
		v = getenv("IBCHANNEL_LOG");
		CHECK(cases[i].log == NULL ? v == NULL : v != NULL &&
		    strcmp(v, cases[i].log) == 0, "case %zu: IBCHANNEL_LOG %s",
		    i, v != NULL ? v : "(unset)");
		if (cases[i].why != NULL)
			CHECK(rc == 0 && why != NULL && strstr(why,
			    cases[i].why) != NULL && strstr(why, path) != NULL,
			    "case %zu: the refusal names the file and says %s:"
			    " %s", i, cases[i].why, why != NULL ? why : "");
	}
	/* The environment wins over the file. */
	setenv("IBCHANNEL_DB", "/from/env", 1);
	if ((f = fopen(path, "w")) == NULL || fputs("IBCHANNEL_DB=/from/file\n"
	    "IBCHANNEL_LOG=warn\n", f) == EOF || fclose(f) == EOF)
		exit(2);
	rc = config_file_load(&why);
	CHECK(rc == 1 && strcmp(getenv("IBCHANNEL_DB"), "/from/env") == 0 &&
	    getenv("IBCHANNEL_LOG") != NULL &&
	    strcmp(getenv("IBCHANNEL_LOG"), "warn") == 0,
	    "a variable of the environment wins over the file's");
	/* A missing file is no error; an unreadable one is. */
	unsetenv("IBCHANNEL_DB");
	unsetenv("IBCHANNEL_LOG");
	unlink(path);
	CHECK(config_file_load(&why) == 1 && getenv("IBCHANNEL_DB") == NULL,
	    "a missing file: the defaults");
	if (mkdir(path, 0700) == -1)
		exit(2);
	CHECK(config_file_load(&why) == 0 && why != NULL &&
	    strstr(why, path) != NULL, "a file that cannot be read stops: %s",
	    why != NULL ? why : "");
	rmdir(path);
	setenv("IBCHANNEL_CONFIG", "", 1);
	CHECK(config_file_load(&why) == 1, "IBCHANNEL_CONFIG empty: no file");
	unsetenv("IBCHANNEL_CONFIG");
	unsetenv("IBCHANNEL_LOG");
}

int
main(void)
{
	struct store	*st;
	char		 cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/test.db", dir);
	snprintf(keypath, sizeof(keypath), "%s/ibchannel.key", dir);
	snprintf(otherpath, sizeof(otherpath), "%s/other.key", dir);
	test_config_file();
	setenv("IBCHANNEL_SYNC", "normal", 1);
	if (store_open(dbpath, STORE_OPEN_CREATE, &st) <= 0)
		return 1;
	test_key_check(st);
	test_public_url(st);
	test_public_url_source(st);
	test_settings_table(st);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return check_done();
}

/* ibchannel: the command line — init, connections, settings, and (later) the sender. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "connection.h"
#include "infobip.h"
#include "log.h"
#include "outbound.h"
#include "outbox.h"
#include "phone.h"
#include "rules.h"
#include "sender.h"
#include "secret.h"
#include "settings.h"
#include "store.h"

#define EXIT_USAGE	2

/* Options of one command: --name value pairs, each allowed at most once. */
struct opts {
	const char	*const *names;	/* NULL-terminated allowed names (without --) */
	const char	*values[16];
	const char	*args[8];	/* positional arguments */
	int		 nargs;
};

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "ibchannel: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* Parses argv into o. Returns 1, or 0 after printing a one-line error. */
static int
opts_parse(struct opts *o, int argc, char *argv[])
{
	int	 i, k;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			if (o->nargs == (int)(sizeof(o->args) /
			    sizeof(o->args[0]))) {
				usage_error("too many arguments at '%s'",
				    argv[i]);
				return 0;
			}
			o->args[o->nargs++] = argv[i];
			continue;
		}
		for (k = 0; o->names[k] != NULL; k++)
			if (strcmp(argv[i] + 2, o->names[k]) == 0)
				break;
		if (o->names[k] == NULL) {
			usage_error("unknown option '%s'", argv[i]);
			return 0;
		}
		if (o->values[k] != NULL) {
			usage_error("option '%s' given twice", argv[i]);
			return 0;
		}
		if (i + 1 >= argc) {
			usage_error("option '%s' needs a value", argv[i]);
			return 0;
		}
		o->values[k] = argv[++i];
	}
	return 1;
}

static const char *
opt(const struct opts *o, const char *name)
{
	int	 k;

	for (k = 0; o->names[k] != NULL; k++)
		if (strcmp(o->names[k], name) == 0)
			return o->values[k];
	return NULL;
}

/* Opens the existing store or explains that init is needed. */
static int
open_store(struct store **st)
{
	int	 rc;

	if ((rc = store_open(NULL, STORE_OPEN_EXISTING, st)) > 0)
		return 1;
	if (rc == 0)
		fprintf(stderr, "ibchannel: no store at %s; run 'ibchannel"
		    " init' first\n", store_default_path());
	else
		fprintf(stderr, "ibchannel: cannot open the store %s\n",
		    store_default_path());
	return 0;
}

/* Loads the key file and checks it against the store, or says why not. */
static int
load_key(struct store *st, unsigned char key[32])
{
	const char	*why;

	if (config_load_key(st, key, &why) > 0)
		return 1;
	fprintf(stderr, "ibchannel: key file: %s\n",
	    why != NULL ? why : "cannot be read");
	return 0;
}

/* Reads a secret from a file: the first line, without its newline. Caller frees with secret_free. */
static char *
read_secret_file(const char *path)
{
	FILE	*f;
	char	 buf[1024];
	char	*nl;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "ibchannel: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	if ((nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = '\0';
	nl = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return nl;
}

/* Creates the missing directories above file (mode 0750), like mkdir -p. 1 ok, 0 failed (said why). */
static int
mkdir_parents(const char *file)
{
	char	 dir[4096], *p, c;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", file) >= sizeof(dir) ||
	    (p = strrchr(dir, '/')) == NULL || p == dir)
		return 1;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
			fprintf(stderr, "ibchannel: mkdir %s: %s\n", dir,
			    strerror(errno));
			return 0;
		}
		if ((*p = c) == '\0')
			return 1;
	}
}

static int
cmd_init(int argc, char *argv[])
{
	static const char *const names[] = { NULL };
	struct opts	 o = { .names = names };
	struct store	*st;
	const char	*why;
	char		 path[4096];
	int		 rc, created;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs > 0)
		return usage_error("init takes no arguments (got '%s')",
		    o.args[0]);
	/* Conversations are personal data: no access for others. */
	umask(027);
	if (!mkdir_parents(store_default_path()))
		return 1;
	if (!config_key_path(path, sizeof(path)))
		return usage_error("%s", "key file path too long");
	if (!mkdir_parents(path))
		return 1;
	if (store_open(NULL, STORE_OPEN_CREATE, &st) <= 0) {
		fprintf(stderr, "ibchannel: cannot create or migrate %s\n",
		    store_default_path());
		return 1;
	}
	printf("store %s at schema version %d\n", store_default_path(),
	    store_version(st));
	rc = config_key_init(st, &created, &why);
	store_close(st);
	if (rc <= 0) {
		fprintf(stderr, "ibchannel: key file: %s\n", why);
		return 1;
	}
	printf("key file %s %s\n", path, created ? "created" : "kept");
	return 0;
}

static int
cmd_connection_add(int argc, char *argv[])
{
	static const char *const names[] = { "name", "api-key", "api-key-file",
	    "api-url", "sender", "description", NULL };
	struct opts		 o = { .names = names };
	struct store_connection	 c;
	struct store		*st = NULL;
	unsigned char		 key[32];
	const char		*why, *v;
	char			*apikey = NULL, *enc = NULL;
	int			 rc = EXIT_USAGE;

	memset(&c, 0, sizeof(c));
	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs > 0)
		return usage_error("unexpected argument '%s'", o.args[0]);
	if (opt(&o, "api-key") != NULL && opt(&o, "api-key-file") != NULL)
		return usage_error("%s", "give --api-key or --api-key-file,"
		    " not both");
	if (!connection_valid_name(opt(&o, "name"), &why) ||
	    !connection_valid_sender(opt(&o, "sender"), &why))
		return usage_error("%s", why);
	if ((v = opt(&o, "api-url")) == NULL)
		return usage_error("%s", "--api-url is required");
	if (!ib_base_url_normalize(v, c.api_url, sizeof(c.api_url), &why))
		return usage_error("--api-url: %s", why);
	v = opt(&o, "description");
	if (!connection_valid_description(v, &why))
		return usage_error("%s", why);
	snprintf(c.description, sizeof(c.description), "%s", v ? v : "");
	snprintf(c.name, sizeof(c.name), "%s", opt(&o, "name"));
	snprintf(c.sender, sizeof(c.sender), "%s", opt(&o, "sender"));
	if ((v = opt(&o, "api-key-file")) != NULL) {
		if ((apikey = read_secret_file(v)) == NULL)
			return 1;
	} else if ((v = opt(&o, "api-key")) != NULL &&
	    (apikey = strdup(v)) == NULL)
		return 1;
	if (!connection_valid_api_key(apikey, &why)) {
		usage_error("%s", why);
		goto out;
	}
	rc = 1;
	if (!open_store(&st) || !load_key(st, key))
		goto out;
	if ((enc = secret_encrypt(key, apikey)) == NULL ||
	    strlen(enc) >= sizeof(c.api_key_enc)) {
		fprintf(stderr, "ibchannel: cannot encrypt the API key\n");
		goto out;
	}
	snprintf(c.api_key_enc, sizeof(c.api_key_enc), "%s", enc);
	if (store_connection_add(st, &c) <= 0) {
		fprintf(stderr, "ibchannel: cannot store the connection: %s\n",
		    store_errmsg(st));
		goto out;
	}
	store_log(st, c.id, "info", "save", "Connection created");
	printf("%s\n", c.id);
	rc = 0;
out:
	explicit_bzero(key, sizeof(key));
	if (apikey != NULL)
		secret_free(apikey);
	free(enc);
	store_close(st);
	return rc;
}

/* Prints text on one line with control characters escaped, so an SMS cannot drive the terminal. */
static void
print_escaped(const char *text)
{
	char	 buf[8192];

	if (!log_escape(text != NULL ? text : "", buf, sizeof(buf)))
		printf("%s...", buf);
	else
		printf("%s", buf);
}

struct list_ctx {
	unsigned char	 key[32];
};

/* Masked form of an encrypted key: the last four characters, or why it cannot be read. */
static void
mask_enc(const unsigned char key[32], const char *enc, char *out, size_t outsz)
{
	char	*plain = NULL;

	if (secret_decrypt(key, enc, &plain) > 0) {
		secret_mask(plain, out, outsz);
		secret_free(plain);
	} else
		snprintf(out, outsz, "(unreadable with this key file)");
}

static int
list_one(const struct store_connection *c, void *arg)
{
	struct list_ctx	*ctx = arg;
	char		 masked[64];

	mask_enc(ctx->key, c->api_key_enc, masked, sizeof(masked));
	printf("%s\t", c->id);
	print_escaped(c->name);
	printf("\t%s\t%s\n", c->status, masked);
	return 1;
}

static int
cmd_connection_list(int argc, char *argv[])
{
	static const char *const names[] = { NULL };
	struct opts	 o = { .names = names };
	struct list_ctx	 ctx;
	struct store	*st;
	int		 rc;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs > 0)
		return usage_error("unexpected argument '%s'", o.args[0]);
	if (!open_store(&st))
		return 1;
	if (!load_key(st, ctx.key)) {
		store_close(st);
		return 1;
	}
	printf("id\tname\tstatus\tapi_key\n");
	rc = store_connection_each(st, list_one, &ctx);
	explicit_bzero(ctx.key, sizeof(ctx.key));
	store_close(st);
	return rc < 0 ? 1 : 0;
}

/* Parses "ID" as the only positional argument of a connection command. */
static int
one_id(int argc, char *argv[], const char **id)
{
	static const char *const names[] = { NULL };
	struct opts	 o = { .names = names };

	if (!opts_parse(&o, argc, argv))
		return 0;
	if (o.nargs != 1) {
		usage_error("%s", "expected one connection id");
		return 0;
	}
	if (!store_id_valid(o.args[0])) {
		usage_error("'%s' is not a connection id (32 hex digits)",
		    o.args[0]);
		return 0;
	}
	*id = o.args[0];
	return 1;
}

static int
cmd_connection_show(int argc, char *argv[])
{
	struct store_connection	 c;
	struct store		*st;
	unsigned char		 key[32];
	const char		*id;
	char			 masked[64];
	int			 rc;

	if (!one_id(argc, argv, &id))
		return EXIT_USAGE;
	if (!open_store(&st))
		return 1;
	if (!load_key(st, key)) {
		store_close(st);
		return 1;
	}
	if ((rc = store_connection_get(st, id, &c)) > 0) {
		mask_enc(key, c.api_key_enc, masked, sizeof(masked));
		printf("id: %s\nname: ", c.id);
		print_escaped(c.name);
		printf("\ndescription: ");
		print_escaped(c.description);
		printf("\napi_url: %s\nsender: %s\nstatus: %s\n"
		    "status_message: ", c.api_url, c.sender, c.status);
		print_escaped(c.status_message);
		printf("\napi_key: %s\n", masked);
	} else if (rc == 0)
		fprintf(stderr, "ibchannel: no connection %s\n", id);
	explicit_bzero(key, sizeof(key));
	store_close(st);
	return rc > 0 ? 0 : 1;
}

static int
cmd_connection_start(int argc, char *argv[])
{
	struct store		*st;
	struct ib_client	*ib;
	unsigned char		 key[32];
	const char		*id;
	char			 msg[1024];
	int			 rc;

	if (!one_id(argc, argv, &id))
		return EXIT_USAGE;
	if (!open_store(&st))
		return 1;
	if (!load_key(st, key)) {
		store_close(st);
		return 1;
	}
	if ((ib = ib_open(IBCHANNEL_VERSION)) == NULL) {
		store_close(st);
		return 1;
	}
	rc = connection_start(st, ib, key, id, msg, sizeof(msg));
	explicit_bzero(key, sizeof(key));
	if (rc > 0)
		printf("%s\n", msg);
	else
		fprintf(stderr, "ibchannel: %s\n", rc == 0 ? msg :
		    "store error during Start");
	ib_close(ib);
	store_close(st);
	return rc > 0 ? 0 : 1;
}

static int
cmd_connection_stop(int argc, char *argv[])
{
	struct store	*st;
	const char	*id;
	int		 rc;

	if (!one_id(argc, argv, &id))
		return EXIT_USAGE;
	if (!open_store(&st))
		return 1;
	if ((rc = connection_stop(st, id)) > 0)
		printf("STOPPED\n");
	else if (rc == 0)
		fprintf(stderr, "ibchannel: no connection %s\n", id);
	store_close(st);
	return rc > 0 ? 0 : 1;
}

static int
cmd_connection_env(int argc, char *argv[])
{
	static const char *const names[] = { NULL };
	struct opts		 o = { .names = names };
	struct store_connection	 c;
	struct store		*st;
	const char		*why;
	int			 rc;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs < 2 || o.nargs > 3)
		return usage_error("%s", "usage: connection env ID NAME"
		    " [VALUE] (no VALUE removes the variable)");
	if (!store_id_valid(o.args[0]))
		return usage_error("'%s' is not a connection id", o.args[0]);
	if (!connection_valid_env_name(o.args[1], &why) ||
	    (o.nargs == 3 && !connection_valid_env_value(o.args[2], &why)))
		return usage_error("%s", why);
	if (!open_store(&st))
		return 1;
	/* A removal of an unknown connection's variable changes no row: ask first. */
	if ((rc = store_connection_get(st, o.args[0], &c)) > 0)
		rc = store_env_set(st, o.args[0], o.args[1],
		    o.nargs == 3 ? o.args[2] : NULL);
	if (rc > 0)
		store_log(st, o.args[0], "info", "save", "Environment variable"
		    " %s %s; it takes effect at the next Start", o.args[1],
		    o.nargs == 3 ? "set" : "removed");
	if (rc == 0)
		fprintf(stderr, "ibchannel: no such connection\n");
	else if (rc < 0)
		fprintf(stderr, "ibchannel: store error: %s\n",
		    store_errmsg(st));
	store_close(st);
	return rc > 0 ? 0 : 1;
}

static int
cmd_settings(int argc, char *argv[])
{
	static const char *const names[] = { NULL };
	const struct setting_def	*d;
	struct opts	 o = { .names = names };
	struct store	*st;
	const char	*why, *verb;
	char		 buf[4096];
	int		 rc = 1, n;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	verb = o.nargs > 0 ? o.args[0] : "";
	n = strcmp(verb, "set") == 0 ? 3 : strcmp(verb, "get") == 0 ||
	    strcmp(verb, "unset") == 0 ? 2 : strcmp(verb, "list") == 0 ? 1 : -1;
	if (n < 0 || o.nargs != n)
		return usage_error("%s", "usage: settings list | settings get"
		    " NAME | settings set NAME VALUE | settings unset NAME");
	if (n > 1 && settings_find(o.args[1]) == NULL)
		return usage_error("no setting named '%s'; 'ibchannel settings"
		    " list' shows them", o.args[1]);
	if (n == 3 && !settings_check(o.args[1], o.args[2], &why)) {
		snprintf(buf, sizeof(buf), "%s: %s", o.args[1], why);
		return usage_error("%s", buf);
	}
	if (!open_store(&st))
		return 1;
	if (n == 1) {
		for (d = settings_table, rc = 0; d->name != NULL; d++) {
			if (settings_get(st, d->name, buf, sizeof(buf)) < 0)
				rc = 1;
			printf("%s = ", d->name);
			print_escaped(buf);
			printf("\n    %s; default: ", d->purpose);
			print_escaped(*d->def != '\0' ? d->def : "(unset)");
			printf("\n");
		}
	} else if (n == 2 && strcmp(verb, "get") == 0) {
		if (settings_get(st, o.args[1], buf, sizeof(buf)) > 0) {
			printf("%s\n", buf);
			rc = 0;
		} else
			fprintf(stderr, "ibchannel: store error: %s\n",
			    store_errmsg(st));
	} else if ((rc = settings_set(st, o.args[1], n == 3 ? o.args[2] :
	    NULL, &why)) > 0)
		rc = 0;
	else {
		fprintf(stderr, "ibchannel: %s\n", rc == 0 ? why :
		    store_errmsg(st));
		rc = 1;
	}
	store_close(st);
	return rc;
}

static int
cmd_user(int argc, char *argv[])
{
	static const char *const names[] = { NULL };
	struct opts	 o = { .names = names };
	struct store	*st;
	int		 rc;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs != 3 || strcmp(o.args[0], "set") != 0)
		return usage_error("%s", "usage: user set USERNAME"
		    " admin|operator|viewer");
	if (!open_store(&st))
		return 1;
	rc = store_user_set(st, o.args[1], o.args[2]);
	store_close(st);
	if (rc == 0)
		return usage_error("role must be admin, operator or viewer,"
		    " not '%s'", o.args[2]);
	return rc > 0 ? 0 : 1;
}

static int
cmd_reports_apply(int argc, char *argv[])
{
	static const char *const names[] = { NULL };
	struct opts	 o = { .names = names };
	struct store	*st;
	long		 applied;
	int		 rc;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs > 0)
		return usage_error("unexpected argument '%s'", o.args[0]);
	if (!open_store(&st))
		return 1;
	/* Each round applies up to a few hundred; go on until none is left. */
	for (;;) {
		rc = store_reports_apply_pending(st, &applied);
		if (rc <= 0 || applied == 0)
			break;
		printf("applied %ld kept report(s)\n", applied);
	}
	store_close(st);
	return rc > 0 ? 0 : 1;
}

static volatile sig_atomic_t	 quit;

static void
on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static int
cmd_sender(int argc, char *argv[])
{
	static const char *const names[] = { "for", "lock", NULL };
	struct opts		 o = { .names = names };
	struct sender_opts	 so;
	struct sigaction	 sa;
	struct store		*st;
	const char		*v;
	char			 lock[4096], *end;
	int			 fd, rc, once = 0;

	memset(&so, 0, sizeof(so));
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--once") == 0) {
			once = 1;
			memmove(&argv[i], &argv[i + 1],
			    (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			break;
		}
	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs > 0)
		return usage_error("unexpected argument '%s'", o.args[0]);
	if ((v = opt(&o, "for")) != NULL) {
		so.for_seconds = strtod(v, &end);
		if (*end != '\0' || so.for_seconds <= 0 ||
		    so.for_seconds > 86400)
			return usage_error("--for takes seconds (1 to 86400),"
			    " not '%s'", v);
	}
	if (once == (v != NULL))
		return usage_error("%s", "give --once or --for SECONDS");
	so.once = once;
	if ((v = opt(&o, "lock")) != NULL)
		snprintf(lock, sizeof(lock), "%s", v);
	else
		snprintf(lock, sizeof(lock), "%s.sender.lock",
		    store_default_path());
	/* One sender at a time: an overlapping cron run leaves at once. */
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "ibchannel: %s: %s\n", lock, strerror(errno));
		return 1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		fprintf(stderr, "ibchannel: another sender holds %s; leaving\n",
		    lock);
		close(fd);
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!open_store(&st)) {
		close(fd);
		return 1;
	}
	rc = sender_run(st, &so, &quit);
	store_close(st);
	close(fd);
	return rc;
}

/* Reads a whole file (instructions); caller frees. */
static char *
read_file(const char *path)
{
	FILE	*f;
	char	*buf = NULL;
	long	 len;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "ibchannel: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    len <= 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL) {
		if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else
			buf[len] = '\0';
	}
	if (buf == NULL)
		fprintf(stderr, "ibchannel: %s: cannot read (at most 1 MiB)\n",
		    path);
	fclose(f);
	return buf;
}

static int
cmd_agent_add(int argc, char *argv[])
{
	static const char *const names[] = { "name", "kind",
	    "instructions-file", "url", "model", "api-key-file", NULL };
	struct opts		 o = { .names = names };
	struct store_agent	 a;
	struct store		*st = NULL;
	unsigned char		 key[32];
	const char		*why, *kind, *v;
	char			*instr = NULL, *apikey = NULL, *enc = NULL;
	char			 err[256];
	int			 rc = EXIT_USAGE;

	memset(&a, 0, sizeof(a));
	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs > 0)
		return usage_error("unexpected argument '%s'", o.args[0]);
	if (!connection_valid_name(opt(&o, "name"), &why))
		return usage_error("%s", why);
	kind = opt(&o, "kind");
	if (kind == NULL || (strcmp(kind, "rules") != 0 &&
	    strcmp(kind, "http") != 0 && strcmp(kind, "openai") != 0))
		return usage_error("%s", "--kind must be rules, http or openai");
	v = opt(&o, "url");
	if (!agent_url_valid(kind, v, opt(&o, "api-key-file") != NULL, &why))
		return usage_error("--url: %s", why);
	if (v != NULL && strlen(v) >= sizeof(a.url))
		return usage_error("%s", "--url is too long");
	if (strcmp(kind, "openai") == 0 && opt(&o, "model") == NULL)
		return usage_error("%s", "--model is required for an openai"
		    " agent");
	if ((v = opt(&o, "instructions-file")) != NULL &&
	    (instr = read_file(v)) == NULL)
		return 1;
	if (instr != NULL && strcmp(kind, "rules") == 0 &&
	    !rules_check(instr, err, sizeof(err))) {
		usage_error("instructions: %s", err);
		goto out;
	}
	if ((v = opt(&o, "api-key-file")) != NULL &&
	    (apikey = read_secret_file(v)) == NULL) {
		rc = 1;
		goto out;
	}
	rc = 1;
	if (!open_store(&st))
		goto out;
	if (apikey != NULL && (!load_key(st, key) ||
	    (enc = secret_encrypt(key, apikey)) == NULL))
		goto out;
	snprintf(a.name, sizeof(a.name), "%s", opt(&o, "name"));
	snprintf(a.kind, sizeof(a.kind), "%s", kind);
	a.instructions = instr;
	snprintf(a.url, sizeof(a.url), "%s",
	    opt(&o, "url") != NULL ? opt(&o, "url") : "");
	snprintf(a.model, sizeof(a.model), "%s",
	    opt(&o, "model") ? opt(&o, "model") : "");
	snprintf(a.api_key_enc, sizeof(a.api_key_enc), "%s",
	    enc != NULL ? enc : "");
	if (store_agent_add(st, &a) <= 0) {
		fprintf(stderr, "ibchannel: cannot store the agent\n");
		goto out;
	}
	printf("%lld\n", (long long)a.id);
	rc = 0;
out:
	explicit_bzero(key, sizeof(key));
	free(instr);
	if (apikey != NULL)
		secret_free(apikey);
	free(enc);
	store_close(st);
	return rc;
}

/* Parses an agent or session number. */
static int
parse_number(const char *s, int64_t *id)
{
	char	*end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return 0;
	*id = v;
	return 1;
}

static int
cmd_agent_attach(int argc, char *argv[])
{
	struct opts	 o = { .names = (const char *const[]){ NULL } };
	struct store	*st;
	const char	*why;
	int64_t		 id;
	int		 rc, inbound = 0, i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--inbound") == 0) {
			inbound = 1;
			memmove(&argv[i], &argv[i + 1],
			    (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			break;
		}
	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs != 2)
		return usage_error("%s", "usage: agent attach AGENT CONNECTION"
		    " [--inbound]");
	if (!parse_number(o.args[0], &id))
		return usage_error("'%s' is not an agent number", o.args[0]);
	if (!store_id_valid(o.args[1]))
		return usage_error("'%s' is not a connection id", o.args[1]);
	if (!open_store(&st))
		return 1;
	rc = store_agent_attach(st, id, o.args[1], inbound, &why);
	if (rc > 0)
		store_log(st, o.args[1], "info", "agent", "agent %lld attached"
		    "%s", (long long)id, inbound ? " with Inbound on" : "");
	store_close(st);
	if (rc == 0) {
		fprintf(stderr, "ibchannel: %s\n", why);
		return 1;
	}
	return rc > 0 ? 0 : 1;
}

static int
agent_status(int argc, char *argv[], const char *status)
{
	struct opts	 o = { .names = (const char *const[]){ NULL } };
	struct store	*st;
	int64_t		 id;
	int		 rc;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	if (o.nargs != 1 || !parse_number(o.args[0], &id))
		return usage_error("%s", "expected one agent number");
	if (!open_store(&st))
		return 1;
	rc = store_agent_set_status(st, id, status);
	store_close(st);
	if (rc == 0)
		fprintf(stderr, "ibchannel: no agent %lld\n", (long long)id);
	else if (rc > 0)
		printf("%s\n", status);
	return rc > 0 ? 0 : 1;
}

static int
cmd_agent_start(int argc, char *argv[])
{
	return agent_status(argc, argv, "RUNNING");
}

static int
cmd_agent_stop(int argc, char *argv[])
{
	return agent_status(argc, argv, "STOPPED");
}

static int
cmd_send(int argc, char *argv[])
{
	static const char *const names[] = { "connection", "to", "text", NULL };
	struct opts		 o = { .names = names };
	struct store		*st;
	const char		*conn, *to, *text;
	char			 failed[256];
	int64_t			 id;
	int			 rc;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	conn = opt(&o, "connection");
	to = opt(&o, "to");
	text = opt(&o, "text");
	if (o.nargs > 0 || conn == NULL || to == NULL || text == NULL)
		return usage_error("%s", "usage: send --connection ID --to"
		    " NUMBER --text TEXT");
	if (!store_id_valid(conn))
		return usage_error("'%s' is not a connection id", conn);
	if (*text == '\0')
		return usage_error("%s", "--text is empty");
	if (!open_store(&st))
		return 1;
	rc = outbound_send(st, conn, to, text, "operator:cli", &id, failed,
	    sizeof(failed));
	store_close(st);
	if (rc == 0) {
		fprintf(stderr, "ibchannel: no connection %s\n", conn);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "ibchannel: cannot queue the message\n");
		return 1;
	}
	printf("%lld\n", (long long)id);
	if (failed[0] != '\0') {
		fprintf(stderr, "ibchannel: message %lld failed: %s\n",
		    (long long)id, failed);
		return 1;
	}
	return 0;
}

/* Checks --connection and --limit (1 to 100000) of a list; 1, or 0 after a one-line error. */
static int
list_opts(const struct opts *o, int *limit)
{
	const char	*v;

	if ((v = opt(o, "connection")) != NULL && !store_id_valid(v)) {
		usage_error("'%s' is not a connection id", v);
		return 0;
	}
	if ((v = opt(o, "limit")) != NULL &&
	    ((*limit = atoi(v)) < 1 || *limit > 100000)) {
		usage_error("--limit takes 1 to 100000, not '%s'", v);
		return 0;
	}
	return 1;
}

static int
session_line(const struct store_session_row *r, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%s\t%s\t%d\t", (long long)r->id, r->conn,
	    r->phone, r->open ? "open" : "closed", r->responsible, r->last_at,
	    r->messages);
	print_escaped(r->last_text);
	printf("\n");
	return 1;
}

static int
message_line(const struct store_message_row *r, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\t", r->at, strcmp(r->direction, "in") == 0 ?
	    "<-" : "->", r->author, r->status);
	print_escaped(r->text);
	if (r->reason != NULL && *r->reason != '\0' &&
	    strcmp(r->status, "failed") == 0) {
		printf("\t(");
		print_escaped(r->reason);
		printf(")");
	}
	printf("\n");
	return 1;
}

static int
cmd_session(int argc, char *argv[])
{
	static const char *const names[] = { "connection", "user", "text",
	    "limit", NULL };
	struct opts		 o = { .names = names };
	struct store_session	 sess;
	struct store		*st;
	const char		*verb, *user, *v;
	char			 who[300];
	int64_t			 id = 0, msg;
	int			 rc = 1, limit = 50;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	verb = o.nargs > 0 ? o.args[0] : "";
	if (strcmp(verb, "list") == 0) {
		if (o.nargs != 1)
			return usage_error("%s", "usage: session list"
			    " [--connection ID] [--limit N]");
		if (!list_opts(&o, &limit))
			return EXIT_USAGE;
	} else if (strcmp(verb, "show") == 0 ||
	    strcmp(verb, "takeover") == 0 || strcmp(verb, "release") == 0 ||
	    strcmp(verb, "reply") == 0) {
		if (o.nargs != 2 || !parse_number(o.args[1], &id))
			return usage_error("usage: session %s SESSION", verb);
	} else
		return usage_error("%s", "usage: session list | show |"
		    " takeover | release | reply SESSION ...");
	user = opt(&o, "user") != NULL ? opt(&o, "user") : "cli";
	if (!connection_valid_name(user, &v) || strchr(user, ':') != NULL ||
	    strcmp(user, "ai") == 0)
		return usage_error("--user '%s' is not a username", user);
	if (strcmp(verb, "reply") == 0 && (opt(&o, "text") == NULL ||
	    *opt(&o, "text") == '\0'))
		return usage_error("%s", "session reply needs --text");
	if (!open_store(&st))
		return 1;
	if (strcmp(verb, "list") == 0) {
		printf("session\tconnection\tcontact\tstate\tresponsible"
		    "\tlast_at\tmessages\tlast_text\n");
		rc = store_session_each(st, opt(&o, "connection"), limit,
		    session_line, NULL) > 0 ? 0 : 1;
		goto out;
	}
	if ((rc = store_session_get(st, id, &sess)) <= 0) {
		if (rc == 0)
			fprintf(stderr, "ibchannel: no session %lld\n",
			    (long long)id);
		rc = 1;
		goto out;
	}
	rc = 1;
	if (strcmp(verb, "show") == 0) {
		printf("session %lld on %s with %s%s: %s, answered by %s\n",
		    (long long)sess.id, sess.conn, sess.phone,
		    sess.opted_out ? " (opted out)" : "", sess.closed_at[0] ?
		    "closed" : "open", sess.responsible);
		rc = store_session_messages(st, id, message_line, NULL) > 0 ?
		    0 : 1;
	} else if (strcmp(verb, "takeover") == 0 ||
	    strcmp(verb, "release") == 0) {
		snprintf(who, sizeof(who), "%s",
		    strcmp(verb, "release") == 0 ? "ai" : user);
		if (store_session_set_responsible(st, id, who) <= 0)
			fprintf(stderr, "ibchannel: session %lld is closed\n",
			    (long long)id);
		else {
			store_log(st, sess.conn, "info", "session", "session"
			    " %lld %s", (long long)id, strcmp(who, "ai") == 0 ?
			    "given back to the AI" : "taken over by an"
			    " operator");
			printf("session %lld answered by %s\n", (long long)id,
			    who);
			rc = 0;
		}
	} else {
		/* An operator's reply goes through the outbox like any other. */
		if (outbound_session_reply(st, &sess, user, opt(&o, "text"),
		    &msg) > 0) {
			printf("%lld\n", (long long)msg);
			if (sess.opted_out)
				fprintf(stderr, "ibchannel: the contact opted"
				    " out; the message will not be sent\n");
			rc = 0;
		}
	}
out:
	store_close(st);
	return rc;
}

static int
outbox_line(const struct store_outbox_entry *e, void *arg)
{
	(void)arg;
	printf("%lld\t%s\t%s\t", (long long)e->message, e->uid, e->conn);
	print_escaped(e->recipient);
	printf("\t%s\t%d\t", e->state, e->attempts);
	print_escaped(e->last_error);
	printf("\n");
	return 1;
}

static int
cmd_outbox(int argc, char *argv[])
{
	static const char *const names[] = { "connection", "limit", "user",
	    NULL };
	struct opts	 o = { .names = names };
	struct store	*st;
	const char	*verb, *user, *why;
	int64_t		 id = 0;
	int		 rc, limit = 1000;

	if (!opts_parse(&o, argc, argv))
		return EXIT_USAGE;
	verb = o.nargs > 0 ? o.args[0] : "list";
	user = opt(&o, "user") != NULL ? opt(&o, "user") : "cli";
	if (strcmp(verb, "list") == 0) {
		if (o.nargs > 1 || opt(&o, "user") != NULL)
			return usage_error("%s", "usage: outbox [list]"
			    " [--connection ID] [--limit N]");
		if (!list_opts(&o, &limit))
			return EXIT_USAGE;
	} else if (strcmp(verb, "resend") == 0 || strcmp(verb, "fail") == 0) {
		if (o.nargs != 2 || !parse_number(o.args[1], &id) ||
		    opt(&o, "connection") != NULL || opt(&o, "limit") != NULL)
			return usage_error("usage: outbox %s MESSAGE [--user U]",
			    verb);
		if (!connection_valid_name(user, &why) ||
		    strchr(user, ':') != NULL || strcmp(user, "ai") == 0)
			return usage_error("--user '%s' is not a username", user);
	} else
		return usage_error("%s", "usage: outbox [list] | outbox resend"
		    " MESSAGE | outbox fail MESSAGE");
	if (!open_store(&st))
		return 1;
	if (strcmp(verb, "list") == 0) {
		printf("id\tuid\tconnection\trecipient\tstate\tattempts"
		    "\tlast_error\n");
		rc = store_outbox_each(st, opt(&o, "connection"), limit,
		    outbox_line, NULL) > 0 ? 0 : 1;
		store_close(st);
		return rc;
	}
	rc = strcmp(verb, "resend") == 0 ? outbox_resend(st, id, user, &why) :
	    outbox_fail(st, id, user, &why);
	if (rc > 0)
		printf("message %lld %s\n", (long long)id,
		    strcmp(verb, "resend") == 0 ? "queued to be sent again" :
		    "failed");
	else
		fprintf(stderr, "ibchannel: message %lld: %s\n",
		    (long long)id, rc == 0 ? why : "store error");
	store_close(st);
	return rc > 0 ? 0 : 1;
}

static const struct command {
	const char	*name;
	const char	*sub;		/* NULL: no subcommand */
	int		(*fn)(int, char *[]);
	const char	*usage;
} commands[] = {
	{ "init", NULL, cmd_init, "init" },
	{ "connection", "add", cmd_connection_add, "connection add --name N"
	    " (--api-key K | --api-key-file F) --api-url U --sender S"
	    " [--description D]" },
	{ "connection", "list", cmd_connection_list, "connection list" },
	{ "connection", "show", cmd_connection_show, "connection show ID" },
	{ "connection", "start", cmd_connection_start, "connection start ID" },
	{ "connection", "stop", cmd_connection_stop, "connection stop ID" },
	{ "connection", "env", cmd_connection_env,
	    "connection env ID NAME [VALUE]" },
	{ "agent", "add", cmd_agent_add, "agent add --name N --kind"
	    " rules|http|openai [--instructions-file F] [--url U] [--model M]"
	    " [--api-key-file F]" },
	{ "agent", "attach", cmd_agent_attach,
	    "agent attach AGENT CONNECTION [--inbound]" },
	{ "agent", "start", cmd_agent_start, "agent start AGENT" },
	{ "agent", "stop", cmd_agent_stop, "agent stop AGENT" },
	{ "send", NULL, cmd_send, "send --connection ID --to NUMBER --text TEXT" },
	{ "sender", NULL, cmd_sender, "sender --once | --for SECONDS"
	    " [--lock FILE]" },
	{ "session", NULL, cmd_session, "session list [--connection ID]"
	    " [--limit N] | session show SESSION | session takeover SESSION"
	    " [--user U] | session release SESSION | session reply SESSION"
	    " --text TEXT [--user U]" },
	{ "outbox", NULL, cmd_outbox, "outbox [list] [--connection ID]"
	    " [--limit N] | outbox resend MESSAGE [--user U] | outbox fail"
	    " MESSAGE [--user U]" },
	{ "settings", NULL, cmd_settings,
	    "settings list | get NAME | set NAME VALUE | unset NAME" },
	{ "reports", "apply-pending", cmd_reports_apply,
	    "reports apply-pending" },
	{ "user", NULL, cmd_user, "user set USERNAME admin|operator|viewer" },
};

static int
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  ibchannel %s\n", commands[i].usage);
	return EXIT_USAGE;
}

int
main(int argc, char *argv[])
{
	const char	*why;
	size_t		 i;
	int		 skip;

	log_init("ibchannel");
	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (commands[i].sub == NULL)
			skip = 2;
		else if (argc >= 3 && strcmp(argv[2], commands[i].sub) == 0)
			skip = 3;
		else
			continue;
		if (!store_sync_valid(&why)) {
			fprintf(stderr, "ibchannel: %s\n", why);
			return 1;
		}
		return commands[i].fn(argc - skip, argv + skip);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	fprintf(stderr, "ibchannel: unknown command '%s%s%s'; try"
	    " 'ibchannel help'\n", argv[1], argc >= 3 ? " " : "",
	    argc >= 3 ? argv[2] : "");
	return EXIT_USAGE;
}

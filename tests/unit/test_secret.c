/* Tests of the key file, AES-256-GCM sealing of API keys, and masking. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "secret.h"

static char	 dir[4096];

/* Builds dir/name into buf. */
static const char *
path_in(char *buf, size_t bufsz, const char *name)
{
	snprintf(buf, bufsz, "%s/%s", dir, name);
	return buf;
}

/* Reads a whole small file; returns its length or -1. */
static ssize_t
slurp(const char *path, unsigned char *buf, size_t bufsz)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, bufsz);
	close(fd);
	return n;
}

/* Writes a fresh file of len bytes, then sets mode exactly with chmod. */
static void
spit(const char *path, const void *buf, size_t len, mode_t mode)
{
	int	 fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write(fd, buf, len) != (ssize_t)len || close(fd) == -1 ||
	    chmod(path, mode) == -1) {
		perror(path);
		exit(2);
	}
}

static void
test_key_file(unsigned char key[SECRET_KEY_LEN])
{
	unsigned char	 before[64], after[64], loaded[SECRET_KEY_LEN];
	unsigned char	 zero[SECRET_KEY_LEN];
	char		 p[4200], q[4200];
	struct stat	 st;
	ssize_t		 n1, n2;

	/* Even with an open umask the key must come out 0600. */
	umask(0);
	path_in(p, sizeof(p), "ibchannel.key");
	CHECK(secret_key_create(p) == 1, "create: %s", secret_error());
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "key mode %o", (unsigned)(st.st_mode & 07777));
	n1 = slurp(p, before, sizeof(before));
	CHECK(n1 == SECRET_KEY_LEN, "key file %zd bytes", n1);
	memset(zero, 0, sizeof(zero));
	CHECK(memcmp(before, zero, SECRET_KEY_LEN) != 0, "key is all zero");

	CHECK(secret_key_create(p) == 0, "second create");
	n2 = slurp(p, after, sizeof(after));
	CHECK(n2 == n1 && memcmp(before, after, SECRET_KEY_LEN) == 0,
	    "second create changed the key");
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "second create changed the mode");
	umask(022);

	memset(loaded, 0, sizeof(loaded));
	CHECK(secret_key_load(p, loaded) == 1, "load: %s", secret_error());
	CHECK(memcmp(loaded, before, SECRET_KEY_LEN) == 0,
	    "loaded key differs");
	memcpy(key, loaded, SECRET_KEY_LEN);

	/* Owner read-only is fine. */
	CHECK(chmod(p, 0400) == 0, "chmod 0400");
	CHECK(secret_key_load(p, loaded) == 1, "0400 refused: %s",
	    secret_error());

	/* The group may read it (0640); any other access is refused. */
	CHECK(chmod(p, 0640) == 0, "chmod 0640");
	CHECK(secret_key_load(p, loaded) == 1, "0640 refused: %s",
	    secret_error());
	CHECK(chmod(p, 0604) == 0, "chmod 0604");
	CHECK(secret_key_load(p, loaded) == 0, "0604 loaded");
	CHECK_STR(secret_error(), "key file accessible by others",
	    "0604 error");
	CHECK(chmod(p, 0620) == 0, "chmod 0620");
	CHECK(secret_key_load(p, loaded) == 0, "0620 loaded");
	CHECK_STR(secret_error(), "key file writable by its group",
	    "0620 error");
	CHECK(chmod(p, 0601) == 0, "chmod 0601");
	CHECK(secret_key_load(p, loaded) == 0, "0601 loaded");
	CHECK(chmod(p, 0600) == 0, "chmod 0600");

	/* Wrong sizes, missing, not a file. */
	spit(path_in(q, sizeof(q), "short.key"), before, 31, 0600);
	CHECK(secret_key_load(q, loaded) == 0, "31-byte key loaded");
	unlink(q);
	spit(path_in(q, sizeof(q), "long.key"), before, 33, 0600);
	CHECK(secret_key_load(q, loaded) == 0, "33-byte key loaded");
	unlink(q);
	spit(path_in(q, sizeof(q), "empty.key"), before, 0, 0600);
	CHECK(secret_key_load(q, loaded) == 0, "empty key loaded");
	unlink(q);
	CHECK(secret_key_load(path_in(q, sizeof(q), "missing.key"), loaded) ==
	    0, "missing key loaded");
	CHECK(strstr(secret_error(), "missing") != NULL, "missing error: %s",
	    secret_error());
	CHECK(secret_key_load(dir, loaded) == 0, "directory loaded");

	/* A missing directory is a system error and leaves nothing. */
	path_in(q, sizeof(q), "nodir/ibchannel.key");
	CHECK(secret_key_create(q) < 0, "create in missing dir");
	CHECK(access(q, F_OK) == -1 && errno == ENOENT, "file left behind");
}

static const char *const plains[] = {
	"",
	"a",
	"sk-123456789ab9",
	"0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef",
	"p\xC3\xA4ssw\xC3\xB6rd \xF0\x9F\x94\x91",
	"ab",	/* 30 raw bytes: no padding */
	"abc",	/* 31: two '=' */
	"abcd",	/* 32: one '=' */
};

static void
test_round_trip(const unsigned char key[SECRET_KEY_LEN])
{
	size_t	 i, want_len;
	char	*enc, *enc2, *plain;
	char	 big[5001];

	for (i = 0; i < sizeof(plains) / sizeof(plains[0]); i++) {
		enc = secret_encrypt(key, plains[i]);
		CHECK(enc != NULL, "encrypt %zu: %s", i, secret_error());
		if (enc == NULL)
			continue;
		want_len = 3 + 4 * ((12 + strlen(plains[i]) + 16 + 2) / 3);
		CHECK(strncmp(enc, "v1:", 3) == 0, "encrypt %zu prefix", i);
		CHECK(strlen(enc) == want_len,
		    "encrypt %zu length %zu want %zu", i, strlen(enc),
		    want_len);
		/* Short texts can turn up in base64 by chance. */
		CHECK(strlen(plains[i]) < 8 || strstr(enc, plains[i]) == NULL,
		    "encrypt %zu leaks the text", i);
		plain = (char *)"unset";
		CHECK(secret_decrypt(key, enc, &plain) == 1, "decrypt %zu: %s",
		    i, secret_error());
		CHECK_STR(plain, plains[i], "round trip %zu", i);
		secret_free(plain);

		enc2 = secret_encrypt(key, plains[i]);
		CHECK(enc2 != NULL && strcmp(enc, enc2) != 0,
		    "two encryptions of %zu are equal", i);
		plain = NULL;
		CHECK(enc2 != NULL && secret_decrypt(key, enc2, &plain) == 1,
		    "decrypt second %zu", i);
		CHECK_STR(plain, plains[i], "round trip second %zu", i);
		secret_free(plain);
		free(enc2);
		free(enc);
	}

	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	enc = secret_encrypt(key, big);
	plain = NULL;
	CHECK(enc != NULL && secret_decrypt(key, enc, &plain) == 1,
	    "big round trip");
	CHECK_STR(plain, big, "big round trip text");
	secret_free(plain);
	free(enc);

	CHECK(secret_encrypt(key, NULL) == NULL, "encrypt NULL");
	secret_free(NULL);
}

/* Flips the top bit of one base64 character's value, keeping it base64. */
static char
b64_flip(char c)
{
	static const char	 a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*p = strchr(a, c);

	return p == NULL ? c : a[(p - a) ^ 0x20];
}

static void
test_rejects(const unsigned char key[SECRET_KEY_LEN])
{
	unsigned char	 other[SECRET_KEY_LEN];
	char		*enc, *bad, *plain;
	size_t		 i, len, tampered = 0, rejected = 0;

	enc = secret_encrypt(key, "sk-123456789ab9");
	if (enc == NULL) {
		CHECK(0, "encrypt: %s", secret_error());
		return;
	}
	len = strlen(enc);

	/* Every base64 character of nonce, ciphertext and tag is covered. */
	for (i = 3; i < len && enc[i] != '='; i++) {
		if ((bad = strdup(enc)) == NULL)
			abort();
		bad[i] = b64_flip(bad[i]);
		plain = (char *)"unset";
		tampered++;
		if (secret_decrypt(key, bad, &plain) == 0 && plain == NULL)
			rejected++;
		free(bad);
	}
	CHECK(tampered > 40 && rejected == tampered,
	    "tampered: %zu of %zu rejected", rejected, tampered);

	/* Cut off the last group: still base64, but the tag is wrong. */
	if ((bad = strdup(enc)) == NULL)
		abort();
	bad[len - 4] = '\0';
	plain = (char *)"unset";
	CHECK(secret_decrypt(key, bad, &plain) == 0 && plain == NULL,
	    "truncated accepted");
	free(bad);

	memcpy(other, key, SECRET_KEY_LEN);
	other[7] ^= 0x01;
	plain = (char *)"unset";
	CHECK(secret_decrypt(other, enc, &plain) == 0 && plain == NULL,
	    "wrong key accepted");
	CHECK(strstr(secret_error(), "authenticate") != NULL,
	    "wrong key error: %s", secret_error());

	/* Same body under another version tag. */
	if ((bad = strdup(enc)) == NULL)
		abort();
	bad[1] = '2';
	plain = (char *)"unset";
	CHECK(secret_decrypt(key, bad, &plain) == 0 && plain == NULL,
	    "v2 accepted");
	free(bad);
	free(enc);
}

static const char *const garbage[] = {
	"",
	"v1",
	"v1:",
	"v1:!!!",
	"v1:!!!!",
	"V1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"v2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"v1:AAAA",					/* too short */
	"v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",	/* 27 bytes */
	"v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* 30 zero bytes */
	"v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* not 4n long */
	"v1:AA==AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* padding inside */
	"v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A",
	"v1:AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAA",	/* space */
	"v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	" v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"v1:====",
	"v1:A===",
	"sk-123456789ab9",
};

static void
test_garbage(const unsigned char key[SECRET_KEY_LEN])
{
	size_t	 i;
	char	*plain;

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		plain = (char *)"unset";
		CHECK(secret_decrypt(key, garbage[i], &plain) == 0,
		    "garbage %zu \"%s\" not 0", i, garbage[i]);
		CHECK(plain == NULL, "garbage %zu left plain set", i);
	}
	plain = (char *)"unset";
	CHECK(secret_decrypt(key, NULL, &plain) == 0 && plain == NULL,
	    "NULL enc");
}

struct mask_case {
	const char	*plain;
	size_t		 outsz;
	const char	*want;
};

static const struct mask_case mask_cases[] = {
	{ NULL, SECRET_MASK_MAX, "****" },
	{ "", SECRET_MASK_MAX, "****" },
	{ "a", SECRET_MASK_MAX, "****" },
	{ "abcd", SECRET_MASK_MAX, "****" },
	{ "abcde", SECRET_MASK_MAX, "****bcde" },
	{ "sk-123456789ab9", SECRET_MASK_MAX, "****9ab9" },
	{ "0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef",
	    SECRET_MASK_MAX, "****cdef" },
	/* characters, not bytes: the last four are whole */
	{ "\xD0\xBF\xD0\xB0\xD1\x80\xD0\xBE\xD0\xBB\xD1\x8C", SECRET_MASK_MAX,
	    "****\xD1\x80\xD0\xBE\xD0\xBB\xD1\x8C" },	/* пароль → роль */
	{ "\xD1\x80\xD0\xBE\xD0\xBB\xD1\x8C", SECRET_MASK_MAX, "****" },
	{ "x\xF0\x9F\x94\x91\xF0\x9F\x94\x91\xF0\x9F\x94\x91\xF0\x9F\x94\x91",
	    SECRET_MASK_MAX,
	    "****\xF0\x9F\x94\x91\xF0\x9F\x94\x91\xF0\x9F\x94\x91"
	    "\xF0\x9F\x94\x91" },
	/* too small for the tail: stars only, never a partial tail */
	{ "abcdef", 9, "****cdef" },
	{ "abcdef", 8, "****" },
	{ "abcdef", 5, "****" },
	{ "abcdef", 3, "**" },
	{ "abcdef", 1, "" },
};

static void
test_mask(void)
{
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
		memset(out, 'X', sizeof(out));
		secret_mask(mask_cases[i].plain, out, mask_cases[i].outsz);
		CHECK_STR(out, mask_cases[i].want, "mask case %zu", i);
		CHECK(out[mask_cases[i].outsz] == 'X',
		    "mask case %zu wrote past outsz", i);
	}
	memset(out, 'X', sizeof(out));
	secret_mask("abcdef", out, 0);
	CHECK(out[0] == 'X', "mask wrote with outsz 0");
}

/* The MACs behind the admin's CSRF tokens: stable, keyed, separated by purpose. */
static void
test_mac(const unsigned char key[SECRET_KEY_LEN])
{
	unsigned char	 other[SECRET_KEY_LEN];
	char		 a[SECRET_MAC_HEX], b[SECRET_MAC_HEX];
	char		 c[SECRET_MAC_HEX], d[SECRET_MAC_HEX];
	size_t		 i;

	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	CHECK(secret_mac_hex(key, "admin csrf", "ann", a) == 1 &&
	    secret_mac_hex(key, "admin csrf", "ann", b) == 1 &&
	    strlen(a) == 64 && strcmp(a, b) == 0, "mac is stable");
	for (i = 0; i < 64; i++)
		CHECK(strchr("0123456789abcdef", a[i]) != NULL,
		    "mac is lowercase hex");
	CHECK(secret_mac_hex(key, "admin csrf", "bob", b) == 1 &&
	    strcmp(a, b) != 0, "another message, another mac");
	CHECK(secret_mac_hex(key, "other use", "ann", c) == 1 &&
	    strcmp(a, c) != 0, "another purpose, another mac");
	CHECK(secret_mac_hex(other, "admin csrf", "ann", d) == 1 &&
	    strcmp(a, d) != 0, "another key, another mac");
	CHECK(secret_equal(a, a) && !secret_equal(a, b) &&
	    !secret_equal(a, "") && !secret_equal(NULL, a) &&
	    !secret_equal(a, NULL), "secret_equal");
}

int
main(void)
{
	unsigned char	 key[SECRET_KEY_LEN];
	char		 p[4200];
	const char	*tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/test_secret.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}

	test_key_file(key);
	test_round_trip(key);
	test_rejects(key);
	test_garbage(key);
	test_mask();
	test_mac(key);

	unlink(path_in(p, sizeof(p), "ibchannel.key"));
	if (rmdir(dir) == -1)
		perror(dir);
	return check_done();
}

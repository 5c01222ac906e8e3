/* API keys encrypted at rest: the key file and AES-256-GCM sealing. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "secret.h"

#define SECRET_NONCE_LEN	12
#define SECRET_TAG_LEN		16
#define SECRET_PREFIX		"v1:"
#define SECRET_PREFIX_LEN	(sizeof(SECRET_PREFIX) - 1)

/* Ties every ciphertext to this format, so it cannot be replayed as another. */
#define SECRET_AAD		"ibchannel-secret-v1"

/* API keys are short; the cap keeps every length far inside an int. */
#define SECRET_PLAIN_MAX	65536

static _Thread_local char secret_errbuf[256];

static void secret_seterr(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

const char *
secret_error(void)
{
	return secret_errbuf;
}

static void
secret_seterr(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(secret_errbuf, sizeof(secret_errbuf), fmt, ap);
	va_end(ap);
}

/* Records a failed libcrypto call with the reason from its error queue. */
static void
secret_sslerr(const char *call)
{
	char		 reason[160];
	unsigned long	 e;

	if ((e = ERR_get_error()) == 0)
		snprintf(reason, sizeof(reason), "failed");
	else
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	secret_seterr("%s: %s", call, reason);
}

/* Writes all len bytes; returns 0, or -1 with errno set. */
static int
write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads up to len bytes; returns how many (fewer only at EOF), or -1. */
static ssize_t
read_all(int fd, unsigned char *buf, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		if ((n = read(fd, buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
secret_key_create(const char *path)
{
	unsigned char	 key[SECRET_KEY_LEN];
	int		 fd, rc = -1;

	/* O_EXCL: never replace a key, or every stored secret is lost. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    S_IRUSR | S_IWUSR)) == -1) {
		if (errno == EEXIST) {
			secret_seterr("%s: key file already exists", path);
			return 0;
		}
		secret_seterr("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (RAND_bytes(key, sizeof(key)) != 1) {
		secret_sslerr("RAND_bytes");
		goto out;
	}
	if (write_all(fd, key, sizeof(key)) == -1) {
		secret_seterr("write %s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync(fd) == -1) {
		secret_seterr("fsync %s: %s", path, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc == -1) {
		secret_seterr("close %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 1;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (fd != -1)
		close(fd);
	/* A half-written key must not be mistaken for one next time. */
	if (rc < 0)
		unlink(path);
	return rc;
}

int
secret_key_load(const char *path, unsigned char key[SECRET_KEY_LEN])
{
	unsigned char	 buf[SECRET_KEY_LEN];
	struct stat	 st;
	ssize_t		 got;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			secret_seterr("%s: key file missing", path);
			return 0;
		}
		secret_seterr("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		secret_seterr("fstat %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
	if (!S_ISREG(st.st_mode)) {
		secret_seterr("%s: key file is not a regular file", path);
		goto out;
	}
	/*
	 * The owner (the store's user) and, read-only, its group (the web
	 * server's user is in it: deploy/INSTALL.md); nobody else.
	 */
	if (st.st_mode & S_IRWXO) {
		secret_seterr("key file accessible by others");
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IXGRP)) {
		secret_seterr("key file writable by its group");
		goto out;
	}
	if (st.st_size != SECRET_KEY_LEN) {
		secret_seterr("%s: key file must hold exactly %d bytes", path,
		    SECRET_KEY_LEN);
		goto out;
	}
	if ((got = read_all(fd, buf, sizeof(buf))) == -1) {
		secret_seterr("read %s: %s", path, strerror(errno));
		rc = -1;
		goto out;
	}
	if (got != SECRET_KEY_LEN) {
		secret_seterr("%s: key file must hold exactly %d bytes", path,
		    SECRET_KEY_LEN);
		goto out;
	}
	memcpy(key, buf, SECRET_KEY_LEN);
	rc = 1;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* Sets ctx up for AES-256-GCM with key, nonce and AAD; returns 1, or 0. */
static int
secret_gcm_init(EVP_CIPHER_CTX *ctx, int encrypt, const unsigned char *key,
    const unsigned char *nonce)
{
	int	 n;

	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    encrypt) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SECRET_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt) != 1) {
		secret_sslerr("EVP_CipherInit_ex");
		return 0;
	}
	if (EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)SECRET_AAD,
	    (int)(sizeof(SECRET_AAD) - 1)) != 1) {
		secret_sslerr("EVP_CipherUpdate (AAD)");
		return 0;
	}
	return 1;
}

char *
secret_encrypt(const unsigned char key[SECRET_KEY_LEN], const char *plain)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	*raw = NULL;
	char		*out = NULL;
	size_t		 plen, rawlen;
	int		 n, ok = 0;

	if (plain == NULL) {
		secret_seterr("secret_encrypt: no text");
		return NULL;
	}
	if ((plen = strlen(plain)) > SECRET_PLAIN_MAX) {
		secret_seterr("secret_encrypt: text longer than %d bytes",
		    SECRET_PLAIN_MAX);
		return NULL;
	}
	rawlen = SECRET_NONCE_LEN + plen + SECRET_TAG_LEN;
	if ((raw = malloc(rawlen)) == NULL ||
	    (out = malloc(SECRET_PREFIX_LEN + 4 * ((rawlen + 2) / 3) + 1)) ==
	    NULL) {
		secret_seterr("malloc: %s", strerror(errno));
		goto out;
	}
	if (RAND_bytes(raw, SECRET_NONCE_LEN) != 1) {
		secret_sslerr("RAND_bytes");
		goto out;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		secret_sslerr("EVP_CIPHER_CTX_new");
		goto out;
	}
	if (!secret_gcm_init(ctx, 1, key, raw))
		goto out;
	if (EVP_EncryptUpdate(ctx, raw + SECRET_NONCE_LEN, &n,
	    (const unsigned char *)plain, (int)plen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, raw + SECRET_NONCE_LEN + n, &n) != 1) {
		secret_sslerr("EVP_Encrypt");
		goto out;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRET_TAG_LEN,
	    raw + SECRET_NONCE_LEN + plen) != 1) {
		secret_sslerr("EVP_CTRL_GCM_GET_TAG");
		goto out;
	}
	memcpy(out, SECRET_PREFIX, SECRET_PREFIX_LEN);
	/* Writes unbroken base64 and the terminating NUL. */
	EVP_EncodeBlock((unsigned char *)out + SECRET_PREFIX_LEN, raw,
	    (int)rawlen);
	ok = 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	if (!ok) {
		free(out);
		out = NULL;
	}
	return out;
}

/* Returns the 6-bit value of a base64 character, or -1 for anything else. */
static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Checks that s (len bytes) is padded base64 with no whitespace and '='
 * only at the end, since EVP_DecodeBlock alone is lenient.  Returns the
 * decoded length, or 0 if s is not such base64.
 */
static size_t
b64_decoded_len(const char *s, size_t len)
{
	size_t	 i, pad = 0;

	if (len == 0 || len % 4 != 0)
		return 0;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (b64_value(s[i]) < 0)
			return 0;
	return len / 4 * 3 - pad;
}

int
secret_decrypt(const unsigned char key[SECRET_KEY_LEN], const char *enc,
    char **plain)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	*raw = NULL, *out = NULL;
	const char	*b64;
	size_t		 b64len, rawlen, ctlen = 0;
	int		 n, rc = 0;

	if (plain == NULL) {
		secret_seterr("secret_decrypt: no place for the result");
		return 0;
	}
	*plain = NULL;
	if (enc == NULL ||
	    strncmp(enc, SECRET_PREFIX, SECRET_PREFIX_LEN) != 0) {
		secret_seterr("secret is not in the v1 format");
		return 0;
	}
	b64 = enc + SECRET_PREFIX_LEN;
	b64len = strlen(b64);
	if (b64len > 4 * ((SECRET_NONCE_LEN + SECRET_PLAIN_MAX +
	    SECRET_TAG_LEN + 2) / 3) ||
	    (rawlen = b64_decoded_len(b64, b64len)) == 0) {
		secret_seterr("secret is not valid base64");
		return 0;
	}
	if (rawlen < SECRET_NONCE_LEN + SECRET_TAG_LEN) {
		secret_seterr("secret is too short");
		return 0;
	}
	ctlen = rawlen - SECRET_NONCE_LEN - SECRET_TAG_LEN;

	rc = -1;
	/* EVP_DecodeBlock writes whole groups of three, padding included. */
	if ((raw = malloc(b64len / 4 * 3)) == NULL ||
	    (out = malloc(ctlen + 1)) == NULL) {
		secret_seterr("malloc: %s", strerror(errno));
		goto out;
	}
	if (EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64len) < 0) {
		secret_seterr("secret is not valid base64");
		rc = 0;
		goto out;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		secret_sslerr("EVP_CIPHER_CTX_new");
		goto out;
	}
	if (!secret_gcm_init(ctx, 0, key, raw))
		goto out;
	if (EVP_DecryptUpdate(ctx, out, &n, raw + SECRET_NONCE_LEN,
	    (int)ctlen) != 1) {
		secret_sslerr("EVP_DecryptUpdate");
		goto out;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRET_TAG_LEN,
	    raw + SECRET_NONCE_LEN + ctlen) != 1) {
		secret_sslerr("EVP_CTRL_GCM_SET_TAG");
		goto out;
	}
	/* The tag check: a wrong key and a changed byte look the same here. */
	if (EVP_DecryptFinal_ex(ctx, out + n, &n) != 1) {
		ERR_clear_error();
		secret_seterr("secret does not authenticate "
		    "(tampered, or sealed under another key)");
		rc = 0;
		goto out;
	}
	out[ctlen] = '\0';
	if (memchr(out, '\0', ctlen) != NULL) {
		secret_seterr("secret holds a NUL byte");
		rc = 0;
		goto out;
	}
	*plain = (char *)out;
	out = NULL;
	rc = 1;
out:
	if (out != NULL) {
		OPENSSL_cleanse(out, ctlen + 1);
		free(out);
	}
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	return rc;
}

void
secret_free(char *plain)
{
	if (plain == NULL)
		return;
	OPENSSL_cleanse(plain, strlen(plain));
	free(plain);
}

void
secret_mask(const char *plain, char *out, size_t outsz)
{
	const char	*tail = "";
	const char	*p;
	size_t		 chars = 0;

	if (out == NULL || outsz == 0)
		return;
	if (plain != NULL) {
		/* Step back four UTF-8 characters, never into one. */
		p = plain + strlen(plain);
		while (p > plain && chars < 4)
			if (((unsigned char)*--p & 0xC0) != 0x80)
				chars++;
		/* Show the tail only if something stays hidden before it. */
		if (chars == 4 && p > plain &&
		    strlen(p) + sizeof("****") <= outsz)
			tail = p;
	}
	snprintf(out, outsz, "****%s", tail);
}

int
secret_mac_hex(const unsigned char key[SECRET_KEY_LEN], const char *purpose,
    const char *msg, char out[SECRET_MAC_HEX])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 sub[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
	unsigned int		 sublen = 0, maclen = 0, i;
	int			 rc = -1;

	out[0] = '\0';
	/* A key of its own for each purpose, so one MAC never stands for another. */
	if (HMAC(EVP_sha256(), key, SECRET_KEY_LEN,
	    (const unsigned char *)purpose, strlen(purpose), sub,
	    &sublen) == NULL ||
	    HMAC(EVP_sha256(), sub, (int)sublen, (const unsigned char *)msg,
	    strlen(msg), mac, &maclen) == NULL || maclen != 32) {
		secret_sslerr("HMAC");
		goto out;
	}
	for (i = 0; i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0xf];
	}
	out[2 * maclen] = '\0';
	rc = 1;
out:
	OPENSSL_cleanse(sub, sizeof(sub));
	return rc;
}

int
secret_equal(const char *a, const char *b)
{
	size_t	 n;

	if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b))
		return 0;
	return CRYPTO_memcmp(a, b, n) == 0;
}

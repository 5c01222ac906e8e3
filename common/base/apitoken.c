/* Send API tokens: made from the OS's random source, kept only as a SHA-256 hash. */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "apitoken.h"
#include "log.h"

#define APITOKEN_TAG	"ibt_"
#define APITOKEN_BYTES	32

static const char hexdig[] = "0123456789abcdef";

static void
to_hex(const unsigned char *b, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[b[i] >> 4];
		out[2 * i + 1] = hexdig[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int
apitoken_sha256(const void *s, size_t len, char *hash)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		log_error("EVP_Digest: SHA-256 failed");
		hash[0] = '\0';
		return 0;
	}
	to_hex(md, mdlen, hash);
	return 1;
}

int
apitoken_new(char *token, char *hash, char *prefix)
{
	unsigned char	 raw[APITOKEN_BYTES];
	size_t		 got = 0;
	ssize_t		 n;
	int		 ok = 0;

	token[0] = hash[0] = prefix[0] = '\0';
	while (got < sizeof(raw)) {
		if ((n = getrandom(raw + got, sizeof(raw) - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			log_error("getrandom: %s", strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	memcpy(token, APITOKEN_TAG, strlen(APITOKEN_TAG));
	to_hex(raw, sizeof(raw), token + strlen(APITOKEN_TAG));
	if (!apitoken_sha256(token, strlen(token), hash)) {
		explicit_bzero(token, APITOKEN_SIZE);
		goto out;
	}
	memcpy(prefix, token, APITOKEN_PREFIX_LEN);
	prefix[APITOKEN_PREFIX_LEN] = '\0';
	ok = 1;
out:
	explicit_bzero(raw, sizeof(raw));
	return ok;
}

int
apitoken_valid(const char *s)
{
	size_t	 i, tag = strlen(APITOKEN_TAG);

	if (strncmp(s, APITOKEN_TAG, tag) != 0 || strlen(s) != APITOKEN_LEN)
		return 0;
	for (i = tag; i < APITOKEN_LEN; i++)
		if (strchr(hexdig, s[i]) == NULL)
			return 0;
	return 1;
}

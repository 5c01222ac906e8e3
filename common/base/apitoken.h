/* Send API tokens: made from the OS's random source, kept only as a SHA-256 hash. */
#ifndef APITOKEN_H
#define APITOKEN_H

#include <stddef.h>

/* "ibt_" and 64 hex digits (256 random bits), NUL. */
#define APITOKEN_LEN		68
#define APITOKEN_SIZE		(APITOKEN_LEN + 1)
/* SHA-256 as 64 hex digits, NUL. */
#define APITOKEN_HASH_SIZE	65
/* The shown part: "ibt_" and 8 hex digits, NUL. */
#define APITOKEN_PREFIX_LEN	12
#define APITOKEN_PREFIX_SIZE	(APITOKEN_PREFIX_LEN + 1)

/*
 * Makes a new token from getrandom(2) into token (APITOKEN_SIZE bytes),
 * its hash into hash (APITOKEN_HASH_SIZE) and its shown prefix into
 * prefix (APITOKEN_PREFIX_SIZE). 1 done, 0 the random source or the
 * hash failed (logged; nothing usable written).
 */
int	 apitoken_new(char *token, char *hash, char *prefix);

/* Whether s has the form of a token ("ibt_" and 64 lowercase hex digits). */
int	 apitoken_valid(const char *s);

/*
 * Writes the SHA-256 of the len bytes at s as 64 lowercase hex digits into
 * hash (APITOKEN_HASH_SIZE bytes). 1 done, 0 libcrypto failed (logged).
 */
int	 apitoken_sha256(const void *s, size_t len, char *hash);

#endif

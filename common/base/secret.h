/* API keys encrypted at rest: the key file and AES-256-GCM sealing. */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

/* Bytes in the key file and in a loaded key. */
#define SECRET_KEY_LEN	32

/* Room for any secret_mask result: "****", four UTF-8 characters, NUL. */
#define SECRET_MASK_MAX	21

/*
 * Returns the text of the last failure in this module (a static buffer,
 * overwritten by the next failure), or "" if there was none.  common/
 * does not log, so callers log this once when a call fails.
 */
const char	*secret_error(void);

/*
 * Creates the key file at path with SECRET_KEY_LEN random bytes and mode
 * 0600; it is created that way, so it is never readable by others, even
 * for a moment.  Returns 1 when created, 0 when a file already exists
 * there (it is left untouched), <0 on a system error (no file is left).
 */
int	 secret_key_create(const char *path);

/*
 * Reads the key at path into key.  Returns 1 on success; 0 if the file is
 * missing, not a regular file, not exactly SECRET_KEY_LEN bytes, or open to
 * group or others (see secret_error); <0 on a system error.
 */
int	 secret_key_load(const char *path, unsigned char key[SECRET_KEY_LEN]);

/*
 * Encrypts plain with AES-256-GCM under a fresh random nonce.  Returns
 * "v1:" followed by base64 of nonce, ciphertext and tag, in a new string
 * the caller frees with free(); NULL on error (see secret_error).
 */
char	*secret_encrypt(const unsigned char key[SECRET_KEY_LEN],
	    const char *plain);

/*
 * Decrypts what secret_encrypt produced.  Returns 1 and sets *plain to a
 * new string the caller must release with secret_free(); 0 if enc is
 * malformed, tampered with or sealed under another key; <0 on a system
 * error.  *plain is NULL whenever the result is not 1.
 */
int	 secret_decrypt(const unsigned char key[SECRET_KEY_LEN],
	    const char *enc, char **plain);

/* Wipes and frees a string from secret_decrypt; NULL is allowed. */
void	 secret_free(char *plain);

/*
 * Writes a display form of plain into out: "****" and its last four
 * characters, or "****" alone when plain is NULL or has four characters
 * or fewer, so a short key is never shown whole.  out is always
 * NUL-terminated; if it is smaller than SECRET_MASK_MAX and the result
 * does not fit, it gets "****" (cut to fit) and no part of plain.
 */
void	 secret_mask(const char *plain, char *out, size_t outsz);

/* Room for a secret_mac_hex result: 64 hex digits and NUL. */
#define SECRET_MAC_HEX	65

/*
 * HMAC-SHA-256 of msg under a key derived from key and purpose (a fixed
 * text naming what the MAC is for, e.g. "admin csrf"), as 64 lowercase hex
 * digits in out. Returns 1, or < 0 on a library error (out is "").
 */
int	 secret_mac_hex(const unsigned char key[SECRET_KEY_LEN],
	    const char *purpose, const char *msg, char out[SECRET_MAC_HEX]);

/* Whether a and b are the same text, compared in constant time for equal lengths; NULL is never equal. */
int	 secret_equal(const char *a, const char *b);

#endif

/* What the files of the operations layer (ops*.c) share; not for programs. */
#ifndef OPS_INT_H
#define OPS_INT_H

#include "ops.h"

/* Empties err (kind OPS_OK, no problem). */
void	 ops_reset(struct ops_error *);
/*
 * Adds a problem (field may be NULL) of kind to err; the first problem's
 * kind is the error's. Returns 0, or -1 for OPS_FAILED, so that an action
 * can end with return ops_fail(...).
 */
int	 ops_fail(struct ops_error *, enum ops_outcome, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A store error: logged already; err says so for people. Returns -1. */
int	 ops_store_error(struct ops_error *);
/* The actor's name for logs and authors: ops->user, or "cli". */
const char *ops_user(const struct ops *);
/* Whether the key is loaded; else an OPS_FAILED problem. 1 or 0. */
int	 ops_need_key(const struct ops *, struct ops_error *);
/* Masks a sealed secret into out ("" for none), or says why it cannot be read. */
void	 ops_mask(const struct ops *, const char *enc, char *out, size_t outsz);
/*
 * Seals a new secret into out (outsz bytes). > 0 done, < 0 error (err
 * filled).
 */
int	 ops_seal(const struct ops *, const char *plain, char *out, size_t outsz,
	    struct ops_error *);
/*
 * Whether given has the form of a mask ("****", then nothing or four
 * characters): what a form showing a saved key was filled with, never a
 * key itself, whichever key it masked.
 */
int	 ops_is_mask(const char *given);
/*
 * Whether a form's secret field (given; NULL absent) brings a new secret
 * for the one sealed in enc: 1 a new one (perhaps "" for none), 0 keep
 * enc (absent or a mask). A mask with nothing to keep adds an OPS_INVALID
 * problem on field to err.
 */
int	 ops_key_given(const char *enc, const char *given, const char *field,
	    struct ops_error *);
/* Checks a connection id argument: 1, or 0 with an OPS_INVALID problem on "id". */
int	 ops_check_conn_id(const char *id, struct ops_error *);
/*
 * Reads connection id for an action. > 0 found, 0 with OPS_INVALID (a
 * malformed id) or OPS_NOT_FOUND, < 0 store error; err filled.
 */
int	 ops_conn_get(const struct ops *, const char *id,
	    struct store_connection *, struct ops_error *);

/* --- Campaigns (ops_campaign.c, ops_campaign_import.c) ------------------- */

#define PLACEHOLDERS_MAX 64	/* distinct fields a campaign's template may name */

struct store_campaign;
/* Reads a campaign for an action: > 0, 0 unknown (err filled), < 0 error. */
int	 ops_campaign_load(const struct ops *, int64_t id,
	    struct store_campaign *, struct ops_error *);

#endif

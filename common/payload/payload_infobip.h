/* Infobip JSON: the send request; send, error, balance and log answers. */
#ifndef PAYLOAD_INFOBIP_H
#define PAYLOAD_INFOBIP_H

#include <stddef.h>

#include "infobip.h"

/*
 * Builds the POST /sms/3/messages body for n messages, one destination
 * each, with the options of opts (NULL or "" fields are left out).
 * Returns a NUL-terminated string the caller frees, or NULL on out of
 * memory or a NULL uid, to or text.
 */
char	*payload_send_request(const struct ib_send_opts *opts,
	    const struct ib_outmsg *msgs, size_t n);

/*
 * Reads a send answer (v3 "destination"/"details.messageCount" or v2/v1
 * "to"/"smsCount") into res[0..n-1], one per msgs[i]: matched by
 * messageId, else in order among those left; unmatched ones get
 * "missing from Infobip's response". Returns 1 when the body holds a
 * "messages" array, 0 when it is not a send answer (res then untouched),
 * < 0 on out of memory.
 */
int	 payload_send_response(const char *body, size_t len,
	    const struct ib_outmsg *msgs, size_t n, struct ib_result *res);

/*
 * Reads one of Infobip's error bodies, new ({errorCode, description,
 * violations[]}) or legacy ({requestError: {serviceException: {messageId,
 * text, validationErrors}}}, messageId mapped to E4xx/E500), into code,
 * text and violations of err; other fields are left alone.
 * Returns 1 when the body is such an error, 0 when not (err untouched),
 * < 0 on out of memory.
 */
int	 payload_error(const char *body, size_t len, struct ib_error *err);

/*
 * Reads {"balance": number, "currency": string} into bal.
 * Returns 1 on success, 0 when the body is not a balance, < 0 on out of
 * memory.
 */
int	 payload_balance(const char *body, size_t len, struct ib_balance *bal);

/*
 * Searches a GET /sms/3/logs answer ({"results": [...]}) for messageId uid.
 * Returns 1 when the body is a log answer, with *found set to 1 and res
 * filled when uid is in it, else *found 0; 0 when the body is not a log
 * answer; < 0 on out of memory.
 */
int	 payload_logs_find(const char *body, size_t len, const char *uid,
	    struct ib_result *res, int *found);

/* Returns 1 when body is one well-formed JSON value, else 0. */
int	 payload_is_json(const char *body, size_t len);

#endif

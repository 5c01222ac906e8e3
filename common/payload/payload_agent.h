/* JSON of the agents: session data, the HTTP agent's wire format, OpenAI-compatible chat. */
#ifndef PAYLOAD_AGENT_H
#define PAYLOAD_AGENT_H

#include <stddef.h>

struct agent_job;

/*
 * Reads member key of the JSON object text json into *val: a string as it
 * is, a number or boolean as its JSON text. The caller frees *val.
 * Returns > 0 when found, 0 when json is not an object or has no such
 * scalar member (*val NULL), < 0 when out of memory.
 */
int	 payload_agent_data_get(const char *json, const char *key, char **val);

/*
 * Returns the JSON object text json (NULL or anything but an object counts
 * as "{}") with member key set to the string val, every other member kept.
 * The caller frees it. NULL when out of memory.
 */
char	*payload_agent_data_set(const char *json, const char *key,
	    const char *val);

/*
 * The HTTP agent's request: {"session", "contact", "message", "history":
 * [{"role": "customer"|"agent", "text"}]}. Invalid UTF-8 is repaired.
 * Returns malloc'd JSON the caller frees, NULL when out of memory.
 */
char	*payload_agent_http_request(const struct agent_job *);

/*
 * Reads the HTTP agent's answer {"reply": "..."}. Returns > 0 when it is
 * well formed: *text is the reply with surrounding white space trimmed
 * (malloc'd, the caller frees it), or NULL when the reply is null or
 * empty. Returns 0 with a reason in err when the body is not such an
 * object, < 0 when out of memory.
 */
int	 payload_agent_http_reply(const char *body, size_t len, char **text,
	    char *err, size_t errsz);

/*
 * The chat completion request: model, then the messages "system"
 * (instructions, left out when empty), the history as "user"/"assistant",
 * and the inbound text as the last "user" message. Invalid UTF-8 is
 * repaired. Returns malloc'd JSON the caller frees, NULL when out of
 * memory.
 */
char	*payload_agent_openai_request(const struct agent_job *);

/*
 * Reads choices[0].message.content of a chat completion, as
 * payload_agent_http_reply reads "reply": > 0 well formed (*text malloc'd
 * or NULL, and err says why when NULL), 0 malformed (err set), < 0 out of
 * memory.
 */
int	 payload_agent_openai_reply(const char *body, size_t len, char **text,
	    char *err, size_t errsz);

/*
 * Copies the error text of an error answer, {"error": {"message": "..."}}
 * or {"error": "..."}, into msg (never splitting a UTF-8 sequence).
 * Returns 1 when there is one, else 0 with msg "".
 */
int	 payload_agent_error_message(const char *body, size_t len, char *msg,
	    size_t msgsz);

#endif

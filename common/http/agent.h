/* The agents that answer customers' SMS: built-in rules, an HTTP webhook, an OpenAI-compatible chat model. */
#ifndef AGENT_H
#define AGENT_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_BODY_MAX		(256 * 1024)	/* longest answer read */
#define AGENT_CONNECT_MS	10000L		/* connect timeout at most */
#define AGENT_TIMEOUT_MS	30000L		/* total timeout by default */

/* One earlier message of the session. */
struct agent_turn {
	int		 inbound;	/* 1 customer; 0 agent, operator... */
	const char	*text;
};

/*
 * One inbound message to answer; every pointer is borrowed.
 * instructions: the rules text, or the system prompt of an openai agent.
 * url: the http agent's endpoint, or the openai base URL (the agent POSTs
 * to {base}/v1/chat/completions; a base ending in /v1 is fine too).
 * api_key: plaintext or NULL; when set, both kinds send it as
 * "Authorization: Bearer <key>" (local chat servers such as llama.cpp or
 * Ollama need none, so an openai agent without a key sends no header).
 * history: the session's earlier turns, oldest first, not including text;
 * the caller bounds it (e.g. to 20).
 * session_data: JSON object of the fields collected so far, "{}" if none.
 * collect_step: the rules agent's collection state, see rules.h.
 */
struct agent_job {
	int64_t			 message, session, contact, agent;
	const char		*kind;		/* "rules", "http", "openai" */
	const char		*instructions;
	const char		*url;
	const char		*model;		/* openai model name */
	const char		*api_key;
	const char		*phone;		/* contact, "+digits" */
	const char		*text;		/* the inbound message */
	const struct agent_turn	*history;
	size_t			 nhistory;
	const char		*session_data;
	int			 collect_step;
};

/*
 * What an agent made of a job. text is the malloc'd reply, NULL for none;
 * session_data the malloc'd JSON object after this turn, NULL when
 * unchanged; collect_step the new state (the job's when unchanged);
 * contact_name and contact_email what was collected now ("" when nothing);
 * error why there is no reply (timeout, HTTP 500, bad JSON...), for the
 * connection log: it never holds the API key.
 */
struct agent_reply {
	char	*text;
	char	*session_data;
	int	 collect_step;
	char	 contact_name[256];
	char	 contact_email[256];
	char	 error[512];
};

/*
 * Whether url suits an agent of kind ("rules", "http", "openai"): a rules
 * agent has none; the others need an absolute http(s) URL (see url_check
 * in url.h), and https when the agent has an API key (has_key), so the key
 * never crosses a network in the clear; plain http stays allowed for
 * loopback (a local model server). The one check for the command line,
 * the admin and every call. 1 valid, 0 with *why (static text).
 */
int	 agent_url_valid(const char *kind, const char *url, int has_key,
	    const char **why);

/* Frees what the reply owns and empties it; safe to call twice. */
void	 agent_reply_clear(struct agent_reply *);

struct agent_pool;

/*
 * Opens a pool running up to max_inflight calls at once, each limited to
 * timeout_ms in total (AGENT_TIMEOUT_MS when 0 or less). Returns the pool,
 * which the caller closes with agent_pool_close, or NULL on error (logged).
 */
struct agent_pool *agent_pool_open(size_t max_inflight, long timeout_ms);

/*
 * Starts answering job, copying all it needs, so job may go away at once.
 * A rules job is answered here and handed to done() at the next perform;
 * so is a job that cannot be sent (unknown kind, no URL, a key that cannot
 * go into a header), with the reason in its error.
 * Returns > 0 when added, 0 when the pool is full, < 0 on a system error
 * (out of memory, curl refused the handle; logged).
 */
int	 agent_pool_add(struct agent_pool *, const struct agent_job *,
	    void *tag);

/*
 * Drives the calls for up to wait_ms and calls done(tag, reply, arg) once
 * for each finished job; the reply belongs to the pool and is valid only
 * during that call, and done may add jobs. Returns as soon as at least one
 * job was handed over (or at once when nothing is in flight), with the
 * number of jobs still in flight; < 0 on a curl error (logged).
 */
int	 agent_pool_perform(struct agent_pool *, long wait_ms,
	    void (*done)(void *tag, const struct agent_reply *, void *arg),
	    void *arg);

/* Aborts what is in flight without calling done() and frees the pool. */
void	 agent_pool_close(struct agent_pool *);

#endif

/* The built-in rules agent: answers from a small line format, no network. */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>

/*
 * THE RULES FORMAT
 *
 * The instructions of a "rules" agent are plain UTF-8 text, one directive
 * per line, written "name: value". Blank lines and lines whose first
 * non-blank character is '#' are ignored. Directive names may be written
 * in any case. In every text an agent sends, "\n" becomes a line break and
 * {field} becomes a collected value (see FIELDS).
 *
 *   greeting: TEXT
 *	Said first in the reply to the first message of a session.
 *
 *   rule: KEYWORDS => ANSWER
 *	KEYWORDS is a comma-separated list of words or phrases. A message
 *	matches when it holds one of them as whole words, in any case (A-Z
 *	and the accented Latin letters of U+00C0-U+00DE): "price" matches
 *	"What is the PRICE?" but not "priceless". A keyword ending in '*'
 *	also matches longer words: "price*" matches "prices" and
 *	"priceless". Inside a phrase, one space matches any run of white
 *	space. When several rules match, the first in the file answers.
 *
 *   fallback: TEXT
 *	Said when nothing else answers a message. Without a fallback such a
 *	message gets no reply and waits for an operator.
 *
 *   ask: FIELD [TYPE] => QUESTION
 *	A field to collect; fields are asked one at a time in file order.
 *	FIELD is a lower-case letter followed by up to 31 lower-case
 *	letters, digits or '_'. TYPE is text (the default), email, phone or
 *	number. At most 32 fields.
 *
 *   hint: TEXT
 *	Replaces the built-in hint of the ask line above it; the hint is
 *	said, followed by the question again, when an answer is not valid.
 *
 *   trigger: KEYWORDS
 *	Collection starts when a message matches one of these keywords
 *	(matched as in rule). Without a trigger line, collection starts with
 *	the first message the agent answers.
 *
 *   done: TEXT
 *	Said when the last field has been collected. Default: "Thank you!".
 *
 * greeting, fallback, trigger and done may each appear once, hint once
 * per ask line; trigger and done need at least one ask line. No value may
 * be empty. Keywords cannot hold ',', and the first "=>" of a line ends
 * the keywords or the field. Instructions are at most 64 KiB.
 *
 * FIELDS
 *
 *   text	any answer of 1 to 500 characters, kept as sent
 *		(surrounding white space removed)
 *   email	one '@' with something before it, a domain holding a dot
 *		neither first nor last, no spaces, at most 254 bytes; when
 *		the answer is a sentence ("it is ann@example.com."), its one
 *		word holding an '@' is taken, without quotes or punctuation
 *		around it
 *   phone	an international number: optional '+', 8 to 15 digits, the
 *		first not 0, no spaces, dashes or parentheses (the same rule
 *		as recipients); kept as "+digits"
 *   number	1 to 32 digits
 *
 * Collected values are kept as JSON strings under the field's name in the
 * session's data, merged with what is already there. A field named "name"
 * also sets the contact's name and one named "email" the contact's email.
 * In any text, {field} is the field's value ("" until it is collected)
 * and {phone} is the customer's number unless a field is called phone.
 * A {word} that names no field is an error; other braces are kept as they
 * are.
 *
 * HOW A MESSAGE IS ANSWERED
 *
 * The reply is made of parts joined by line breaks:
 *  1. On the first message of a session (no earlier turns): the greeting.
 *  2. When a question is pending, the message is first taken as its
 *     answer: a valid email, phone or number is recorded. Otherwise, if
 *     the message matches a rule, the rule's answer is said and then the
 *     question again, and nothing is recorded, so a customer may ask
 *     something in the middle. Otherwise a text field records the message
 *     and any other field says its hint and the question again. After a
 *     recorded answer comes the next question, or the done text after the
 *     last one.
 *  3. When collection has not started and starts now (there is no
 *     trigger, or the message matches it): the answer of the matching
 *     rule, if any, then the first question. So a first message asking
 *     "price?" gets the greeting, the price answer and the first question.
 *  4. Otherwise: the answer of the matching rule; when nothing at all has
 *     been said (no greeting, no rule), the fallback.
 * Collection runs once per session: after done, messages only get rules
 * and the fallback, and the trigger is not looked at while collecting.
 *
 * The collection state kept with the session (agent_job.collect_step) is
 * 0 before the first question, k while the k-th field's question waits
 * for its answer (1 <= k <= number of fields), and the number of fields
 * plus one when all were collected.
 *
 * DEFAULT
 *
 * Instructions without any directive (empty, or only comments) mean
 * rules_default(): a greeting and a fallback, so a fresh install answers.
 *
 * EXAMPLE
 *
 *	# Acme's SMS line
 *	greeting: Hi, this is Acme. We answer within the hour.
 *	rule: price*, cost*, how much => Plans start at 9 EUR a month.
 *	rule: hours, open => We are open 9:00-17:00, Monday to Friday.
 *	trigger: callback, call me
 *	ask: name => Sure. What is your name?
 *	ask: email email => Thanks {name}. Your email address?
 *	hint: Please send an address like ann@example.com.
 *	done: Thank you {name}, we will write to {email} today.
 *	fallback: Sorry, I did not get that. Text "call me" for a call back.
 */

struct agent_job;
struct agent_reply;

#define RULES_FIELDS_MAX	32
#define RULES_TEXT_MAX		65536	/* longest instructions, in bytes */

/*
 * Answers job (its instructions, text, nhistory, session_data,
 * collect_step and phone) into reply, which it overwrites: clear a reused
 * reply with agent_reply_clear first. Returns > 0 when done: reply->text
 * is the answer (malloc'd), or NULL when nothing applies and there is no
 * fallback, or when the instructions are invalid (then reply->error says
 * why); session_data is malloc'd when a value was collected, collect_step
 * is the new state. Returns < 0 when out of memory (reply left empty).
 */
int	 rules_answer(const struct agent_job *, struct agent_reply *);

/*
 * Checks instructions for the command line and the admin. Returns 1 when
 * valid, 0 when not with "line N: reason" in why (always NUL-terminated
 * when whysz > 0), < 0 when out of memory.
 */
int	 rules_check(const char *instructions, char *why, size_t whysz);

/* The instructions used when none are given; a static string. */
const char *rules_default(void);

#endif

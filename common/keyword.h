/* The opt-out keywords every SMS line must honour, recognised before any agent sees a message. */
#ifndef KEYWORD_H
#define KEYWORD_H

enum keyword {
	KEYWORD_NONE,		/* an ordinary message */
	KEYWORD_STOP,		/* STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT */
	KEYWORD_START,		/* START, YES, UNSTOP */
	KEYWORD_HELP,		/* HELP, INFO */
};

/*
 * Classifies an inbound text: a keyword only when it is the single word of
 * the message, in any case, with surrounding spaces and punctuation ignored.
 */
enum keyword	 keyword_classify(const char *text);
/* The settings name of the reply to a keyword ("reply_stop", ...), NULL for none. */
const char	*keyword_reply_setting(enum keyword);

#endif

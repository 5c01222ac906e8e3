/* Minimal table-test harness shared by the unit tests: counts checks, ends with "N passed, N failed". */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond, ...) do {						\
	if (cond)							\
		check_passed++;						\
	else {								\
		check_failed++;						\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define CHECK_STR(got, want, ...) do {					\
	const char *check_g_ = (got), *check_w_ = (want);		\
	CHECK(check_g_ != NULL && check_w_ != NULL &&			\
	    strcmp(check_g_, check_w_) == 0, __VA_ARGS__);		\
	if (check_g_ == NULL || check_w_ == NULL ||			\
	    strcmp(check_g_, check_w_) != 0)				\
		fprintf(stderr, "  got  \"%s\"\n  want \"%s\"\n",	\
		    check_g_ ? check_g_ : "(null)",			\
		    check_w_ ? check_w_ : "(null)");			\
} while (0)

/* Prints the closing line; the exit status says whether anything failed. */
static int
check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif

/* Retry delays of the sender: the list, the jitter bounds, giving up. */
#include "check.h"
#include "sender.h"

static const struct {
	const char	*list;
	int		 attempt;
	double		 base;		/* < 0: give up */
} cases[] = {
	{ "30,120,600,3600", 1, 30 },
	{ "30,120,600,3600", 2, 120 },
	{ "30,120,600,3600", 3, 600 },
	{ "30,120,600,3600", 4, 3600 },
	{ "30,120,600,3600", 5, -1 },
	{ "30,120,600,3600", 0, -1 },
	{ "0.3,0.3", 2, 0.3 },
	{ "0.3,0.3", 3, -1 },
	{ "", 1, -1 },
	{ "abc", 1, -1 },
	{ "10,x", 2, -1 },
	{ "-5", 1, -1 },
};

int
main(void)
{
	size_t	 i;
	int	 k;
	double	 d, lo = 1e9, hi = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = sender_backoff(cases[i].list, cases[i].attempt);
		if (cases[i].base < 0)
			CHECK(d < 0, "\"%s\" attempt %d gives up (got %f)",
			    cases[i].list, cases[i].attempt, d);
		else
			CHECK(d >= cases[i].base * 0.9 - 1e-9 &&
			    d <= cases[i].base * 1.1 + 1e-9,
			    "\"%s\" attempt %d: %f within 10%% of %f",
			    cases[i].list, cases[i].attempt, d, cases[i].base);
	}
	for (k = 0; k < 2000; k++) {
		d = sender_backoff("100", 1);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	CHECK(lo >= 90 - 1e-9 && hi <= 110 + 1e-9 && hi - lo > 10,
	    "jitter spreads retries over +-10%% (%f..%f)", lo, hi);
	return check_done();
}

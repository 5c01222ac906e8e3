/* The unit tests' reader of the Infobip sample files in tests/data/infobip/samples. */
#ifndef SAMPLE_H
#define SAMPLE_H

#include <stdio.h>
#include <stdlib.h>

#include "check.h"

/*
 * The samples are in tests/data/infobip/samples
 * (tests/data/README.md says where each one came from); IBCHANNEL_SAMPLES may name
 * another directory. Run from the repository root.
 */
static const char *
samples_dir(void)
{
	const char	*d;

	return (d = getenv("IBCHANNEL_SAMPLES")) != NULL ? d :
	    "tests/data/infobip/samples";
}

/* Reads a sample into a malloc'd NUL-terminated buffer; NULL fails a check. */
static char *
sample(const char *name, size_t *len)
{
	char	 path[1024], *buf = NULL;
	FILE	*f;
	long	 sz;

	snprintf(path, sizeof(path), "%s/%s", samples_dir(), name);
	if ((f = fopen(path, "rb")) == NULL)
		goto fail;
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc(sz + 1)) == NULL ||
	    fread(buf, 1, sz, f) != (size_t)sz) {
		fclose(f);
		goto fail;
	}
	fclose(f);
	buf[sz] = '\0';
	*len = (size_t)sz;
	return buf;
fail:
	free(buf);
	CHECK(0, "cannot read sample %s", path);
	return NULL;
}

#endif

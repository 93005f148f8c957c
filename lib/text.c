/*
 * text.c - numbers and lists read from untrusted text (text.h).
 */
#include "text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int byz_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

char *byz_next_part(char **s, char sep)
{
	char *p = *s, *e;

	if (!p)
		return NULL;
	e = strchr(p, sep);
	if (e) {
		*e = '\0';
		*s = e + 1;
	} else {
		*s = NULL;
	}
	return p;
}

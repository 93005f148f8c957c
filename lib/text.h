/*
 * text.h - numbers and lists read from untrusted text (command lines, campaign
 * and scenario files, attack texts): strict, bounded, no sign, no spaces.
 */
#ifndef BYZ_TEXT_H
#define BYZ_TEXT_H

#include <stdint.h>

/* A decimal whole number in [min, max], all of s: 0, or -1 ("", "-1",
 * "1x", " 1", out of range, overflow). */
int byz_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Split like strsep: the part of *s up to sep (maybe empty: every part is
 * checked, none is skipped; lists are read strictly), *s moved past it,
 * NULL after the last part.
 */
char *byz_next_part(char **s, char sep);

#endif

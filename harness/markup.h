/*
 * markup.h - text made safe for XML and HTML: the one escaper of every
 * report that writes markup (JUnit XML, SVG charts, the report page).
 */
#ifndef BYZ_MARKUP_H
#define BYZ_MARKUP_H

#include <stdio.h>

/* s as XML/HTML character data or a quoted attribute value: & < > " '
 * escaped, and what XML 1.0 cannot hold (control characters other than tab
 * and newline) written as '?'. NULL writes nothing. */
void markup_text(FILE *f, const char *s);

#endif

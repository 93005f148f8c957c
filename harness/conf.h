/*
 * conf.h - a small, strict parser (and writer) for the subset of YAML that
 * scenario and campaign files are written in.
 *
 * The subset, exactly (anything not listed here is an error that says what
 * is not supported and on which line):
 *
 * Text
 *   - UTF-8 (checked; an optional byte order mark at the start is skipped),
 *     lines end with LF or CRLF. No control characters other than TAB.
 *     At most CONF_MAX_BYTES bytes.
 *   - "#" starts a comment at the start of a line or after a space or TAB,
 *     outside quotes; it runs to the end of the line. Blank lines and
 *     comment-only lines are ignored wherever they are.
 *   - A "---" line before any content is ignored. A later "---", a "..."
 *     line and directives ("%...") are errors: one document per file.
 *
 * Indentation
 *   - Spaces only: a TAB in the indentation is an error ("tabs are not
 *     allowed for indentation"). The spaces after a list item's "-" count
 *     as indentation too. Elsewhere in a line, TAB is ordinary whitespace.
 *   - The entries of one map, or the items of one list, start at exactly the
 *     same column. A line indented differently from every enclosing block is
 *     an error ("unexpected indentation").
 *
 * Maps
 *   - "key: value", or "key:" alone on its line followed by a more indented
 *     block (a map or a list). "key:" with no such block has the value ""
 *     (an empty scalar), like "key: ''".
 *   - "{}" is an empty map, wherever a value may be (also inside [...]).
 *   - Keys are plain words of [A-Za-z0-9_.-]+, or a quoted scalar, followed
 *     immediately by ":" and then a space, TAB or the line end.
 *   - A key may appear once in a map: a duplicate is an error naming both
 *     lines.
 *   - The document (the root) is always a map; an empty document (nothing
 *     but blanks and comments) is an empty map.
 *
 * Lists
 *   - "- value"; "- key: value", which starts a map item whose further keys
 *     are at the column of that first key; "- - value", a list item that is
 *     a list; "-" alone, followed by a more indented block (or, with no such
 *     block, the value "").
 *   - The list that is the value of "key:" may start at the key's own
 *     column ("key:" then "- a" under the "k") or further right.
 *   - Flow lists on one line: "[a, b, c]", "[]", "[a, [b, c]]", with a
 *     trailing comma allowed ("[a, b,]"). Their items are scalars, flow
 *     lists or {}; the "]" must be on the same line as the "[".
 *
 * Scalars (always text: no numbers, booleans or null are interpreted)
 *   - Plain: runs to the end of the line or to a comment; the spaces before
 *     a comment or the line end are not part of it. It may not start with
 *     one of  [ ] { } , # & * ! | > ' " % @ `  nor with "- ", "? " or ": ",
 *     and may not contain ": " or end with ":" (quote such a value). Inside
 *     [...] it also ends at "," or "]", may not start with "?" or ":", and
 *     may not contain [ { } or ?.
 *   - "Double quoted", with the escapes \" \\ \n \t (and no others).
 *   - 'Single quoted', where '' stands for one quote.
 *   - Quotes open and close on the same line; after the closing quote only
 *     spaces and a comment may follow (or "," / "]" in a flow list).
 *
 * Not supported (each is an error saying so): anchors (&), aliases (*),
 * tags (!), block scalars (| and >), multi-line plain or quoted scalars,
 * flow maps other than {}, complex keys (?), several documents.
 *
 * Limits: CONF_MAX_BYTES of input, CONF_MAX_DEPTH nested collections
 * (counting the root map and flow lists), CONF_MAX_NODES nodes (maps, lists
 * and scalars).
 *
 * Errors are "NAME:LINE: what is wrong", e.g.
 *   campaigns/x.yaml:12: expected "key: value" or "- item", found "foo bar"
 * except for a text over the size limit, "NAME: too large (more than N
 * bytes)", and a file that cannot be read, "cannot read FILE: why".
 */
#ifndef BYZ_CONF_H
#define BYZ_CONF_H

#include <stddef.h>
#include <stdio.h>

enum conf_kind { CONF_SCALAR, CONF_LIST, CONF_MAP };

/*
 * One node. A node owns everything it points to; conf_free releases it all.
 * Nodes built with conf_new_* have line 0 (and key lines 0).
 */
struct conf_node {
	enum conf_kind kind;
	int line;		  /* 1-based line where the node starts */
	char *text;		  /* CONF_SCALAR: the value (quotes removed,
				   * escapes applied), NUL-terminated */
	size_t count;		  /* CONF_LIST / CONF_MAP: number of entries */
	struct conf_node **items; /* list items, or map values */
	char **keys;		  /* CONF_MAP: the keys, parallel to items;
				   * NULL for lists */
	int *key_lines;		  /* CONF_MAP: line of each key */
};

#define CONF_MAX_BYTES (1u << 20) /* a file larger than this is refused */
#define CONF_MAX_DEPTH 16
#define CONF_MAX_NODES 200000

/*
 * Parse text (len bytes, need not be NUL-terminated). `name` is used in error
 * messages ("NAME:LINE: what is wrong"). Returns 0 and *out (the root, always
 * a CONF_MAP; an empty document gives an empty map), or -1 with the message
 * in err (and *out NULL).
 */
int conf_parse(const char *text, size_t len, const char *name,
	       struct conf_node **out, char *err, size_t errlen);

/* Read and parse a file; errors name the file ("cannot read FILE: why"). */
int conf_parse_file(const char *path, struct conf_node **out, char *err,
		    size_t errlen);

/* Free n and everything under it. NULL is fine. */
void conf_free(struct conf_node *n);

/* The value of key in a map, or NULL (also NULL if map is NULL or not a
 * map). */
const struct conf_node *conf_get(const struct conf_node *map, const char *key);

/*
 * Write n, which must be a map (a document's root), in the subset above, so
 * that conf_parse gives back the same tree (lines aside): two spaces of
 * indentation per level, short lists of scalars as [a, b], values quoted
 * only when they must be, no comments. Nothing is written unless all of it
 * can be. Returns 0, or -1 if n cannot be written that way (not a map,
 * nested deeper than CONF_MAX_DEPTH, text that is not UTF-8 or holds a
 * control character other than newline and TAB) or if writing failed.
 */
int conf_emit(FILE *out, const struct conf_node *n);

/* Build nodes for conf_emit. NULL when out of memory (or text is NULL). */
struct conf_node *conf_new_map(void);
struct conf_node *conf_new_list(void);
struct conf_node *conf_new_scalar(const char *text);

/*
 * Append an entry. Both always take ownership of value / item: on failure
 * (-1: a duplicate key, not a map / list, a NULL argument, out of memory)
 * it is freed, so conf_map_add(m, "k", conf_new_scalar("v")) never leaks.
 * The key is copied.
 */
int conf_map_add(struct conf_node *map, const char *key,
		 struct conf_node *value);
int conf_list_add(struct conf_node *list, struct conf_node *item);

#endif

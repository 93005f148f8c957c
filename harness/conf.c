/*
 * conf.c - the YAML subset of conf.h: a line-at-a-time recursive descent
 * parser with every size bounded, and the writer that is its inverse.
 *
 * Each recursion level of the parser opens a collection, and collections
 * are at most CONF_MAX_DEPTH deep, so the recursion is bounded whatever the
 * input. Duplicate keys are found with one hash table shared by all the maps
 * of a document, so a map with many keys stays linear.
 */
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Longest piece of a bad line quoted back in an error message. */
#define QUOTE_MAX 40

/* One line with content: s is its first non-space byte, at column indent. */
struct line {
	int no;
	int indent;
	const char *s;
	size_t len; /* up to the line end, CR LF excluded */
};

/* A slot of the duplicate-key table: key idx of map (map NULL: empty). */
struct kslot {
	const struct conf_node *map;
	size_t idx;
	uint64_t hash;
};

struct parser {
	const char *name;
	const char *buf;
	size_t len, pos;
	int lineno;	 /* number of the last line read */
	struct line cur; /* the current line, if have */
	bool have, seen; /* seen: a content line was read (for "---") */
	bool failed;
	size_t nodes;
	struct kslot *slot;
	size_t cap, used;
	char *scratch; /* for unescaping: room for the longest line */
	char *err;
	size_t errlen;
};

enum ctx { CTX_VALUE, CTX_ITEM, CTX_FLOW };

/* Format "NAME:LINE: message" into err; only the first error is kept. */
__attribute__((format(printf, 3, 4))) static int
fail(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return -1;
	p->failed = true;
	if (!p->err || !p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static size_t skip_ws(const struct line *l, size_t i)
{
	while (i < l->len && is_ws(l->s[i]))
		i++;
	return i;
}

/* Nothing but spaces and maybe a comment from s[i] to the line end. */
static bool rest_empty(const struct line *l, size_t i)
{
	size_t j = skip_ws(l, i);

	return j == l->len ||
	       (l->s[j] == '#' && (j == 0 || is_ws(l->s[j - 1])));
}

/* A "- " or "-" line. */
static bool is_item(const struct line *l)
{
	return l->s[0] == '-' && (l->len == 1 || is_ws(l->s[1]));
}

/*
 * Length of the valid UTF-8 sequence at s (n bytes available), or 0.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 2, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/*
 * Where the first byte that may not be in a text is: not UTF-8, or a control
 * character other than TAB (and LF if lf). n if there is none.
 */
static size_t bad_byte(const char *s, size_t n, bool lf)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((u[i] < 0x20 && u[i] != '\t' && !(lf && u[i] == '\n')) ||
		    u[i] == 0x7f || !(k = utf8_len(u + i, n - i)))
			return i;
		i += k;
	}
	return n;
}

/* Check one line's bytes, saying what is wrong with the first bad one. */
static int check_bytes(struct parser *p, const char *s, size_t n)
{
	size_t i = bad_byte(s, n, false);
	unsigned char c = i < n ? (unsigned char)s[i] : 0;

	if (i == n)
		return 0;
	if (c == '\r')
		return fail(p, p->lineno,
			    "carriage return (CR) not followed by a line feed");
	if (c < 0x20 || c == 0x7f)
		return fail(p, p->lineno,
			    "control character 0x%02x is not allowed", c);
	return fail(p, p->lineno, "invalid UTF-8 (byte 0x%02x)", c);
}

/*
 * A printable excerpt of s for an error message: trailing spaces dropped,
 * cut at QUOTE_MAX bytes (on a character boundary) with "...", control
 * characters shown as spaces.
 */
static const char *show(char *buf, size_t size, const char *s, size_t n)
{
	size_t i, cut;

	while (n && is_ws(s[n - 1]))
		n--;
	cut = n > QUOTE_MAX ? QUOTE_MAX : n;
	while (cut < n && cut && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	if (cut + 4 > size)
		cut = 0;
	for (i = 0; i < cut; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	strcpy(buf + cut, cut < n ? "..." : "");
	return buf;
}

/* Where a comment starts in l after s[i] (or its length): for messages. */
static size_t text_end(const struct line *l, size_t i)
{
	size_t j;

	for (j = i + 1; j < l->len; j++)
		if (l->s[j] == '#' && is_ws(l->s[j - 1]))
			return j;
	return l->len;
}

/* Is this "---" / "..." (maybe then spaces and a comment)? */
static bool is_marker(const struct line *l, const char *m)
{
	return l->indent == 0 && l->len >= 3 && !memcmp(l->s, m, 3) &&
	       (l->len == 3 || is_ws(l->s[3]));
}

/* Markers and directives at column 0. 1: skip this line, 0: keep, -1. */
static int check_markers(struct parser *p, const struct line *l)
{
	if (is_marker(l, "---")) {
		if (p->seen)
			return fail(
			    p, l->no,
			    "several documents (\"---\") are not supported");
		if (!rest_empty(l, 3))
			return fail(p, l->no,
				    "nothing may follow \"---\" on its line");
		return 1;
	}
	if (is_marker(l, "..."))
		return fail(p, l->no,
			    "the document end marker \"...\" is not supported");
	if (l->indent == 0 && l->s[0] == '%')
		return fail(p, l->no, "directives (%%) are not supported");
	return 0;
}

/* Read up to the next line with content. 1: p->cur is it, 0: end, -1. */
static int scan(struct parser *p)
{
	while (p->pos < p->len && !p->failed) {
		const char *s = p->buf + p->pos;
		size_t n = p->len - p->pos, i = 0, j;
		const char *nl = memchr(s, '\n', n);
		int r;

		if (nl)
			n = (size_t)(nl - s);
		p->pos += n + (nl != NULL);
		p->lineno++;
		if (n && s[n - 1] == '\r')
			n--;
		if (check_bytes(p, s, n))
			return -1;
		while (i < n && s[i] == ' ')
			i++;
		for (j = i; j < n && is_ws(s[j]); j++)
			;
		if (j == n || s[j] == '#')
			continue;
		if (j != i)
			return fail(p, p->lineno,
				    "tabs are not allowed for indentation");
		p->cur = (struct line){p->lineno, (int)i, s + i, n - i};
		r = check_markers(p, &p->cur);
		p->seen = true;
		if (r < 0)
			return -1;
		if (r == 0) {
			p->have = true;
			return 1;
		}
	}
	return p->failed ? -1 : 0;
}

/* The current line in *l (1), or the end of the text (0), or -1. */
static int peek(struct parser *p, struct line **l)
{
	int r = p->have ? 1 : scan(p);

	*l = r == 1 ? &p->cur : NULL;
	return r;
}

static void consume(struct parser *p)
{
	p->have = false;
}

/* ---- nodes ---- */

/* Arrays grow to 4, 8, 16, ... entries: full when count is 0 or 2^k >= 4. */
static int grow(struct conf_node *n)
{
	size_t c = n->count, cap = c ? 2 * c : 4;
	void *t;

	if (c && (c < 4 || (c & (c - 1))))
		return 0;
	t = realloc(n->items, cap * sizeof *n->items);
	if (!t)
		return -1;
	n->items = t;
	if (n->kind != CONF_MAP)
		return 0;
	t = realloc(n->keys, cap * sizeof *n->keys);
	if (!t)
		return -1;
	n->keys = t;
	t = realloc(n->key_lines, cap * sizeof *n->key_lines);
	if (!t)
		return -1;
	n->key_lines = t;
	return 0;
}

static struct conf_node *node_new(enum conf_kind kind)
{
	struct conf_node *n = calloc(1, sizeof *n);

	if (n)
		n->kind = kind;
	return n;
}

struct conf_node *conf_new_map(void)
{
	return node_new(CONF_MAP);
}

struct conf_node *conf_new_list(void)
{
	return node_new(CONF_LIST);
}

struct conf_node *conf_new_scalar(const char *text)
{
	struct conf_node *n = text ? node_new(CONF_SCALAR) : NULL;

	if (n && !(n->text = strdup(text))) {
		free(n);
		return NULL;
	}
	return n;
}

void conf_free(struct conf_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->count; i++) {
		conf_free(n->items[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->key_lines);
	free(n->text);
	free(n);
}

const struct conf_node *conf_get(const struct conf_node *map, const char *key)
{
	size_t i;

	if (!map || map->kind != CONF_MAP || !key)
		return NULL;
	for (i = 0; i < map->count; i++)
		if (!strcmp(map->keys[i], key))
			return map->items[i];
	return NULL;
}

/* Append (key, value) to map, taking both; -1 (nothing taken) if no room. */
static int map_append(struct conf_node *map, char *key, int line,
		      struct conf_node *value)
{
	if (grow(map))
		return -1;
	map->keys[map->count] = key;
	map->key_lines[map->count] = line;
	map->items[map->count++] = value;
	return 0;
}

int conf_map_add(struct conf_node *map, const char *key,
		 struct conf_node *value)
{
	char *k = NULL;

	if (!map || map->kind != CONF_MAP || !key || !value ||
	    conf_get(map, key) || !(k = strdup(key)) ||
	    map_append(map, k, 0, value)) {
		free(k);
		conf_free(value);
		return -1;
	}
	return 0;
}

int conf_list_add(struct conf_node *list, struct conf_node *item)
{
	if (!list || list->kind != CONF_LIST || !item || grow(list)) {
		conf_free(item);
		return -1;
	}
	list->items[list->count++] = item;
	return 0;
}

/* A node made by the parser: counted against CONF_MAX_NODES. */
static struct conf_node *p_node(struct parser *p, enum conf_kind kind, int line,
				char *text)
{
	struct conf_node *n = NULL;

	if (p->nodes >= CONF_MAX_NODES)
		fail(p, line, "too many values (the limit is %d)",
		     CONF_MAX_NODES);
	else if (!(n = node_new(kind)))
		fail(p, line, "out of memory");
	if (n) {
		p->nodes++;
		n->line = line;
		n->text = text;
	} else {
		free(text);
	}
	return n;
}

/* ---- the duplicate-key table ---- */

static uint64_t key_hash(const struct conf_node *map, const char *k)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)(uintptr_t)map;

	while (*k)
		h = (h ^ (unsigned char)*k++) * 1099511628211ull;
	return h ^ h >> 29;
}

/* The slot holding key of map, or the empty slot where it would go. */
static struct kslot *ks_find(struct parser *p, const struct conf_node *map,
			     const char *key, uint64_t h)
{
	size_t m = p->cap - 1, i = (size_t)h & m;
	struct kslot *e;

	for (;; i = (i + 1) & m) {
		e = &p->slot[i];
		if (!e->map || (e->map == map && e->hash == h &&
				!strcmp(map->keys[e->idx], key)))
			return e;
	}
}

/* Room for one more key: the table stays at most half full. */
static int ks_reserve(struct parser *p)
{
	struct kslot *old = p->slot, *e;
	size_t oldcap = p->cap, i;

	if (2 * (p->used + 1) <= p->cap)
		return 0;
	p->cap = oldcap ? 2 * oldcap : 64;
	p->slot = calloc(p->cap, sizeof *p->slot);
	if (!p->slot) {
		p->slot = old;
		p->cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++) {
		if (!old[i].map)
			continue;
		e = ks_find(p, old[i].map, old[i].map->keys[old[i].idx],
			    old[i].hash);
		*e = old[i];
	}
	free(old);
	return 0;
}

/* ---- scalars and flow lists ---- */

static int too_deep(struct parser *p, int line, int depth)
{
	if (depth <= CONF_MAX_DEPTH)
		return 0;
	return fail(p, line, "nesting is too deep (more than %d levels)",
		    CONF_MAX_DEPTH);
}

static bool is_empty_map(const struct line *l, size_t i)
{
	return i + 1 < l->len && l->s[i] == '{' && l->s[i + 1] == '}';
}

/*
 * The quoted scalar at s[*i] (a ' or "), unescaped into a new string; *i
 * moves past the closing quote. It is built in p->scratch, which has room
 * for any line, and then copied at its own size.
 */
static int scan_quoted(struct parser *p, const struct line *l, size_t *i,
		       char **out)
{
	const char *s = l->s;
	char q = s[*i], c, *t = p->scratch;
	size_t j = *i + 1, k = 0;

	if (!t && !(t = p->scratch = malloc(p->len + 1)))
		return fail(p, l->no, "out of memory");
	while (j < l->len) {
		c = s[j++];
		if (c == q && q == '\'' && j < l->len && s[j] == '\'') {
			j++;
		} else if (c == q) {
			*i = j;
			if (!(*out = strndup(t, k)))
				return fail(p, l->no, "out of memory");
			return 0;
		} else if (c == '\\' && q == '"' && j < l->len) {
			c = s[j++];
			if (c == 'n' || c == 't')
				c = c == 'n' ? '\n' : '\t';
			else if (c != '"' && c != '\\' && c > ' ' && c < 0x7f)
				return fail(
				    p, l->no,
				    "unknown escape \"\\%c\" (only \\\" "
				    "\\\\ \\n and \\t are supported)",
				    c);
			else if (c != '"' && c != '\\')
				return fail(p, l->no,
					    "a backslash must be followed by "
					    "one of \" \\ n t");
		}
		t[k++] = c;
	}
	return fail(
	    p, l->no,
	    "unterminated %s-quoted value (quotes must close on the same line)",
	    q == '"' ? "double" : "single");
}

/*
 * If s[*i] starts a key (a word or a quoted scalar, then ":" and a space or
 * the line end): 1, with *key a new string and *i just past the ":". 0 if
 * it is not a key, -1 on error.
 */
static int scan_key(struct parser *p, const struct line *l, size_t *i,
		    char **key)
{
	const char *s = l->s;
	size_t j = *i;
	char *t = NULL;

	if (s[j] == '"' || s[j] == '\'') {
		if (scan_quoted(p, l, &j, &t))
			return -1;
	} else {
		while (j < l->len && is_word(s[j]))
			j++;
	}
	if (j == *i || j == l->len || s[j] != ':' ||
	    (j + 1 < l->len && !is_ws(s[j + 1]))) {
		free(t);
		return 0;
	}
	if (!t && !(t = strndup(s + *i, j - *i)))
		return fail(p, l->no, "out of memory");
	*key = t;
	*i = j + 1;
	return 1;
}

/* Indicators that may not start a plain scalar, with what each means. */
static int check_start(struct parser *p, const struct line *l, size_t i,
		       enum ctx ctx)
{
	char c = l->s[i], d = i + 1 < l->len ? l->s[i + 1] : ' ';
	bool sep = is_ws(d) || (ctx == CTX_FLOW && (d == ',' || d == ']'));

	switch (c) {
	case '&':
		return fail(p, l->no, "anchors (&) are not supported");
	case '*':
		return fail(p, l->no, "aliases (*) are not supported");
	case '!':
		return fail(p, l->no, "tags (!) are not supported");
	case '|':
	case '>':
		return fail(
		    p, l->no,
		    "multi-line block scalars (| and >) are not supported");
	case '{':
		return fail(p, l->no,
			    "flow maps {...} are not supported (only the empty "
			    "map {}); use indented \"key: value\" lines");
	case '%':
	case '@':
	case '`':
	case '#':
	case ',':
	case ']':
	case '}':
		return fail(
		    p, l->no,
		    "a plain value cannot start with '%c'; quote the value", c);
	case '?':
		if (sep)
			return fail(p, l->no,
				    "complex keys (?) are not supported");
		if (ctx == CTX_FLOW) /* others read "[?x]" as a map */
			return fail(p, l->no,
				    "a plain value cannot start with '?' in "
				    "[...]; quote the value");
		break;
	case ':':
		if (sep || ctx == CTX_FLOW)
			return fail(p, l->no,
				    "a plain value cannot start with '%c' "
				    "here; quote the value",
				    c);
		break;
	case '-':
		if (sep && ctx == CTX_VALUE)
			return fail(
			    p, l->no,
			    "a list cannot start on the line of its key; put "
			    "each \"- item\" on a line of its own");
		if (sep)
			return fail(p, l->no,
				    "a plain value cannot start with \"- \"; "
				    "quote the value");
		break;
	}
	return 0;
}

/*
 * The plain scalar at s[*i]: up to a comment or the line end (in a flow list
 * also "," or "]"), trailing spaces trimmed. *i moves to its end.
 */
static int scan_plain(struct parser *p, const struct line *l, size_t *i,
		      enum ctx ctx, char **out)
{
	const char *s = l->s;
	size_t j, end = *i;
	char b[QUOTE_MAX + 8];

	if (check_start(p, l, *i, ctx))
		return -1;
	for (j = *i; j < l->len; j++) {
		char c = s[j];
		bool sep = j + 1 == l->len || is_ws(s[j + 1]);

		if (c == '#' && is_ws(s[j - 1]))
			break;
		if (ctx == CTX_FLOW && (c == ',' || c == ']'))
			break;
		if (ctx == CTX_FLOW &&
		    (c == ':' && (sep || s[j + 1] == ',' || s[j + 1] == ']')))
			return fail(
			    p, l->no,
			    "\"key: value\" inside [...] is not supported");
		if (ctx == CTX_FLOW && strchr("[{}?", c))
			return fail(
			    p, l->no,
			    "'%c' inside a value in [...]; quote the value", c);
		if (c == ':' && sep && ctx == CTX_ITEM)
			return fail(
			    p, l->no,
			    "invalid key \"%s\" (keys are letters, digits, "
			    "'_', '.' and '-'; quote other keys)",
			    show(b, sizeof b, s + *i, j - *i));
		if (c == ':' && sep)
			return fail(p, l->no,
				    "a value cannot contain \": \" or end with "
				    "\":\"; quote the value");
		if (!is_ws(c))
			end = j + 1;
	}
	if (!(*out = strndup(s + *i, end - *i)))
		return fail(p, l->no, "out of memory");
	*i = end;
	return 0;
}

/* The "{}" at s[*i]: an empty map. */
static struct conf_node *empty_map(struct parser *p, const struct line *l,
				   size_t *i, int depth)
{
	if (too_deep(p, l->no, depth))
		return NULL;
	*i += 2;
	return p_node(p, CONF_MAP, l->no, NULL);
}

/* One scalar (quoted or plain) at s[*i] as a new node. */
static struct conf_node *scalar_at(struct parser *p, const struct line *l,
				   size_t *i, enum ctx ctx)
{
	char *t;
	int r;

	if (l->s[*i] == '"' || l->s[*i] == '\'')
		r = scan_quoted(p, l, i, &t);
	else
		r = scan_plain(p, l, i, ctx, &t);
	return r ? NULL : p_node(p, CONF_SCALAR, l->no, t);
}

/* The flow list at s[*i] ("["), to its "]" on the same line. */
static struct conf_node *flow_list(struct parser *p, const struct line *l,
				   size_t *i, int depth)
{
	const char *s = l->s;
	size_t j = skip_ws(l, *i + 1);
	struct conf_node *list, *item;
	char b[QUOTE_MAX + 8];

	if (too_deep(p, l->no, depth) ||
	    !(list = p_node(p, CONF_LIST, l->no, NULL)))
		return NULL;
	while (j == l->len || s[j] != ']') {
		if (rest_empty(l, j))
			goto unterminated;
		if (s[j] == ',') {
			fail(p, l->no, "empty item in a [...] list");
			goto out;
		}
		if (s[j] == '[')
			item = flow_list(p, l, &j, depth + 1);
		else if (is_empty_map(l, j))
			item = empty_map(p, l, &j, depth + 1);
		else
			item = scalar_at(p, l, &j, CTX_FLOW);
		if (!item)
			goto out;
		if (conf_list_add(list, item)) {
			fail(p, l->no, "out of memory");
			goto out;
		}
		j = skip_ws(l, j);
		if (rest_empty(l, j))
			goto unterminated;
		if (s[j] == ']')
			break;
		if (s[j] != ',') {
			fail(
			    p, l->no,
			    "expected ',' or ']' in a [...] list, found \"%s\"",
			    show(b, sizeof b, s + j, text_end(l, j) - j));
			goto out;
		}
		j = skip_ws(l, j + 1); /* "[a, b,]" is allowed */
	}
	*i = j + 1;
	return list;
unterminated:
	fail(p, l->no,
	     "unterminated [...] list (it must end with ']' on the same line)");
out:
	conf_free(list);
	return NULL;
}

/* ---- blocks ---- */

static struct conf_node *parse_map(struct parser *p, int indent, int depth);
static struct conf_node *parse_list(struct parser *p, int indent, bool same_col,
				    int depth);

static int bad_indent(struct parser *p, const struct line *l, int want)
{
	return fail(p, l->no, "unexpected indentation (%d spaces, expected %d)",
		    l->indent, want);
}

/* Say why a line where a key was expected does not start with one. */
static int not_a_key(struct parser *p, const struct line *l)
{
	const char *s = l->s;
	size_t w = 0, n = text_end(l, 0), j;
	char b[QUOTE_MAX + 8];

	show(b, sizeof b, s, n);
	if (is_item(l))
		return fail(
		    p, l->no,
		    "expected \"key: value\", found the list item \"%s\"", b);
	while (w < n && is_word(s[w]))
		w++;
	if (w && w < n && s[w] == ':')
		return fail(p, l->no, "missing space after ':' in \"%s\"", b);
	if (strchr("&*!|>{?", s[0]) && check_start(p, l, 0, CTX_VALUE))
		return -1;
	for (j = 0; j < n; j++)
		if (s[j] == ':' && (j + 1 == n || is_ws(s[j + 1])))
			return fail(
			    p, l->no,
			    "invalid key \"%s\" (keys are letters, digits, "
			    "'_', '.' and '-'; quote other keys)",
			    show(b, sizeof b, s, j));
	return fail(p, l->no,
		    "expected \"key: value\" or \"- item\", found \"%s\"", b);
}

static struct conf_node *empty_scalar(struct parser *p, int line)
{
	char *t = strdup("");

	if (!t) {
		fail(p, line, "out of memory");
		return NULL;
	}
	return p_node(p, CONF_SCALAR, line, t);
}

/*
 * The value of "key:" or "-" alone on its line, at column col: the more
 * indented block that follows, a list at the key's own column, or "".
 */
static struct conf_node *parse_block(struct parser *p, int col, bool key,
				     int line, int depth)
{
	struct line *l;
	int r = peek(p, &l);

	if (r < 0)
		return NULL;
	if (r && l->indent > col && is_item(l))
		return parse_list(p, l->indent, false, depth);
	if (r && l->indent > col)
		return parse_map(p, l->indent, depth);
	if (r && key && l->indent == col && is_item(l))
		return parse_list(p, col, true, depth);
	return empty_scalar(p, line);
}

/*
 * What follows "key: " or "- " on the line, from s[i]: a scalar, a [...]
 * list or {}, then nothing but a comment.
 */
static struct conf_node *parse_rest(struct parser *p, struct line *l, size_t i,
				    enum ctx ctx, int depth)
{
	const char *after = "the closing quote";
	struct conf_node *n;
	char b[QUOTE_MAX + 8];

	if (is_empty_map(l, i)) {
		n = empty_map(p, l, &i, depth);
		after = "{}";
	} else if (l->s[i] == '[') {
		n = flow_list(p, l, &i, depth);
		after = "']'";
	} else {
		n = scalar_at(p, l, &i, ctx);
	}
	i = skip_ws(l, i);
	if (n && !rest_empty(l, i)) {
		fail(p, l->no, "unexpected text after %s: \"%s\"", after,
		     show(b, sizeof b, l->s + i, text_end(l, i) - i));
		conf_free(n);
		return NULL;
	}
	consume(p);
	return n;
}

/* One "key: ..." line (and the block under it) into map. */
static int parse_entry(struct parser *p, struct line *l, struct conf_node *map,
		       int depth)
{
	int line = l->no, col = l->indent, r;
	struct conf_node *v;
	struct kslot *e;
	size_t i = 0;
	char *key, b[QUOTE_MAX + 8];
	uint64_t h;

	r = scan_key(p, l, &i, &key);
	if (r <= 0)
		return r < 0 ? -1 : not_a_key(p, l);
	h = key_hash(map, key);
	if (ks_reserve(p)) {
		free(key);
		return fail(p, line, "out of memory");
	}
	e = ks_find(p, map, key, h);
	if (e->map) {
		r = fail(p, line, "duplicate key \"%s\" (already at line %d)",
			 show(b, sizeof b, key, strlen(key)),
			 map->key_lines[e->idx]);
		free(key);
		return r;
	}
	i = skip_ws(l, i);
	if (rest_empty(l, i)) {
		consume(p);
		v = parse_block(p, col, true, line, depth + 1);
	} else {
		v = parse_rest(p, l, i, CTX_VALUE, depth + 1);
	}
	if (!v || map_append(map, key, line, v)) {
		free(key);
		conf_free(v);
		return fail(p, line, "out of memory");
	}
	/* the value's own maps may have moved the table: look again */
	if (ks_reserve(p))
		return fail(p, line, "out of memory");
	e = ks_find(p, map, key, h);
	*e = (struct kslot){map, map->count - 1, h};
	p->used++;
	return 0;
}

/* The entries at column indent, from the current line on. */
static struct conf_node *parse_map(struct parser *p, int indent, int depth)
{
	struct conf_node *map;
	struct line *l;

	if (peek(p, &l) <= 0 || too_deep(p, l->no, depth) ||
	    !(map = p_node(p, CONF_MAP, l->no, NULL)))
		return NULL;
	while (peek(p, &l) > 0 && l->indent >= indent) {
		if (l->indent > indent) {
			bad_indent(p, l, indent);
			break;
		}
		if (parse_entry(p, l, map, depth))
			break;
	}
	if (p->failed) {
		conf_free(map);
		return NULL;
	}
	return map;
}

/*
 * One "- ..." line and what belongs to it. What follows "- " on the line,
 * if it is "key: ..." or "- ...", starts a block at its own column: the
 * line is cut there and parsed again as that block's first line.
 */
static struct conf_node *parse_item(struct parser *p, struct line *l, int depth)
{
	size_t i = 1, k = 0;
	bool tab = false;
	int r, line = l->no;
	char *key;

	while (i < l->len && is_ws(l->s[i]))
		tab |= l->s[i++] == '\t';
	if (rest_empty(l, i)) {
		consume(p);
		return parse_block(p, l->indent, false, line, depth + 1);
	}
	if (tab) {
		fail(p, line, "tabs are not allowed for indentation");
		return NULL;
	}
	l->s += i;
	l->len -= i;
	l->indent += (int)i;
	if (is_item(l))
		return parse_list(p, l->indent, false, depth + 1);
	r = scan_key(p, l, &k, &key);
	if (r < 0)
		return NULL;
	if (r) {
		free(key);
		return parse_map(p, l->indent, depth + 1);
	}
	return parse_rest(p, l, 0, CTX_ITEM, depth + 1);
}

/* The items at column indent; same_col: the list of a key at that column. */
static struct conf_node *parse_list(struct parser *p, int indent, bool same_col,
				    int depth)
{
	struct conf_node *list, *item;
	struct line *l;
	char b[QUOTE_MAX + 8];
	int no;

	if (peek(p, &l) <= 0 || too_deep(p, l->no, depth) ||
	    !(list = p_node(p, CONF_LIST, l->no, NULL)))
		return NULL;
	while (peek(p, &l) > 0 && l->indent >= indent) {
		if (l->indent > indent) {
			bad_indent(p, l, indent);
			break;
		}
		if (!is_item(l) && same_col)
			break;
		if (!is_item(l)) {
			fail(p, l->no,
			     "expected \"- item\" like the lines above, found "
			     "\"%s\"",
			     show(b, sizeof b, l->s, text_end(l, 0)));
			break;
		}
		no = l->no;
		item = parse_item(p, l, depth);
		if (!item || conf_list_add(list, item)) {
			fail(p, no, "out of memory");
			break;
		}
	}
	if (p->failed) {
		conf_free(list);
		return NULL;
	}
	return list;
}

/* The whole document: a map, or nothing. */
static struct conf_node *parse_doc(struct parser *p)
{
	struct conf_node *root;
	struct line *l;
	int r = peek(p, &l), indent;

	if (r <= 0)
		return r ? NULL : p_node(p, CONF_MAP, 1, NULL);
	if (is_item(l)) {
		fail(p, l->no,
		     "the document must be a map of \"key: value\" lines, not "
		     "a list");
		return NULL;
	}
	indent = l->indent;
	root = parse_map(p, indent, 1);
	if (root && peek(p, &l) > 0)
		bad_indent(p, l, indent);
	if (p->failed) {
		conf_free(root);
		return NULL;
	}
	return root;
}

int conf_parse(const char *text, size_t len, const char *name,
	       struct conf_node **out, char *err, size_t errlen)
{
	struct parser p = {.name = name ? name : "<input>",
			   .buf = text,
			   .len = text ? len : 0,
			   .err = err,
			   .errlen = errlen};

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -1;
	*out = NULL;
	if (len > CONF_MAX_BYTES) {
		if (err && errlen)
			snprintf(err, errlen,
				 "%s: too large (more than %u bytes)", p.name,
				 CONF_MAX_BYTES);
		return -1;
	}
	if (p.len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		p.pos = 3; /* a byte order mark */
	*out = parse_doc(&p);
	free(p.slot);
	free(p.scratch);
	return *out ? 0 : -1;
}

int conf_parse_file(const char *path, struct conf_node **out, char *err,
		    size_t errlen)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *t;
	FILE *f;
	int r = -1;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		goto out;
	/* read at most one byte more than the limit: enough to refuse */
	while (len <= CONF_MAX_BYTES) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			cap = cap > CONF_MAX_BYTES ? CONF_MAX_BYTES + 1 : cap;
			if (!(t = realloc(buf, cap)))
				goto out;
			buf = t;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		goto out;
	r = conf_parse(buf, len, path, out, err, errlen);
	free(buf);
	fclose(f);
	return r;
out:
	if (err && errlen)
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno ? errno : EIO));
	free(buf);
	if (f)
		fclose(f);
	return -1;
}

/* ---- writing ---- */

static bool is_plain_key(const char *s)
{
	if (!*s)
		return false;
	while (is_word(*s))
		s++;
	return !*s;
}

/* Can s be written without quotes, and read back as the same text? */
static bool plain_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || is_ws(s[n - 1]) || s[n - 1] == ':')
		return false;
	if (strchr("?:,[]{}#&*!|>'\"%@` \t", s[0]) ||
	    (s[0] == '-' && (n == 1 || is_ws(s[1]))))
		return false;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] == ':' && is_ws(s[i + 1]))
			return false;
		if (s[i] == '#' && is_ws(s[i - 1]))
			return false;
	}
	return true;
}

/*
 * A key, a scalar, or a scalar in [...] (ctx CTX_FLOW): plain when that
 * reads back the same, else double-quoted.
 */
static int emit_text(FILE *f, const char *s, enum ctx ctx, bool key)
{
	size_t n = s ? strlen(s) : 0, i;

	if (!s || bad_byte(s, n, true) < n)
		return -1;
	if (key ? is_plain_key(s)
		: plain_ok(s) && (ctx != CTX_FLOW || !strpbrk(s, ",[]{}?:#"))) {
		fputs(s, f);
		return 0;
	}
	fputc('"', f);
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fputc('\\', f);
		if (s[i] == '\n')
			fputs("\\n", f);
		else if (s[i] == '\t')
			fputs("\\t", f);
		else
			fputc(s[i], f);
	}
	fputc('"', f);
	return 0;
}

/* A short list of scalars is written on one line, as [a, b]. */
static bool fits_flow(const struct conf_node *l)
{
	size_t i, width = 0;

	for (i = 0; i < l->count; i++) {
		if (l->items[i]->kind != CONF_SCALAR || !l->items[i]->text)
			return false;
		width += strlen(l->items[i]->text) + 2;
	}
	return width <= 60;
}

static int emit_flow(FILE *f, const struct conf_node *l)
{
	size_t i;

	fputs(" [", f);
	for (i = 0; i < l->count; i++) {
		if (i)
			fputs(", ", f);
		if (emit_text(f, l->items[i]->text, CTX_FLOW, false))
			return -1;
	}
	fputc(']', f);
	return 0;
}

static int emit_value(FILE *f, const struct conf_node *v, int indent, bool item,
		      int depth);

/* The entries of m at column indent (the first one already placed if
 * inline_first: it follows a list's "- "). */
static int emit_map(FILE *f, const struct conf_node *m, int indent,
		    bool inline_first, int depth)
{
	size_t i;

	for (i = 0; i < m->count; i++) {
		if (i || !inline_first)
			fprintf(f, "%*s", indent, "");
		if (emit_text(f, m->keys[i], CTX_VALUE, true))
			return -1;
		fputc(':', f);
		if (emit_value(f, m->items[i], indent, false, depth))
			return -1;
	}
	return 0;
}

static int emit_list(FILE *f, const struct conf_node *l, int indent, int depth)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		fprintf(f, "%*s-", indent, "");
		if (emit_value(f, l->items[i], indent, true, depth))
			return -1;
	}
	return 0;
}

/*
 * What follows the "key:" or "-" (item) of a block at column indent, in a
 * collection at depth: v, on this line or as a block under it.
 */
static int emit_value(FILE *f, const struct conf_node *v, int indent, bool item,
		      int depth)
{
	if (!v || (v->kind != CONF_SCALAR && depth >= CONF_MAX_DEPTH))
		return -1;
	if (v->kind == CONF_SCALAR) {
		fputc(' ', f);
		if (emit_text(f, v->text, CTX_VALUE, false))
			return -1;
	} else if (v->kind == CONF_MAP && v->count == 0) {
		fputs(" {}", f);
	} else if (v->kind == CONF_LIST && fits_flow(v)) {
		if (emit_flow(f, v))
			return -1;
	} else if (v->kind == CONF_MAP && item) {
		fputc(' ', f);
		return emit_map(f, v, indent + 2, true, depth + 1);
	} else {
		fputc('\n', f);
		if (v->kind == CONF_MAP)
			return emit_map(f, v, indent + 2, false, depth + 1);
		return emit_list(f, v, indent + 2, depth + 1);
	}
	fputc('\n', f);
	return 0;
}

/* Written to memory first, so that nothing is written if n cannot be. */
int conf_emit(FILE *out, const struct conf_node *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	if (!out || !n || n->kind != CONF_MAP)
		return -1;
	m = open_memstream(&buf, &len);
	if (!m)
		return -1;
	r = emit_map(m, n, 0, false, 1);
	if (fclose(m) || r) {
		free(buf);
		return -1;
	}
	r = fwrite(buf, 1, len, out) == len && !ferror(out) ? 0 : -1;
	free(buf);
	return r;
}

/*
 * test_conf.c - the YAML subset of scenario and campaign files: what each
 * accepted form means, the exact line and message of every refusal, the
 * limits, the writer as the parser's inverse, and thousands of mutated
 * documents that must be refused or accepted, never crash.
 */
#include "conf.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

/* Parse s (as file "t.yaml"), which must be accepted. */
static struct conf_node *ok(const char *s)
{
	struct conf_node *n = NULL;

	err[0] = '\0';
	cr_assert_eq(conf_parse(s, strlen(s), "t.yaml", &n, err, sizeof err), 0,
		     "refused: %s\n--- input:\n%.300s", err, s);
	cr_assert_not_null(n);
	cr_assert_eq(n->kind, CONF_MAP);
	return n;
}

/* s must be refused with "t.yaml:LINE: ..." containing what. */
static void bad_n(const char *s, size_t len, int line, const char *what)
{
	struct conf_node *n = (struct conf_node *)1;
	char prefix[64];

	err[0] = '\0';
	cr_assert_eq(conf_parse(s, len, "t.yaml", &n, err, sizeof err), -1,
		     "accepted:\n%.300s", s);
	cr_assert_null(n);
	snprintf(prefix, sizeof prefix, "t.yaml:%d: ", line);
	cr_assert(!strncmp(err, prefix, strlen(prefix)),
		  "want line %d, got \"%s\" for:\n%.300s", line, err, s);
	cr_assert(strstr(err, what), "want \"%s\" in \"%s\" for:\n%.300s", what,
		  err, s);
}

static void bad(const char *s, int line, const char *what)
{
	bad_n(s, strlen(s), line, what);
}

/*
 * The node at path from n: "/"-separated map keys and list indexes, e.g.
 * "nodes/2/name". Fails the test if there is none.
 */
static const struct conf_node *at(const struct conf_node *n, const char *path)
{
	char buf[256], *part, *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (part = strtok_r(buf, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		cr_assert_not_null(n, "no node at %s", path);
		if (n->kind == CONF_LIST) {
			size_t i = strtoul(part, NULL, 10);
			cr_assert_lt(i, n->count, "no item %zu in %s", i, path);
			n = n->items[i];
		} else {
			n = conf_get(n, part);
		}
	}
	cr_assert_not_null(n, "no node at %s", path);
	return n;
}

/* The text of the scalar at path. */
static const char *str(const struct conf_node *n, const char *path)
{
	n = at(n, path);
	cr_assert_eq(n->kind, CONF_SCALAR, "%s is not a scalar", path);
	return n->text;
}

/* The same tree (kinds, keys in order, texts), lines aside. */
static bool same(const struct conf_node *a, const struct conf_node *b)
{
	size_t i;

	if (a->kind != b->kind || a->count != b->count)
		return false;
	if (a->kind == CONF_SCALAR)
		return !strcmp(a->text, b->text);
	for (i = 0; i < a->count; i++) {
		if (a->kind == CONF_MAP && strcmp(a->keys[i], b->keys[i]))
			return false;
		if (!same(a->items[i], b->items[i]))
			return false;
	}
	return true;
}

/* conf_emit into a new string (to free), or NULL if it refused. */
static char *emit(const struct conf_node *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	cr_assert_not_null(f);
	r = conf_emit(f, n);
	fclose(f);
	if (r) {
		cr_assert_eq(len, 0, "a refused emit wrote nothing");
		free(buf);
		return NULL;
	}
	return buf;
}

/* emit(n) parses back to the same tree, and emitting that is stable. */
static void round_trip(const struct conf_node *n)
{
	char *text = emit(n), *again;
	struct conf_node *back = NULL;

	cr_assert_not_null(text, "emit refused");
	cr_assert_eq(
	    conf_parse(text, strlen(text), "emitted", &back, err, sizeof err),
	    0, "emitted text refused: %s\n%s", err, text);
	cr_assert(same(n, back), "round trip changed the tree:\n%s", text);
	again = emit(back);
	cr_assert_str_eq(again, text);
	free(again);
	free(text);
	conf_free(back);
}

Test(conf, maps_and_scalars)
{
	struct conf_node *n = ok("name: pbft run\n"
				 "n: 4\n"
				 "empty:\n"
				 "url: http://x:8080/a#b\n"
				 "neg: -5\n"
				 "odd: it's a \"plain\" value, [really]\n"
				 "spaced:    padded   \n"
				 "last: 1");

	cr_assert_eq(n->count, 8);
	cr_assert_str_eq(str(n, "name"), "pbft run");
	cr_assert_str_eq(str(n, "n"), "4");
	cr_assert_str_eq(str(n, "empty"), "");
	cr_assert_str_eq(str(n, "url"), "http://x:8080/a#b");
	cr_assert_str_eq(str(n, "neg"), "-5");
	cr_assert_str_eq(str(n, "odd"), "it's a \"plain\" value, [really]");
	cr_assert_str_eq(str(n, "spaced"), "padded");
	cr_assert_str_eq(str(n, "last"), "1");
	cr_assert_eq(n->key_lines[3], 4);
	cr_assert_eq(at(n, "empty")->line, 3);
	cr_assert_null(conf_get(n, "missing"));
	cr_assert_null(conf_get(NULL, "n"));
	cr_assert_null(conf_get(at(n, "n"), "n"));
	conf_free(n);
}

Test(conf, nested_maps_and_lists)
{
	struct conf_node *n = ok("cluster:\n"
				 "  n: 4\n"
				 "  net:\n"
				 "    loss: 0.02\n"
				 "    gst: 1s\n"
				 "  crashes:\n"
				 "    - 0\n"
				 "    - 3\n"
				 "protocols:\n"
				 "- pbft\n"
				 "- hotstuff\n"
				 "after: x\n");

	cr_assert_eq(n->count, 3);
	cr_assert_str_eq(str(n, "cluster/n"), "4");
	cr_assert_str_eq(str(n, "cluster/net/gst"), "1s");
	cr_assert_eq(at(n, "cluster/net")->kind, CONF_MAP);
	cr_assert_eq(at(n, "cluster/net")->line, 4);
	cr_assert_eq(at(n, "cluster/crashes")->kind, CONF_LIST);
	cr_assert_eq(at(n, "cluster/crashes")->count, 2);
	cr_assert_null(at(n, "cluster/crashes")->keys);
	cr_assert_str_eq(str(n, "cluster/crashes/1"), "3");
	cr_assert_eq(at(n, "cluster/crashes/1")->line, 8);
	/* a list at its key's own column */
	cr_assert_eq(at(n, "protocols")->count, 2);
	cr_assert_str_eq(str(n, "protocols/1"), "hotstuff");
	cr_assert_str_eq(str(n, "after"), "x");
	conf_free(n);
}

Test(conf, list_items_that_are_maps)
{
	struct conf_node *n = ok("faults:\n"
				 "  - kind: crash\n"
				 "    replica: 0\n"
				 "    at:\n"
				 "      ms: 300\n"
				 "  -   kind: drop\n"
				 "      to: [1, 2]\n"
				 "      rules:\n"
				 "      - a\n"
				 "      - b: 1\n"
				 "        c:\n"
				 "  -\n"
				 "    kind: late\n"
				 "  - - x\n"
				 "    - y\n"
				 "  -\n"
				 "  - - - deep\n"
				 "  - {}\n"
				 "  - []\n");
	const struct conf_node *f = at(n, "faults");

	cr_assert_eq(f->count, 8);
	cr_assert_eq(f->items[0]->kind, CONF_MAP);
	cr_assert_eq(f->items[0]->line, 2);
	cr_assert_str_eq(str(f, "0/kind"), "crash");
	cr_assert_str_eq(str(f, "0/replica"), "0");
	cr_assert_str_eq(str(f, "0/at/ms"), "300");
	cr_assert_str_eq(str(f, "1/kind"), "drop");
	cr_assert_str_eq(str(f, "1/to/1"), "2");
	cr_assert_str_eq(str(f, "1/rules/0"), "a");
	cr_assert_str_eq(str(f, "1/rules/1/b"), "1");
	cr_assert_str_eq(str(f, "1/rules/1/c"), "");
	cr_assert_str_eq(str(f, "2/kind"), "late");
	cr_assert_str_eq(str(f, "3/1"), "y");
	cr_assert_str_eq(str(f, "4"), "");
	cr_assert_str_eq(str(f, "5/0/0"), "deep");
	cr_assert_eq(at(f, "6")->kind, CONF_MAP);
	cr_assert_eq(at(f, "6")->count, 0);
	cr_assert_eq(at(f, "7")->kind, CONF_LIST);
	cr_assert_eq(at(f, "7")->count, 0);
	conf_free(n);
}

Test(conf, flow_lists)
{
	struct conf_node *n = ok("a: [x, y z , 'q, r', \"]\"]\n"
				 "b: []\n"
				 "c: [ [1, 2], [], [[3]] ]\n"
				 "d: [a, b,]  # trailing comma\n"
				 "e: [a#b, -1, x:y, {}]\n"
				 "f:\n"
				 "  - [1]\n"
				 "  - [ ]\n");

	cr_assert_eq(at(n, "a")->count, 4);
	cr_assert_str_eq(str(n, "a/1"), "y z");
	cr_assert_str_eq(str(n, "a/2"), "q, r");
	cr_assert_str_eq(str(n, "a/3"), "]");
	cr_assert_eq(at(n, "b")->kind, CONF_LIST);
	cr_assert_eq(at(n, "b")->count, 0);
	cr_assert_eq(at(n, "c")->count, 3);
	cr_assert_str_eq(str(n, "c/0/1"), "2");
	cr_assert_eq(at(n, "c/1")->count, 0);
	cr_assert_str_eq(str(n, "c/2/0/0"), "3");
	cr_assert_eq(at(n, "d")->count, 2);
	cr_assert_str_eq(str(n, "e/0"), "a#b");
	cr_assert_str_eq(str(n, "e/1"), "-1");
	cr_assert_str_eq(str(n, "e/2"), "x:y");
	cr_assert_eq(at(n, "e/3")->kind, CONF_MAP);
	cr_assert_str_eq(str(n, "f/0/0"), "1");
	cr_assert_eq(at(n, "f/1")->count, 0);
	conf_free(n);
}

Test(conf, quoting_and_escapes)
{
	struct conf_node *n = ok("a: \"x \\\"y\\\" \\\\ \\n\\t end\"\n"
				 "b: 'it''s # not a comment'\n"
				 "c: \"# nor this\"  # but this\n"
				 "d: 'a: b'\n"
				 "e: \"\"\n"
				 "f: ''\n"
				 "\"quoted key\": 1\n"
				 "'k: v': 2\n"
				 "g: '\\n stays'\n"
				 "h: \"  spaces kept  \"\n"
				 "i: \"tab\there\"\n"
				 "-: dash key\n"
				 "j: \"caf\xc3\xa9 \xe2\x9c\x93\"\n"
				 "l:\n"
				 "  - 'x' # c\n"
				 "  - \"y: z\"\n"
				 "  - \"k\": v\n");

	cr_assert_str_eq(str(n, "a"), "x \"y\" \\ \n\t end");
	cr_assert_str_eq(str(n, "b"), "it's # not a comment");
	cr_assert_str_eq(str(n, "c"), "# nor this");
	cr_assert_str_eq(str(n, "d"), "a: b");
	cr_assert_str_eq(str(n, "e"), "");
	cr_assert_str_eq(str(n, "f"), "");
	cr_assert_str_eq(conf_get(n, "quoted key")->text, "1");
	cr_assert_str_eq(conf_get(n, "k: v")->text, "2");
	cr_assert_str_eq(str(n, "g"), "\\n stays");
	cr_assert_str_eq(str(n, "h"), "  spaces kept  ");
	cr_assert_str_eq(str(n, "i"), "tab\there");
	cr_assert_str_eq(str(n, "-"), "dash key");
	cr_assert_str_eq(str(n, "j"), "caf\xc3\xa9 \xe2\x9c\x93");
	cr_assert_str_eq(str(n, "l/0"), "x");
	cr_assert_str_eq(str(n, "l/1"), "y: z");
	cr_assert_str_eq(str(n, "l/2/k"), "v");
	conf_free(n);
}

Test(conf, comments_everywhere)
{
	struct conf_node *n = ok("# leading comment\n"
				 "\n"
				 "a: 1 # after a value\n"
				 "   # indented oddly: ignored\n"
				 "b:   # after a key with a block\n"
				 "  # inside the block\n"
				 "  c: x#y   # '#' without a space before it\n"
				 "\t# a comment after a tab\n"
				 "  \t  \n"
				 "d:\n"
				 "  - # an item with a block\n"
				 "    e: 1\n"
				 "  - [1, 2] # after a flow list\n"
				 "  - {} # after an empty map\n"
				 "f: # nothing follows: empty\n"
				 "# trailing comment");

	cr_assert_eq(n->count, 4);
	cr_assert_str_eq(str(n, "a"), "1");
	cr_assert_str_eq(str(n, "b/c"), "x#y");
	cr_assert_str_eq(str(n, "d/0/e"), "1");
	cr_assert_eq(at(n, "d/1")->count, 2);
	cr_assert_eq(at(n, "d/2")->kind, CONF_MAP);
	cr_assert_str_eq(str(n, "f"), "");
	cr_assert_eq(n->key_lines[1], 5);
	cr_assert_eq(at(n, "d/0")->line, 12);
	conf_free(n);
}

Test(conf, crlf)
{
	struct conf_node *n = ok("---\r\n"
				 "a: 1\r\n"
				 "b:\r\n"
				 "  - \"x\"\r\n"
				 "  - y # c\r\n"
				 "\r\n"
				 "c: [1, 2]\r\n"
				 "d:\r\n"
				 "e: 'q'\r");

	cr_assert_str_eq(str(n, "a"), "1");
	cr_assert_str_eq(str(n, "b/0"), "x");
	cr_assert_str_eq(str(n, "b/1"), "y");
	cr_assert_str_eq(str(n, "c/1"), "2");
	cr_assert_str_eq(str(n, "d"), "");
	cr_assert_str_eq(str(n, "e"), "q");
	cr_assert_eq(n->key_lines[2], 7);
	conf_free(n);
}

Test(conf, empty_documents)
{
	const char *docs[] = {"",
			      "\n\n",
			      "# only a comment\n",
			      "---\n",
			      "--- # x\n# y\n",
			      "  \n\t\n",
			      "\xef\xbb\xbf",
			      "\r\n"};
	struct conf_node *n;
	size_t i;

	for (i = 0; i < sizeof docs / sizeof *docs; i++) {
		n = ok(docs[i]);
		cr_assert_eq(n->count, 0, "doc %zu", i);
		conf_free(n);
	}
	n = NULL;
	cr_assert_eq(conf_parse(NULL, 0, NULL, &n, err, sizeof err), 0);
	cr_assert_eq(n->count, 0);
	conf_free(n);
	n = ok("\xef\xbb\xbf---\na: 1\n");
	cr_assert_str_eq(str(n, "a"), "1");
	conf_free(n);
	n = ok("  a: 1\n  b:\n  - x\n"); /* an indented root */
	cr_assert_str_eq(str(n, "b/0"), "x");
	conf_free(n);
}

/* The example of the documentation, to the byte. */
Test(conf, message_format)
{
	const char *s = "a: 1\n\n\n\n\n\n\n\n\n\n\nfoo bar # c\n";
	struct conf_node *n;

	cr_assert_eq(
	    conf_parse(s, strlen(s), "campaigns/x.yaml", &n, err, sizeof err),
	    -1);
	cr_assert_str_eq(err, "campaigns/x.yaml:12: expected \"key: value\" or "
			      "\"- item\", found \"foo bar\"");
	/* a short buffer gets a cut message, never an overflow */
	cr_assert_eq(conf_parse(s, strlen(s), "campaigns/x.yaml", &n, err, 10),
		     -1);
	cr_assert_str_eq(err, "campaigns");
	cr_assert_eq(conf_parse(s, strlen(s), "x", &n, NULL, 0), -1);
}

Test(conf, errors)
{
	bad("a: 1\nfoo bar\n", 2,
	    "expected \"key: value\" or \"- item\", "
	    "found \"foo bar\"");
	bad("a: 1\n\"x\"\n", 2, "expected \"key: value\" or \"- item\"");
	bad("- a\n- b\n", 1, "the document must be a map");
	bad("a: 1\n  b: 2\n", 2,
	    "unexpected indentation (2 spaces, expected 0)");
	bad("a:\n    b: 1\n  c: 2\n", 3,
	    "unexpected indentation (2 spaces, "
	    "expected 0)");
	bad("  a: 1\nb: 2\n", 2,
	    "unexpected indentation (0 spaces, expected 2)");
	bad("a:\n  - x\n   - y\n", 3,
	    "unexpected indentation (3 spaces, "
	    "expected 2)");
	bad("a:\n  - k: 1\n     j: 2\n", 3, "unexpected indentation");
	bad("a:\n  - x\n  b: 1\n", 3,
	    "expected \"- item\" like the lines "
	    "above, found \"b: 1\"");
	bad("a:\n  b: 1\n  - x\n", 3,
	    "expected \"key: value\", found the "
	    "list item \"- x\"");
	bad("a: 1\n- x\n", 2, "found the list item \"- x\"");
	bad("key:value\n", 1, "missing space after ':' in \"key:value\"");
	bad("foo bar: 1\n", 1,
	    "invalid key \"foo bar\" (keys are letters, "
	    "digits, '_', '.' and '-'; quote other keys)");
	bad("a:\n  - foo bar: 1\n", 2, "invalid key \"foo bar\"");
	bad("a: b: c\n", 1,
	    "a value cannot contain \": \" or end with \":\"; "
	    "quote the value");
	bad("a: b:\n", 1, "a value cannot contain");
	bad("a: - b\n", 1, "a list cannot start on the line of its key");
	bad("a: &x 1\n", 1, "anchors (&) are not supported");
	bad("a: *x\n", 1, "aliases (*) are not supported");
	bad("a: !!int 1\n", 1, "tags (!) are not supported");
	bad("a: |\n  text\n", 1,
	    "multi-line block scalars (| and >) are not "
	    "supported");
	bad("a: >-\n  text\n", 1, "block scalars");
	bad("&a k: 1\n", 1, "anchors (&) are not supported");
	bad("? k\n: v\n", 1, "complex keys (?) are not supported");
	bad("a: {b: 1}\n", 1, "flow maps {...} are not supported");
	bad("{a: 1}\n", 1, "flow maps {...} are not supported");
	bad("a: [{b: 1}]\n", 1, "flow maps {...} are not supported");
	bad("a: [x: 1]\n", 1, "\"key: value\" inside [...] is not supported");
	bad("a: [x, y\n", 1,
	    "unterminated [...] list (it must end with ']' "
	    "on the same line)");
	bad("a: [x,\n  y]\n", 1, "unterminated [...] list");
	bad("a: [x #]\n", 1, "unterminated [...] list");
	bad("a: [x, , y]\n", 1, "empty item in a [...] list");
	bad("a: [,]\n", 1, "empty item");
	bad("a: ['x' y]\n", 1,
	    "expected ',' or ']' in a [...] list, found "
	    "\"y]\"");
	bad("a: [x]]\n", 1, "unexpected text after ']': \"]\"");
	bad("a: [x] y\n", 1, "unexpected text after ']'");
	bad("a: [a[b]]\n", 1, "'[' inside a value in [...]; quote the value");
	bad("a: \"x\" y\n", 1,
	    "unexpected text after the closing quote: "
	    "\"y\"");
	bad("a: \"x\"#c\n", 1, "unexpected text after the closing quote");
	bad("a: {}x\n", 1, "unexpected text after {}");
	bad("a: \"abc\nb: 1\n", 1,
	    "unterminated double-quoted value (quotes "
	    "must close on the same line)");
	bad("a: 'it''s\n", 1, "unterminated single-quoted value");
	bad("a: \"ab\\\"\n", 1, "unterminated double-quoted value");
	bad("a: 1\nb: \"a\\qb\"\n", 2,
	    "unknown escape \"\\q\" (only \\\" "
	    "\\\\ \\n and \\t are supported)");
	bad("a: \"\\\xc3\xa9\"\n", 1, "a backslash must be followed by");
	bad("a: 1\n---\nb: 2\n", 2,
	    "several documents (\"---\") are not "
	    "supported");
	bad("--- a: 1\n", 1, "nothing may follow \"---\" on its line");
	bad("a: 1\n...\n", 2,
	    "the document end marker \"...\" is not "
	    "supported");
	bad("%YAML 1.2\n---\na: 1\n", 1, "directives (%) are not supported");
	bad("a: @x\n", 1,
	    "a plain value cannot start with '@'; quote the "
	    "value");
	bad("a: `x`\n", 1, "cannot start with '`'");
	bad("a: ,x\n", 1, "cannot start with ','");
	bad("a: %x\n", 1, "cannot start with '%'");
	bad("a: : x\n", 1,
	    "a plain value cannot start with ':' here; quote "
	    "the value");
	bad("a: [:x]\n", 1, "cannot start with ':'");
	bad("a: [?x]\n", 1, "a plain value cannot start with '?' in [...]");
	bad("a: [a?b]\n", 1, "'?' inside a value in [...]; quote the value");
	bad("a: ? x\n", 1, "complex keys (?) are not supported");
	bad("a:\n  - - x\n  - 1: 2: 3\n", 3, "a value cannot contain");
	bad("a:\n  -\t- x\n", 2, "tabs are not allowed for indentation");
}

Test(conf, bad_bytes)
{
	bad("a: 1\nb: \x01\n", 2, "control character 0x01 is not allowed");
	bad("a: 1\x7f\n", 1, "control character 0x7f");
	bad_n("a: 1\nb: x\0y\n", 11, 2, "control character 0x00");
	bad("a: x\rb: y\n", 1,
	    "carriage return (CR) not followed by a line "
	    "feed");
	bad("a: \xff\n", 1, "invalid UTF-8 (byte 0xff)");
	bad("a: \xc0\x80\n", 1, "invalid UTF-8");	  /* overlong */
	bad("a: \xed\xa0\x80\n", 1, "invalid UTF-8");	  /* surrogate */
	bad("a: \xf4\x90\x80\x80\n", 1, "invalid UTF-8"); /* > U+10FFFF */
	bad("a: \xe2\x9c\n", 1, "invalid UTF-8");	  /* cut short */
	bad("# \xff in a comment\n", 1, "invalid UTF-8");
	/* a bad message excerpt is cut on a character boundary */
	bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9 b\n", 1,
	    "found \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
}

Test(conf, tabs)
{
	bad("a:\n\tb: 1\n", 2, "tabs are not allowed for indentation");
	bad("a:\n  \tb: 1\n", 2, "tabs are not allowed for indentation");
	bad("a:\n\t- x\n", 2, "tabs are not allowed for indentation");
	bad("a:\n  -\tb: 1\n", 2, "tabs are not allowed for indentation");

	/* TAB is whitespace inside a line, and on blank/comment lines */
	struct conf_node *n =
	    ok("a:\tx\t# c\n\t\n\t# c\nb:\t[1,\t2]\nc: x\t\n");
	cr_assert_str_eq(str(n, "a"), "x");
	cr_assert_str_eq(str(n, "b/1"), "2");
	cr_assert_eq(at(n, "c")->kind, CONF_SCALAR);
	conf_free(n);
}

Test(conf, duplicate_keys)
{
	struct conf_node *n;

	bad("a: 1\nb: 2\na: 3\n", 3, "duplicate key \"a\" (already at line 1)");
	bad("a: 1\n'a': 3\n", 2, "duplicate key \"a\" (already at line 1)");
	bad("x:\n  k: 1\n  j:\n    k: 2\n  k: 3\n", 5,
	    "duplicate key \"k\" (already at line 2)");
	bad("l:\n  - k: 1\n    k: 2\n", 3, "duplicate key \"k\"");
	bad("\"a\\nb\": 1\n\"a\\nb\": 2\n", 2, "duplicate key \"a b\"");
	/* the same key in different maps is fine */
	n = ok("k: 1\nm:\n  k: 2\nl:\n  - k: 3\n  - k: 4\n");
	cr_assert_str_eq(str(n, "l/1/k"), "4");
	conf_free(n);
}

/* Text for depth nested maps, each "kN:" under the last. */
static char *nested(int depth)
{
	static char buf[1 << 16];
	size_t len = 0;
	int i;

	cr_assert_leq(depth, 100);
	for (i = 0; i < depth - 1; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"%*sk%d:\n", 2 * i, "", i);
	snprintf(buf + len, sizeof buf - len, "%*sk%d: leaf\n", 2 * i, "", i);
	return buf;
}

Test(conf, depth_limit)
{
	struct conf_node *n;
	char flow[200];
	int i;

	/* the root map and 15 maps under it: 16 levels */
	n = ok(nested(16));
	conf_free(n);
	bad(nested(17), 17, "nesting is too deep (more than 16 levels)");
	bad(nested(100), 17, "nesting is too deep");

	/* flow lists count: the root and 15 [ are fine, 16 [ are not */
	memset(flow, 0, sizeof flow);
	strcpy(flow, "a: ");
	for (i = 0; i < 16; i++)
		strcat(flow, "[");
	for (i = 0; i < 16; i++)
		strcat(flow, "]");
	bad(flow, 1, "nesting is too deep");
	memmove(flow + 3, flow + 4, strlen(flow + 4) + 1);
	flow[strlen(flow) - 1] = '\0';
	n = ok(flow);
	conf_free(n);

	/* "- - - ..." too */
	memset(flow, 0, sizeof flow);
	strcpy(flow, "a:\n");
	for (i = 0; i < 20; i++)
		strcat(flow, "- ");
	strcat(flow, "x\n");
	bad(flow, 2, "nesting is too deep");
}

Test(conf, size_limits)
{
	size_t big = CONF_MAX_BYTES + 1, i;
	char *s = malloc(big);
	struct conf_node *n;

	cr_assert_not_null(s);
	/* exactly the limit: accepted */
	memset(s, '#', big);
	for (i = 99; i < big; i += 100)
		s[i] = '\n';
	memcpy(s, "a: 1\n", 5);
	cr_assert_eq(conf_parse(s, CONF_MAX_BYTES, "big", &n, err, sizeof err),
		     0, "%s", err);
	cr_assert_str_eq(str(n, "a"), "1");
	conf_free(n);
	/* one byte more: refused before looking at it */
	cr_assert_eq(conf_parse(s, big, "big", &n, err, sizeof err), -1);
	cr_assert_null(n);
	cr_assert_str_eq(err, "big: too large (more than 1048576 bytes)");

	/* too many nodes: a long flow list */
	memcpy(s, "a: [", 4);
	for (i = 4; i + 2 < CONF_MAX_BYTES; i += 2)
		memcpy(s + i, "x,", 2);
	memcpy(s + i, "]\n", 2);
	cr_assert_eq(conf_parse(s, i + 2, "t.yaml", &n, err, sizeof err), -1);
	cr_assert_str_eq(err, "t.yaml:1: too many values (the limit is "
			      "200000)");
	free(s);
}

/* Many keys in one map (the duplicate check must not be quadratic). */
Test(conf, many_keys, .timeout = 20)
{
	size_t cap = CONF_MAX_BYTES, len = 0;
	char *s = malloc(cap);
	struct conf_node *n;
	int i;

	cr_assert_not_null(s);
	for (i = 0; i < 90000; i++)
		len += (size_t)snprintf(s + len, cap - len, "k%d: %d\n", i,
					i % 10);
	n = ok(s);
	cr_assert_eq(n->count, 90000);
	cr_assert_str_eq(str(n, "k77777"), "7");
	cr_assert_eq(n->key_lines[77777], 77778);
	conf_free(n);
	memcpy(s + len, "k5: x\n", 7);
	bad(s, 90001, "duplicate key \"k5\" (already at line 6)");
	free(s);
}

/* One long line of quoted items: memory stays proportional to the input. */
Test(conf, long_line, .timeout = 20)
{
	size_t cap = CONF_MAX_BYTES, len = 0;
	char *s = malloc(cap);
	struct conf_node *n;
	int i;

	cr_assert_not_null(s);
	len += (size_t)snprintf(s, cap, "a: [");
	for (i = 0; i < 150000; i++)
		len += (size_t)snprintf(s + len, cap - len, "'%d',", i % 10);
	snprintf(s + len, cap - len, "]\n");
	n = ok(s);
	cr_assert_eq(at(n, "a")->count, 150000);
	cr_assert_str_eq(str(n, "a/149999"), "9");
	conf_free(n);
	free(s);
}

static const char *rich = "# a campaign\n"
			  "name: threshold\n"
			  "protocols: [pbft, hotstuff]\n"
			  "empty:\n"
			  "none: []\n"
			  "nothing: {}\n"
			  "cluster:\n"
			  "  n: 4\n"
			  "  net: {}\n"
			  "  crashes:\n"
			  "  - replica: 0\n"
			  "    at: 300ms\n"
			  "    also:\n"
			  "      - [1, [2, 3], [], {}]\n"
			  "      -\n"
			  "      - - - x\n"
			  "        - 'y'\n"
			  "  - {}\n"
			  "  - []\n"
			  "  -\n"
			  "    - ''\n"
			  "quoting:\n"
			  "  - \"a: b\"\n"
			  "  - \"x # y\"\n"
			  "  - \" lead\"\n"
			  "  - \"trail \"\n"
			  "  - \"line\\nbreak\\ttab \\\"q\\\" \\\\\"\n"
			  "  - '- dash'\n"
			  "  - '[x'\n"
			  "  - -5\n"
			  "  - \"#\"\n"
			  "  - \"caf\xc3\xa9\"\n"
			  "  - \"end:\"\n"
			  "  - \"---\"\n"
			  "\"odd key\": 1\n"
			  "\"\": empty key\n"
			  "\"k\\nl\": 2\n"
			  "-: 3\n"
			  "...x: 4\n";

Test(conf, round_trip_parsed)
{
	struct conf_node *n = ok(rich);

	cr_assert_str_eq(str(n, "quoting/4"), "line\nbreak\ttab \"q\" \\");
	round_trip(n);
	conf_free(n);
	n = ok("");
	round_trip(n);
	conf_free(n);
}

/* Strings that need care, in every position, built by hand. */
Test(conf, round_trip_built)
{
	static const char *texts[] = {
	    "",		 " ",		"plain",
	    "two words", "a: b",	"a:",
	    ":a",	 "a:b",		"x #y",
	    "x#y",	 "#x",		"- x",
	    "-",	 "-x",		"--",
	    "---",	 "...",		"? x",
	    "?x",	 "[x]",		"{}",
	    "'",	 "\"",		"\\",
	    "a\nb",	 "\tx",		"x\t",
	    "&a",	 "*a",		"!t",
	    "|",	 ">",		"%",
	    "@",	 "`",		",",
	    "]",	 "caf\xc3\xa9", "key: value # c",
	    "  ",	 "x ",		" x",
	};
	size_t nt = sizeof texts / sizeof *texts, i;
	struct conf_node *root = conf_new_map(), *list = conf_new_list();
	struct conf_node *m, *inner;
	char key[32];

	for (i = 0; i < nt; i++) {
		cr_assert_eq(
		    conf_map_add(root, texts[i], conf_new_scalar(texts[i])), 0,
		    "key \"%s\"", texts[i]);
		cr_assert_eq(conf_list_add(list, conf_new_scalar(texts[i])), 0);
		m = conf_new_map();
		cr_assert_eq(conf_map_add(m, texts[i], conf_new_scalar("v")),
			     0);
		inner = conf_new_list();
		cr_assert_eq(conf_list_add(inner, conf_new_scalar(texts[i])),
			     0);
		cr_assert_eq(conf_map_add(m, "inner", inner), 0);
		cr_assert_eq(conf_list_add(list, m), 0);
	}
	cr_assert_eq(conf_list_add(list, conf_new_list()), 0);
	cr_assert_eq(conf_list_add(list, conf_new_map()), 0);
	snprintf(key, sizeof key, "the list");
	cr_assert_eq(conf_map_add(root, key, list), 0);
	key[0] = 'X'; /* the key was copied */
	cr_assert_eq(conf_get(root, "the list"), list);
	round_trip(root);

	/* the builders refuse what they must, and free what they took */
	cr_assert_eq(conf_map_add(root, "the list", conf_new_scalar("x")), -1);
	cr_assert_eq(conf_map_add(list, "k", conf_new_scalar("x")), -1);
	cr_assert_eq(conf_list_add(root, conf_new_scalar("x")), -1);
	cr_assert_eq(conf_map_add(root, "k", NULL), -1);
	cr_assert_eq(conf_list_add(list, NULL), -1);
	cr_assert_null(conf_new_scalar(NULL));
	conf_free(root);
	conf_free(NULL);
}

/* What a saved scenario looks like, to the byte. */
Test(conf, emit_format)
{
	struct conf_node *n = ok("name:   pbft  # c\n"
				 "crashes:\n"
				 "- 0\n"
				 "- 3\n"
				 "faults:\n"
				 "    - kind: drop\n"
				 "      to: [1, 'a b', \"x,y\"]\n"
				 "      when:\n"
				 "        after: 1s\n"
				 "    - [[1]]\n"
				 "note: 'say \"hi\": now'\n"
				 "empty:\n");
	char *text = emit(n);

	cr_assert_str_eq(text, "name: pbft\n"
			       "crashes: [0, 3]\n"
			       "faults:\n"
			       "  - kind: drop\n"
			       "    to: [1, a b, \"x,y\"]\n"
			       "    when:\n"
			       "      after: 1s\n"
			       "  -\n"
			       "    - [1]\n"
			       "note: \"say \\\"hi\\\": now\"\n"
			       "empty: \"\"\n");
	free(text);
	conf_free(n);
}

Test(conf, emit_refuses)
{
	struct conf_node *root = conf_new_map(), *n = root, *next;
	int i;

	/* only a map is a document */
	next = conf_new_scalar("x");
	cr_assert_null(emit(next));
	conf_free(next);
	next = conf_new_list();
	cr_assert_null(emit(next));
	conf_free(next);
	/* a control character cannot be written */
	cr_assert_eq(conf_map_add(root, "a", conf_new_scalar("x\ry")), 0);
	cr_assert_null(emit(root));
	conf_free(root);
	root = conf_new_map();
	cr_assert_eq(conf_map_add(root, "a\x01", conf_new_scalar("x")), 0);
	cr_assert_null(emit(root));
	conf_free(root);
	root = conf_new_map();
	cr_assert_eq(conf_map_add(root, "a", conf_new_scalar("\xff")), 0);
	cr_assert_null(emit(root));
	conf_free(root);

	/* 16 levels are written, 17 are not */
	root = n = conf_new_map();
	for (i = 1; i < 16; i++) {
		next = conf_new_map();
		cr_assert_eq(conf_map_add(n, "k", next), 0);
		n = next;
	}
	cr_assert_eq(conf_map_add(n, "leaf", conf_new_list()), 0);
	cr_assert_null(emit(root));
	conf_free(n->items[0]);
	n->items[0] = conf_new_scalar("x");
	round_trip(root);
	conf_free(root);
}

Test(conf, files)
{
	char path[] = "/tmp/byzlab-test-conf-XXXXXX";
	int fd = mkstemp(path);
	struct conf_node *n;
	const char *good = "a: [1, 2]\n", *worse = "a: 1\nb c\n";
	char want[200];

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	cr_assert_eq(conf_parse_file(path, &n, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(str(n, "a/1"), "2");
	conf_free(n);

	cr_assert_eq(ftruncate(fd, 0), 0);
	cr_assert_eq(pwrite(fd, worse, strlen(worse), 0),
		     (ssize_t)strlen(worse));
	cr_assert_eq(conf_parse_file(path, &n, err, sizeof err), -1);
	snprintf(want, sizeof want,
		 "%s:2: expected \"key: value\" or "
		 "\"- item\", found \"b c\"",
		 path);
	cr_assert_str_eq(err, want);

	/* one byte over the limit */
	cr_assert_eq(ftruncate(fd, CONF_MAX_BYTES + 1), 0);
	cr_assert_eq(conf_parse_file(path, &n, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: too large (more than 1048576 bytes)",
		 path);
	cr_assert_str_eq(err, want);
	close(fd);
	unlink(path);

	cr_assert_eq(conf_parse_file(path, &n, err, sizeof err), -1);
	cr_assert_null(n);
	snprintf(want, sizeof want, "cannot read %s: No such file or directory",
		 path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(conf_parse_file("/tmp", &n, err, sizeof err), -1);
	cr_assert_str_eq(err, "cannot read /tmp: Is a directory");
}

/* splitmix64: a fixed sequence, so a failure replays. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Mutate a valid document many times: each result is accepted or refused
 * with a "t.yaml:LINE: " message, and when accepted it survives the round
 * trip through conf_emit. Run under ASan and UBSan this is the fuzzer.
 */
Test(conf, mutations, .timeout = 300)
{
	static const char alphabet[] = " -:#'\"[],{}\t\r\n&*!|>\\ax0.?%";
	static const char *pieces[] = {
	    "- ", ": ",	  "\n  ", "\n- ", "[",	      "]",     "\"",  "'",
	    "#",  "\r\n", "{}",	  "\xc3", "\xc3\xa9", "---\n", "k: ", "\n    "};
	size_t seedlen = strlen(rich), cap = 4 * seedlen + 64;
	char *buf = malloc(cap);
	int c, k, accepted = 0, refused = 0;

	cr_assert_not_null(buf);
	rnd_state = 42;
	for (c = 0; c < 20000; c++) {
		size_t len = seedlen, pos, n;
		int muts = 1 + (int)(rnd() % 8);
		struct conf_node *out;

		memcpy(buf, rich, seedlen);
		if (c % 10 == 9) { /* pure noise, now and then */
			len = rnd() % 200;
			for (pos = 0; pos < len; pos++)
				buf[pos] =
				    (char)(rnd() % 3
					       ? alphabet[rnd() %
							  (sizeof alphabet - 1)]
					       : (char)rnd());
			muts = 0;
		}
		for (k = 0; k < muts; k++) {
			pos = len ? rnd() % len : 0;
			switch (rnd() % 6) {
			case 0: /* replace a byte */
				if (len)
					buf[pos] =
					    alphabet[rnd() %
						     (sizeof alphabet - 1)];
				break;
			case 1: /* random byte */
				if (len)
					buf[pos] = (char)rnd();
				break;
			case 2: /* delete a run */
				n = rnd() % 8;
				n = n > len - pos ? len - pos : n;
				memmove(buf + pos, buf + pos + n,
					len - pos - n);
				len -= n;
				break;
			case 3: /* insert a piece */
			{
				const char *pc =
				    pieces[rnd() %
					   (sizeof pieces / sizeof *pieces)];
				n = strlen(pc);
				if (len + n > cap)
					break;
				memmove(buf + pos + n, buf + pos, len - pos);
				memcpy(buf + pos, pc, n);
				len += n;
				break;
			}
			case 4: /* duplicate a line-ish chunk */
				n = rnd() % 40;
				n = n > len - pos ? len - pos : n;
				if (len + n > cap)
					break;
				memmove(buf + pos + n, buf + pos, len - pos);
				len += n;
				break;
			default: /* cut the end */
				len = pos;
				break;
			}
		}
		/* a tight buffer: the parser must not read past len */
		char *exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		if (conf_parse(exact, len, "t.yaml", &out, err, sizeof err)) {
			cr_assert_null(out);
			cr_assert(!strncmp(err, "t.yaml:", 7) &&
				      strchr("123456789", err[7]),
				  "case %d: bad message \"%s\"", c, err);
			refused++;
		} else {
			round_trip(out);
			conf_free(out);
			accepted++;
		}
		free(exact);
	}
	free(buf);
	cr_log_info("mutations: %d accepted, %d refused", accepted, refused);
	cr_assert_gt(accepted, 1000);
	cr_assert_gt(refused, 1000);
}

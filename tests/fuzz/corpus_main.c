/*
 * corpus_main.c - replays a fuzz corpus directory as an ordinary test.
 *
 *   NAME_corpus DIR
 *
 * Every file of DIR (sorted by name; dot files skipped) is fed to the
 * target's LLVMFuzzerTestOneInput, which aborts on a broken invariant.
 * File names carry expectations, checked with the target's outcome
 * (corpus.h; the wire decoder's are in wire_expect.c):
 *
 *   ok-<what>             is accepted (decodes, parses, loads)
 *   err-<errname>-<what>  (targets whose errors are err.h codes: the wire
 *                         decoder) fails with exactly the code whose
 *                         byz_errname is errname, e.g.
 *                         err-truncated-header.bin
 *   err-<what>            (the other targets) is refused
 *   anything else         (fuzzer findings, fz-<sha1>) must not crash
 *
 * Prints "WHAT corpus: N files, M expectations checked" and exits 0, or
 * prints each mismatch and exits 1.
 */
#include "corpus.h"
#include "err.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* err.h codes live in -1 .. -ERR_SPAN. */
#define ERR_SPAN 100

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read a whole file into a buffer of exactly its size (so ASan sees any
 * read past its end). Returns 0, or -1 with a message printed.
 */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
	const size_t max_file = corpus_target.max_file;
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *tmp;
	size_t n = 0, cap = 0, got;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > max_file + 1)
				cap = max_file + 1;
			if (n == cap) {
				fprintf(stderr, "%s: longer than %zu bytes\n",
					path, max_file);
				goto out;
			}
			tmp = realloc(buf, cap);
			if (!tmp) {
				fprintf(stderr, "%s: out of memory\n", path);
				goto out;
			}
			buf = tmp;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		goto out;
	}
	if (n > max_file) {
		fprintf(stderr, "%s: longer than %zu bytes\n", path, max_file);
		goto out;
	}
	/* Exactly n bytes, so a read past the end is caught. */
	tmp = malloc(n ? n : 1);
	if (!tmp) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (n)
		memcpy(tmp, buf, n);
	*out = tmp;
	*len = n;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/*
 * The expectation a file name carries: sets *expect and returns 1 for ok-
 * and err- files (err-<known name>- for targets with err_names), 0 for
 * names without one, -1 for an err- name whose error name is not in err.h.
 * The longest matching error name wins, since names contain dashes.
 * Without err_names, *expect is -1 for err- files: any refusal.
 */
static int expectation(const char *name, int *expect)
{
	size_t best = 0;

	if (strncmp(name, "ok-", 3) == 0) {
		*expect = 0;
		return 1;
	}
	if (strncmp(name, "err-", 4) != 0)
		return 0;
	if (!corpus_target.err_names) {
		*expect = -1;
		return 1;
	}
	for (int code = -1; code >= -ERR_SPAN; code--) {
		const char *en = byz_errname(code);
		size_t l = strlen(en);

		if (strcmp(en, "unknown-error") == 0)
			continue;
		if (strncmp(name + 4, en, l) == 0 && name[4 + l] == '-' &&
		    l > best) {
			best = l;
			*expect = code;
		}
	}
	return best ? 1 : -1;
}

/* Whether what a file gave is what its name expects. */
static bool as_expected(int expect, int got)
{
	if (corpus_target.err_names || expect == 0)
		return got == expect;
	return got != 0;
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, **tmp;
	size_t count = 0, cap = 0, checked = 0, bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if (corpus_target.setup && corpus_target.setup()) {
		fprintf(stderr, "%s corpus: cannot set up\n",
			corpus_target.what);
		return 1;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			tmp = realloc(names, cap * sizeof *names);
			if (!tmp) {
				fprintf(stderr, "out of memory\n");
				return 1;
			}
			names = tmp;
		}
		names[count] = strdup(e->d_name);
		if (!names[count]) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		count++;
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof *names, cmp_names);

	for (size_t i = 0; i < count; i++) {
		char path[4096];
		uint8_t *data;
		size_t len;
		int expect = 0, got, has;

		snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
		if (read_file(path, &data, &len)) {
			bad++;
			continue;
		}
		LLVMFuzzerTestOneInput(data, len);
		has = expectation(names[i], &expect);
		if (has < 0) {
			fprintf(stderr,
				"%s: err- file names no error of err.h\n",
				path);
			bad++;
		} else if (has > 0) {
			got = corpus_target.outcome(expect, data, len);
			checked++;
			if (!as_expected(expect, got)) {
				if (corpus_target.err_names)
					fprintf(stderr,
						"%s: expected %s, got %s\n",
						path, byz_errname(expect),
						byz_errname(got));
				else
					fprintf(stderr, "%s: expected %s\n",
						path,
						expect ? "a refusal"
						       : "it to be accepted");
				bad++;
			}
		}
		free(data);
	}
	printf("%s corpus: %zu files, %zu expectations checked\n",
	       corpus_target.what, count, checked);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	if (corpus_target.teardown)
		corpus_target.teardown();
	return bad ? 1 : 0;
}

/*
 * corpus_main.c - replays a fuzz corpus directory as an ordinary test.
 *
 *   wire_corpus DIR
 *
 * Every file of DIR (sorted by name; dot files skipped) is fed to
 * LLVMFuzzerTestOneInput, which aborts on a broken invariant. File names
 * carry expectations, checked with wire_decode:
 *
 *   ok-<what>             decodes as a signed frame
 *   err-<errname>-<what>  fails with exactly the code whose byz_errname is
 *                         errname, e.g. err-truncated-header.bin
 *   anything else         (fuzzer findings, fz-<sha1>.bin) must not crash
 *
 * Prints "wire corpus: N files, M expectations checked" and exits 0, or
 * prints each mismatch and exits 1.
 */
#include "err.h"
#include "wire.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No file may be longer than the largest frame plus a signature. */
#define MAX_FILE ((size_t)WIRE_MAX_FRAME + 64)
/* err.h codes live in -1 .. -ERR_SPAN. */
#define ERR_SPAN 100

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
			if (cap > MAX_FILE + 1)
				cap = MAX_FILE + 1;
			if (n == cap) {
				fprintf(stderr,
					"%s: longer than %zu bytes (the "
					"largest frame plus 64)\n",
					path, MAX_FILE);
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
	if (n > MAX_FILE) {
		fprintf(stderr, "%s: longer than %zu bytes\n", path, MAX_FILE);
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
 * and err-<known name>- files, 0 for names without one, -1 for an err-
 * name whose error name is not in err.h. The longest matching error name
 * wins, since names contain dashes.
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
		struct wire_msg m;
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
			got = wire_decode(data, len, &m);
			checked++;
			if (got != expect) {
				fprintf(stderr,
					"%s: expected %s, wire_decode gave "
					"%s\n",
					path, byz_errname(expect),
					byz_errname(got));
				bad++;
			}
		}
		free(data);
	}
	printf("wire corpus: %zu files, %zu expectations checked\n", count,
	       checked);
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return bad ? 1 : 0;
}

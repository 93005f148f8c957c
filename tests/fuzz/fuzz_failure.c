/*
 * fuzz_failure.c - libFuzzer target for the failure-file reader
 * (harness/failure.c failure_read, with scenario_io.c's
 * scenario_from_json under it).
 *
 * failure_read reads a path: each input is written to a memory file
 * (memfd) and read through /proc/self/fd/N. Checked:
 *
 *   - a refusal says why, and returns no document;
 *   - an accepted file returns its document, and its scenario goes to
 *     JSON and back (scenario_to_json, scenario_from_json) to the same
 *     JSON: what a failure saves is what replays.
 *
 * Leaks are LeakSanitizer's (libFuzzer -detect_leaks, the ASan corpus
 * test). Built with -fsanitize=fuzzer for fuzzing, or linked to
 * corpus_main.c to replay tests/corpus/failure (ok- files are read, err-
 * files are refused).
 */
#define _GNU_SOURCE /* memfd_create */
#include "corpus.h"

#include "failure.h"
#include "scenario_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Larger inputs only test the size limit, which a corpus file does. */
#define FUZZ_MAX_INPUT (256u << 10)

static int fd = -1;
static char path[64];

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_failure: %s\n", what);
	abort();
}

/* The memory file holding exactly data; 0 or -1. */
static int put(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		fd = memfd_create("fuzz_failure", 0);
		if (fd < 0)
			fail("memfd_create");
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		return -1;
	return 0;
}

static int read_checked(const uint8_t *data, size_t size, bool check)
{
	struct failure *fl = malloc(sizeof *fl);
	struct scenario *back = malloc(sizeof *back);
	json_t *doc = NULL, *j1 = NULL, *j2 = NULL;
	char why[512], inner[320];
	int rc = -1;

	if (!fl || !back || put(data, size))
		fail("out of memory, or cannot write the memory file");
	why[0] = '\0';
	if (failure_read(path, fl, &doc, why, sizeof why)) {
		if (check && (!why[0] || doc))
			fail("refused without saying why, or with a document");
		goto out;
	}
	rc = 0;
	if (!check)
		goto out;
	if (!doc)
		fail("accepted without its document");
	j1 = scenario_to_json(&fl->sc);
	if (!j1)
		fail("scenario_to_json");
	if (scenario_from_json(j1, back, inner, sizeof inner)) {
		fprintf(stderr, "fuzz_failure: %s\n", inner);
		fail("a read scenario's JSON does not read back");
	}
	j2 = scenario_to_json(back);
	if (!j2 || !json_equal(j1, j2))
		fail("a read scenario's JSON reads back as another");
out:
	json_decref(doc);
	json_decref(j1);
	json_decref(j2);
	free(fl);
	free(back);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size <= FUZZ_MAX_INPUT)
		(void)read_checked(data, size, true);
	return 0;
}

static int outcome(int expect, const uint8_t *data, size_t len)
{
	(void)expect;
	return read_checked(data, len, false);
}

static void teardown(void)
{
	if (fd >= 0)
		close(fd);
}

const struct corpus_target corpus_target = {
    "failure", FAILURE_MAX_BYTES + 1, false, NULL, teardown, outcome,
};

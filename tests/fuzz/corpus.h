/*
 * corpus.h - what the corpus replay (corpus_main.c) needs of a fuzz
 * target besides its entry point, LLVMFuzzerTestOneInput: how to tell
 * whether an input is accepted, for the files whose names carry an
 * expectation (ok-..., err-...).
 */
#ifndef BYZ_FUZZ_CORPUS_H
#define BYZ_FUZZ_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct corpus_target {
	const char *what; /* "wire": the corpus's name in the summary */
	size_t max_file;  /* no corpus file may be longer */
	/* err- files name an err.h code, err-<errname>-<what>, which the
	 * outcome must be exactly; otherwise err-<what> only says that the
	 * input is refused (any nonzero outcome) */
	bool err_names;
	int (*setup)(void); /* NULL, or 0 / -1 */
	void (*teardown)(void);
	/* 0 if the input is accepted, else nonzero (with err_names: the
	 * err.h code); expect is what the file name expects (0, or the
	 * code) */
	int (*outcome)(int expect, const uint8_t *data, size_t len);
};

/* Defined by each target (the wire decoder's: wire_expect.c). */
extern const struct corpus_target corpus_target;

#endif

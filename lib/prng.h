/*
 * prng.h - the simulator's seeded pseudo-random generator.
 *
 * xoshiro256** 1.0 (Blackman and Vigna, 2018), whose 256-bit state is
 * filled by splitmix64 from (seed, stream): state word i is the i-th output
 * of splitmix64 started at seed ^ (stream * 0x9e3779b97f4a7c15). Each
 * consumer of randomness (the network, the workload, the adversary) draws
 * from its own stream, so adding draws in one does not shift another.
 * Integers in a range use rejection sampling (no modulo bias); reals are
 * the top 53 bits over 2^53. Nothing here reads the clock or the OS.
 */
#ifndef BYZ_PRNG_H
#define BYZ_PRNG_H

#include <stdbool.h>
#include <stdint.h>

enum prng_stream {
	PRNG_NETWORK = 1,
	PRNG_WORKLOAD = 2,
	PRNG_ADVERSARY = 3,
};

struct prng {
	uint64_t s[4];
};

void prng_seed(struct prng *p, uint64_t seed, uint64_t stream);
uint64_t prng_next(struct prng *p);
/* Uniform in [0, n); n > 0. */
uint64_t prng_below(struct prng *p, uint64_t n);
/* Uniform in [0, 1). */
double prng_unit(struct prng *p);
/* True with probability prob; always draws exactly one number. */
bool prng_chance(struct prng *p, double prob);

#endif

/*
 * wall.h - a wall-clock limit for one run (--max-wall, a campaign's
 * max_wall): after the limit a flag the run polls is raised (the
 * simulator's and the launcher's `stop`), so that no single scenario can
 * hold a campaign for minutes. The run then ends as interrupted, and its
 * verdict says it hit the limit (VERDICT_WALL), not what the protocol did.
 *
 * A POSIX timer whose expiry runs on a thread of its own: no signal
 * interrupts the run's system calls. One limit at a time per process.
 */
#ifndef BYZ_WALL_H
#define BYZ_WALL_H

#include <stdbool.h>
#include <stdint.h>

/* The largest limit accepted: a day. */
#define WALL_MAX_US (86400ull * 1000000ull)

/* Raise *flag (and wall_hit()) after us microseconds (0: no limit).
 * 0, or -1 with errno if no timer could be made. */
int wall_arm(uint64_t us, volatile int *flag);
/* Cancel the limit (whether or not it fired). */
void wall_disarm(void);
/* Whether the limit armed last fired. */
bool wall_hit(void);

#endif

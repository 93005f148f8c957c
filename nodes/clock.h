/*
 * clock.h - the two clocks of a real process (the zmq driver).
 *
 * A core's events carry the monotonic clock (core.h: "monotonic (zmq)"):
 * timers are durations, and a step of the wall clock must not fire or
 * starve them. The trace carries the wall clock, relative to the run's
 * epoch (the cluster file's `epoch`, microseconds since the Unix epoch),
 * so that the traces of several processes, on several hosts, share one
 * time axis (as far as their clocks agree; the Lamport clock on every
 * line, not the time, orders the merged trace).
 */
#ifndef BYZ_NODES_CLOCK_H
#define BYZ_NODES_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds. */
uint64_t clock_mono_us(void);
/* CLOCK_REALTIME in microseconds since the Unix epoch. */
uint64_t clock_wall_us(void);

#endif

/*
 * wall.c - a wall-clock limit for one run (wall.h).
 */
#include "wall.h"

#include <signal.h>
#include <string.h>
#include <time.h>

static timer_t timer;
static bool armed;
static volatile int *target;
static volatile sig_atomic_t fired;

static void expire(union sigval v)
{
	(void)v;
	fired = 1;
	if (target)
		*target = 1;
}

int wall_arm(uint64_t us, volatile int *flag)
{
	struct sigevent ev;
	struct itimerspec its;

	wall_disarm();
	fired = 0;
	target = flag;
	if (!us)
		return 0;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = expire;
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer))
		return -1;
	armed = true;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = (time_t)(us / 1000000);
	its.it_value.tv_nsec = (long)(us % 1000000) * 1000;
	if (timer_settime(timer, 0, &its, NULL)) {
		wall_disarm();
		return -1;
	}
	return 0;
}

void wall_disarm(void)
{
	if (armed)
		timer_delete(timer);
	armed = false;
	target = NULL;
}

bool wall_hit(void)
{
	return fired != 0;
}

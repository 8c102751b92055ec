/* worker.h -- the CPU priority of the threads that work off the reactors.
 *
 * A reload, a transfer in or a zone dump is long CPU work (a reload of a
 * 1,000,000-record zone is about 2 s of it) on a machine where it may share
 * a CPU with a reactor (bench/reload pins both to one). Such a thread
 * calls worker_background() first thing, so that the scheduler lets the
 * reactors answer first; main and the reactors never call it.
 */
#ifndef LEVEE_SERVER_WORKER_H
#define LEVEE_SERVER_WORKER_H

/* The nice value a background worker runs at (0 is the reactors').
 * A build with -DWORKER_NICE=0 leaves every thread as it starts (the
 * A/B of bench/README.md, "Reload"). */
#ifndef WORKER_NICE
#define WORKER_NICE 10
#endif

/* Moves the calling thread (only it: on Linux the policy and the nice
 * value are per thread) to SCHED_BATCH at nice WORKER_NICE. Threads it
 * creates afterwards inherit both (pthread_create's default
 * PTHREAD_INHERIT_SCHED, and clone() copies the nice value), so zload's
 * parser threads started from a reload run there too. Never fails: a
 * setting the kernel refuses is logged at debug level and the thread runs
 * on as it was. Two system calls; any thread; not to be called by main or
 * a reactor. */
void worker_background(void);

#endif

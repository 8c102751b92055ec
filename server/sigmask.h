/* sigmask.h -- threads are created with every signal blocked.
 *
 * Main handles the signals (SIGTERM, SIGINT, SIGHUP, ...) with libuv's
 * signal handles on its loop (daemon.c). A new thread inherits the mask of
 * the thread that creates it, so every thread Levee starts (the loader, the
 * reload, the transfers and zone syncs, the log writer, the dnstap writer,
 * the metrics HTTP thread, liburcu's call_rcu thread) is created between
 * sigmask_block_all() and sigmask_restore(): a thread that can take a
 * signal could be handed one the process means for main, and during the
 * stop, after main's handlers are closed, a second SIGTERM taken there
 * kills the process with the default action (exit -15).
 * tests/system/test_daemon.py::test_bug_threads_take_no_signal reads every
 * thread's SigBlk.
 *
 *	sigset_t old;
 *
 *	sigmask_block_all(&old);
 *	rc = uv_thread_create(&tid, fn, arg);
 *	sigmask_restore(&old);
 *
 * Both change the calling thread's mask only; any thread. Neither touches
 * errno on success, so a creator's errno survives the restore.
 */
#ifndef LEVEE_SERVER_SIGMASK_H
#define LEVEE_SERVER_SIGMASK_H

#include <pthread.h>
#include <signal.h>

/* Blocks every signal in the calling thread; its mask before into *old. */
static inline void sigmask_block_all(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

/* Sets the calling thread's mask back to *old (from sigmask_block_all). */
static inline void sigmask_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

#endif

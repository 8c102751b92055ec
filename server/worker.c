/* worker.c -- background CPU priority for the threads off the reactors.
 *
 * The choice (see worker.h for who calls it): SCHED_BATCH and nice 10,
 * not SCHED_IDLE. CFS gives runnable threads CPU time in proportion to
 * their weights: nice 0 weighs 1024, nice 10 weighs 110, so while a
 * reactor and a worker both want one CPU the reactor gets at least
 * 1024 / (1024 + 110) = 90% of it and the worker at most 10%; a reactor
 * that wakes (a datagram in) is far behind in virtual time and preempts
 * the worker at once. SCHED_BATCH adds that a worker waking never
 * preempts anyone: it waits for the next tick. The bound the other way:
 * a reload still gets 10% of a CPU saturated by queries, and all of what
 * the reactors leave, so it always ends (SCHED_IDLE, weight 3, would let
 * a busy reactor hold a reload off for 300 times its length, and a
 * reload that never ends keeps the old version and the new one in
 * memory). The setting is the thread's own: main, the reactors, the log
 * and dnstap threads keep nice 0.
 *
 * The price, measured (bench/README.md, "Reload": sched_switch on the
 * shared CPU over 3 reloads of the 1M-record zone at 30,000 q/s, against
 * a -DWORKER_NICE=0 build minutes apart): the reactor preempts the worker
 * at every wake-up, so it answers smaller batches (254,000 switches
 * against 129,000; 2.0-2.3 s of its CPU in a reload's window against
 * 1.2-1.5 s) and a reload takes 6.1-6.8 s of wall time against 5.1-6.1 s,
 * while the median answer comes in 82 us against 246 us and the p99 in
 * 3.3 ms against 6.0 ms. Another process at nice 0 on the same CPU also
 * takes nine tenths of it from a reload.
 */
#include "server/worker.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/log.h"

void worker_background(void)
{
	struct sched_param sp = { .sched_priority = 0 };
	pid_t tid = (pid_t)syscall(SYS_gettid);

	if (WORKER_NICE == 0)
		return;

	/* pthread_setschedparam would do the same for the calling thread */
	if (sched_setscheduler(tid, SCHED_BATCH, &sp) < 0)
		log_debug("worker: SCHED_BATCH refused: %s", strerror(errno));
	/* setpriority with PRIO_PROCESS and a thread id sets that thread
	 * only (Linux, man 2 setpriority, BUGS). Raising the nice value
	 * needs no privilege. */
	if (setpriority(PRIO_PROCESS, (id_t)tid, WORKER_NICE) < 0)
		log_debug("worker: nice %d refused: %s", WORKER_NICE,
			  strerror(errno));
}

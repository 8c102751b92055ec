/* test_worker.c -- worker_background(): the calling thread, and the threads
 * it starts afterwards, run at SCHED_BATCH and nice WORKER_NICE; the
 * thread that started it (main, standing for main and the reactors) is
 * left as it was. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/worker.h"
#include "unit.h"

struct prio {
	int policy;
	int nice;
};

static struct prio prio_self(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	struct prio p;

	errno = 0;
	p.nice = getpriority(PRIO_PROCESS, (id_t)tid);
	p.policy = sched_getscheduler(tid);
	return p;
}

struct seen {
	struct prio self;   /* the worker's, after the call */
	struct prio child;  /* a thread the worker started after it */
};

static void *child_main(void *arg)
{
	*(struct prio *)arg = prio_self();
	return NULL;
}

static void *worker_main(void *arg)
{
	struct seen *s = arg;
	pthread_t t;

	worker_background();
	s->self = prio_self();
	if (pthread_create(&t, NULL, child_main, &s->child) == 0)
		pthread_join(t, NULL);
	return NULL;
}

static void test_background_thread_only(void)
{
	struct prio before = prio_self(), after;
	struct seen s = { { -1, -100 }, { -1, -100 } };
	pthread_t t;

	CU_ASSERT_FATAL(pthread_create(&t, NULL, worker_main, &s) == 0);
	pthread_join(t, NULL);
	after = prio_self();
	CU_ASSERT_EQUAL(s.self.policy, SCHED_BATCH);
	/* at least WORKER_NICE: a test run under nice keeps its own */
	CU_ASSERT(s.self.nice >= WORKER_NICE);
	CU_ASSERT(s.self.nice >= before.nice);
	CU_ASSERT_EQUAL(s.child.policy, SCHED_BATCH);
	CU_ASSERT_EQUAL(s.child.nice, s.self.nice);
	/* the starting thread is untouched */
	CU_ASSERT_EQUAL(after.policy, before.policy);
	CU_ASSERT_EQUAL(after.nice, before.nice);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "background_thread_only", test_background_thread_only },
	};

	return unit_run("worker", NULL, NULL, tests, UNIT_COUNT(tests));
}

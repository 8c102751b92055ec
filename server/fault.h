/* fault.h -- fault injection for the tests, absent from the levee binary.
 *
 * A failure that the kernel or the allocator almost never produces (a
 * calloc returning NULL in the accept path, a libuv handle that will not
 * initialise) must still leave the server serving, and only a test that
 * makes it happen on demand proves that. FAULT(site) marks such a place:
 * in the daemon library the levee binary links it is the constant false
 * and compiles to nothing; in levee_daemon_faults, the same sources built
 * with -DLEVEE_FAULT_INJECTION for the unit tests only (server/meson.build),
 * it reports true while the test has armed that site. A compile-time hook
 * rather than an environment variable: nothing an operator can set, no
 * branch and no getenv in the production build, and the test arms one
 * site for exactly the next N hits, deterministically.
 */
#ifndef LEVEE_SERVER_FAULT_H
#define LEVEE_SERVER_FAULT_H

#include <stdbool.h>

enum fault_site {
	FAULT_TCP_CONN_ALLOC,    /* tcp.c: the connection's calloc */
	FAULT_TCP_TIMER_INIT,    /* tcp.c: uv_timer_init of a connection */
	FAULT_TCP_HANDLE_INIT,   /* tcp.c: uv_tcp_init of a connection */
	FAULT_TCP_BUF_ALLOC,     /* tcp.c: a read or write buffer */
	FAULT_TCP_SPARE_BUSY,    /* tcp.c: the listener's spare handle is
				    still closing (the retry timer accepts) */
	FAULT_SITES
};

#ifdef LEVEE_FAULT_INJECTION
/* Makes the next n hits of site fail (0 disarms it). Any thread: relaxed
 * atomics. */
void fault_arm(enum fault_site site, unsigned n);

/* Hits of site still to fail. */
unsigned fault_left(enum fault_site site);

/* True (and one hit spent) while site is armed. */
bool fault_hit(enum fault_site site);

#define FAULT(site) fault_hit(site)
#else
#define FAULT(site) false
#endif

#endif

/* xdp.c -- the AF_XDP fast path for UDP (xdp.h): its plan at start.
 *
 * One owner: everything of the path lives here (and, once written, in
 * xdp.bpf.c). What this file does today is decide, per xdp: listen
 * entry, whether the path can serve it and say once why not, so that a
 * configuration with xdp: always starts and serves UDP on sockets where
 * AF_XDP is not there (the fallback the contract promises). Built
 * without libxdp, libbpf or clang's BPF target (meson -Dxdp), it
 * reports itself unavailable.
 */
#include "server/xdp.h"

#include <net/if.h>

#include "server/config.h"
#include "server/log.h"

#ifdef LEVEE_HAVE_XDP
#include <xdp/libxdp.h>

bool xdp_available(void)
{
	return true;
}
#else
bool xdp_available(void)
{
	return false;
}
#endif

unsigned xdp_plan(const struct config *cfg, unsigned n)
{
	(void)n;
	for (size_t i = 0; i < cfg->xdp_count; i++) {
		const struct config_xdp *x = &cfg->xdp[i];

		if (!xdp_available())
			log_warning("xdp %s: AF_XDP not in this build (no "
				    "libxdp, libbpf or clang BPF target): UDP "
				    "stays on sockets", x->text);
		else if (if_nametoindex(x->ifname) == 0)
			log_warning("xdp %s: no such interface: UDP stays on "
				    "sockets", x->text);
		else
			log_warning("xdp %s: the AF_XDP data path is not "
				    "written yet (issue 17): UDP stays on "
				    "sockets", x->text);
	}
	return 0;
}

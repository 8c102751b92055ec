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

#include <arpa/inet.h>
#include <net/if.h>
#include <stdint.h>

#include "server/config.h"
#include "server/log.h"

#ifdef LEVEE_HAVE_XDP
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <xdp/libxdp.h>

/* The object file, embedded by meson (xdp_obj.c from xdp.bpf.c). */
extern const unsigned char xdp_obj[];
extern const size_t xdp_obj_len;

bool xdp_available(void)
{
	return true;
}

/* Loads the program and attaches it to ifindex, native (driver) mode
 * first, then generic (skb) mode; detaches it at once. What the rings
 * will need, checked at start: 0 with *mode "native" or "generic", or a
 * negative errno (-EPERM: no CAP_BPF or CAP_NET_ADMIN). One object
 * load, at most two attaches and one detach. */
static int xdp_probe(unsigned ifindex, uint16_t port, const char **mode)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "levee_xdp");
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *cfg;
	uint32_t zero = 0, nport = htons(port);
	int rc, fd;

	obj = bpf_object__open_mem(xdp_obj, xdp_obj_len, &oopts);
	if (!obj)
		return -errno ? -errno : -EINVAL;
	rc = bpf_object__load(obj);
	if (rc < 0)
		goto out;
	prog = bpf_object__find_program_by_name(obj, "levee_xdp");
	cfg = bpf_object__find_map_by_name(obj, "xdp_config");
	if (!prog || !cfg) {
		rc = -ENOENT;
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(cfg), &zero, &nport, BPF_ANY) < 0) {
		rc = -errno;
		goto out;
	}
	fd = bpf_program__fd(prog);
	*mode = "native";
	rc = bpf_xdp_attach((int)ifindex, fd, XDP_FLAGS_DRV_MODE |
			    XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (rc < 0) {
		*mode = "generic";
		rc = bpf_xdp_attach((int)ifindex, fd, XDP_FLAGS_SKB_MODE |
				    XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	}
	if (rc == 0)
		(void)bpf_xdp_detach((int)ifindex, strcmp(*mode, "native") ?
				     XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
				     NULL);
out:
	bpf_object__close(obj);
	return rc;
}
#else
bool xdp_available(void)
{
	return false;
}
#endif

/* An interface that exists: the program is loaded and attached to check
 * that it can be, then the fallback (the rings are not written yet). */
static void xdp_plan_one(const struct config_xdp *x)
{
#ifdef LEVEE_HAVE_XDP
	const char *mode = "";
	int rc = xdp_probe(if_nametoindex(x->ifname), x->port, &mode);

	if (rc < 0) {
		log_warning("xdp %s: the XDP program does not attach (%s): UDP "
			    "stays on sockets", x->text, strerror(-rc));
		return;
	}
	log_info("xdp %s: the XDP program loads and attaches (%s mode)",
		 x->text, mode);
#endif
	log_warning("xdp %s: the AF_XDP data path is not written yet (issue "
		    "17): UDP stays on sockets", x->text);
}

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
			xdp_plan_one(x);
	}
	return 0;
}

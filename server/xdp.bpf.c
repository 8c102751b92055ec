/* xdp.bpf.c -- the XDP program of the AF_XDP fast path (xdp.h, issue 17).
 * Restricted C for clang's BPF target, built by meson as a build step
 * (an error here fails the build) and embedded like exist_filter.bpf.c.
 *
 * It redirects to the XSK socket of the frame's RX queue (xdp_xsks, an
 * XSKMAP indexed by queue: reactor N's socket at N) only what the
 * reactor can answer: Ethernet (optionally one 802.1Q tag) carrying IPv4
 * without fragmentation (MF clear, offset 0; options allowed: IHL 5 to
 * 15) or IPv6 whose next header is UDP directly, then UDP to the
 * configured port (xdp_config, network byte order) with a length that
 * fits the frame and at least a DNS header (12 bytes) after it.
 * Everything else, and a queue without a socket (looked up first), goes
 * to the kernel. Every read is checked
 * against data_end first; the bounds are constants (at most 14 + 4 + 60
 * + 8 bytes of headers read). Counters: xdp_counters, a per-CPU array
 * (XDP_C_REDIRECTED, XDP_C_PASSED), summed by user space.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XDP_C_REDIRECTED 0
#define XDP_C_PASSED 1
#define XDP_C_COUNT 2

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 1024);   /* CONFIG_MAX_REACTORS queues */
	__type(key, __u32);
	__type(value, __u32);
} xdp_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);        /* the UDP port, network byte order */
} xdp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} xdp_counters SEC(".maps");

static __always_inline int count(__u32 i, int action)
{
	__u64 *c = bpf_map_lookup_elem(&xdp_counters, &i);

	if (c)
		*c += 1;
	return action;
}

SEC("xdp")
int levee_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u32 zero = 0, q, *port;
	__u16 proto;
	void *l3;

	if ((void *)(eth + 1) > end)
		return count(XDP_C_PASSED, XDP_PASS);
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		/* One tag: TCI (2 bytes) and the inner type (2). */
		if (l3 + 4 > end)
			return count(XDP_C_PASSED, XDP_PASS);
		proto = *(__u16 *)(l3 + 2);
		l3 += 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__u32 ihl;

		if ((void *)(ip + 1) > end || ip->version != 4 ||
		    ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return count(XDP_C_PASSED, XDP_PASS);
		ihl = ip->ihl * 4u;
		if (ihl < sizeof(*ip) || ihl > 60)
			return count(XDP_C_PASSED, XDP_PASS);
		udp = l3 + ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return count(XDP_C_PASSED, XDP_PASS);
		udp = (void *)(ip6 + 1);
	} else {
		return count(XDP_C_PASSED, XDP_PASS);
	}
	if ((void *)(udp + 1) > end)
		return count(XDP_C_PASSED, XDP_PASS);
	port = bpf_map_lookup_elem(&xdp_config, &zero);
	if (!port || udp->dest != (__u16)*port)
		return count(XDP_C_PASSED, XDP_PASS);
	/* The UDP length within the frame, a DNS header at least. */
	if (bpf_ntohs(udp->len) < sizeof(*udp) + 12 ||
	    (void *)udp + bpf_ntohs(udp->len) > end)
		return count(XDP_C_PASSED, XDP_PASS);
	q = ctx->rx_queue_index;
	if (!bpf_map_lookup_elem(&xdp_xsks, &q))
		return count(XDP_C_PASSED, XDP_PASS);
	count(XDP_C_REDIRECTED, 0);
	return bpf_redirect_map(&xdp_xsks, q, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

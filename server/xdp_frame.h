/* xdp_frame.h -- Ethernet, IP and UDP headers of the AF_XDP path (xdp.h):
 * parse a query frame, write the reply's headers.
 *
 * Pure functions over bytes: no libxdp, no socket, so the unit tests and
 * any build link them. Any thread; reentrant. A frame is read only within
 * [f, f + len): every header read is checked against len first.
 */
#ifndef LEVEE_SERVER_XDP_FRAME_H
#define LEVEE_SERVER_XDP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The most header bytes a reply carries: Ethernet, one 802.1Q tag, IPv6
 * (40; an IPv4 reply has no options: 20) and UDP. */
#define XDP_FRAME_HDR_MAX (14 + 4 + 40 + 8)

/* What a query frame's headers say, copied out of the frame (the reply
 * is written over it). */
struct xdp_frame_info {
	uint8_t mac_src[6], mac_dst[6];
	bool vlan;                      /* one 802.1Q tag (tci) */
	uint16_t tci;                   /* network byte order */
	bool v6;
	uint8_t addr_src[16], addr_dst[16];   /* IPv4: the first 4 bytes */
	uint16_t port_src, port_dst;    /* network byte order */
	const uint8_t *payload;         /* the DNS message, in the frame */
	size_t payload_len;
};

/* Parses f[0..len): Ethernet (at most one 802.1Q tag), IPv4 (options
 * allowed, header checksum verified, no fragment) or IPv6 whose next
 * header is UDP, then UDP to port (network byte order) from a source
 * port other than 0, with a length within the IP payload. Ethernet
 * padding after the IP datagram is ignored. The UDP checksum is not
 * verified: a veth hands over frames of CHECKSUM_PARTIAL whose checksum
 * field holds only the pseudo-header's sum (a NIC verified it, or it
 * never left the host). Returns 0 and fills *fi, or -1 (drop: malformed
 * or not for us). Work: at most 14 + 4 + 60 + 8 header bytes read and a
 * sum over at most 60 (the IPv4 header). */
int xdp_frame_parse(const uint8_t *f, size_t len, uint16_t port,
		    struct xdp_frame_info *fi);

/* The reply's header length for fi (its payload starts there). */
size_t xdp_frame_hdrlen(const struct xdp_frame_info *fi);

/* Writes the reply's headers into f[0..xdp_frame_hdrlen(fi)), the DNS
 * reply (payload_len bytes) being at f + xdp_frame_hdrlen(fi) already:
 * MACs, addresses and ports swapped, the query's tag kept, IPv4 (DF, TTL
 * 64, no options, header checksum) or IPv6 (hop limit 64), UDP length
 * and checksum (over the pseudo-header and the payload: mandatory for
 * IPv6, computed for IPv4 as well; 0 is sent as 0xffff). Returns the
 * frame's length. Work: one pass over the payload. */
size_t xdp_frame_reply(uint8_t *f, const struct xdp_frame_info *fi,
		       size_t payload_len);

/* The client (source) and server (destination) of fi as socket
 * addresses, for the pipeline (query.h: client, server). */
void xdp_frame_addrs(const struct xdp_frame_info *fi,
		     struct sockaddr_storage *client,
		     struct sockaddr_storage *server);

/* The Internet checksum's 32-bit running sum over p[0..n) added to sum
 * (bytes in network order, an odd last byte padded with zero), and its
 * folded complement. */
uint32_t xdp_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t xdp_csum_fold(uint32_t sum);

#endif

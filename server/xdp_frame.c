/* xdp_frame.c -- the headers of the AF_XDP path (xdp_frame.h).
 *
 * Every read of a query frame goes through a length checked first; no
 * header is cast in place (frames may be at any offset), bytes are read
 * one at a time or with memcpy. Checksums are summed as big-endian 16-bit
 * words; written back in network order.
 */
#include "server/xdp_frame.h"

#include <netinet/in.h>
#include <string.h>

#define ETH_HLEN_ 14
#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86dd
#define ETH_P_8021Q_ 0x8100
#define XDP_TTL 64

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t xdp_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += rd16(p + i);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	/* Folded as it goes: no overflow for any frame (< 64 KiB). */
	return (sum & 0xffff) + (sum >> 16);
}

uint16_t xdp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 at f[0..len) (len: what the frame holds from the IP header on):
 * the UDP datagram's offset and the IP payload's length, or -1. */
static int parse_v4(const uint8_t *f, size_t len, struct xdp_frame_info *fi,
		    size_t *udp_off, size_t *ip_payload)
{
	size_t ihl, tot;

	if (len < 20 || (f[0] >> 4) != 4 || f[9] != IPPROTO_UDP)
		return -1;
	ihl = (size_t)(f[0] & 0x0f) * 4;
	tot = rd16(f + 2);
	if (ihl < 20 || ihl > len || tot < ihl + 8 || tot > len)
		return -1;
	if (rd16(f + 6) & 0x3fff)          /* MF or a fragment offset */
		return -1;
	if (xdp_csum_fold(xdp_csum_add(0, f, ihl)) != 0)
		return -1;
	fi->v6 = false;
	memset(fi->addr_src, 0, sizeof(fi->addr_src));
	memset(fi->addr_dst, 0, sizeof(fi->addr_dst));
	memcpy(fi->addr_src, f + 12, 4);
	memcpy(fi->addr_dst, f + 16, 4);
	*udp_off = ihl;
	*ip_payload = tot - ihl;
	return 0;
}

/* IPv6 whose next header is UDP (no extension header), as parse_v4. */
static int parse_v6(const uint8_t *f, size_t len, struct xdp_frame_info *fi,
		    size_t *udp_off, size_t *ip_payload)
{
	size_t pl;

	if (len < 40 || (f[0] >> 4) != 6 || f[6] != IPPROTO_UDP)
		return -1;
	pl = rd16(f + 4);
	if (pl < 8 || pl > len - 40)
		return -1;
	fi->v6 = true;
	memcpy(fi->addr_src, f + 8, 16);
	memcpy(fi->addr_dst, f + 24, 16);
	*udp_off = 40;
	*ip_payload = pl;
	return 0;
}

int xdp_frame_parse(const uint8_t *f, size_t len, uint16_t port,
		    struct xdp_frame_info *fi)
{
	size_t l3 = ETH_HLEN_, udp_off, ip_payload, ulen;
	const uint8_t *u;
	uint16_t type;
	int rc;

	if (len < ETH_HLEN_)
		return -1;
	memcpy(fi->mac_dst, f, 6);
	memcpy(fi->mac_src, f + 6, 6);
	type = rd16(f + 12);
	fi->vlan = false;
	fi->tci = 0;
	if (type == ETH_P_8021Q_) {
		if (len < ETH_HLEN_ + 4)
			return -1;
		fi->vlan = true;
		memcpy(&fi->tci, f + 14, 2);
		type = rd16(f + 16);
		l3 += 4;
	}
	if (type == ETH_P_IP_)
		rc = parse_v4(f + l3, len - l3, fi, &udp_off, &ip_payload);
	else if (type == ETH_P_IPV6_)
		rc = parse_v6(f + l3, len - l3, fi, &udp_off, &ip_payload);
	else
		return -1;
	if (rc < 0)
		return -1;
	/* ip_payload >= 8 and fits the frame (the parsers checked). */
	u = f + l3 + udp_off;
	ulen = rd16(u + 4);
	if (ulen < 8 || ulen > ip_payload)
		return -1;
	memcpy(&fi->port_src, u, 2);
	memcpy(&fi->port_dst, u + 2, 2);
	if (fi->port_dst != port || fi->port_src == 0)
		return -1;
	fi->payload = u + 8;
	fi->payload_len = ulen - 8;
	return 0;
}

size_t xdp_frame_hdrlen(const struct xdp_frame_info *fi)
{
	return ETH_HLEN_ + (fi->vlan ? 4 : 0) + (fi->v6 ? 40 : 20) + 8;
}

/* The UDP checksum: pseudo-header (addresses, protocol, length), the UDP
 * header u (checksum field 0) and the payload after it. */
static uint16_t udp_csum(const struct xdp_frame_info *fi, const uint8_t *u,
			 size_t ulen)
{
	size_t alen = fi->v6 ? 16 : 4;
	uint32_t sum = 0;

	sum = xdp_csum_add(sum, fi->addr_src, alen);
	sum = xdp_csum_add(sum, fi->addr_dst, alen);
	sum += IPPROTO_UDP;
	sum += (uint32_t)ulen;
	sum = xdp_csum_add(sum, u, ulen);
	sum = xdp_csum_fold(sum);
	return sum ? (uint16_t)sum : 0xffff;
}

size_t xdp_frame_reply(uint8_t *f, const struct xdp_frame_info *fi,
		       size_t payload_len)
{
	size_t l3 = ETH_HLEN_ + (fi->vlan ? 4 : 0), ulen = 8 + payload_len;
	uint8_t *ip = f + l3, *u;

	memcpy(f, fi->mac_src, 6);
	memcpy(f + 6, fi->mac_dst, 6);
	if (fi->vlan) {
		wr16(f + 12, ETH_P_8021Q_);
		memcpy(f + 14, &fi->tci, 2);
	}
	if (fi->v6) {
		wr16(f + l3 - 2, ETH_P_IPV6_);
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		wr16(ip + 4, (uint16_t)ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = XDP_TTL;
		memcpy(ip + 8, fi->addr_dst, 16);    /* we answer from it */
		memcpy(ip + 24, fi->addr_src, 16);
		u = ip + 40;
	} else {
		wr16(f + l3 - 2, ETH_P_IP_);
		ip[0] = 0x45;
		ip[1] = 0;
		wr16(ip + 2, (uint16_t)(20 + ulen));
		wr16(ip + 4, 0);                     /* id: DF set */
		wr16(ip + 6, 0x4000);
		ip[8] = XDP_TTL;
		ip[9] = IPPROTO_UDP;
		wr16(ip + 10, 0);
		memcpy(ip + 12, fi->addr_dst, 4);
		memcpy(ip + 16, fi->addr_src, 4);
		wr16(ip + 10, xdp_csum_fold(xdp_csum_add(0, ip, 20)));
		u = ip + 20;
	}
	memcpy(u, &fi->port_dst, 2);
	memcpy(u + 2, &fi->port_src, 2);
	wr16(u + 4, (uint16_t)ulen);
	wr16(u + 6, 0);
	wr16(u + 6, udp_csum(fi, u, ulen));
	return (size_t)(u - f) + ulen;
}

void xdp_frame_addrs(const struct xdp_frame_info *fi,
		     struct sockaddr_storage *client,
		     struct sockaddr_storage *server)
{
	memset(client, 0, sizeof(*client));
	memset(server, 0, sizeof(*server));
	if (fi->v6) {
		struct sockaddr_in6 *c = (struct sockaddr_in6 *)client;
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)server;

		c->sin6_family = s->sin6_family = AF_INET6;
		memcpy(&c->sin6_addr, fi->addr_src, 16);
		memcpy(&s->sin6_addr, fi->addr_dst, 16);
		c->sin6_port = fi->port_src;
		s->sin6_port = fi->port_dst;
	} else {
		struct sockaddr_in *c = (struct sockaddr_in *)client;
		struct sockaddr_in *s = (struct sockaddr_in *)server;

		c->sin_family = s->sin_family = AF_INET;
		memcpy(&c->sin_addr, fi->addr_src, 4);
		memcpy(&s->sin_addr, fi->addr_dst, 4);
		c->sin_port = fi->port_src;
		s->sin_port = fi->port_dst;
	}
}

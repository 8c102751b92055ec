/* cidr.c -- IP prefixes (cidr.h). Every function walks at most 16 bytes
 * per prefix; nothing allocates. */
#include "common/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int cidr_parse(const char *text, struct cidr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t hl;
	long bits;
	int maxbits;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	slash = strchr(text, '/');
	hl = slash ? (size_t)(slash - text) : strlen(text);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		maxbits = 128;
	} else if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		maxbits = 32;
	} else {
		return -EINVAL;
	}
	bits = maxbits;
	if (slash) {
		char *end;

		if (!slash[1])
			return -EINVAL;
		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0 || bits > maxbits)
			return -EINVAL;
	}
	out->bits = (uint8_t)bits;
	cidr_mask(out->addr, (unsigned)bits);
	return 0;
}

void cidr_mask(uint8_t addr[16], unsigned bits)
{
	unsigned full = bits >= 128 ? 16 : bits / 8u, rest = bits % 8u;

	if (full >= 16)
		return;
	if (rest)
		addr[full++] &= (uint8_t)(0xff << (8 - rest));
	memset(addr + full, 0, 16 - full);
}

bool cidr_match(const struct cidr *list, size_t n, int family,
		const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++) {
		const struct cidr *e = &list[i];
		unsigned full = e->bits / 8u, rest = e->bits % 8u;

		if (e->family != family || memcmp(addr, e->addr, full) != 0)
			continue;
		if (rest && ((addr[full] ^ e->addr[full]) &
			     (uint8_t)(0xff << (8 - rest))))
			continue;
		return true;
	}
	return false;
}

const uint8_t *cidr_sockaddr_bytes(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (sa->sa_family == AF_INET6)
		return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	return NULL;
}

bool cidr_of_sockaddr(const struct sockaddr *sa, unsigned bits,
		      struct cidr *out)
{
	const uint8_t *a = cidr_sockaddr_bytes(sa);
	unsigned max = sa->sa_family == AF_INET ? 32 : 128;

	memset(out, 0, sizeof(*out));
	if (!a)
		return false;
	memcpy(out->addr, a, sa->sa_family == AF_INET ? 4 : 16);
	out->family = (uint8_t)sa->sa_family;
	out->bits = (uint8_t)(bits > max ? max : bits);
	cidr_mask(out->addr, out->bits);
	return true;
}

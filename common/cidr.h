/* cidr.h -- IP prefixes: parsing "ADDR/BITS", masking, matching lists.
 *
 * One representation for every table and list keyed by an address prefix
 * (rate-limit exempt clients, limits whitelists, TCP per-prefix counts, the
 * kernel drop map, access lists): family, prefix length and 16 address
 * bytes, an IPv4 address in the first 4 with the rest zero, host bits
 * always cleared. Pure functions, any thread, no allocation.
 */
#ifndef LEVEE_COMMON_CIDR_H
#define LEVEE_COMMON_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	uint8_t family;     /* AF_INET or AF_INET6 */
	uint8_t bits;       /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* Parses "ADDR" or "ADDR/BITS" (IPv4 or IPv6) into out, host bits cleared.
 * Returns 0 or -EINVAL. */
int cidr_parse(const char *text, struct cidr *out);

/* Clears the bits of addr (16 bytes) after the first bits. */
void cidr_mask(uint8_t addr[16], unsigned bits);

/* True when addr (4 or 16 bytes, by family) lies in one of list[0..n) of
 * that family. At most n comparisons. */
bool cidr_match(const struct cidr *list, size_t n, int family,
		const uint8_t *addr);

/* The address bytes of sa (4 for AF_INET, 16 for AF_INET6), or NULL for
 * another family. Points into sa. */
const uint8_t *cidr_sockaddr_bytes(const struct sockaddr *sa);

/* The prefix of sa of bits (capped at the family's width) into out.
 * Returns false when sa is neither AF_INET nor AF_INET6. */
bool cidr_of_sockaddr(const struct sockaddr *sa, unsigned bits,
		      struct cidr *out);

#endif

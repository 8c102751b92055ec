/* render.h -- writing RRsets into a reply, with name compression.
 *
 * A struct render lives on the caller's stack for one reply. It appends
 * whole RRsets (never part of one) taken from the zone's prebuilt wire form,
 * compressing owner names and the names inside RDATA of the RFC 1035 types
 * (NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO, MX) and of no other type
 * (RFC 3597 section 4). Compression targets are remembered in a fixed table
 * of packet offsets and matched ignoring ASCII case, so a name in the reply
 * may point at the client's qname and echo its case. When an RRset does not
 * fit below the limit nothing of it stays in the buffer and the call fails;
 * the caller decides between TC and leaving it out. No allocation; any thread.
 */
#ifndef LEVEE_SERVER_RENDER_H
#define LEVEE_SERVER_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rrset;

#define RENDER_COMP_MAX 64          /* compression targets remembered */
#define RENDER_TTL_KEEP 0xFFFFFFFFu /* render_rrset(): keep the set's TTL */

enum render_section {
	RENDER_ANSWER = 0,
	RENDER_AUTHORITY = 1,
	RENDER_ADDITIONAL = 2,
};

struct render {
	uint8_t *buf;
	size_t len;      /* bytes written so far (header and question included) */
	size_t limit;    /* never write beyond buf[limit] */
	uint16_t count[3];
	unsigned ncomp;
	uint16_t comp[RENDER_COMP_MAX]; /* offsets of names (and their suffixes) */
};

/* Starts rendering after the question: buf already holds the 12-byte header
 * and a question of qend bytes in total whose qname (literal labels, as
 * validated by wire.c) becomes the first compression target. */
void render_init(struct render *r, uint8_t *buf, size_t qend, size_t limit);

/* Appends every record of s to section sec. The owner is written as the
 * compression pointer owner_ptr when that is nonzero, else as owner
 * (uncompressed wire, any case) compressed. ttl replaces the set's TTL unless
 * RENDER_TTL_KEEP. Returns 0, or -1 when the set does not fit (the buffer and
 * the table are then as before the call). O(records + names * targets). */
int render_rrset(struct render *r, enum render_section sec, const uint8_t *owner,
		 uint16_t owner_ptr, const struct rrset *s, uint32_t ttl);

/* Appends name compressed. Returns 0 or -1 (no room, nothing written). */
int render_name(struct render *r, const uint8_t *name);

/* Drops everything after the question (for TC). */
void render_truncate(struct render *r, size_t qend);

#endif

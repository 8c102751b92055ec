/* zverify.h -- DNSSEC validation of a signed version before it is served
 * (zones: dnssec-validation, as knotd's): what a validating resolver would
 * reject is found at load, not by the users.
 *
 * zone_verify() checks:
 *   - signatures: every authoritative RRset (at a zone cut only DS and
 *     NSEC; NSEC3 sets too) has at least one RRSIG that verifies with a
 *     DNSKEY of the apex at time now (ldns_verify_rrsig_keylist_time:
 *     the key tag, the algorithm, the signature and its validity period);
 *   - NSEC: every authoritative name with data holds an NSEC; in canonical
 *     order each one's next name is the next such name, the last's the
 *     apex; each bitmap lists exactly the name's types;
 *   - NSEC3 (with NSEC3PARAM): sorted by hash, each NSEC3's next hashed
 *     owner is the next one's hash, the last's the first; every
 *     authoritative name and empty non-terminal has the NSEC3 of its hash
 *     (an insecure delegation, or a name with no data, may lack it inside
 *     an opt-out span), and its bitmap lists exactly the name's types.
 * An unsigned version (no RRSIG at the apex) passes without work.
 *
 * Work: O(records) ldns conversions and, per RRset, signature
 * verifications until one succeeds: at most 16 RRSIGs a set, 4 DNSKEYs of
 * the RRSIG's key tag and algorithm each, and 4 operations per RRset over
 * the zone (+1000), so a zone built to make validation work (KeyTrap,
 * CVE-2023-50387: colliding key tags, RRSIGs that never verify) is refused
 * at that bound, not verified for hours; memory: one RRset at a time. Off the reactors: the loader's, the
 * reload's or the transfer's thread; the version must stay alive.
 */
#ifndef LEVEE_ZONES_ZVERIFY_H
#define LEVEE_ZONES_ZVERIFY_H

#include <stddef.h>
#include <stdint.h>

struct zone;

/* 0 when z passes, LV_EMALF with the first failure in err (the name, the
 * type and what is wrong), -ENOMEM. now: seconds since the epoch. */
int zone_verify(const struct zone *z, uint32_t now, char *err,
		size_t errlen);

/* The work one zone_verify_counted() call did (tests read it): sets, the
 * RRsets whose signatures it checked; ops, its signature
 * operations (the DNSKEYs handed to ldns to try against an RRSIG, added
 * up over the RRSIGs tried). The bounds above keep
 * ops <= 4 * sets + 1000 + 4 (the last RRSIG's keys are counted before
 * the bound is checked). */
struct zone_verify_stats {
	uint64_t sets;
	uint64_t ops;
};

/* zone_verify(), and when st is not NULL its work into *st on every
 * return (zeros for an unsigned version). zone_verify() is this with
 * st NULL. */
int zone_verify_counted(const struct zone *z, uint32_t now, char *err,
			size_t errlen, struct zone_verify_stats *st);

#endif

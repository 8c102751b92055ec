/* fuzz_xfr.c -- incoming zone transfers (zones/xfr.h): the answers a
 * primary sends, fed to xfr_feed() as it gets them from xfrin.c.
 *
 * Input: one byte (bit 0: IXFR from the served version of
 * tests/data/fuzz.zone, else AXFR), then messages, each a two-byte length
 * and its bytes (as on TCP). Each message's ID is set to the query's so
 * the fuzzer reaches past the header check. Whatever is fed, the call
 * returns (no crash, no leak), a finished transfer yields a zone or an
 * error, and the base version is never changed (its serial stays).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns.h"
#include "zones/xfr.h"
#include "zones/zload.h"
#include "zones/zone.h"

#ifndef FUZZ_ZONE_FILE
#define FUZZ_ZONE_FILE "tests/data/fuzz.zone"
#endif

#define FUZZ_ID 0x4c56

static const uint8_t apex[] = "\x07" "example" "\x03" "com";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[65535];
	struct zone *base = NULL, *out = NULL;
	enum xfr_kind kind;
	struct xfr *x;
	char err[256];
	size_t off = 1;
	int rc = 0, rcode;
	uint32_t serial = 0;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		/* a fresh base each run: a change is made of a family's newest
		 * version, and an earlier run's may have been newer */
		if (zload_file("example.com", FUZZ_ZONE_FILE, &base, err,
			       sizeof(err)) != 0)
			abort();
		serial = zone_serial(base);
	}
	x = xfr_new(apex, base ? DNS_TYPE_IXFR : DNS_TYPE_AXFR, FUZZ_ID, base);
	if (!x)
		abort();
	/* at most 64 messages an input */
	for (int n = 0; n < 64 && off + 2 <= size && rc == 0; n++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		memcpy(msg, data + off, len);
		off += len;
		if (len >= 2) {
			msg[0] = FUZZ_ID >> 8;
			msg[1] = FUZZ_ID & 0xff;
		}
		rc = xfr_feed(x, msg, len, &rcode, err, sizeof(err));
	}
	if (rc == 1 && xfr_finish(x, &out, &kind, err, sizeof(err)) == 0) {
		if ((kind == XFR_FULL || kind == XFR_INCR) && !out)
			abort();
		zone_free(out);
	}
	xfr_free(x);
	if (base) {
		if (zone_serial(base) != serial)
			abort();
		zone_free(base);
	}
	return 0;
}

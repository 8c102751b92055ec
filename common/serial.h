/* serial.h -- SOA serial arithmetic (RFC 1982, SERIAL_BITS 32).
 *
 * Two serials compare by the shorter way round the 2^32 circle; a pair
 * exactly 2^31 apart is undefined by the RFC and compares as neither
 * lower nor higher here (a reload then keeps the served version).
 */
#ifndef LEVEE_COMMON_SERIAL_H
#define LEVEE_COMMON_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

/* True when b is after a (RFC 1982 3.2: a < b). */
static inline bool serial_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}

#endif

/* name.c -- domain names in uncompressed wire form.
 *
 * Pure functions over well-formed wire names (see name.h): the caller has
 * checked the name (the zone loader gets names from ldns, the answer engine
 * from its own packet parser). Nothing here allocates; every function walks
 * the name once, so each costs O(length).
 */
#include <stdio.h>
#include <string.h>

#include "common/name.h"

static inline uint8_t name_lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

size_t name_length(const uint8_t *name)
{
	const uint8_t *p = name;

	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

int name_label_count(const uint8_t *name)
{
	int n = 0;

	while (*name) {
		name += *name + 1;
		n++;
	}
	return n;
}

void name_lower_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
	/* Eight bytes a step (SWAR): for each byte below 0x80, bit 7 of
	 * (b + 0x3f) says b >= 'A' and bit 7 of (b + 0x25) says b > 'Z' (no
	 * carry crosses bytes: both sums stay below 0x100 for b < 0x80);
	 * their difference marks 'A'..'Z', whose 0x20 bit is then set. */
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, hi = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, b;

		memcpy(&w, src + i, 8);
		b = w & lo7;
		uint64_t ge_a = b + 0x3f3f3f3f3f3f3f3full;
		uint64_t gt_z = b + 0x2525252525252525ull;
		uint64_t up = (ge_a ^ gt_z) & ~w & hi;
		w |= up >> 2;
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++) {
		uint8_t c = src[i];
		dst[i] = (uint8_t)(c | (((uint8_t)(c - 'A') < 26u) << 5));
	}
}

size_t name_to_lower(uint8_t *dst, const uint8_t *src)
{
	size_t n = name_length(src);

	/* Label length bytes (at most 63) are below 'A': folding the whole
	 * wire name byte by byte leaves them as they are. */
	name_lower_bytes(dst, src, n);
	return n;
}

bool name_equal_ci(const uint8_t *a, const uint8_t *b)
{
	size_t i = 0;

	for (;;) {
		uint8_t len = a[i];

		if (b[i] != len)
			return false;
		i++;
		if (len == 0)
			return true;
		for (uint8_t k = 0; k < len; k++, i++)
			if (name_lc(a[i]) != name_lc(b[i]))
				return false;
	}
}

static uint64_t name_hash_key;

void name_hash_set_key(uint64_t key)
{
	name_hash_key = key;
}

uint32_t name_hash(const uint8_t *lname, size_t len)
{
	/* Eight bytes a step (a multiply and a shift each), the length mixed
	 * in, then a final avalanche so the low bits serve the power-of-two
	 * tables of zone.c and zdb.c. */
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = (k ^ len ^ name_hash_key) * k, w;

	for (; len >= 8; len -= 8, lname += 8) {
		memcpy(&w, lname, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, lname, len);
	h = (h ^ w ^ ((uint64_t)len << 59)) * k;
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

bool name_is_below_or_equal(const uint8_t *lname, const uint8_t *lparent)
{
	int nl = name_label_count(lname);
	int pl = name_label_count(lparent);
	const uint8_t *s;

	if (nl < pl)
		return false;
	s = name_suffix(lname, pl);
	return memcmp(s, lparent, name_length(lparent)) == 0;
}

const uint8_t *name_suffix(const uint8_t *name, int labels)
{
	int skip = name_label_count(name) - labels;

	while (skip-- > 0)
		name += *name + 1;
	return name;
}

char *name_to_text(const uint8_t *name, char *buf, size_t buflen)
{
	size_t o = 0;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	if (*name == 0) {
		if (buflen > 1) {
			buf[0] = '.';
			buf[1] = '\0';
		}
		return buf;
	}
	while (*name) {
		uint8_t len = *name++;

		for (uint8_t k = 0; k < len; k++) {
			uint8_t c = name[k];
			char tmp[5];
			size_t tl;

			if (c == '.' || c == '\\' || c == '"' || c == '(' ||
			    c == ')' || c == ';' || c == '@' || c == '$') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tl = 2;
			} else if (c <= 0x20 || c >= 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\%03u", c);
				tl = 4;
			} else {
				tmp[0] = (char)c;
				tl = 1;
			}
			if (o + tl + 1 >= buflen)
				return buf;
			memcpy(buf + o, tmp, tl);
			o += tl;
			buf[o] = '\0';
		}
		name += len;
		if (o + 2 > buflen)
			return buf;
		buf[o++] = '.';
		buf[o] = '\0';
	}
	return buf;
}

size_t name_from_text(const char *text, uint8_t *out)
{
	size_t o = 0, lab = 0;

	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	for (const char *c = text;; c++) {
		if (*c == '.' || *c == '\0') {
			size_t l = o - lab;

			if (l == 0 && *c == '\0' && lab > 0 && c[-1] == '.')
				break;          /* the trailing dot */
			if (l == 0 || l > 63)
				return 0;
			out[lab] = (uint8_t)l;
			lab = ++o;
			if (*c == '\0')
				break;
			continue;
		}
		if (o + 2 > NAME_MAX_LEN)
			return 0;
		out[++o] = (uint8_t)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
	}
	out[lab] = 0;
	return lab + 1;
}

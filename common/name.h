/* name.h -- domain names in uncompressed wire form.
 *
 * A "name" here is a sequence of length-prefixed labels ending with the root
 * label (a zero byte), never compressed, at most NAME_MAX_LEN bytes. Names
 * stored in zones and used as lookup keys are lowercase ("lname"); the
 * original letter case of a query is kept only in the packet itself.
 * All functions are pure, allocate nothing and may be called from any thread.
 */
#ifndef LEVEE_ZONES_NAME_H
#define LEVEE_ZONES_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_LEN 255
#define NAME_MAX_LABELS 128

/* Wire length of a well-formed name, root byte included. */
size_t name_length(const uint8_t *name);

/* Number of labels, the root not counted ("\3com\0" -> 1, "\0" -> 0). */
int name_label_count(const uint8_t *name);

/* Copies n bytes from src to dst folding ASCII A-Z to a-z, 8 bytes a
 * step. A whole wire name may be folded so: its length bytes are below
 * 'A'. */
void name_lower_bytes(uint8_t *dst, const uint8_t *src, size_t n);

/* Copies src to dst folding ASCII A-Z to a-z; returns the length written.
 * dst must hold NAME_MAX_LEN bytes. */
size_t name_to_lower(uint8_t *dst, const uint8_t *src);

/* Equality ignoring ASCII letter case. */
bool name_equal_ci(const uint8_t *a, const uint8_t *b);

/* Hash of a lowercase name of len bytes (stable within one process),
 * keyed (name_hash_set_key) so that names cannot be chosen to collide in
 * the zone index (zones/internal.h) without knowing the key. */
uint32_t name_hash(const uint8_t *lname, size_t len);

/* Sets the key of name_hash(): once, at start, before any name is hashed
 * (every table built with one key must be read with it). 0 until set. */
void name_hash_set_key(uint64_t key);

/* True when lname equals lparent or lies below it (both lowercase). */
bool name_is_below_or_equal(const uint8_t *lname, const uint8_t *lparent);

/* Pointer to the suffix of name that has `labels` labels (0 -> root).
 * labels must be <= name_label_count(name). */
const uint8_t *name_suffix(const uint8_t *name, int labels);

/* Writes the presentation form ("www.example.com.") into buf, always NUL
 * terminated, escaping special bytes as \DDD; returns buf. For logs and tests. */
char *name_to_text(const uint8_t *name, char *buf, size_t buflen);

/* A presentation name ("example.com", "example.com." or ".": labels of
 * 1..63 bytes, no escapes, as the configuration has them) to lowercase wire
 * form in out (NAME_MAX_LEN + 1 bytes). Returns its length, 0 when it is
 * not such a name. */
size_t name_from_text(const char *text, uint8_t *out);

#endif

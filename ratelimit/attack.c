/* attack.c -- under-attack mode: per-second measures, thresholds and
 * hysteresis, shared by every reactor without a lock.
 *
 * Three measurement slots rotate by second % 3; reactors add to the slot
 * of the current second with relaxed atomics. The first reactor that sees
 * a later second wins a CAS on `second`, evaluates the slot of the second
 * that ended, keeps it as the second before (the early zone check reads
 * the zone's answers there), and clears the third, which serves the
 * second after this one; when seconds were skipped (no traffic at all) it
 * counts them as calm and clears all three. A straggler still adding to a
 * slot while it is evaluated or cleared costs one query's accounting,
 * never a wrong state for long.
 * Distinct names: each query's lowercased qname is hashed (keyed FNV-1a
 * variant, cheap and enough against a flooder who does not know the key)
 * into one bit of a 65,536-bit map; with z zero bits the estimate is
 * -m ln(z/m), so "more than T distinct" is "fewer than m e^(-T/m) zero
 * bits", a bound computed once at start (without libm).
 * Zones (attack.h says why here): each slot has ATTACK_ZONE_CELLS cells of
 * {owner, answers << 32 | nxdomains}; a zone takes the first free cell
 * (owner 0, claimed by CAS) of up to ATTACK_ZONE_PROBES from its mixed
 * identity, or adds to the last one probed when all are taken. The
 * evaluator scans the cells of the second that ended (only when the zone
 * threshold is set) and keeps the zone with the highest share among those
 * with at least zone-nxdomain-min NXDOMAINs. To name that zone in the log,
 * the answer whose NXDOMAIN count reaches the floor (or a power of two
 * above it) while its share so far is over the threshold claims the
 * slot's name record once (CAS) and copies the apex in with relaxed
 * atomic byte stores, published by a release store of its length.
 */
#include "ratelimit/attack.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define ATTACK_MAP_BITS 65536u
#define ATTACK_MAP_WORDS (ATTACK_MAP_BITS / 64u)
#define ATTACK_ZONE_CELLS 4096u      /* a power of two */
#define ATTACK_ZONE_PROBES 8u
#define ATTACK_NAME_MAX 255u

struct attack_cell {
	_Atomic uintptr_t zone;          /* owner this second, 0: free */
	_Atomic uint64_t counts;         /* answers << 32 | NXDOMAINs */
};

struct attack_slot {
	_Atomic uint64_t queries;
	_Atomic uint64_t filtered;       /* dropped by the name filter */
	_Atomic uint64_t map[ATTACK_MAP_WORDS];
	_Atomic uint32_t name_cell;      /* cell + 1 the name is of, 0: none */
	_Atomic uint32_t name_len;       /* set (release) once name is whole */
	_Atomic uint8_t name[ATTACK_NAME_MAX];
	struct attack_cell zones[ATTACK_ZONE_CELLS];
};

struct attack {
	struct attack_config cfg;
	attack_log_fn log;
	uint64_t name_key;
	uint64_t zone_key;
	unsigned zeros_engage;           /* distinct names: engage below */
	unsigned zeros_release;          /* ...calm at or above */
	_Atomic uint32_t second;         /* the second being measured */
	_Atomic uint32_t prev_second;    /* the one slot[prev % 3] holds, when
					    it is second - 1; else 0 */
	_Atomic bool engaged;
	_Atomic uint32_t calm;           /* consecutive calm seconds */
	_Atomic unsigned long engagements, disengagements;
	struct attack_slot slot[3];      /* by second % 3: this second, the
					    one before (kept for the early
					    checks), the next (cleared) */
};

void attack_config_init(struct attack_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = ATTACK_OFF;
	c->zone_nxdomain_min = 100;
	c->release_percent = 50;
	c->hold_time = 10;
	c->source_share_percent = 50;
	c->nxdomain_budget_percent = 25;
	c->name_filter = true;
	c->name_filter_sample = 32;
	c->name_filter_capacity = 1u << 20;
}

/* m * (1 - 1/m)^n, about m e^(-n/m): zero bits left after n distinct. */
static unsigned attack_zeros_after(double n)
{
	double base = 1.0 - 1.0 / ATTACK_MAP_BITS, r = 1.0;
	unsigned long e = (unsigned long)n;

	while (e) {
		if (e & 1)
			r *= base;
		base *= base;
		e >>= 1;
	}
	return (unsigned)(ATTACK_MAP_BITS * r);
}

struct attack *attack_new(const struct attack_config *c, attack_log_fn log)
{
	struct attack *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cfg = *c;
	a->log = log;
	if (getrandom(&a->name_key, sizeof(a->name_key), 0) !=
	    sizeof(a->name_key))
		a->name_key = (uint64_t)(uintptr_t)a ^ 0x9E3779B97F4A7C15ull;
	a->zone_key = a->name_key * 0xbf58476d1ce4e5b9ull + 0x94d049bb133111ebull;
	if (c->distinct_names_per_second) {
		a->zeros_engage = attack_zeros_after(c->distinct_names_per_second);
		a->zeros_release = attack_zeros_after(
			(double)c->distinct_names_per_second *
			c->release_percent / 100.0);
	}
	atomic_store_explicit(&a->engaged, c->mode == ATTACK_ON,
			      memory_order_relaxed);
	return a;
}

void attack_free(struct attack *a)
{
	free(a);
}

bool attack_engaged(const struct attack *a)
{
	return a && atomic_load_explicit(&a->engaged, memory_order_relaxed);
}

const struct attack_config *attack_config_of(const struct attack *a)
{
	return a ? &a->cfg : NULL;
}

unsigned long attack_changes(const struct attack *a, bool engaged)
{
	return atomic_load_explicit(engaged ? &a->engagements :
					      &a->disengagements,
				    memory_order_relaxed);
}

static void attack_slot_clear(const struct attack *a, struct attack_slot *s)
{
	atomic_store_explicit(&s->queries, 0, memory_order_relaxed);
	atomic_store_explicit(&s->filtered, 0, memory_order_relaxed);
	if (a->cfg.distinct_names_per_second)
		for (unsigned i = 0; i < ATTACK_MAP_WORDS; i++)
			atomic_store_explicit(&s->map[i], 0,
					      memory_order_relaxed);
	if (!a->cfg.zone_nxdomain_percent)
		return;
	atomic_store_explicit(&s->name_len, 0, memory_order_relaxed);
	atomic_store_explicit(&s->name_cell, 0, memory_order_relaxed);
	for (unsigned i = 0; i < ATTACK_ZONE_CELLS; i++) {
		atomic_store_explicit(&s->zones[i].zone, 0,
				      memory_order_relaxed);
		atomic_store_explicit(&s->zones[i].counts, 0,
				      memory_order_relaxed);
	}
}

/* The zone with the highest NXDOMAIN share of the second in s, among
 * those with at least zone-nxdomain-min NXDOMAINs: its cell, or -1. */
static int attack_worst_zone(const struct attack *a, struct attack_slot *s,
			     uint32_t *nx_out, uint32_t *ans_out)
{
	uint32_t floor = a->cfg.zone_nxdomain_min ? a->cfg.zone_nxdomain_min : 1;
	uint64_t best_nx = 0, best_ans = 1;
	int best = -1;

	for (unsigned i = 0; i < ATTACK_ZONE_CELLS; i++) {
		uint64_t c = atomic_load_explicit(&s->zones[i].counts,
						  memory_order_relaxed);
		uint64_t nx = (uint32_t)c, ans = c >> 32;

		if (nx < floor || ans == 0 ||
		    !atomic_load_explicit(&s->zones[i].zone,
					  memory_order_relaxed))
			continue;
		if (nx > ans)   /* a straggler's half-seen add */
			nx = ans;
		/* nx/ans > best_nx/best_ans, or equal with more NXDOMAINs */
		if (best < 0 || nx * best_ans > best_nx * ans ||
		    (nx * best_ans == best_nx * ans && nx > best_nx)) {
			best = (int)i;
			best_nx = nx;
			best_ans = ans;
		}
	}
	*nx_out = (uint32_t)best_nx;
	*ans_out = (uint32_t)best_ans;
	return best;
}

/* The name recorded for cell (wire, from attack_note_answer) as text in
 * out, or "" when none was recorded. */
static void attack_zone_name(struct attack_slot *s, int cell, char *out,
			     size_t cap)
{
	uint8_t w[ATTACK_NAME_MAX];
	uint32_t len;
	size_t o = 0, off = 0;

	out[0] = '\0';
	if (cell < 0 || atomic_load_explicit(&s->name_cell,
					     memory_order_relaxed) !=
				(uint32_t)cell + 1u)
		return;
	len = atomic_load_explicit(&s->name_len, memory_order_acquire);
	if (len == 0 || len > ATTACK_NAME_MAX)
		return;
	for (uint32_t i = 0; i < len; i++)
		w[i] = atomic_load_explicit(&s->name[i], memory_order_relaxed);
	while (off < len && o + 2 < cap) {
		uint8_t l = w[off++];

		if (l == 0 || off + l > len)
			break;
		for (unsigned i = 0; i < l && o + 2 < cap; i++) {
			uint8_t c = w[off + i];

			out[o++] = ((c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '-' ||
				    c == '_' || c == '*') ? (char)c : '?';
		}
		off += l;
		out[o++] = '.';
	}
	if (o == 0 && cap > 1)
		out[o++] = '.';
	out[o] = '\0';
}

static unsigned attack_zero_bits(struct attack_slot *s)
{
	unsigned z = 0;

	for (unsigned i = 0; i < ATTACK_MAP_WORDS; i++)
		z += 64u - (unsigned)__builtin_popcountll(atomic_load_explicit(
				   &s->map[i], memory_order_relaxed));
	return z;
}

/* Engages unless engaged already (false then): one CAS, so that of an
 * early engagement and the evaluation of the second that ended, racing on
 * two reactors, only one reports the change. */
static bool attack_engage_now(struct attack *a)
{
	bool was = false;

	if (!atomic_compare_exchange_strong_explicit(&a->engaged, &was, true,
						     memory_order_relaxed,
						     memory_order_relaxed))
		return false;
	atomic_store_explicit(&a->calm, 0, memory_order_relaxed);
	return true;
}

/* Evaluates one finished second. Returns the change, with its reason. */
static enum attack_change attack_evaluate(struct attack *a,
					  struct attack_slot *s, char *why,
					  size_t cap)
{
	const struct attack_config *c = &a->cfg;
	uint64_t f = atomic_load_explicit(&s->filtered, memory_order_relaxed);
	uint64_t q = atomic_load_explicit(&s->queries, memory_order_relaxed) + f;
	uint32_t nx = 0, zans = 0;
	int zcell = -1;
	unsigned rel = c->release_percent, zeros = ATTACK_MAP_BITS;
	bool over = false, calm = true;
	uint32_t held;

	if (c->distinct_names_per_second)
		zeros = attack_zero_bits(s);
	why[0] = '\0';
	if (c->queries_per_second) {
		if (q > c->queries_per_second) {
			over = true;
			snprintf(why, cap, "queries %llu/s over %u/s",
				 (unsigned long long)q, c->queries_per_second);
		}
		if (q * 100u >= (uint64_t)c->queries_per_second * rel)
			calm = false;
	}
	if (c->zone_nxdomain_percent)
		zcell = attack_worst_zone(a, s, &nx, &zans);
	if (zcell >= 0) {
		/* nx * 100 / zans, compared without rounding down */
		uint64_t pct100 = (uint64_t)nx * 100u;

		if (pct100 >= (uint64_t)c->zone_nxdomain_percent * zans) {
			if (!over) {
				char zn[ATTACK_NAME_MAX + 2];

				attack_zone_name(s, zcell, zn, sizeof(zn));
				snprintf(why, cap, "zone %s%sNXDOMAIN %llu%% of "
					 "its %u queries/s over %u%%", zn,
					 zn[0] ? " " : "",
					 (unsigned long long)(pct100 / zans),
					 zans, c->zone_nxdomain_percent);
			}
			over = true;
		}
		if (pct100 * 100u >=
		    (uint64_t)c->zone_nxdomain_percent * rel * zans)
			calm = false;
	}
	/* What the name filter dropped would have been NXDOMAINs of served
	 * zones, nearly all for distinct names: a second in which it dropped
	 * zone-nxdomain-min of them, or release-percent of the distinct-names
	 * threshold, is not calm (else the flood it holds back would make
	 * the mode disengage, and the filter with it). Which zone they were
	 * for is not known, so no share is asked of them: holding the mode
	 * so costs zone-nxdomain-min would-be NXDOMAINs a second, what
	 * engaging it costs at any quiet zone (a share of its few answers).
	 * A share of all queries would not do: a flood at one zone among
	 * busy others is a small share of the whole. */
	if (c->zone_nxdomain_percent &&
	    f >= (c->zone_nxdomain_min ? c->zone_nxdomain_min : 1))
		calm = false;
	if (c->distinct_names_per_second &&
	    f * 100u >= (uint64_t)c->distinct_names_per_second * rel)
		calm = false;
	if (c->distinct_names_per_second) {
		if (zeros < a->zeros_engage) {
			if (!over)
				snprintf(why, cap, "distinct query names over "
					 "%u/s (%u of %u map bits set)",
					 c->distinct_names_per_second,
					 ATTACK_MAP_BITS - zeros,
					 ATTACK_MAP_BITS);
			over = true;
		}
		if (zeros < a->zeros_release)
			calm = false;
	}
	if (c->mode != ATTACK_AUTO)
		return ATTACK_SAME;
	if (!atomic_load_explicit(&a->engaged, memory_order_relaxed)) {
		/* an early engagement (attack_engage_now) may win the race:
		 * then this second's change is already reported */
		if (!over)
			return ATTACK_SAME;
		return attack_engage_now(a) ? ATTACK_ENGAGED : ATTACK_SAME;
	}
	if (!calm) {
		atomic_store_explicit(&a->calm, 0, memory_order_relaxed);
		return ATTACK_SAME;
	}
	held = atomic_load_explicit(&a->calm, memory_order_relaxed) + 1;
	atomic_store_explicit(&a->calm, held, memory_order_relaxed);
	if (held < (c->hold_time ? c->hold_time : 1))
		return ATTACK_SAME;
	snprintf(why, cap, "every measure under %u%% of its threshold for "
		 "%u s (queries %llu/s, %llu of them dropped by the name "
		 "filter)", rel, held, (unsigned long long)q,
		 (unsigned long long)f);
	atomic_store_explicit(&a->engaged, false, memory_order_relaxed);
	return ATTACK_DISENGAGED;
}

/* Calm seconds without any query (skipped by the rotation). */
static enum attack_change attack_idle(struct attack *a, uint32_t n,
				      char *why, size_t cap)
{
	uint32_t held;

	if (a->cfg.mode != ATTACK_AUTO || n == 0 ||
	    !atomic_load_explicit(&a->engaged, memory_order_relaxed))
		return ATTACK_SAME;
	held = atomic_load_explicit(&a->calm, memory_order_relaxed) + n;
	atomic_store_explicit(&a->calm, held, memory_order_relaxed);
	if (held < (a->cfg.hold_time ? a->cfg.hold_time : 1))
		return ATTACK_SAME;
	snprintf(why, cap, "no queries for %u s", n);
	atomic_store_explicit(&a->engaged, false, memory_order_relaxed);
	return ATTACK_DISENGAGED;
}

static void attack_report(struct attack *a, enum attack_change ch,
			  const char *why)
{
	char line[480];

	if (ch == ATTACK_SAME)
		return;
	atomic_fetch_add_explicit(ch == ATTACK_ENGAGED ? &a->engagements :
							 &a->disengagements,
				  1, memory_order_relaxed);
	if (!a->log)
		return;
	snprintf(line, sizeof(line), "attack: %s (%s)",
		 ch == ATTACK_ENGAGED ? "under-attack mode engaged" :
					"under-attack mode disengaged", why);
	a->log(line);
}

/* The qname hash handed in, mixed with the secret key so that nobody can
 * choose names that land on one bit of the map. Never 0. */
static uint32_t attack_name_bit(const struct attack *a, uint32_t name_hash)
{
	uint64_t h = a->name_key ^ name_hash;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h | 1u;
}

bool attack_wants_names(const struct attack *a)
{
	return a && a->cfg.mode == ATTACK_AUTO &&
	       a->cfg.distinct_names_per_second;
}

enum attack_change attack_note_query(struct attack *a, uint32_t name_hash,
				     uint64_t now_ms)
{
	uint32_t sec = (uint32_t)(now_ms / 1000u);
	uint32_t cur;
	uint64_t q;
	enum attack_change ch = ATTACK_SAME;
	struct attack_slot *s;

	if (!a || a->cfg.mode != ATTACK_AUTO)
		return ATTACK_SAME;
	cur = atomic_load_explicit(&a->second, memory_order_relaxed);
	if ((int32_t)(sec - cur) > 0 &&
	    atomic_compare_exchange_strong_explicit(&a->second, &cur, sec,
						    memory_order_relaxed,
						    memory_order_relaxed)) {
		char why[400];

		if (cur != 0)
			ch = attack_evaluate(a, &a->slot[cur % 3], why,
					     sizeof(why));
		if (cur != 0 && sec - cur == 1) {
			/* the second that ended stays as the one before */
			attack_slot_clear(a, &a->slot[(sec + 1) % 3]);
			atomic_store_explicit(&a->prev_second, cur,
					      memory_order_relaxed);
		} else {
			for (unsigned i = 0; i < 3; i++)
				attack_slot_clear(a, &a->slot[i]);
			atomic_store_explicit(&a->prev_second, 0,
					      memory_order_relaxed);
			if (cur != 0 && ch == ATTACK_SAME)
				ch = attack_idle(a, sec - cur - 1, why,
						 sizeof(why));
		}
		attack_report(a, ch, why);
	}
	s = &a->slot[sec % 3];
	q = atomic_fetch_add_explicit(&s->queries, 1, memory_order_relaxed) + 1;
	/* Early: the query that takes this second over the rate threshold
	 * engages at once (the second's own evaluation would, when it
	 * ends). One compare per query. */
	if (q == (uint64_t)a->cfg.queries_per_second + 1u &&
	    a->cfg.queries_per_second && ch == ATTACK_SAME &&
	    attack_engage_now(a)) {
		char why[160];

		snprintf(why, sizeof(why), "queries over %u/s: %llu in the "
			 "first %u ms of the second", a->cfg.queries_per_second,
			 (unsigned long long)q, (unsigned)(now_ms % 1000u));
		ch = ATTACK_ENGAGED;
		attack_report(a, ch, why);
	}
	if (a->cfg.distinct_names_per_second && name_hash) {
		uint32_t h = attack_name_bit(a, name_hash);

		atomic_fetch_or_explicit(&s->map[(h % ATTACK_MAP_BITS) / 64u],
					 1ull << (h % 64u), memory_order_relaxed);
	}
	return ch;
}

void attack_note_filtered(struct attack *a, uint64_t n, uint64_t now_ms)
{
	if (!a || a->cfg.mode != ATTACK_AUTO || n == 0)
		return;
	atomic_fetch_add_explicit(
		&a->slot[(uint32_t)(now_ms / 1000u) % 3].filtered, n,
		memory_order_relaxed);
}

/* Records apex as the name of cell in s, once per second (the first
 * claim wins). */
static void attack_claim_name(struct attack_slot *s, unsigned cell,
			      const uint8_t *apex)
{
	uint32_t none = 0, len = 0;

	if (!apex || atomic_load_explicit(&s->name_cell, memory_order_relaxed) ||
	    !atomic_compare_exchange_strong_explicit(
		    &s->name_cell, &none, cell + 1u, memory_order_relaxed,
		    memory_order_relaxed))
		return;
	for (;;) {   /* labels of a valid name in wire form, bounded */
		uint8_t l = apex[len];

		if ((l & 0xc0) || len + l + 1u > ATTACK_NAME_MAX)
			return;
		for (unsigned i = 0; i <= l; i++)
			atomic_store_explicit(&s->name[len + i], apex[len + i],
					      memory_order_relaxed);
		len += l + 1u;
		if (l == 0)
			break;
	}
	atomic_store_explicit(&s->name_len, len, memory_order_release);
}

/* The answers of zone id (mixed hash h) in slot p (the second before), 0
 * when it had none; a cell it shared, all its probes taken, counts whole
 * (more answers: less eager). At most ATTACK_ZONE_PROBES loads. */
static uint64_t attack_prev_answers(struct attack_slot *p, uintptr_t id,
				    uint64_t h)
{
	unsigned i = (unsigned)(h >> 40);
	uint64_t counts = 0;

	for (unsigned k = 0; k < ATTACK_ZONE_PROBES; k++, i++) {
		struct attack_cell *c = &p->zones[i & (ATTACK_ZONE_CELLS - 1)];
		uintptr_t own = atomic_load_explicit(&c->zone,
						     memory_order_relaxed);

		if (own == 0)
			return 0;
		counts = atomic_load_explicit(&c->counts, memory_order_relaxed);
		if (own == id)
			break;
	}
	return counts >> 32;
}

enum attack_change attack_note_answer(struct attack *a, const void *zone,
				      const uint8_t *apex, bool nxdomain,
				      uint64_t now_ms)
{
	uintptr_t id = (uintptr_t)zone, own;
	struct attack_slot *s;
	struct attack_cell *cell = NULL;
	uint64_t h, old, expect;
	uint32_t floor, n, ans, sec, ms;
	unsigned i;
	char zn[ATTACK_NAME_MAX + 2], why[400];

	if (!a || !zone || a->cfg.mode != ATTACK_AUTO ||
	    !a->cfg.zone_nxdomain_percent)
		return ATTACK_SAME;
	sec = (uint32_t)(now_ms / 1000u);
	s = &a->slot[sec % 3];
	h = ((uint64_t)id ^ a->zone_key) * 0x9E3779B97F4A7C15ull;
	i = (unsigned)(h >> 40);
	for (unsigned p = 0; p < ATTACK_ZONE_PROBES; p++, i++) {
		cell = &s->zones[i & (ATTACK_ZONE_CELLS - 1)];
		own = atomic_load_explicit(&cell->zone, memory_order_relaxed);
		if (own == id)
			break;
		if (own == 0 &&
		    (atomic_compare_exchange_strong_explicit(
			     &cell->zone, &own, id, memory_order_relaxed,
			     memory_order_relaxed) ||
		     own == id))
			break;
	}   /* every probe taken by others: share the last one */
	old = atomic_fetch_add_explicit(&cell->counts,
					(1ull << 32) | (nxdomain ? 1u : 0u),
					memory_order_relaxed);
	if (!nxdomain)
		return ATTACK_SAME;
	/* When its count reaches the floor or a power of two above it with
	 * its share so far over the threshold, the zone is named and, early,
	 * the mode engages at once: the second so far has passed the
	 * threshold (about 20 checks a second at most per zone). */
	n = (uint32_t)old + 1u;
	floor = a->cfg.zone_nxdomain_min ? a->cfg.zone_nxdomain_min : 1;
	if (n < floor || (n != floor && (n & (n - 1u))))
		return ATTACK_SAME;
	ans = (uint32_t)(old >> 32) + 1u;
	if ((uint64_t)n * 100u < (uint64_t)a->cfg.zone_nxdomain_percent * ans)
		return ATTACK_SAME;
	attack_claim_name(s, (unsigned)(cell - s->zones), apex);
	if (attack_engaged(a))
		return ATTACK_SAME;
	/* Early only when the share holds against the zone's answers so far
	 * plus its answers of the second before, prorated over the rest of
	 * this one: a burst of zone-nxdomain-min NXDOMAINs at the start of a
	 * second cannot engage for a busy zone; it needs the share the whole
	 * second would (the cost of aiming the mode at a zone's users is
	 * unchanged). */
	ms = (uint32_t)(now_ms % 1000u);
	expect = ans;
	if (atomic_load_explicit(&a->prev_second, memory_order_relaxed) ==
	    sec - 1u)
		expect += attack_prev_answers(&a->slot[(sec + 2u) % 3], id, h) *
			  (1000u - ms) / 1000u;
	if ((uint64_t)n * 100u < (uint64_t)a->cfg.zone_nxdomain_percent * expect ||
	    !attack_engage_now(a))
		return ATTACK_SAME;
	attack_zone_name(s, (int)(cell - s->zones), zn, sizeof(zn));
	snprintf(why, sizeof(why), "zone %s%sNXDOMAIN %llu%% of its first %u "
		 "answers in %u ms of the second, over %u%%", zn,
		 zn[0] ? " " : "",
		 (unsigned long long)((uint64_t)n * 100u / ans), ans, ms,
		 a->cfg.zone_nxdomain_percent);
	attack_report(a, ATTACK_ENGAGED, why);
	return ATTACK_ENGAGED;
}

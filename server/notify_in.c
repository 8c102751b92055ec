/* notify_in.c -- NOTIFY in: the secondaries' acl table and the queue to
 * main (see notify_in.h). An open-addressed table of at most twice the
 * secondaries, keyed by name_hash (keyed: names cannot be chosen to
 * collide); each entry carries its own copy of the notify addresses
 * (with the keys their acl entry demands) and of its keyed primaries'
 * addresses (with their key). */
#include "server/notify_in.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "common/cidr.h"
#include "common/name.h"
#include "server/config.h"

struct notify_in_zone {
	uint8_t name[256];
	size_t len;                /* 0: empty slot */
	char *domain;
	size_t first, count;       /* its addresses: n->addrs[first..) */
	size_t pfirst, pcount;     /* its keyed primaries: n->paddrs[..) */
	int pending;               /* atomic */
};

struct notify_in {
	struct notify_in_zone *zones;
	uint32_t mask;
	struct cidr *addrs;
	uint64_t *akeys;           /* per address: its acl's keys (0: any) */
	size_t naddrs;
	struct cidr *paddrs;       /* primaries whose remote has a key */
	uint64_t *pkeys;           /* ... and that key's bit */
	size_t npaddrs;
	void (*wake)(void *arg);
	void *wake_arg;
	pthread_mutex_t lock;      /* the queue */
	size_t *queue, qlen, qcap; /* slot indices, one per zone at most */
	unsigned long allowed, denied;   /* atomic */
	struct rcu_head rcu;
};

static struct notify_in_zone *find(const struct notify_in *n,
				   const uint8_t *name, size_t len)
{
	for (uint32_t i = name_hash(name, len) & n->mask; n->zones[i].len;
	     i = (i + 1) & n->mask)
		if (n->zones[i].len == len &&
		    memcmp(n->zones[i].name, name, len) == 0)
			return &n->zones[i];
	return NULL;
}

void notify_in_free(struct notify_in *n)
{
	if (!n)
		return;
	for (size_t i = 0; n->zones && i <= n->mask; i++)
		free(n->zones[i].domain);
	free(n->zones);
	free(n->addrs);
	free(n->akeys);
	free(n->paddrs);
	free(n->pkeys);
	free(n->queue);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

struct notify_in *notify_in_new(const struct config *cfg,
				void (*wake)(void *arg), void *arg)
{
	struct notify_in *n;
	size_t count = 0, slots = 4, naddrs = 0, npaddrs = 0;

	for (size_t i = 0; i < cfg->zone_count; i++)
		count += cfg->zones[i].primaries != 0;
	if (!count || !(n = calloc(1, sizeof(*n))))
		return NULL;
	while (slots < count * 2)
		slots *= 2;
	pthread_mutex_init(&n->lock, NULL);
	n->wake = wake;
	n->wake_arg = arg;
	n->mask = (uint32_t)slots - 1;
	n->zones = calloc(slots, sizeof(*n->zones));
	n->queue = calloc(count, sizeof(*n->queue));
	n->qcap = count;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];

		for (size_t a = 0; cz->primaries && a < cfg->acl_count; a++)
			if (cz->acl >> a & 1 &&
			    cfg->acls[a].actions & CONFIG_ACL_NOTIFY)
				naddrs += cfg->acls[a].count;
		for (size_t r = 0; cz->primaries && r < cfg->remote_count; r++)
			npaddrs += (cz->primaries >> r & 1) &&
				   cfg->remotes[r].key >= 0;
	}
	n->addrs = calloc(naddrs ? naddrs : 1, sizeof(*n->addrs));
	n->akeys = calloc(naddrs ? naddrs : 1, sizeof(*n->akeys));
	n->paddrs = calloc(npaddrs ? npaddrs : 1, sizeof(*n->paddrs));
	n->pkeys = calloc(npaddrs ? npaddrs : 1, sizeof(*n->pkeys));
	if (!n->zones || !n->queue || !n->addrs || !n->akeys || !n->paddrs ||
	    !n->pkeys)
		goto fail;
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		uint8_t name[256];
		size_t len;
		struct notify_in_zone *z;

		if (!cz->primaries || !(len = name_from_text(cz->domain, name)))
			continue;
		if (find(n, name, len))
			continue;
		for (uint32_t s = name_hash(name, len) & n->mask;;
		     s = (s + 1) & n->mask) {
			if (!n->zones[s].len) {
				z = &n->zones[s];
				break;
			}
		}
		memcpy(z->name, name, len);
		z->len = len;
		if (!(z->domain = strdup(cz->domain)))
			goto fail;
		z->first = n->naddrs;
		for (size_t a = 0; a < cfg->acl_count; a++) {
			const struct config_acl *acl = &cfg->acls[a];

			if (!(cz->acl >> a & 1) ||
			    !(acl->actions & CONFIG_ACL_NOTIFY))
				continue;
			memcpy(n->addrs + n->naddrs, cfg->trusted + acl->first,
			       acl->count * sizeof(*n->addrs));
			for (size_t k = 0; k < acl->count; k++)
				n->akeys[n->naddrs + k] = acl->keys;
			n->naddrs += acl->count;
		}
		z->count = n->naddrs - z->first;
		z->pfirst = n->npaddrs;
		for (size_t r = 0; r < cfg->remote_count; r++) {
			const struct config_remote *rm = &cfg->remotes[r];

			if (!(cz->primaries >> r & 1) || rm->key < 0 ||
			    !cidr_of_sockaddr((const struct sockaddr *)
					      &rm->addr.addr, 128,
					      &n->paddrs[n->npaddrs]))
				continue;
			n->pkeys[n->npaddrs++] = UINT64_C(1) << rm->key;
		}
		z->pcount = n->npaddrs - z->pfirst;
	}
	return n;
fail:
	notify_in_free(n);
	return NULL;
}

/* May client, signed with the keys of mask key (0: unsigned), notify z?
 * A primary whose remote has a key must sign with it; then an address
 * of an acl entry with action notify, signed with one of its keys when
 * it names some. At most CONFIG_MAX_REMOTES + CONFIG_MAX_TRUSTED
 * comparisons. */
static bool allowed(const struct notify_in *n, const struct notify_in_zone *z,
		    const struct sockaddr *client, uint64_t key)
{
	const uint8_t *addr;
	bool ok = false;

	if (!client || !(addr = cidr_sockaddr_bytes(client)))
		return false;
	for (size_t i = z->pfirst; i < z->pfirst + z->pcount; i++)
		if (cidr_match(&n->paddrs[i], 1, client->sa_family, addr) &&
		    !(n->pkeys[i] & key))
			return false;
	for (size_t i = z->first; i < z->first + z->count && !ok; i++)
		ok = cidr_match(&n->addrs[i], 1, client->sa_family, addr) &&
		     (!n->akeys[i] || (n->akeys[i] & key));
	return ok;
}

int notify_in_note(struct notify_in *n, const uint8_t *lname, size_t len,
		   const struct sockaddr *client, uint64_t key)
{
	struct notify_in_zone *z;

	if (!n || !len || !(z = find(n, lname, len)))
		return -ENOENT;
	if (!allowed(n, z, client, key)) {
		__atomic_fetch_add(&n->denied, 1, __ATOMIC_RELAXED);
		return -EPERM;
	}
	__atomic_fetch_add(&n->allowed, 1, __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&z->pending, 1, __ATOMIC_ACQ_REL))
		return 0;             /* queued already: merged */
	pthread_mutex_lock(&n->lock);
	if (n->qlen < n->qcap)        /* always: one place per zone */
		n->queue[n->qlen++] = (size_t)(z - n->zones);
	pthread_mutex_unlock(&n->lock);
	n->wake(n->wake_arg);
	return 0;
}

size_t notify_in_drain(struct notify_in *n,
		       void (*cb)(void *arg, const char *domain), void *arg)
{
	size_t taken, *idx;

	if (!n)
		return 0;
	pthread_mutex_lock(&n->lock);
	taken = n->qlen;
	idx = malloc((taken ? taken : 1) * sizeof(*idx));
	if (idx) {
		memcpy(idx, n->queue, taken * sizeof(*idx));
		n->qlen = 0;
	} else {
		taken = 0;            /* the next wake-up tries again */
	}
	pthread_mutex_unlock(&n->lock);
	for (size_t i = 0; i < taken; i++) {
		struct notify_in_zone *z = &n->zones[idx[i]];

		__atomic_store_n(&z->pending, 0, __ATOMIC_RELEASE);
		cb(arg, z->domain);
	}
	free(idx);
	return taken;
}

void notify_in_counts(const struct notify_in *n, unsigned long *allowed,
		      unsigned long *denied)
{
	*allowed = n ? __atomic_load_n(&n->allowed, __ATOMIC_RELAXED) : 0;
	*denied = n ? __atomic_load_n(&n->denied, __ATOMIC_RELAXED) : 0;
}

static void notify_in_rcu_free(struct rcu_head *h)
{
	notify_in_free(caa_container_of(h, struct notify_in, rcu));
}

void notify_in_retire(struct notify_in *n)
{
	if (n)
		call_rcu(&n->rcu, notify_in_rcu_free);
}

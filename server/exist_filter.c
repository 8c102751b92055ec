/* exist_filter.c -- loading the existence filter and swapping its sets
 * (exist_filter.h).
 *
 * The program comes as an ELF object embedded at build time
 * (exist_filter_obj, made by meson from exist_filter.bpf.c with clang's
 * BPF target), opened with bpf_object__open_mem: no skeleton, so the
 * build needs no bpftool. libbpf creates the config, scratch, counter
 * and slot maps the object declares; the two set maps are made here, with
 * the template's type, sizes and flags (the kernel checks them when a
 * set goes into the slot) and their own max_entries.
 *
 * A load empties the spare set (lookup-and-delete in batches: deleting
 * key by key from a hash map costs a bucket scan per get_next_key),
 * writes the new entries in batches of EXF_BATCH, and puts the spare in
 * the slot. The kernel's set has no depth byte: only hashes and flags.
 *
 * exist_filter_new routes libbpf's messages (a process-wide setting) to
 * the debug log: the verifier's reasons when the program is refused.
 */
#include "server/exist_filter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef LEVEE_HAVE_EXIST_FILTER

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/socket.h>
#include <stdio.h>
#include <unistd.h>

#include "server/exist_filter_abi.h"
#include "server/log.h"

#define EXF_SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(EXF_SAME(EXF_APEX, EXIST_APEX) &&
	       EXF_SAME(EXF_WILDCARD, EXIST_WILDCARD) &&
	       EXF_SAME(EXF_CUT, EXIST_CUT) && EXF_SAME(EXF_DNAME, EXIST_DNAME) &&
	       EXF_SAME(EXF_ABOVE, EXIST_ABOVE) &&
	       EXF_SAME(EXF_OPAQUE, EXIST_OPAQUE) &&
	       EXF_SAME(EXF_STOP, EXIST_STOP), "exist_filter_abi.h flags");
_Static_assert(EXF_SAME(EXF_C_OTHER, EXIST_FILTER_OTHER) &&
	       EXF_SAME(EXF_C_NONE, EXIST_FILTER_NONE) &&
	       EXF_SAME(EXF_C_EXISTS, EXIST_FILTER_EXISTS) &&
	       EXF_SAME(EXF_C_BELOW, EXIST_FILTER_BELOW) &&
	       EXF_SAME(EXF_C_DROP, EXIST_FILTER_DROP) &&
	       EXF_SAME(EXF_C_SAMPLED, EXIST_FILTER_SAMPLED) &&
	       EXF_SAME(EXF_C_GARBAGE, EXIST_FILTER_GARBAGE) &&
	       EXF_SAME(EXF_COUNTERS, EXIST_FILTER_COUNTERS), "counters");

/* The object file, embedded by meson (exist_filter_obj.c). */
extern const unsigned char exist_filter_obj[];
extern const size_t exist_filter_obj_len;

#define EXF_BATCH 4096
#define EXF_DEFAULT_CAPACITY (1u << 20)

struct exist_filter {
	struct bpf_object *obj;
	int prog_fd, config_fd, counters_fd, slot_fd, next_fd;
	int set_fd[2];
	int live;              /* set_fd[live] is in the slot, -1: none */
	int spare;             /* the other one: filled, then swapped in */
	size_t capacity;
	struct exf_config config;
};

bool exist_filter_available(void)
{
	return true;
}

/* libbpf's messages at debug level, one log line per line of theirs: the
 * verifier's log of a refused program comes as one message of many. */
static int libbpf_to_debug(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	char small[1024], *buf = small, *line, *end;
	va_list aq;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small) && (buf = malloc((size_t)n + 1)) != NULL)
		vsnprintf(buf, (size_t)n + 1, fmt, aq);
	else
		buf = small;
	va_end(aq);
	for (line = buf; *line; line = end + (*end != '\0')) {
		end = line + strcspn(line, "\n");
		if (end > line)
			log_debug("exist filter: libbpf: %.*s",
				  (int)(end - line), line);
	}
	if (buf != small)
		free(buf);
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

static int write_config(struct exist_filter *f)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(f->config_fd, &zero, &f->config,
				   BPF_ANY) < 0 ? -errno : 0;
}

int exist_filter_new(const struct exist_filter_config *c,
		     struct exist_filter **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts,
		    .object_name = "levee_exist");
	LIBBPF_OPTS(bpf_map_create_opts, mopts,
		    .map_flags = BPF_F_NO_PREALLOC);
	struct exist_filter *f;
	struct bpf_program *prog;
	int rc;

	*out = NULL;
	if (!c->key)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->set_fd[0] = f->set_fd[1] = -1;
	f->live = -1;
	f->spare = 0;
	f->capacity = c->capacity ? c->capacity : EXF_DEFAULT_CAPACITY;
	f->config.k0 = le64(c->key);
	f->config.k1 = le64(c->key + 8);
	f->config.h_root = exist_hash_root(c->key);
	f->config.dns_offset = c->dns_offset ? c->dns_offset : 8;
	f->config.sample = c->sample;
	f->config.classic = c->classic;
	libbpf_set_print(libbpf_to_debug);
	f->obj = bpf_object__open_mem(exist_filter_obj, exist_filter_obj_len,
				      &oopts);
	if (!f->obj) {
		rc = -errno;
		goto fail;
	}
	prog = bpf_object__find_program_by_name(f->obj, "exist_filter");
	if (!prog) {
		rc = -ENOENT;
		goto fail;
	}
	if ((rc = bpf_object__load(f->obj)) < 0)
		goto fail;
	f->prog_fd = bpf_program__fd(prog);
	f->config_fd = map_fd(f->obj, "exf_config");
	f->counters_fd = map_fd(f->obj, "exf_counters");
	f->slot_fd = map_fd(f->obj, "exf_sets");
	f->next_fd = map_fd(f->obj, "exf_next");
	if (f->prog_fd < 0 || f->config_fd < 0 || f->counters_fd < 0 ||
	    f->slot_fd < 0 || f->next_fd < 0) {
		rc = -ENOENT;
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		rc = bpf_map_create(BPF_MAP_TYPE_HASH, "levee_names",
				    sizeof(uint64_t), sizeof(uint32_t),
				    (uint32_t)f->capacity, &mopts);
		if (rc < 0)
			goto fail;
		f->set_fd[i] = rc;
	}
	if ((rc = write_config(f)) < 0)
		goto fail;
	*out = f;
	return 0;
fail:
	exist_filter_free(f);
	return rc < 0 ? rc : -EINVAL;
}

/* Empties set map fd. */
static int set_empty(int fd)
{
	static uint64_t keys[EXF_BATCH];
	static uint32_t vals[EXF_BATCH];
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	uint64_t in = 0, out = 0;
	bool first = true;

	for (;;) {
		uint32_t n = EXF_BATCH;
		int rc = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in,
							 &out, keys, vals, &n,
							 &bopts);

		first = false;
		if (rc < 0 && errno != ENOENT)
			return -errno;
		if (rc < 0)
			return 0;       /* the last batch (n may be > 0) */
		in = out;
	}
}

int exist_filter_fill(struct exist_filter *f, const struct exist_set *s)
{
	static uint64_t keys[EXF_BATCH];
	static uint32_t vals[EXF_BATCH];
	LIBBPF_OPTS(bpf_map_batch_opts, bopts, .elem_flags = BPF_ANY);
	int spare = f->spare;
	size_t cursor = 0;
	uint64_t h;
	unsigned fl;
	bool more = true;
	int rc;

	if (exist_set_count(s) > f->capacity)
		return -E2BIG;
	if ((rc = set_empty(f->set_fd[spare])) < 0)
		return rc;
	while (more) {
		uint32_t n = 0;

		while (n < EXF_BATCH &&
		       (more = exist_set_next(s, &cursor, &h, &fl))) {
			keys[n] = h;
			vals[n++] = fl;
		}
		if (n && bpf_map_update_batch(f->set_fd[spare], keys, vals,
					      &n, &bopts) < 0)
			return -errno;
	}
	return 0;
}

/* Entry h of the live set or the spare widened by flags; with
 * only_absent, written only where h is missing. */
static int mark(struct exist_filter *f, bool spare, uint64_t h,
		unsigned flags, bool only_absent)
{
	int which = spare ? f->spare : f->live;
	uint32_t v = 0;
	bool found;

	if (which < 0)
		return -ENOENT;
	found = bpf_map_lookup_elem(f->set_fd[which], &h, &v) == 0;
	if (!found && errno != ENOENT)
		return -errno;
	if (found && (only_absent || (v | flags) == v))
		return 0;     /* nothing to widen */
	v |= flags;
	if (bpf_map_update_elem(f->set_fd[which], &h, &v, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int exist_filter_mark(struct exist_filter *f, bool spare, uint64_t h,
		      unsigned flags)
{
	return mark(f, spare, h, flags, false);
}

int exist_filter_mark_absent(struct exist_filter *f, bool spare, uint64_t h,
			     unsigned flags)
{
	return mark(f, spare, h, flags, true);
}

int exist_filter_swap(struct exist_filter *f)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(f->slot_fd, &zero, &f->set_fd[f->spare],
				BPF_ANY) < 0)
		return -errno;
	f->live = f->spare;
	f->spare ^= 1;
	return 0;
}

bool exist_filter_live(const struct exist_filter *f)
{
	return f->live >= 0;
}

int exist_filter_load(struct exist_filter *f, const struct exist_set *s)
{
	int rc = exist_filter_fill(f, s);

	if (rc == -E2BIG)
		return rc;
	if (rc == 0 && (rc = exist_filter_swap(f)) == 0)
		return 0;
	exist_filter_clear(f);
	return rc;
}

int exist_filter_set_next(struct exist_filter *f, int prog_fd)
{
	uint32_t zero = 0;

	if (prog_fd < 0)
		return bpf_map_delete_elem(f->next_fd, &zero) < 0 &&
		       errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(f->next_fd, &zero, &prog_fd, BPF_ANY) < 0 ?
	       -errno : 0;
}

/* memlock: of one map's fdinfo, or 0. */
static size_t map_memlock(int fd)
{
	char path[64], line[128];
	size_t v = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!(fp = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "memlock: %zu", &v) == 1)
			break;
	fclose(fp);
	return v;
}

size_t exist_filter_memory(struct exist_filter *f)
{
	return map_memlock(f->set_fd[0]) + map_memlock(f->set_fd[1]);
}

int exist_filter_clear(struct exist_filter *f)
{
	uint32_t zero = 0, stop = EXF_ABOVE | EXF_OPAQUE;

	/* H(root) is in every set: made opaque, the set in the slot passes
	 * everything from this update on, whatever the delete below does
	 * (BPF_EXIST: an update in place, never E2BIG) */
	if (f->live >= 0)
		(void)bpf_map_update_elem(f->set_fd[f->live], &f->config.h_root,
					  &stop, BPF_EXIST);
	f->live = -1;
	if (bpf_map_delete_elem(f->slot_fd, &zero) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int exist_filter_set_sample(struct exist_filter *f, unsigned n)
{
	f->config.sample = n;
	return write_config(f);
}

int exist_filter_attach(struct exist_filter *f, int fd)
{
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &f->prog_fd,
		       sizeof(f->prog_fd)) < 0)
		return -errno;
	return 0;
}

int exist_filter_counters(struct exist_filter *f,
			  uint64_t out[EXIST_FILTER_COUNTERS])
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t *v;

	if (cpus <= 0)
		return cpus < 0 ? cpus : -EINVAL;
	v = calloc((size_t)cpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < EXIST_FILTER_COUNTERS; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(f->counters_fd, &k, v) < 0) {
			int rc = -errno;

			free(v);
			return rc;
		}
		for (int c = 0; c < cpus; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}

unsigned exist_filter_verified_insns(struct exist_filter *f)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(f->prog_fd, &info, &len) < 0)
		return 0;
	return info.verified_insns;
}

unsigned exist_filter_prog_insns(struct exist_filter *f)
{
	struct bpf_program *p =
		bpf_object__find_program_by_name(f->obj, "exist_filter");

	return p ? (unsigned)bpf_program__insn_cnt(p) : 0;
}

int exist_filter_test_run(struct exist_filter *f, const void *frame,
			  size_t len, uint32_t *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len);
	int rc = bpf_prog_test_run_opts(f->prog_fd, &o);

	if (rc < 0)
		return rc;
	*verdict = o.retval;
	return 0;
}

int exist_filter_test_time(struct exist_filter *f, const void *frame,
			   size_t len, unsigned repeat, uint32_t *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .repeat = repeat);
	int rc = bpf_prog_test_run_opts(f->prog_fd, &o);

	if (rc < 0)
		return rc;
	*ns = o.duration;
	return 0;
}

void exist_filter_free(struct exist_filter *f)
{
	if (!f)
		return;
	for (int i = 0; i < 2; i++)
		if (f->set_fd[i] >= 0)
			close(f->set_fd[i]);
	bpf_object__close(f->obj);
	free(f);
}

#else /* !LEVEE_HAVE_EXIST_FILTER */

bool exist_filter_available(void)
{
	return false;
}

int exist_filter_new(const struct exist_filter_config *c,
		     struct exist_filter **out)
{
	(void)c;
	*out = NULL;
	return -ENOTSUP;
}

int exist_filter_load(struct exist_filter *f, const struct exist_set *s)
{
	(void)f;
	(void)s;
	return -ENOTSUP;
}

int exist_filter_fill(struct exist_filter *f, const struct exist_set *s)
{
	(void)f;
	(void)s;
	return -ENOTSUP;
}

int exist_filter_mark(struct exist_filter *f, bool spare, uint64_t h,
		      unsigned flags)
{
	(void)f;
	(void)spare;
	(void)h;
	(void)flags;
	return -ENOTSUP;
}

int exist_filter_mark_absent(struct exist_filter *f, bool spare, uint64_t h,
			     unsigned flags)
{
	(void)f;
	(void)spare;
	(void)h;
	(void)flags;
	return -ENOTSUP;
}

int exist_filter_swap(struct exist_filter *f)
{
	(void)f;
	return -ENOTSUP;
}

bool exist_filter_live(const struct exist_filter *f)
{
	(void)f;
	return false;
}

int exist_filter_set_next(struct exist_filter *f, int prog_fd)
{
	(void)f;
	(void)prog_fd;
	return -ENOTSUP;
}

size_t exist_filter_memory(struct exist_filter *f)
{
	(void)f;
	return 0;
}

int exist_filter_clear(struct exist_filter *f)
{
	(void)f;
	return -ENOTSUP;
}

int exist_filter_set_sample(struct exist_filter *f, unsigned n)
{
	(void)f;
	(void)n;
	return -ENOTSUP;
}

int exist_filter_attach(struct exist_filter *f, int fd)
{
	(void)f;
	(void)fd;
	return -ENOTSUP;
}

int exist_filter_counters(struct exist_filter *f,
			  uint64_t out[EXIST_FILTER_COUNTERS])
{
	(void)f;
	(void)out;
	return -ENOTSUP;
}

unsigned exist_filter_verified_insns(struct exist_filter *f)
{
	(void)f;
	return 0;
}

unsigned exist_filter_prog_insns(struct exist_filter *f)
{
	(void)f;
	return 0;
}

int exist_filter_test_run(struct exist_filter *f, const void *frame,
			  size_t len, uint32_t *verdict)
{
	(void)f;
	(void)frame;
	(void)len;
	(void)verdict;
	return -ENOTSUP;
}

int exist_filter_test_time(struct exist_filter *f, const void *frame,
			   size_t len, unsigned repeat, uint32_t *ns)
{
	(void)f;
	(void)frame;
	(void)len;
	(void)repeat;
	(void)ns;
	return -ENOTSUP;
}

void exist_filter_free(struct exist_filter *f)
{
	(void)f;
}

#endif

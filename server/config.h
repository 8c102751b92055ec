/* config.h -- the daemon's configuration: YAML file and command-line flags.
 *
 * config_load() reads a YAML file with libyaml (event API, each section
 * composed on its own, the zones: list one entry at a time) and fills a
 * struct config through a table of sections and keys, so a new section
 * (rate-limit:, cookies:) is one more table row and one parse function.
 * Time and memory are linear in the file; the number of zones has no limit
 * but the file's own size. Every error names the file, the line and the
 * key:
 *     levee.yaml:7: key 'reactors': expected an integer from 1 to 1024
 * The config is built on the main thread, then only read (by reactors too,
 * without locks) until the process exits.
 *
 * Keys (section server:):
 *   listen: [ADDR@PORT, ...]        IPv4 or IPv6, port defaults to 53
 *   reactors: N                     default: one per online CPU
 *   cpu-affinity: [CPU, ...]        reactor i pinned to cpu[i % count]
 *   user: NAME, group: NAME         privileges dropped to after binding
 *   identity: TEXT                  CHAOS id.server / hostname.bind
 *   nsid: TEXT | "hex:0a0b..."      RFC 5001 NSID payload
 *   version: TEXT                   CHAOS version.bind / version.server
 *   udp-max-payload: N              512..4096, default 1232
 *   udp-rcvbuf: BYTES, udp-sndbuf: BYTES   default 512 KiB / 4 MiB (0: kernel's)
 *   udp-bpf-filter: BOOL            kernel drop of short / QR=1 datagrams,
 *                                   default on (docs/flood.md)
 *   udp-ebpf-filter: BOOL           eBPF kernel drop map of prefixes over
 *                                   their limit (limits: slip 0 or N > 1),
 *                                   default on (docs/flood.md)
 *   udp-ebpf-hold-ms: MS            how long one stays listed, default 1000
 *   exempt-local: BOOL              UDP from 127.0.0.1 or ::1 that came in
 *                                   on the loopback interface bypasses RRL
 *                                   and the per-source limits, default on
 *                                   (udp.c; not with udp-io: libuv)
 *   tcp-idle-timeout: S             default 10
 *   tcp-keepalive: S                RFC 7828 value sent, default = idle timeout
 *   tcp-max-clients: N              total over all reactors, default 16384
 *   tcp-max-clients-per-prefix: N   per /24 (IPv4) or /56 (IPv6), default 50
 *   tcp-message-timeout: S          partial message held longer: close; default 5
 *   tcp-memory-max: BYTES           memory all TCP connections together may
 *                                   hold (structs and buffers), split
 *                                   evenly over the reactors; at the budget
 *                                   the connections longest without
 *                                   progress are closed; default 64 MiB,
 *                                   1 MiB..4 GiB-1 (docs/flood.md)
 *   transfers-max: N                AXFRs out at once over all reactors,
 *                                   default 10; past it SERVFAIL (xfrout.h)
 *   refresh-min-interval: S, refresh-max-interval: S   bounds of the
 *                                   secondaries' SOA refresh and retry
 *                                   waits, default 2 and 86400 (xfrin.h)
 *   log-level: error|warning|info|debug, syslog: BOOL
 *   log-format: text|json           stderr lines as text or JSON objects
 *   udp-io: mmsg|libuv              UDP path (udp.c or udp_uv.c), default
 *                                   mmsg; libuv refuses wildcard addresses
 * Section rate-limit: responses-per-second, referrals-per-second,
 *   nodata-per-second, nxdomains-per-second, errors-per-second,
 *   all-per-second, window, slip, ipv4-prefix-length, ipv6-prefix-length,
 *   exempt-clients: [CIDR, ...], log-only, max-table-size (docs/rrl.md).
 * Section cookies: answer: BOOL (default on), require: off|on|under-attack,
 *   secret / secret-previous / secret-next: 32 hex digits, master-key: 64
 *   hex digits, lifetime: S (docs/cookies.md).
 * Sections limits: (per-source query limits, zone NXDOMAIN budgets, TCP
 *   unanswered-connection cap) and attack: (under-attack mode), both off by
 *   default (docs/flood.md).
 * Section key: a list of { id: NAME, algorithm: hmac-sha1|hmac-sha256|
 *   hmac-sha384|hmac-sha512, secret: BASE64 } (Knot's key:, the secret as
 *   knotc conf-gen / keymgr -t and tsig-keygen print it): the TSIG keys
 *   (server/tsig.h) every query with a TSIG record is checked against.
 *   It must come before an acl: that names its keys.
 * Section acl: a list of { id: NAME, address: CIDR | [CIDR, ...],
 *   key: NAME | [NAME, ...], action: transfer|notify | [...] } (Knot's
 *   acl:; address or key or both). The query pipeline
 *   trusts every address listed for replication messages (NOTIFY, and
 *   SOA/AXFR/IXFR queries): they bypass rate limiting, per-source limits,
 *   cookies required and the attack mode (server/query.c).
 * Section zones: a list of { domain: NAME, file: PATH, acl: ID | [ID, ...],
 * notify: ID | [ID, ...], primaries: ID | [ID, ...],
 * serial-policy: keep|increment } (relative paths
 * are resolved against the config file's directory), as many as the file
 * holds; a name given twice is an error naming both lines. acl names
 * entries of the acl: section, notify entries of the remote: section, which
 * must come before zones:, as Knot's references do. A zone is transferred
 * out (AXFR) only to the addresses of its acl entries with action transfer;
 * without acl, to nobody. A zone with primaries: (remote: ids) is a
 * secondary, kept by transfers from them (server/xfrin.h): file: is then
 * optional and the zone is not read from it; NOTIFY for it is accepted
 * from the addresses of its acl entries with action notify.
 * Section metrics: listen: ADDR@PORT (the Prometheus endpoint, off when
 *   absent), per-zone: BOOL (zone-labelled series, default on);
 *   docs/metrics.md.
 * Section dnstap: sink: PATH or unix:PATH (a file, or a collector's Unix
 *   socket; relative to the config file; off when absent), identity:
 *   TEXT, version: TEXT, log-queries: BOOL, log-responses: BOOL (default
 *   on), sample: N (log 1 query in N, default 1), sample-under-attack: N
 *   (the same while the attack mode is engaged; default: sample);
 *   server/dnstap.h.
 * Section xdp: listen: IFACE[@PORT] or a list (the AF_XDP fast path for
 *   UDP, knotd's names; port 53 when omitted), udp: BOOL (on; off turns
 *   the section off), tcp: BOOL (off only: TCP stays on sockets),
 *   ring-size: N (a power of two, 256 to 65536, default 2048);
 *   server/xdp.h.
 * YAML anchors and aliases work within one section or one zones: entry.
 */
#ifndef LEVEE_SERVER_CONFIG_H
#define LEVEE_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ratelimit/rrl.h"
#include "ratelimit/cookie.h"
#include "ratelimit/limits.h"
#include "ratelimit/attack.h"
#include "server/dnstap.h"
#include "server/tsig.h"

#define CONFIG_MAX_LISTEN 64
#define CONFIG_MAX_CPUS 1024
#define CONFIG_MAX_XDP 16             /* xdp: listen: interfaces */
#define CONFIG_XDP_RING_DEFAULT 2048  /* xdp: ring-size (knotd's) */
#define CONFIG_MAX_REACTORS 1024
#define CONFIG_DEFAULT_RRL_RATE 200   /* rate-limit: responses-per-second */
#define CONFIG_MAX_NSID 512
#define CONFIG_MAX_ACL 64             /* acl: entries */
#define CONFIG_MAX_REMOTES 64         /* remote: entries (a zone's
					 notify: is a 64-bit mask) */
#define CONFIG_MAX_TEMPLATES 64       /* template: entries */
#define CONFIG_MAX_CATALOG_TEMPLATES 16 /* a catalog's catalog-template: */
#define CONFIG_MAX_TRUSTED 256        /* addresses over all acl: entries
					 (query.c checks them linearly) */
#define CONFIG_DEFAULT_TCP_MEMORY (64u << 20)   /* server: tcp-memory-max */
#define CONFIG_DEFAULT_TRANSFERS 10   /* server: transfers-max */
#define CONFIG_DEFAULT_REFRESH_MIN 2  /* server: refresh-min-interval, s */
#define CONFIG_DEFAULT_REFRESH_MAX 86400   /* refresh-max-interval, s */

/* udp-io: which UDP path the reactors run. */
enum config_udp_io {
	CONFIG_UDP_IO_MMSG,       /* uv_poll + our recvmmsg/sendmmsg (udp.c) */
	CONFIG_UDP_IO_LIBUV,      /* uv_udp_t with UV_UDP_RECVMMSG (udp_uv.c) */
};

/* Section cookies: (docs/cookies.md); turned into a cookie_ctx by main. */
struct config_cookies {
	bool answer;                    /* default true */
	int require;                    /* enum cookie_require */
	uint8_t secret[COOKIE_SECRET_LEN];
	uint8_t secret_previous[COOKIE_SECRET_LEN];
	uint8_t secret_next[COOKIE_SECRET_LEN];
	uint8_t master_key[COOKIE_MASTER_LEN];
	bool have_secret, have_previous, have_next, have_master;
	unsigned lifetime;              /* seconds; 0: static secrets */
};

struct config_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char text[64];            /* as written back: "127.0.0.1@5353" */
};

/* acl: actions (bits). */
enum config_acl_action {
	CONFIG_ACL_TRANSFER = 1 << 0,  /* AXFR/IXFR out (issue 13) */
	CONFIG_ACL_NOTIFY = 1 << 1,    /* NOTIFY in (issue 14) */
};

/* One acl: entry: its addresses are trusted[first .. first + count). */
struct config_acl {
	char id[64];
	size_t first, count;
	unsigned actions;              /* enum config_acl_action bits */
	int line;
	uint64_t keys;                 /* key: bit i: the keyring's key i
					  (config.tsig, in key: order) */
};

/* remote: entries (Knot's): a server Levee sends to (NOTIFY). */
struct config_remote {
	char id[64];
	struct config_listen addr;     /* port 53 unless given */
	bool have_addr;
	int key;                       /* key: index in config.tsig (what
					  Levee signs its messages to it
					  with), -1: none */
	int line;
};

/* A zone's dnssec-validation: (zones/zverify.h): a signed version that
 * fails is refused (on: the version served keeps serving) or served with
 * the failure in the log (warn); off: not checked. */
enum config_dnssec_validation {
	CONFIG_DNSSEC_VALIDATION_OFF = 0,
	CONFIG_DNSSEC_VALIDATION_ON,
	CONFIG_DNSSEC_VALIDATION_WARN,
};

/* template: entries (Knot's): the settings a catalog gives its member
 * zones (catalog-template:, server/catalogs.h). Every member is a
 * secondary of primaries. */
struct config_template {
	char id[64];
	char *file;               /* resolved path holding "%s" (the member's
				     name) once, or NULL: no copy kept */
	uint64_t notify, acl, primaries;   /* as struct config_zone's */
	uint8_t dnssec_validation;
	int zonefile_sync;
	int line;
};

struct config_zone {
	char *domain;             /* as given, without a trailing dot */
	char *file;               /* resolved path */
	int line;                 /* line in the config file, 0 for -z */
	uint64_t notify;          /* notify: bit i: remotes[i] (NOTIFY out) */
	bool serial_increment;    /* serial-policy: increment (reload.h) */
	uint8_t dnssec_validation;/* enum config_dnssec_validation */
	int zonefile_sync;        /* a secondary's file: seconds from a
				     transfer to the write of its copy
				     (changes meanwhile in the same write);
				     0: at once (the default), -1: never */
	uint64_t acl;             /* its acl: list, bit i: acls[i] (0: none,
				     no transfer allowed) */
	uint64_t primaries;       /* primaries: bit i: remotes[i]; not 0: a
				     secondary (xfrin.h), tried in remote:
				     order; its file may be NULL */
	/* catalog-role: interpret (RFC 9432): its data lists member zones,
	 * configured from the templates catalog_templates (indexes into
	 * config.templates, the first for members without a group property
	 * or with a group no template is named after). */
	bool catalog;
	uint8_t catalog_template_count;
	uint8_t catalog_templates[CONFIG_MAX_CATALOG_TEMPLATES];
	/* A member zone (line -1): the catalog that lists it (owned), its
	 * member node's label there, the template it was made from. NULL
	 * for the zones of the file and of -z. */
	char *member_of;
	uint8_t member_id_len;
	uint8_t member_id[63];
	uint8_t member_template;
};

struct config {
	char *path;               /* the config file, or NULL (flags only) */

	struct config_listen listen[CONFIG_MAX_LISTEN];
	size_t listen_count;
	unsigned reactors;        /* 0: one per CPU (resolved by main) */
	int cpus[CONFIG_MAX_CPUS];
	size_t cpu_count;
	char *user;
	char *group;
	char *identity;
	uint8_t nsid[CONFIG_MAX_NSID];
	size_t nsid_len;          /* 0: no NSID */
	char *version;
	unsigned udp_max_payload;
	unsigned udp_rcvbuf;
	unsigned udp_sndbuf;
	unsigned tcp_idle_timeout;      /* seconds */
	unsigned tcp_keepalive;         /* seconds, 0: same as idle timeout */
	unsigned tcp_max_clients;
	unsigned tcp_max_per_prefix;
	unsigned tcp_message_timeout;   /* seconds */
	unsigned tcp_memory_max;        /* bytes, all reactors together */
	int log_level;                  /* enum log_level */
	bool syslog;
	int udp_io;                     /* enum config_udp_io */
	bool udp_bpf_filter;            /* classic BPF garbage drop */
	bool udp_ebpf_filter;           /* eBPF drop map (ebpf_drop.h) */
	bool exempt_local;              /* server: exempt-local (udp.c) */
	/* server: signature-expiry-margin: seconds before an RRSIG's
	 * expiration from which it is warned about (sigcheck.h); server:
	 * nsec3-iterations-max: zones above are refused (zone.h). */
	unsigned sig_margin;
	unsigned nsec3_iter_max;
	bool log_json;                  /* server: log-format: json */
	unsigned udp_ebpf_hold_ms;      /* listed that long, default 1000 */
	unsigned transfers_max;         /* AXFR out running at once, over
					   all reactors (xfrout.h) */
	unsigned refresh_min, refresh_max;   /* bounds of a secondary's
					   refresh and retry waits, s
					   (xfrin.h; knotd's) */

	struct rrl_config rrl;         /* section rate-limit: (docs/rrl.md) */
	struct config_cookies cookies; /* section cookies: (docs/cookies.md) */
	struct limits_config limits;   /* section limits: (docs/flood.md) */
	struct attack_config attack;   /* section attack: (docs/flood.md) */

	/* Section key: the TSIG keyring (NULL: no keys), key i defined at
	 * config line tsig_lines[i]. */
	struct tsig_keyring *tsig;
	int tsig_lines[TSIG_KEYS_MAX];

	/* Section acl: (Knot's acl:). Every address of every entry is trusted
	 * by the query pipeline's admission for replication messages
	 * (query.h); the actions take effect with transfers and NOTIFY. */
	struct config_acl acls[CONFIG_MAX_ACL];
	size_t acl_count;
	struct cidr trusted[CONFIG_MAX_TRUSTED];
	size_t trusted_count;

	struct config_remote remotes[CONFIG_MAX_REMOTES];
	size_t remote_count;

	/* Section control: the control socket's path (ctl.h), resolved
	 * against the config file's directory; NULL: no control socket. */
	char *control_listen;

	/* Section metrics: the Prometheus endpoint (metrics.h): on when
	 * listen is given; per-zone: the zone-labelled series (and the
	 * per-zone answer counters behind them). */
	bool metrics;
	struct config_listen metrics_listen;
	bool metrics_per_zone;          /* default true */

	/* Section dnstap: query and response logs (dnstap.h); on when a
	 * sink is given. */
	struct dnstap_config dnstap;

	/* Section xdp: (knotd's names; server/xdp.h): the AF_XDP fast path
	 * for UDP queries on each listed interface and port (IFACE@PORT,
	 * port 53 when omitted), one XSK socket per reactor bound to queue
	 * (reactor id) of the interface; TCP and anything XDP cannot attach
	 * to stay on sockets. ring-size: descriptors per ring (a power of
	 * two, 256 to 65536). Off when xdp_count is 0. */
	struct config_xdp {
		char ifname[16];        /* IFNAMSIZ, NUL-terminated */
		uint16_t port;
		char text[32];          /* as written: "eth0@53" */
	} xdp[CONFIG_MAX_XDP];
	size_t xdp_count;
	unsigned xdp_ring_size;

	/* Section database: the IXFR journal (zones/journal.h): its LMDB
	 * directory (NULL: no journal, IXFR answered with AXFR), the most
	 * the database may grow to, and per zone the bytes and changes it
	 * keeps. */
	char *journal_db;
	uint64_t journal_db_max_size;
	uint64_t journal_max_usage;
	unsigned journal_max_depth;

	struct config_template templates[CONFIG_MAX_TEMPLATES];
	size_t template_count;

	struct config_zone *zones;      /* in configuration order */
	size_t zone_count;
	size_t zone_cap;
	struct config_zindex *zone_index;   /* by name (config_zones.c) */
};

/* Fills cfg with the defaults. Main only. */
void config_init(struct config *cfg);

/* Reads path into cfg (which config_init() prepared; values it sets replace
 * the defaults, zones and listen addresses are appended). Returns 0, or
 * LV_ECONFIG with "FILE:LINE: key 'x': reason" (or "FILE: reason" when the
 * file cannot be read) in err. On error cfg keeps what was parsed so far and
 * must still be released with config_free(). Main only. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Parses "ADDR@PORT" or "ADDR" (port 53), IPv4 or IPv6, into l. Returns 0 or
 * LV_ECONFIG with the reason in err. Any thread. */
int config_parse_listen(const char *text, struct config_listen *l,
			char *err, size_t errlen);

/* Adds a listen address unless an equal one is there. 0, or LV_ECONFIG
 * (bad address, too many, a wildcard address with udp-io: libuv). Main
 * only. */
int config_add_listen(struct config *cfg, const char *text,
		      char *err, size_t errlen);

/* Adds zone domain served from file, or replaces the file of a zone of the
 * same name (case and trailing dot ignored). line is the config line or 0.
 * Returns 0, -ENOMEM or LV_ECONFIG (bad name). Work: O(1) expected (a
 * keyed hash of the name; the index doubles now and then). Main only. */
int config_add_zone(struct config *cfg, const char *domain, const char *file,
		    int line, char *err, size_t errlen);

/* The same for a secondary zone (primaries: set by the caller after):
 * file may be NULL (the zone is unserved until its first transfer) or
 * name where its copy would be kept. Main only. */
int config_add_secondary(struct config *cfg, const char *domain,
			 const char *file, int line, char *err, size_t errlen);

/* The file of member domain made from template t (an index into
 * cfg->templates): t's file with "%s" replaced by domain, malloc'd into
 * *out, or NULL when t keeps no copy. 0, LV_ECONFIG ('/' in the name, a
 * path too long; reason in err) or -ENOMEM. Any thread. */
int config_member_file(const struct config *cfg, unsigned t,
		       const char *domain, char **out, char *err,
		       size_t errlen);

/* Adds member zone domain of catalog (a zone of cfg with catalog set),
 * node label id, made from template t (an index into cfg->templates):
 * a secondary of t's primaries, its file t's with "%s" replaced by the
 * name. A name cfg has already is left alone (LV_EEXIST); a name that
 * cannot be a file name ('/' in it, a path too long) or a configuration
 * name is refused (LV_ECONFIG); reason in err. Main only. */
int config_add_member(struct config *cfg, const char *domain,
		      const char *catalog, const uint8_t *id, size_t id_len,
		      unsigned t, char *err, size_t errlen);

/* The zone named domain (case and trailing dot ignored), or NULL. O(1)
 * expected. Any thread, while cfg does not change. */
const struct config_zone *config_find_zone(const struct config *cfg,
					   const char *domain);

/* Releases everything cfg holds (not cfg itself). NULL accepted. */
void config_free(struct config *cfg);

#endif

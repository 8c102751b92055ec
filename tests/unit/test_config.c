/* test_config.c -- CUnit suite 'config': the YAML configuration parser.
 *
 * A good file sets every key and each value is checked; then each broken
 * file in tests/data/config/ must be refused with LV_ECONFIG and a message
 * "FILE:LINE: key 'KEY': ..." naming the right line and key. The daemon turns
 * LV_ECONFIG into exit status 2 (checked by the system tests).
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/config.h"
#include "server/log.h"
#include "common/errcode.h"
#include "unit.h"

#define CONFIG_DIR TEST_DATA_DIR "/config/"

static void test_good(void)
{
	struct config cfg;
	char err[512] = "";
	const struct sockaddr_in *a4;
	const struct sockaddr_in6 *a6;
	int rc;

	config_init(&cfg);
	rc = config_load(&cfg, CONFIG_DIR "good.yaml", err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.listen_count, 4);
	a4 = (const struct sockaddr_in *)&cfg.listen[0].addr;
	CU_ASSERT_EQUAL(a4->sin_family, AF_INET);
	CU_ASSERT_EQUAL(ntohs(a4->sin_port), 5353);
	CU_ASSERT_EQUAL(a4->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CU_ASSERT_STRING_EQUAL(cfg.listen[0].text, "127.0.0.1@5353");
	a6 = (const struct sockaddr_in6 *)&cfg.listen[1].addr;
	CU_ASSERT_EQUAL(a6->sin6_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(a6->sin6_port), 5354);
	CU_ASSERT(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	CU_ASSERT_EQUAL(cfg.listen[1].addrlen, sizeof(struct sockaddr_in6));
	a6 = (const struct sockaddr_in6 *)&cfg.listen[2].addr;
	CU_ASSERT(IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr));
	CU_ASSERT_EQUAL(ntohs(a6->sin6_port), 53);
	a4 = (const struct sockaddr_in *)&cfg.listen[3].addr;
	CU_ASSERT_EQUAL(ntohs(a4->sin_port), 53);   /* default port */
	CU_ASSERT_EQUAL(cfg.reactors, 3);
	CU_ASSERT_EQUAL(cfg.cpu_count, 2);
	CU_ASSERT_EQUAL(cfg.cpus[0], 0);
	CU_ASSERT_EQUAL(cfg.cpus[1], 1);
	CU_ASSERT_STRING_EQUAL(cfg.user, "nobody");
	CU_ASSERT_STRING_EQUAL(cfg.group, "nogroup");
	CU_ASSERT_STRING_EQUAL(cfg.identity, "ns1.example");
	CU_ASSERT_EQUAL(cfg.nsid_len, 3);
	CU_ASSERT(memcmp(cfg.nsid, "ns1", 3) == 0);
	CU_ASSERT_STRING_EQUAL(cfg.version, "levee test");
	CU_ASSERT_EQUAL(cfg.udp_max_payload, 1400);
	CU_ASSERT_EQUAL(cfg.udp_rcvbuf, 1048576);
	CU_ASSERT_EQUAL(cfg.udp_sndbuf, 2097152);
	CU_ASSERT_EQUAL(cfg.tcp_idle_timeout, 20);
	CU_ASSERT_EQUAL(cfg.tcp_keepalive, 15);
	CU_ASSERT_EQUAL(cfg.tcp_max_clients, 500);
	CU_ASSERT_EQUAL(cfg.tcp_max_per_prefix, 25);
	CU_ASSERT_EQUAL(cfg.tcp_message_timeout, 3);
	CU_ASSERT_EQUAL(cfg.tcp_memory_max, 33554432);
	CU_ASSERT_EQUAL(cfg.log_level, LOG_LEVEL_DEBUG);
	CU_ASSERT(cfg.syslog);
	CU_ASSERT_EQUAL_FATAL(cfg.zone_count, 2);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].domain, "example.com");
	/* Relative to the config file's directory. */
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].file,
			       CONFIG_DIR "zones/example.com.zone");
	CU_ASSERT_EQUAL(cfg.zones[0].line, 23);
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].domain, "Example.NET");
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].file, "/absolute/example.net.zone");
	CU_ASSERT_EQUAL(cfg.zones[1].line, 25);
	config_free(&cfg);
}

static void test_defaults(void)
{
	struct config cfg;
	char err[512] = "";

	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, CONFIG_DIR "empty.yaml", err,
				    sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.listen_count, 0);
	CU_ASSERT_EQUAL(cfg.reactors, 0);
	CU_ASSERT_EQUAL(cfg.udp_max_payload, 1232);
	CU_ASSERT_EQUAL(cfg.udp_rcvbuf, 512u << 10);
	CU_ASSERT_EQUAL(cfg.tcp_idle_timeout, 10);
	CU_ASSERT_EQUAL(cfg.tcp_max_clients, 16384);
	CU_ASSERT_EQUAL(cfg.tcp_max_per_prefix, 50);
	CU_ASSERT_EQUAL(cfg.tcp_message_timeout, 5);
	CU_ASSERT_EQUAL(cfg.tcp_memory_max, 64u << 20);
	CU_ASSERT_EQUAL(cfg.log_level, LOG_LEVEL_INFO);
	CU_ASSERT(!cfg.syslog);
	CU_ASSERT_EQUAL(cfg.nsid_len, 0);
	CU_ASSERT_PTR_NULL(cfg.user);
	CU_ASSERT_EQUAL(cfg.zone_count, 0);
	config_free(&cfg);
}

static void test_nsid_hex_and_block_list(void)
{
	static const uint8_t want[] = { 0x6e, 0x73, 0x31, 0xff };
	struct config cfg;
	char err[512] = "";

	config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(config_load(&cfg, CONFIG_DIR "nsid_hex.yaml",
					  err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.nsid_len, 4);
	CU_ASSERT(memcmp(cfg.nsid, want, 4) == 0);
	CU_ASSERT_EQUAL(cfg.listen_count, 2);
	CU_ASSERT_STRING_EQUAL(cfg.listen[0].text, "192.0.2.1@53");
	CU_ASSERT_STRING_EQUAL(cfg.listen[1].text, "::1@5300");
	config_free(&cfg);
}

/* Each broken file: LV_ECONFIG, and the message starts with "PATH:LINE: "
 * and contains the key. */
static const struct {
	const char *file;
	int line;
	const char *key;       /* expected "key 'KEY'" or NULL */
	const char *reason;    /* a substring of the reason, or NULL */
} bad_files[] = {
	{ "unknown_key.yaml", 4, "bogus", "unknown key" },
	{ "unknown_section.yaml", 4, "logging", "unknown key" },
	{ "bad_int.yaml", 2, "reactors", "integer" },
	{ "int_range.yaml", 4, "udp-max-payload", "512 to 4096" },
	{ "bad_bool.yaml", 2, "syslog", "true or false" },
	{ "bad_address.yaml", 4, "listen", "bad IPv4 address" },
	{ "bad_address6.yaml", 2, "listen", "bad IPv6 address" },
	{ "bad_port.yaml", 2, "listen", "bad port" },
	{ "zero_port.yaml", 3, "listen", "bad port" },
	{ "bad_port_text.yaml", 2, "listen", "bad port" },
	{ "listen_map.yaml", 3, "listen", "list" },
	{ "zone_no_file.yaml", 4, "file", "missing" },
	{ "zone_no_domain.yaml", 2, "domain", "missing" },
	{ "zone_bad_key.yaml", 4, "master", "unknown key" },
	{ "zone_dup.yaml", 4, "domain", "given twice (line 2)" },
	{ "zone_bad_name.yaml", 2, "domain", "bad domain name" },
	{ "zones_not_list.yaml", 2, "zones", "list" },
	{ "dup_key.yaml", 3, "reactors", "given twice" },
	{ "syntax.yaml", 3, NULL, "YAML error" },
	{ "bad_loglevel.yaml", 2, "log-level", "debug" },
	{ "bad_nsid.yaml", 2, "nsid", "hex" },
	{ "bad_user.yaml", 2, "user", "no such user" },
	{ "bad_cpu.yaml", 2, "cpu-affinity", "CPU numbers" },
	{ "not_map.yaml", 1, NULL, "mapping" },
	{ "server_list.yaml", 2, "server", "mapping" },
	{ "rrl_bad_key.yaml", 3, "qps-scale", "unknown key in rate-limit" },
	{ "rrl_bad_rate.yaml", 3, "nxdomains-per-second", "0 to 1000" },
	{ "rrl_bad_slip.yaml", 2, "slip", "0 to 10" },
	{ "rrl_bad_cidr.yaml", 5, "exempt-clients", "ADDR/BITS" },
	{ "rrl_bad_window.yaml", 2, "window", "1 to 3600" },
	{ "rrl_not_map.yaml", 3, "rate-limit", "mapping" },
	{ "acl_bad_action.yaml", 4, "action", "transfer or notify" },
	{ "acl_no_address.yaml", 2, "address", "missing" },
	{ "acl_dup_id.yaml", 5, "id", "given twice (line 2)" },
	{ "acl_bad_address.yaml", 3, "address", "ADDR/BITS" },
	{ "acl_not_list.yaml", 2, "acl", "list" },
	{ "zone_acl_unknown.yaml", 4, "acl", "no acl 'nobody'" },
	{ "zone_acl_after.yaml", 4, "acl", "before zones:" },
	{ "zone_acl_twice.yaml", 9, "acl", "given twice" },
	{ "zone_primaries_unknown.yaml", 6, "primaries", "no remote 'p2'" },
	{ "zone_primaries_after.yaml", 3, "primaries", "before zones:" },
	{ "zone_primaries_twice.yaml", 7, "primaries", "given twice" },
	{ "zone_primaries_bad.yaml", 6, "primaries", "a remote id" },
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct config cfg;
		char path[512], err[512] = "", want[600];
		int rc;

		snprintf(path, sizeof(path), CONFIG_DIR "%s", bad_files[i].file);
		config_init(&cfg);
		rc = config_load(&cfg, path, err, sizeof(err));
		config_free(&cfg);
		if (rc != LV_ECONFIG)
			fprintf(stderr, "\n%s: rc %d, err '%s'\n",
				bad_files[i].file, rc, err);
		CU_ASSERT_EQUAL(rc, LV_ECONFIG);
		snprintf(want, sizeof(want), "%s:%d: ", path, bad_files[i].line);
		if (strncmp(err, want, strlen(want)) != 0)
			fprintf(stderr, "\n%s: want prefix '%s', got '%s'\n",
				bad_files[i].file, want, err);
		CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
		if (bad_files[i].key) {
			snprintf(want, sizeof(want), "key '%s': ",
				 bad_files[i].key);
			if (!strstr(err, want))
				fprintf(stderr, "\n%s: want '%s' in '%s'\n",
					bad_files[i].file, want, err);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
		}
		if (bad_files[i].reason && !strstr(err, bad_files[i].reason)) {
			fprintf(stderr, "\n%s: want '%s' in '%s'\n",
				bad_files[i].file, bad_files[i].reason, err);
			CU_FAIL("reason");
		}
	}
}

static void test_missing_file(void)
{
	struct config cfg;
	char err[512] = "";

	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, CONFIG_DIR "no-such-file.yaml", err,
				    sizeof(err)), LV_ECONFIG);
	CU_ASSERT(strncmp(err, CONFIG_DIR "no-such-file.yaml: cannot open",
			  strlen(CONFIG_DIR "no-such-file.yaml: cannot open"))
		  == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
	config_free(&cfg);
}

static void test_parse_listen(void)
{
	struct config_listen l;
	char err[256];

	CU_ASSERT_EQUAL(config_parse_listen("[2001:db8::1]@853", &l, err,
					    sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(l.text, "2001:db8::1@853");
	CU_ASSERT_EQUAL(config_parse_listen("::@53", &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(l.addr.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(config_parse_listen("127.0.0.1@65535", &l, err,
					    sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_parse_listen("127.0.0.1@65536", &l, err,
					    sizeof(err)), LV_ECONFIG);
	CU_ASSERT_EQUAL(config_parse_listen("127.0.0.1@", &l, err,
					    sizeof(err)), LV_ECONFIG);
	CU_ASSERT_EQUAL(config_parse_listen("@53", &l, err, sizeof(err)),
			LV_ECONFIG);
	CU_ASSERT_EQUAL(config_parse_listen("localhost@53", &l, err,
					    sizeof(err)), LV_ECONFIG);
	CU_ASSERT_EQUAL(config_parse_listen("", &l, err, sizeof(err)),
			LV_ECONFIG);
}

/* What main does with -l and -z on top of a file. */
static void test_flags_merge(void)
{
	struct config cfg;
	char err[512] = "";

	config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(config_load(&cfg, CONFIG_DIR "good.yaml", err,
					  sizeof(err)), 0);
	/* A listen address already there is not added twice. */
	CU_ASSERT_EQUAL(config_add_listen(&cfg, "127.0.0.1@5353", err,
					  sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.listen_count, 4);
	CU_ASSERT_EQUAL(config_add_listen(&cfg, "127.0.0.2@5353", err,
					  sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.listen_count, 5);
	/* -z replaces the file of a zone of the same name, adds others. */
	CU_ASSERT_EQUAL(config_add_zone(&cfg, "EXAMPLE.com.", "/tmp/x.zone", 0,
					err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.zone_count, 2);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].file, "/tmp/x.zone");
	CU_ASSERT_EQUAL(config_add_zone(&cfg, "example.org", "o.zone", 0, err,
					sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.zone_count, 3);
	CU_ASSERT_EQUAL(config_add_zone(&cfg, ".", "root.zone", 0, err,
					sizeof(err)), 0);
	CU_ASSERT_EQUAL(config_add_zone(&cfg, "a..b", "x.zone", 0, err,
					sizeof(err)), LV_ECONFIG);
	config_free(&cfg);
}

/* The rate-limit: section: every key, and the defaults (RRL on at the
 * server's CONFIG_DEFAULT_RRL_RATE, limits left out follow
 * responses-per-second, all-per-second does not). */
static void test_rate_limit(void)
{
	struct config cfg;
	char err[512] = "";
	const struct rrl_config *r = &cfg.rrl;

	config_init(&cfg);
	CU_ASSERT(rrl_config_enabled(r));
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_RESPONSE), 200);
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_ERROR), 200);
	CU_ASSERT_EQUAL(r->window, 15);
	CU_ASSERT_EQUAL(r->slip, 2);
	CU_ASSERT_EQUAL(r->ipv4_prefix_length, 24);
	CU_ASSERT_EQUAL(r->ipv6_prefix_length, 56);
	CU_ASSERT_EQUAL(r->max_table_size, 20000);
	CU_ASSERT_EQUAL_FATAL(config_load(&cfg, CONFIG_DIR "rrl_good.yaml",
					  err, sizeof(err)), 0);
	CU_ASSERT(rrl_config_enabled(r));
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_RESPONSE), 10);
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_REFERRAL), 4);
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_NODATA), 10);  /* follows */
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_NXDOMAIN), 3);
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_ERROR), 0);    /* off */
	CU_ASSERT_EQUAL(rrl_config_rate(r, RRL_CLASS_ALL), 100);
	CU_ASSERT_EQUAL(r->window, 5);
	CU_ASSERT_EQUAL(r->slip, 3);
	CU_ASSERT_EQUAL(r->ipv4_prefix_length, 16);
	CU_ASSERT_EQUAL(r->ipv6_prefix_length, 48);
	CU_ASSERT(r->log_only);
	CU_ASSERT_EQUAL(r->max_table_size, 5000);
	CU_ASSERT_EQUAL_FATAL(r->exempt_count, 3);
	CU_ASSERT_EQUAL(r->exempt[0].family, AF_INET);
	CU_ASSERT_EQUAL(r->exempt[0].bits, 24);
	CU_ASSERT_EQUAL(r->exempt[1].family, AF_INET6);
	CU_ASSERT_EQUAL(r->exempt[1].bits, 32);
	CU_ASSERT_EQUAL(r->exempt[2].bits, 32);
	config_free(&cfg);
}

/* Writes text to a temporary file; path receives its name. */
static void write_tmp(char *path, size_t len, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/levee-test-config-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* Loads text as a configuration file into cfg (after config_init) and
 * checks the outcome: want NULL means success, otherwise an error whose
 * message contains want. The caller inspects cfg and frees it. */
static void load_case(struct config *cfg, const char *text, const char *want,
		      const char *label, size_t i)
{
	char path[64], err[512] = "";
	int rc;

	write_tmp(path, sizeof(path), text);
	config_init(cfg);
	rc = config_load(cfg, path, err, sizeof(err));
	unlink(path);
	if ((rc == 0) != !want || (want && !strstr(err, want)))
		fprintf(stderr, "\n%s case %zu: rc %d, err '%s'\n", label, i,
			rc, err);
	CU_ASSERT_EQUAL(rc, want ? LV_ECONFIG : 0);
	if (want)
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
}

/* udp-io: mmsg (default) or libuv; libuv refuses wildcard addresses
 * whichever comes first, in the file or from -l. */
static void test_udp_io(void)
{
	static const struct {
		const char *text;
		int rc, io;
		const char *want;     /* substring of the error */
	} cases[] = {
		{ "server:\n  listen: 127.0.0.1@53\n", 0, CONFIG_UDP_IO_MMSG,
		  NULL },
		{ "server:\n  udp-io: libuv\n  listen: 127.0.0.1@53\n", 0,
		  CONFIG_UDP_IO_LIBUV, NULL },
		{ "server:\n  udp-io: mmsg\n  listen: 0.0.0.0@53\n", 0,
		  CONFIG_UDP_IO_MMSG, NULL },
		{ "server:\n  udp-io: epoll\n", LV_ECONFIG, 0,
		  ":2: key 'udp-io': expected mmsg or libuv" },
		{ "server:\n  listen: [127.0.0.1@53, '::@53']\n"
		  "  udp-io: libuv\n", LV_ECONFIG, 0,
		  ":3: key 'udp-io': libuv cannot serve the wildcard address "
		  "::@53" },
		{ "server:\n  udp-io: libuv\n  listen: 0.0.0.0@53\n",
		  LV_ECONFIG, 0, ":3: key 'listen': wildcard address" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char path[64], err[512] = "";
		int rc;

		write_tmp(path, sizeof(path), cases[i].text);
		config_init(&cfg);
		rc = config_load(&cfg, path, err, sizeof(err));
		unlink(path);
		if (rc != cases[i].rc ||
		    (cases[i].want && !strstr(err, cases[i].want)))
			fprintf(stderr, "\ncase %zu: rc %d, err '%s'\n", i, rc,
				err);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc == 0)
			CU_ASSERT_EQUAL(cfg.udp_io, cases[i].io);
		if (cases[i].want)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].want));
		config_free(&cfg);
	}

	/* -l on top of a file saying udp-io: libuv. */
	{
		struct config cfg;
		char path[64], err[512] = "";

		write_tmp(path, sizeof(path), "server:\n  udp-io: libuv\n");
		config_init(&cfg);
		CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), 0);
		unlink(path);
		CU_ASSERT_EQUAL(config_add_listen(&cfg, "::1@5353", err,
						  sizeof(err)), 0);
		CU_ASSERT_EQUAL(config_add_listen(&cfg, "::@5353", err,
						  sizeof(err)), LV_ECONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "udp-io: mmsg"));
		CU_ASSERT_EQUAL(cfg.listen_count, 1);
		config_free(&cfg);
	}
}

/* server: udp-bpf-filter: on by default, on|off, errors name the key. */
static void test_udp_bpf_filter(void)
{
	static const struct {
		const char *text;
		int rc;
		bool on;
	} cases[] = {
		{ "server:\n  listen: 127.0.0.1@53\n", 0, true },
		{ "server:\n  udp-bpf-filter: off\n", 0, false },
		{ "server:\n  udp-bpf-filter: on\n", 0, true },
		{ "server:\n  udp-bpf-filter: maybe\n", LV_ECONFIG, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char path[64], err[512] = "";
		int rc;

		write_tmp(path, sizeof(path), cases[i].text);
		config_init(&cfg);
		rc = config_load(&cfg, path, err, sizeof(err));
		unlink(path);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc == 0) {
			CU_ASSERT_EQUAL(cfg.udp_bpf_filter, cases[i].on);
		} else {
			CU_ASSERT_PTR_NOT_NULL(
				strstr(err, ":2: key 'udp-bpf-filter': "
					    "expected true or false"));
		}
		config_free(&cfg);
	}
}

/* Section cookies: every key, defaults, and each error naming line and
 * key. */
static void test_cookies(void)
{
	static const struct {
		const char *text;
		const char *want;     /* substring of the error, NULL: ok */
	} cases[] = {
		{ "cookies:\n  answer: off\n  require: under-attack\n", NULL },
		{ "cookies:\n  require: sometimes\n",
		  ":2: key 'require': expected off, on or under-attack" },
		{ "cookies:\n  answer: maybe\n", ":2: key 'answer': expected true" },
		{ "cookies:\n  secret: 0011\n",
		  ":2: key 'secret': expected 32 hex digits" },
		{ "cookies:\n  secret: 000102030405060708090a0b0c0d0e0g\n",
		  ":2: key 'secret': expected 32 hex digits" },
		{ "cookies:\n  master-key: 00\n",
		  ":2: key 'master-key': expected 64 hex digits" },
		{ "cookies:\n  lifetime: 60\n",
		  ":2: key 'lifetime': expected an integer from 3600" },
		{ "cookies:\n  secret-previous: 000102030405060708090a0b0c0d0e0f\n",
		  ":2: key 'secret-previous': needs secret" },
		{ "cookies:\n  secret: 000102030405060708090a0b0c0d0e0f\n"
		  "  lifetime: 7200\n", ":2: key 'lifetime': cannot be combined" },
		{ "cookies:\n  salt: 1\n", ":2: key 'salt': unknown key in cookies" },
		{ "cookies:\n  require: on\n  require: off\n",
		  ":3: key 'require': given twice" },
	};
	struct config cfg;
	char path[64], err[512] = "";

	config_init(&cfg);
	CU_ASSERT_TRUE(cfg.cookies.answer);
	CU_ASSERT_EQUAL(cfg.cookies.require, COOKIE_REQUIRE_OFF);
	CU_ASSERT_FALSE(cfg.cookies.have_secret || cfg.cookies.have_master);
	config_free(&cfg);

	write_tmp(path, sizeof(path),
		  "cookies:\n"
		  "  answer: on\n"
		  "  require: on\n"
		  "  secret: 000102030405060708090a0b0c0d0e0f\n"
		  "  secret-previous: 101112131415161718191A1B1C1D1E1F\n"
		  "  secret-next: 202122232425262728292a2b2c2d2e2f\n");
	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_TRUE(cfg.cookies.answer);
	CU_ASSERT_EQUAL(cfg.cookies.require, COOKIE_REQUIRE_ON);
	CU_ASSERT_TRUE(cfg.cookies.have_secret && cfg.cookies.have_previous &&
		       cfg.cookies.have_next && !cfg.cookies.have_master);
	CU_ASSERT_EQUAL(cfg.cookies.secret[15], 0x0f);
	CU_ASSERT_EQUAL(cfg.cookies.secret_previous[10], 0x1a);
	CU_ASSERT_EQUAL(cfg.cookies.secret_next[0], 0x20);
	config_free(&cfg);

	write_tmp(path, sizeof(path),
		  "cookies:\n  master-key: "
		  "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f\n  lifetime: 86400\n");
	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_TRUE(cfg.cookies.have_master);
	CU_ASSERT_EQUAL(cfg.cookies.master_key[31], 0x1f);
	CU_ASSERT_EQUAL(cfg.cookies.lifetime, 86400);
	config_free(&cfg);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_case(&cfg, cases[i].text, cases[i].want, "cookies", i);
		if (i == 0) {
			CU_ASSERT_FALSE(cfg.cookies.answer);
			CU_ASSERT_EQUAL(cfg.cookies.require,
					COOKIE_REQUIRE_UNDER_ATTACK);
		}
		config_free(&cfg);
	}
}

/* Sections limits: and attack: (docs/flood.md): defaults off, every key,
 * errors with FILE:LINE and key. */
/* acl: entries: every address trusted, in order, with its entry's actions. */
static void test_acl(void)
{
	struct config cfg;
	char err[512] = "";

	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, CONFIG_DIR "acl_good.yaml", err,
				    sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.acl_count, 2);
	CU_ASSERT_EQUAL(cfg.trusted_count, 3);
	CU_ASSERT_STRING_EQUAL(cfg.acls[0].id, "secondaries");
	CU_ASSERT_EQUAL(cfg.acls[0].first, 0);
	CU_ASSERT_EQUAL(cfg.acls[0].count, 2);
	CU_ASSERT_EQUAL(cfg.acls[0].actions,
			CONFIG_ACL_TRANSFER | CONFIG_ACL_NOTIFY);
	CU_ASSERT_EQUAL(cfg.acls[1].first, 2);
	CU_ASSERT_EQUAL(cfg.acls[1].actions, CONFIG_ACL_NOTIFY);
	CU_ASSERT_EQUAL(cfg.trusted[0].bits, 24);
	CU_ASSERT_EQUAL(cfg.trusted[1].family, AF_INET6);
	CU_ASSERT_EQUAL(cfg.trusted[2].bits, 32);
	config_free(&cfg);
}

/* zones: acl: names acl entries (bits of cfg.acls); none: no transfer;
 * server: transfers-max. */
static void test_zone_acl(void)
{
	struct config cfg;
	char err[512] = "";

	config_init(&cfg);
	CU_ASSERT_EQUAL(cfg.transfers_max, CONFIG_DEFAULT_TRANSFERS);
	CU_ASSERT_EQUAL(config_load(&cfg, CONFIG_DIR "acl_zones.yaml", err,
				    sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.transfers_max, 3);
	CU_ASSERT_EQUAL_FATAL(cfg.zone_count, 3);
	CU_ASSERT_EQUAL(cfg.zones[0].acl, 1);
	CU_ASSERT_EQUAL(cfg.zones[1].acl, 3);
	CU_ASSERT_EQUAL(cfg.zones[2].acl, 0);
	config_free(&cfg);
}

/* primaries: makes a secondary, file: then optional (issue 14). */
static void test_secondary(void)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(config_load(&cfg, CONFIG_DIR "secondary_good.yaml",
					  err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.zone_count, 3);
	CU_ASSERT_EQUAL(cfg.zones[0].primaries, 3);
	CU_ASSERT_PTR_NULL(cfg.zones[0].file);
	CU_ASSERT_EQUAL(cfg.zones[0].acl, 1);
	CU_ASSERT_EQUAL(cfg.zones[1].primaries, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg.zones[1].file);
	CU_ASSERT_PTR_NOT_NULL(strstr(cfg.zones[1].file, "config/net.zone"));
	CU_ASSERT_EQUAL(cfg.zones[2].primaries, 0);
	CU_ASSERT_EQUAL(cfg.remote_count, 2);
	config_free(&cfg);
	/* without primaries a file is still required */
	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, CONFIG_DIR "zone_no_file.yaml", err,
				    sizeof(err)), LV_ECONFIG);
	config_free(&cfg);
}

/* Writes text to a fresh file under /tmp; returns its path in buf. */
static const char *tsig_conf(char *buf, size_t len, const char *text)
{
	int fd;

	snprintf(buf, len, "/tmp/levee-test-config-XXXXXX");
	fd = mkstemp(buf);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return buf;
}

/* key: (TSIG) and an acl: that names keys. */
static void test_tsig_keys(void)
{
	static const struct {
		const char *text;
		int line;
		const char *reason;   /* NULL: accepted */
	} cases[] = {
		{ "key:\n  - id: a.example.\n    algorithm: hmac-sha256\n"
		  "    secret: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
		  "  - id: b\n    algorithm: HMAC-SHA1\n    secret: AAAA\n"
		  "acl:\n  - id: x\n    key: [A.Example, b.]\n"
		  "    action: transfer\n", 0, NULL },
		{ "key:\n  - id: a\n    algorithm: hmac-md5\n    secret: AAAA\n",
		  3, "unknown algorithm" },
		{ "key:\n  - id: a\n    algorithm: hmac-sha1\n    secret: A===\n",
		  4, "expected base64" },
		{ "key:\n  - id: a\n    algorithm: hmac-sha1\n    secret: ''\n",
		  4, "expected base64" },
		{ "key:\n  - id: a\n    algorithm: hmac-sha1\n    secret: AAAA\n"
		  "    color: red\n", 5, "unknown key in key" },
		{ "key:\n  - id: a\n    algorithm: hmac-sha1\n    secret: AAAA\n"
		  "  - id: A.\n    algorithm: hmac-sha1\n    secret: AAAA\n",
		  5, "given twice (line 2)" },
		{ "acl:\n  - id: x\n    key: k\n    action: transfer\n", 3,
		  "no key 'k'" },
		{ "acl:\n  - id: x\n    action: transfer\n", 2,
		  "address or key" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		char path[64], err[512] = "", want[128];
		int rc;

		tsig_conf(path, sizeof(path), cases[i].text);
		config_init(&cfg);
		rc = config_load(&cfg, path, err, sizeof(err));
		if (!cases[i].reason) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(tsig_keyring_count(cfg.tsig), 2);
			CU_ASSERT_EQUAL(tsig_keyring_find(cfg.tsig, "B"), 1);
			CU_ASSERT_EQUAL(cfg.acl_count, 1);
			CU_ASSERT_EQUAL(cfg.acls[0].keys, 3);
			CU_ASSERT_EQUAL(cfg.acls[0].count, 0);
		} else {
			snprintf(want, sizeof(want), "%s:%d: ", path,
				 cases[i].line);
			CU_ASSERT_EQUAL(rc, LV_ECONFIG);
			CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].reason));
			if (strncmp(err, want, strlen(want)) ||
			    !strstr(err, cases[i].reason))
				fprintf(stderr, "\ncase %zu: '%s'\n", i, err);
		}
		config_free(&cfg);
		unlink(path);
	}
}

static void test_flood_sections(void)
{
	static const struct {
		const char *text;
		const char *want;     /* substring of the error, NULL: ok */
	} cases[] = {
		{ "limits:\n  ipv4-prefixes: [\"33:1\"]\n",
		  ":2: key 'ipv4-prefixes': expected BITS:MULTIPLIER" },
		{ "limits:\n  ipv6-prefixes: [\"64:2\", \"56\"]\n",
		  ":2: key 'ipv6-prefixes': expected BITS:MULTIPLIER" },
		{ "limits:\n  ipv4-prefixes: [\"32:1\", \"28:2\", \"24:4\", "
		  "\"20:8\", \"16:16\"]\n",
		  ":2: key 'ipv4-prefixes': more than 4 prefixes" },
		{ "limits:\n  queries-per-second: -1\n",
		  ":2: key 'queries-per-second': expected an integer" },
		{ "limits:\n  whitelist: [10.0.0.0/33]\n",
		  ":2: key 'whitelist': expected ADDR or ADDR/BITS" },
		{ "limits:\n  zone-slip: 11\n",
		  ":2: key 'zone-slip': expected an integer from 0 to 10" },
		{ "limits:\n  burst: 5\n",
		  ":2: key 'burst': unknown key in limits" },
		{ "attack:\n  mode: sometimes\n",
		  ":2: key 'mode': expected off, on or auto" },
		{ "attack:\n  mode: auto\n",
		  ":2: key 'mode': auto needs a threshold" },
		{ "attack:\n  mode: on\n  zone-nxdomain-percent: 101\n",
		  ":3: key 'zone-nxdomain-percent': expected an integer from "
		  "0 to 100" },
		{ "attack:\n  mode: auto\n  queries-per-second: 10\n"
		  "  hold-time: 0\n",
		  ":4: key 'hold-time': expected an integer from 1" },
		{ "attack:\n  mode: on\n", NULL },
	};
	struct config cfg;
	char path[64], err[512] = "";

	config_init(&cfg);
	CU_ASSERT_FALSE(limits_config_enabled(&cfg.limits));
	CU_ASSERT_EQUAL(cfg.attack.mode, ATTACK_OFF);
	CU_ASSERT_EQUAL(cfg.limits.tcp_max_unanswered, 0);
	CU_ASSERT_EQUAL(cfg.limits.zone_slip, 2);
	config_free(&cfg);

	write_tmp(path, sizeof(path),
		  "limits:\n"
		  "  queries-per-second: 50\n"
		  "  ipv4-prefixes: [\"32:1\", \"24:8\"]\n"
		  "  ipv6-prefixes: \"64:3\"\n"
		  "  cookie-multiplier: 6\n"
		  "  whitelist: [192.0.2.0/24, \"2001:db8::/32\"]\n"
		  "  zone-nxdomains-per-second: 300\n"
		  "  zone-slip: 0\n"
		  "  max-table-size: 1024\n"
		  "  tcp-max-unanswered: 200\n"
		  "  tcp-pressure-timeout-ms: 500\n"
		  "attack:\n"
		  "  mode: auto\n"
		  "  queries-per-second: 100000\n"
		  "  zone-nxdomain-percent: 40\n"
		  "  zone-nxdomain-min: 50\n"
		  "  distinct-names-per-second: 20000\n"
		  "  release-percent: 30\n"
		  "  hold-time: 20\n"
		  "  source-share-percent: 10\n"
		  "  nxdomain-budget-percent: 5\n");
	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_TRUE(limits_config_enabled(&cfg.limits));
	CU_ASSERT_EQUAL(cfg.limits.queries_per_second, 50);
	CU_ASSERT_EQUAL_FATAL(cfg.limits.v4_count, 2);
	CU_ASSERT_EQUAL(cfg.limits.v4[1].bits, 24);
	CU_ASSERT_EQUAL(cfg.limits.v4[1].mult, 8);
	CU_ASSERT_EQUAL_FATAL(cfg.limits.v6_count, 1);
	CU_ASSERT_EQUAL(cfg.limits.v6[0].bits, 64);
	CU_ASSERT_EQUAL(cfg.limits.v6[0].mult, 3);
	CU_ASSERT_EQUAL(cfg.limits.cookie_multiplier, 6);
	CU_ASSERT_EQUAL(cfg.limits.whitelist_count, 2);
	CU_ASSERT_EQUAL(cfg.limits.zone_nxdomains_per_second, 300);
	CU_ASSERT_EQUAL(cfg.limits.zone_slip, 0);
	CU_ASSERT_EQUAL(cfg.limits.max_table_size, 1024);
	CU_ASSERT_EQUAL(cfg.limits.tcp_max_unanswered, 200);
	CU_ASSERT_EQUAL(cfg.limits.tcp_pressure_timeout_ms, 500);
	CU_ASSERT_EQUAL(cfg.attack.mode, ATTACK_AUTO);
	CU_ASSERT_EQUAL(cfg.attack.queries_per_second, 100000);
	CU_ASSERT_EQUAL(cfg.attack.zone_nxdomain_percent, 40);
	CU_ASSERT_EQUAL(cfg.attack.zone_nxdomain_min, 50);
	CU_ASSERT_EQUAL(cfg.attack.distinct_names_per_second, 20000);
	CU_ASSERT_EQUAL(cfg.attack.release_percent, 30);
	CU_ASSERT_EQUAL(cfg.attack.hold_time, 20);
	CU_ASSERT_EQUAL(cfg.attack.source_share_percent, 10);
	CU_ASSERT_EQUAL(cfg.attack.nxdomain_budget_percent, 5);
	config_free(&cfg);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_case(&cfg, cases[i].text, cases[i].want, "flood", i);
		config_free(&cfg);
	}
}

/* Writes a config of n zones z<i>.many. (file z<i>.zone) to a temporary
 * file; with dup_of > 0 the last entry names zone dup_of - 1 again. */
static void write_many(char *path, size_t len, size_t n, size_t dup_of)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/levee-test-config-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("server:\n  reactors: 1\nzones:\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  - domain: z%zu.many.\n    file: z%zu.zone\n", i,
			i);
	if (dup_of)
		fprintf(f, "  - domain: Z%zu.MANY\n    file: again.zone\n",
			dup_of - 1);
	fclose(f);
}

/* Regression (issue 12): more than 4,096 zones were refused with "too
 * many zones" (CONFIG_MAX_ZONES). 20,000 load, in order, each found by
 * name (case and trailing dot ignored), none found that is not there. */
static void test_bug_zones_above_4096(void)
{
	struct config cfg;
	char path[64], err[512] = "", name[64], file[64];
	int rc;

	write_many(path, sizeof(path), 20000, 0);
	config_init(&cfg);
	rc = config_load(&cfg, path, err, sizeof(err));
	unlink(path);
	if (rc)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(cfg.zone_count, 20000);
	for (size_t i = 0; i < cfg.zone_count; i++) {
		const struct config_zone *z;

		snprintf(name, sizeof(name), "z%zu.many", i);
		snprintf(file, sizeof(file), "/tmp/z%zu.zone", i);
		CU_ASSERT_STRING_EQUAL(cfg.zones[i].domain, name);
		CU_ASSERT_STRING_EQUAL(cfg.zones[i].file, file);
		CU_ASSERT_EQUAL(cfg.zones[i].line, (int)(4 + 2 * i));
		snprintf(name, sizeof(name), "Z%zu.Many.", i);
		z = config_find_zone(&cfg, name);
		CU_ASSERT_PTR_EQUAL(z, &cfg.zones[i]);
		if (z != &cfg.zones[i])
			break;
	}
	CU_ASSERT_PTR_NULL(config_find_zone(&cfg, "z20000.many"));
	CU_ASSERT_PTR_NULL(config_find_zone(&cfg, "many"));
	/* -z on top: the file of one replaced, a new one added last. */
	CU_ASSERT_EQUAL(config_add_zone(&cfg, "z777.many.", "/x.zone", 0, err,
					sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.zones[777].file, "/x.zone");
	CU_ASSERT_EQUAL(config_add_zone(&cfg, "new.many", "/n.zone", 0, err,
					sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.zone_count, 20001);
	CU_ASSERT_PTR_EQUAL(config_find_zone(&cfg, "NEW.many"),
			    &cfg.zones[20000]);
	config_free(&cfg);
	CU_ASSERT_EQUAL(cfg.zone_count, 0);
}

/* A zone given twice among many is found through the index: the error
 * names the second entry's line and the first's. */
static void test_zone_dup_among_many(void)
{
	struct config cfg;
	char path[64], err[512] = "", want[128];
	int rc;

	write_many(path, sizeof(path), 10000, 4243);
	config_init(&cfg);
	rc = config_load(&cfg, path, err, sizeof(err));
	config_free(&cfg);
	CU_ASSERT_EQUAL(rc, LV_ECONFIG);
	snprintf(want, sizeof(want), "%s:%d: key 'domain': zone 'z4242.many' "
		 "given twice (line %d)", path, 4 + 2 * 10000, 4 + 2 * 4242);
	if (strcmp(err, want) != 0)
		fprintf(stderr, "\nwant '%s'\n got '%s'\n", want, err);
	CU_ASSERT_STRING_EQUAL(err, want);
	unlink(path);
}

/* The event-stream reader (ycompose.h): anchors and aliases within one
 * section or zone entry, not across; nesting bounded; a syntax error deep
 * in the zones: list, or after it, names its line; a later document is
 * not read; every error is LV_ECONFIG with FILE:LINE, never a crash. */
static void test_stream(void)
{
	static const struct {
		const char *text;
		const char *want;     /* substring of the error, NULL: ok */
	} cases[] = {
		{ "server:\n  identity: &id ns1\n  version: *id\n", NULL },
		{ "server:\n  listen: &l [127.0.0.1@53]\nrate-limit:\n"
		  "  exempt-clients: *l\n",
		  ":4: alias *l: no anchor" },
		{ "zones:\n  - &z { domain: a., file: a.zone }\n  - *z\n",
		  ":3: alias *z: no anchor" },
		{ "zones:\n  - { domain: &d a., file: *d }\n", NULL },
		{ "server:\n  identity: &x a\n  version: &x b\n",
		  ":3: duplicate anchor &x" },
		{ "server: &s\n  identity: *s\n", ":2: alias *s: no anchor" },
		{ "server:\n  listen: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x"
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
		  ":2: nested deeper than 16" },
		{ "zones:\n  - domain: a.\n    file: a.zone\n  - domain: b.\n"
		  "    file: [b.zone\n", ":6: YAML error" },
		{ "zones:\n  - domain: a.\n    file: a.zone\n  - 7\n",
		  ":4: key 'zones': expected entries" },
		{ "zones:\n  domain: a.\n",
		  ":2: key 'zones': expected a list" },
		{ "server: *nowhere\n", ":1: alias *nowhere: no anchor" },
		{ "zones: *nowhere\n", ":1: key 'zones': expected a list" },
		{ "[server]\n", ":1: expected a mapping" },
		{ "? [a]\n: 1\n", ":1: keys must be scalars" },
		{ "zones:\n  - domain: a.\n    file: a.zone\n---\n][\n", NULL },
		{ "# only a comment\n", NULL },
		{ "---\n...\n", NULL },
		{ "server:\nzones:\n", NULL },
	};
	struct config cfg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_init(&cfg);
		load_case(&cfg, cases[i].text, cases[i].want, "stream", i);
		config_free(&cfg);
	}
	/* The alias within a section resolves to the anchored value. */
	config_init(&cfg);
	load_case(&cfg, cases[0].text, NULL, "stream alias", 0);
	CU_ASSERT_STRING_EQUAL(cfg.version, "ns1");
	config_free(&cfg);
	config_init(&cfg);
	load_case(&cfg, cases[3].text, NULL, "stream entry alias", 3);
	CU_ASSERT_EQUAL_FATAL(cfg.zone_count, 1);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].file, "/tmp/a.");
	config_free(&cfg);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "good file", test_good },
		{ "defaults", test_defaults },
		{ "nsid hex, block list", test_nsid_hex_and_block_list },
		{ "errors: line and key", test_errors },
		{ "missing config file", test_missing_file },
		{ "listen addresses", test_parse_listen },
		{ "flags on top of a file", test_flags_merge },
		{ "udp-io", test_udp_io },
		{ "udp-bpf-filter", test_udp_bpf_filter },
		{ "rate-limit", test_rate_limit },
		{ "cookies", test_cookies },
		{ "limits and attack", test_flood_sections },
		{ "acl", test_acl },
		{ "tsig keys", test_tsig_keys },
		{ "bug: more than 4,096 zones refused",
		  test_bug_zones_above_4096 },
		{ "zone given twice among 10,000", test_zone_dup_among_many },
		{ "event stream: anchors, nesting, errors", test_stream },
		{ "zone acl and transfers-max", test_zone_acl },
		{ "secondary: primaries, file optional", test_secondary },
	};

	return unit_run("config", NULL, NULL, tests, UNIT_COUNT(tests));
}

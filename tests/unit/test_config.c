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
#include <string.h>

#include "server/config.h"
#include "server/log.h"
#include "zones/errcode.h"

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
	CU_ASSERT_EQUAL(cfg.log_level, LOG_LEVEL_DEBUG);
	CU_ASSERT(cfg.syslog);
	CU_ASSERT_EQUAL_FATAL(cfg.zone_count, 2);
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].domain, "example.com");
	/* Relative to the config file's directory. */
	CU_ASSERT_STRING_EQUAL(cfg.zones[0].file,
			       CONFIG_DIR "zones/example.com.zone");
	CU_ASSERT_EQUAL(cfg.zones[0].line, 22);
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].domain, "Example.NET");
	CU_ASSERT_STRING_EQUAL(cfg.zones[1].file, "/absolute/example.net.zone");
	CU_ASSERT_EQUAL(cfg.zones[1].line, 24);
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
	CU_ASSERT_EQUAL(cfg.udp_rcvbuf, 4u << 20);
	CU_ASSERT_EQUAL(cfg.tcp_idle_timeout, 10);
	CU_ASSERT_EQUAL(cfg.tcp_max_clients, 1000);
	CU_ASSERT_EQUAL(cfg.tcp_max_per_prefix, 50);
	CU_ASSERT_EQUAL(cfg.tcp_message_timeout, 5);
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

int main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("config", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "good file", test_good) ||
	    !CU_add_test(s, "defaults", test_defaults) ||
	    !CU_add_test(s, "nsid hex, block list", test_nsid_hex_and_block_list) ||
	    !CU_add_test(s, "errors: line and key", test_errors) ||
	    !CU_add_test(s, "missing config file", test_missing_file) ||
	    !CU_add_test(s, "listen addresses", test_parse_listen) ||
	    !CU_add_test(s, "flags on top of a file", test_flags_merge)) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

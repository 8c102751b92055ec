/* main.c -- the levee command line: flags, --check, usage, exit status.
 *
 * Usage:
 *   levee -c FILE                 run in the foreground with a YAML config
 *   levee -z NAME=FILE [-z ...] -l ADDR@PORT [-l ...] [-n N]
 *                                 run without a config file
 *   levee --check -c FILE         validate the config and load every zone,
 *   levee --check -z NAME=FILE    then exit: 0 all good, 1 a zone was
 *                                 refused, 2 configuration error
 *   levee -h | --help             usage;  levee -V | --version   version
 *
 *   -c, --config FILE     YAML configuration (see server/config.h,
 *                         examples/levee.yaml)
 *   -z, --zone NAME=FILE  serve zone NAME from FILE (repeatable); replaces
 *                         the file of a config zone of the same name
 *   -l, --listen ADDR@PORT  listen on ADDR (IPv4 or IPv6) port PORT, UDP and
 *                         TCP (repeatable); added to the config's addresses
 *   -n, --reactors N      number of reactor threads (overrides the config;
 *                         default one per CPU)
 *       --check           validate and exit (see above)
 *
 * Exit status: 0 after SIGTERM/SIGINT (or a good --check), 1 when start-up
 * fails for a reason outside the configuration (a socket cannot be bound,
 * privileges cannot be dropped) or --check refused a zone, 2 on a
 * configuration error ("FILE:LINE: key 'x': reason" on stderr).
 *
 * Log lines other programs rely on (stderr):
 *   "... info: levee 0.1.0 ready: 2 reactors, listening 127.0.0.1@5353,
 *    zones 1 loaded 0 refused"  once every socket listens;
 *   "... error: zone NAME refused: FILE:LINE: reason"  per refused zone,
 *   in configuration order;
 *   "... info: N zones loaded, M refused, R records, T s"  once the zones
 *   are loaded (and with --check); "... debug: zone NAME loaded from
 *   FILE: serial S, R records" per zone at log-level: debug only;
 *   SIGUSR1: "... info: reactor N: udp-queries N tcp-queries N noerror N ..."
 *   per reactor, then "... info: total: ... log-dropped N assert-failed N"
 *   with the sums
 *   and the reactor log lines dropped because the log queue was full.
 *
 * Signals (server/daemon.h): SIGUSR1 logs the counters, SIGHUP reloads
 * (server/reload.h; ignored while the zones load); neither kills the
 * process at any moment,
 * zone loading included. SIGTERM or SIGINT stops (exit 0), also while the
 * zones load: the start-up then ends after the zone being read.
 *
 * Everything here turns argv into a struct config; server/daemon.c does the
 * rest (zones, reactors, privileges, signals, shutdown). The main thread
 * never reads or writes a query socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/name.h"
#include "server/alloc.h"
#include "server/check.h"
#include "server/config.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/sigcheck.h"
#include "zones/zdb.h"
#include "zones/zone.h"

#ifndef LEVEE_VERSION
#define LEVEE_VERSION "0.0.0"
#endif

#define EXIT_CONFIG 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: levee [-c FILE] [-z NAME=FILE]... [-l ADDR@PORT]... "
		"[-n N] [--check]\n"
		"       levee -h | -V\n"
		"  -c, --config FILE       YAML configuration file\n"
		"  -z, --zone NAME=FILE    serve zone NAME from FILE "
		"(repeatable)\n"
		"  -l, --listen ADDR@PORT  listen on UDP and TCP "
		"(repeatable, IPv4 or IPv6)\n"
		"  -n, --reactors N        reactor threads (default: one per "
		"CPU)\n"
		"      --check             validate config and zones, then "
		"exit (0 ok, 1 zone refused, 2 config error)\n"
		"  -h, --help              this help\n"
		"  -V, --version           print the version\n");
}

/* Splits "NAME=FILE" and adds it. */
static int add_zone_flag(struct config *cfg, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char err[256], name[256];

	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(name)) {
		fprintf(stderr, "levee: -z %s: expected NAME=FILE\n", arg);
		return -1;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if (config_add_zone(cfg, name, eq + 1, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "levee: -z %s: %s\n", arg, err);
		return -1;
	}
	return 0;
}

/* --check: loads every zone, prints the verdict and what would be served
 * (check.h) on stdout. Exit status. */
static int check_zones(const struct config *cfg, const char *config_path)
{
	struct zdb *db;
	size_t loaded, refused;

	if (daemon_zones_load(cfg, NULL, &db, &loaded, &refused) < 0)
		return 1;
	check_summary(stdout, cfg, db, config_path, loaded, refused);
	zdb_free(db);
	return refused ? 1 : 0;
}

/* Serves cfg until SIGTERM or SIGINT. Exit status. */
static int serve(const struct config *cfg)
{
	struct daemon *d;
	int rc;

	if (daemon_new(cfg, &d) < 0)
		return 1;
	rc = daemon_start(d);
	if (rc == 0)
		daemon_run(d);
	daemon_free(d);
	return rc == 0 || rc == -ECANCELED ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "zone", required_argument, NULL, 'z' },
		{ "listen", required_argument, NULL, 'l' },
		{ "reactors", required_argument, NULL, 'n' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	char **zone_flags = calloc((size_t)argc + 1, sizeof(char *));
	char **listen_flags = calloc((size_t)argc + 1, sizeof(char *));
	size_t nz = 0, nl = 0;
	long reactors_flag = 0;
	bool check = false;
	struct config cfg;
	char err[512];
	int opt, status = 0;

	(void)alloc_init();
	if (sodium_init() >= 0) {
		/* before any zone is built: see name_hash_set_key() */
		uint64_t key;

		randombytes_buf(&key, sizeof(key));
		name_hash_set_key(key);
	}
	if (!zone_flags || !listen_flags) {
		status = 1;
		goto out_flags;
	}
	while ((opt = getopt_long(argc, argv, "c:z:l:n:hV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'z':
			zone_flags[nz++] = optarg;
			break;
		case 'l':
			listen_flags[nl++] = optarg;
			break;
		case 'n': {
			char *end;

			errno = 0;
			reactors_flag = strtol(optarg, &end, 10);
			if (errno || *end || reactors_flag < 1 ||
			    reactors_flag > CONFIG_MAX_REACTORS) {
				fprintf(stderr, "levee: -n %s: expected 1 to "
					"%d\n", optarg, CONFIG_MAX_REACTORS);
				status = EXIT_CONFIG;
				goto out_flags;
			}
			break;
		}
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			goto out_flags;
		case 'V':
			printf("levee %s\n", LEVEE_VERSION);
			goto out_flags;
		default:
			usage(stderr);
			status = EXIT_CONFIG;
			goto out_flags;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "levee: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		status = EXIT_CONFIG;
		goto out_flags;
	}
	/* A daemon from here on: a signal before the handlers exist waits
	 * (--check keeps the default actions, as any command). */
	if (!check)
		daemon_signals_hold();

	/* Configuration: the file first, then the flags on top. */
	config_init(&cfg);
	if (config_path && config_load(&cfg, config_path, err,
				       sizeof(err)) < 0) {
		fprintf(stderr, "levee: %s\n", err);
		status = EXIT_CONFIG;
		goto out_cfg;
	}
	for (size_t i = 0; i < nl; i++) {
		if (config_add_listen(&cfg, listen_flags[i], err,
				      sizeof(err)) < 0) {
			fprintf(stderr, "levee: -l %s: %s\n", listen_flags[i],
				err);
			status = EXIT_CONFIG;
			goto out_cfg;
		}
	}
	for (size_t i = 0; i < nz; i++) {
		if (add_zone_flag(&cfg, zone_flags[i]) < 0) {
			status = EXIT_CONFIG;
			goto out_cfg;
		}
	}
	if (reactors_flag)
		cfg.reactors = (unsigned)reactors_flag;
	if (!config_path && cfg.zone_count == 0 && cfg.listen_count == 0) {
		usage(stderr);
		status = EXIT_CONFIG;
		goto out_cfg;
	}
	if (!check && cfg.listen_count == 0) {
		fprintf(stderr, "levee: %s: no listen address (server: listen: "
			"or -l ADDR@PORT)\n", config_path ? config_path :
			"command line");
		status = EXIT_CONFIG;
		goto out_cfg;
	}
	if (cfg.reactors == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		cfg.reactors = cpus > 0 ? (unsigned)(cpus > CONFIG_MAX_REACTORS ?
			CONFIG_MAX_REACTORS : cpus) : 1;
	}
	free(zone_flags);
	free(listen_flags);
	zone_flags = listen_flags = NULL;
	log_init((enum log_level)cfg.log_level, cfg.syslog && !check);
	log_set_json(cfg.log_json);

	/* process-wide, before any zone is read (changes need a restart) */
	sigcheck_set_margin(cfg.sig_margin);
	zone_set_nsec3_iter_max(cfg.nsec3_iter_max);
	status = check ? check_zones(&cfg, config_path) : serve(&cfg);
	log_close();
out_cfg:
	config_free(&cfg);
out_flags:
	free(zone_flags);
	free(listen_flags);
	return status;
}

/* main.c -- the levee daemon: command line, start-up, signals, shutdown.
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
 *   "... error: zone NAME refused: FILE:LINE: reason"  per refused zone;
 *   SIGUSR1: "... info: reactor N: udp-queries N tcp-queries N noerror N ..."
 *   per reactor, then "... info: total: ..." with the sums.
 *
 * The main thread parses the configuration, loads the zones into one zdb
 * snapshot and publishes it, creates the reactors (which bind every socket),
 * drops privileges, starts the reactor threads and then only waits for
 * signals on its own uv loop. It never reads or writes a query socket.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "server/alloc.h"
#include "server/answer.h"
#include "ratelimit/cookie.h"
#include "server/config.h"
#include "server/log.h"
#include "server/reactor.h"
#include "server/stats.h"
#include "common/errcode.h"
#include "zones/zdb.h"
#include "zones/zload.h"
#include "zones/zone.h"

#ifndef LEVEE_VERSION
#define LEVEE_VERSION "0.0.0"
#endif

#define EXIT_CONFIG 2

struct main_state {
	struct reactor_group *group;
	uv_signal_t sig_term, sig_int, sig_usr1, sig_hup;
	bool stopping;
};

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

/* Raises the open-file limit to the hard limit: every TCP client is an fd. */
/* Raises the open file limit to its hard limit, and warns when that
 * cannot hold tcp_max_clients connections besides the listening sockets
 * (accept would then fail with EMFILE before the cap is reached). */
static void raise_nofile(unsigned tcp_max_clients)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warning("cannot raise the open file limit: %s",
				    strerror(errno));
		else if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)tcp_max_clients + 256)
		log_warning("open file limit %llu is below tcp-max-clients "
			    "%u + 256: lower tcp-max-clients or raise the limit",
			    (unsigned long long)rl.rlim_cur, tcp_max_clients);
}

static int drop_privileges(const struct config *cfg)
{
	uid_t uid = 0;
	gid_t gid = 0;
	bool has_uid = false, has_gid = false;

	if (cfg->user) {
		struct passwd *pw = getpwnam(cfg->user);

		if (!pw) {
			log_error("no such user '%s'", cfg->user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		has_uid = has_gid = true;
	}
	if (cfg->group) {
		struct group *gr = getgrnam(cfg->group);

		if (!gr) {
			log_error("no such group '%s'", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
		has_gid = true;
	}
	if (has_gid) {
		if (setgroups(1, &gid) < 0 || setgid(gid) < 0) {
			log_error("cannot switch to group %u: %s", (unsigned)gid,
				  strerror(errno));
			return -1;
		}
	}
	if (has_uid && setuid(uid) < 0) {
		log_error("cannot switch to user %s: %s", cfg->user,
			  strerror(errno));
		return -1;
	}
	if (has_uid || has_gid)
		log_info("running as user %s group %s",
			 cfg->user ? cfg->user : "(unchanged)",
			 cfg->group ? cfg->group : "(user's)");
	return 0;
}

/* Loads every configured zone; broken ones are refused alone. */
static struct zdb *load_zones(const struct config *cfg, size_t *loaded,
			      size_t *refused)
{
	struct zdb *db = zdb_new();
	char err[512];

	*loaded = *refused = 0;
	if (!db) {
		log_error("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		struct zone *z = NULL;
		int rc;

		err[0] = '\0';
		rc = zload_file(cz->domain, cz->file, &z, err, sizeof(err));
		if (rc == 0) {
			uint32_t serial = zone_serial(z);
			size_t records = zone_record_count(z);

			rc = zdb_add(db, z);
			if (rc < 0) {
				zone_free(z);
				snprintf(err, sizeof(err), "%s: %s", cz->file,
					 lv_strerror(rc));
			} else {
				log_info("zone %s loaded from %s: serial %u, "
					 "%zu records", cz->domain, cz->file,
					 serial, records);
			}
		}
		if (rc < 0) {
			log_error("zone %s refused: %s", cz->domain,
				  err[0] ? err : lv_strerror(rc));
			(*refused)++;
			continue;
		}
		(*loaded)++;
	}
	return db;
}

static void on_usr1(uv_signal_t *h, int sig)
{
	struct main_state *ms = h->data;
	struct stats sum, s;
	char line[2048];
	unsigned n = reactor_group_count(ms->group);

	(void)sig;
	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < n; i++) {
		reactor_group_stats(ms->group, i, &s);
		stats_sum(&sum, &s);
		stats_format(&s, line, sizeof(line));
		log_info("reactor %u: %s", i, line);
	}
	stats_format(&sum, line, sizeof(line));
	log_info("total: %s", line);
}

static void on_stop(uv_signal_t *h, int sig)
{
	struct main_state *ms = h->data;

	if (ms->stopping)
		return;
	ms->stopping = true;
	log_info("signal %d: stopping", sig);
	uv_signal_stop(&ms->sig_term);
	uv_signal_stop(&ms->sig_int);
	uv_signal_stop(&ms->sig_usr1);
	uv_signal_stop(&ms->sig_hup);
	uv_stop(h->loop);
}

static void on_hup(uv_signal_t *h, int sig)
{
	(void)h;
	(void)sig;
	log_info("SIGHUP: reload is not supported yet, ignored");
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
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
	size_t nz = 0, nl = 0, loaded, refused;
	long reactors_flag = 0;
	bool check = false;
	struct config cfg;
	struct answer_config acfg;
	struct cookie_ctx *cookies = NULL;
	struct main_state ms;
	struct zdb *db;
	uv_loop_t loop;
	char err[512], addrs[1024];
	int opt, rc, status = 0;

	(void)alloc_init();
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
	free(zone_flags);
	free(listen_flags);
	zone_flags = listen_flags = NULL;
	if (reactors_flag)
		cfg.reactors = (unsigned)reactors_flag;
	if (!config_path && cfg.zone_count == 0 && cfg.listen_count == 0) {
		usage(stderr);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (!check && cfg.listen_count == 0) {
		fprintf(stderr, "levee: %s: no listen address (server: listen: "
			"or -l ADDR@PORT)\n", config_path ? config_path :
			"command line");
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (cfg.reactors == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		cfg.reactors = cpus > 0 ? (unsigned)(cpus > CONFIG_MAX_REACTORS ?
			CONFIG_MAX_REACTORS : cpus) : 1;
	}
	log_init((enum log_level)cfg.log_level, cfg.syslog && !check);

	/* Zones: a broken one is refused alone. */
	db = load_zones(&cfg, &loaded, &refused);
	if (!db) {
		config_free(&cfg);
		return 1;
	}
	if (check) {
		zdb_free(db);
		printf("levee: %s: configuration ok, zones %zu loaded %zu "
		       "refused\n", config_path ? config_path : "command line",
		       loaded, refused);
		config_free(&cfg);
		return refused ? 1 : 0;
	}
	if (cfg.zone_count == 0)
		log_warning("no zones configured: every query gets REFUSED");
	zdb_publish(db);

	memset(&acfg, 0, sizeof(acfg));
	acfg.udp_max = (uint16_t)cfg.udp_max_payload;
	acfg.nsid = cfg.nsid_len ? cfg.nsid : NULL;
	acfg.nsid_len = (uint16_t)cfg.nsid_len;
	acfg.id_server = cfg.identity;
	acfg.version = cfg.version;
	{
		unsigned ka = (cfg.tcp_keepalive ? cfg.tcp_keepalive :
			       cfg.tcp_idle_timeout) * 10;

		acfg.tcp_keepalive = (uint16_t)(ka > 65535 ? 65535 : ka);
	}

	if (cfg.cookies.answer) {
		const struct config_cookies *cc = &cfg.cookies;
		struct cookie_params cp = {
			.secret = cc->have_secret ? cc->secret : NULL,
			.secret_previous = cc->have_previous ?
					   cc->secret_previous : NULL,
			.secret_next = cc->have_next ? cc->secret_next : NULL,
			.master_key = cc->have_master ? cc->master_key : NULL,
			.lifetime = cc->lifetime,
		};

		cookies = cookie_ctx_new(&cp);
		if (!cookies) {
			log_error("cannot set up cookies: %s", strerror(errno));
			zdb_shutdown();
			config_free(&cfg);
			return 1;
		}
		acfg.cookies = cookies;
		acfg.cookie_require = (uint8_t)cc->require;
	}

	raise_nofile(cfg.tcp_max_clients);
	signal(SIGPIPE, SIG_IGN);
	memset(&ms, 0, sizeof(ms));
	ms.group = reactor_group_new(&cfg, &acfg, cfg.reactors, err,
				     sizeof(err));
	if (!ms.group) {
		log_error("cannot start: %s", err);
		cookie_ctx_free(cookies);
		zdb_shutdown();
		config_free(&cfg);
		return 1;
	}
	if (drop_privileges(&cfg) < 0) {
		reactor_group_free(ms.group);
		cookie_ctx_free(cookies);
		zdb_shutdown();
		config_free(&cfg);
		return 1;
	}

	uv_loop_init(&loop);
	uv_signal_init(&loop, &ms.sig_term);
	uv_signal_init(&loop, &ms.sig_int);
	uv_signal_init(&loop, &ms.sig_usr1);
	uv_signal_init(&loop, &ms.sig_hup);
	ms.sig_term.data = ms.sig_int.data = &ms;
	ms.sig_usr1.data = ms.sig_hup.data = &ms;
	uv_signal_start(&ms.sig_term, on_stop, SIGTERM);
	uv_signal_start(&ms.sig_int, on_stop, SIGINT);
	uv_signal_start(&ms.sig_usr1, on_usr1, SIGUSR1);
	uv_signal_start(&ms.sig_hup, on_hup, SIGHUP);

	rc = reactor_group_start(ms.group);
	if (rc < 0) {
		log_error("cannot start reactor threads: %s", uv_strerror(rc));
		status = 1;
	} else {
		size_t off = 0;

		addrs[0] = '\0';
		for (size_t i = 0; i < cfg.listen_count && off < sizeof(addrs);
		     i++) {
			int n = snprintf(addrs + off, sizeof(addrs) - off,
					 "%s%s", i ? " " : "",
					 cfg.listen[i].text);
			if (n < 0)
				break;
			off += (size_t)n;
		}
		log_info("levee %s ready: %u reactors, listening %s, zones %zu "
			 "loaded %zu refused", LEVEE_VERSION, cfg.reactors,
			 addrs, loaded, refused);
		uv_run(&loop, UV_RUN_DEFAULT);
	}

	reactor_group_stop(ms.group);
	uv_walk(&loop, close_walk, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	reactor_group_free(ms.group);
	cookie_ctx_free(cookies);
	zdb_shutdown();
	log_info("levee stopped");
	log_close();
out_cfg:
	config_free(&cfg);
out_flags:
	free(zone_flags);
	free(listen_flags);
	return status;
}

/* check.c -- the summary `levee --check` prints (check.h).
 *
 * It reads the parsed configuration and the loaded snapshot only; it
 * decides nothing. Each defence line says what the server would do with
 * this configuration, with the same defaults the server applies (the
 * kernel drop map exists only with limits: and a slip other than 1, as
 * reactor.c builds it).
 */
#include "server/check.h"

#include <time.h>

#include "common/name.h"
#include "ratelimit/attack.h"
#include "ratelimit/cookie.h"
#include "ratelimit/limits.h"
#include "ratelimit/rrl.h"
#include "server/config.h"
#include "server/sigcheck.h"
#include "zones/zdb.h"
#include "zones/zone.h"

static void check_zones(FILE *out, const struct config *cfg,
			const struct zdb *db)
{
	uint8_t lname[NAME_MAX_LEN + 1];

	fprintf(out, "zones: %zu configured\n", cfg->zone_count);
	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct config_zone *cz = &cfg->zones[i];
		const struct zone *z = NULL;

		if (name_from_text(cz->domain, lname))
			z = zdb_get(db, lname);
		if (z) {
			uint32_t now = (uint32_t)time(NULL);
			struct sigcheck_state s =
				sigcheck_of(z, now, sigcheck_margin());
			char e[32];

			fprintf(out, "  %s. serial %u, %zu records, from %s",
				cz->domain, zone_serial(z),
				zone_record_count(z), cz->file);
			if (s.level != SIGCHECK_UNSIGNED)
				fprintf(out, ", signed: earliest RRSIG "
					"expiration %s (in %lld s)",
					sigcheck_time(s.expire, now, e,
						      sizeof(e)),
					(long long)sigcheck_left(&s, now));
			fprintf(out, "\n");
		}
		else if (cz->primaries)
			fprintf(out, "  %s. secondary: served after its first "
				"transfer\n", cz->domain);
		else
			fprintf(out, "  %s. REFUSED (the reason is logged "
				"above), from %s\n", cz->domain,
				cz->file ? cz->file : "-");
	}
}

static void check_server(FILE *out, const struct config *cfg)
{
	fprintf(out, "listen:");
	for (size_t i = 0; i < cfg->listen_count; i++)
		fprintf(out, " %s", cfg->listen[i].text);
	fprintf(out, "%s (UDP and TCP)\n",
		cfg->listen_count ? "" : " none (levee needs -l or listen:)");
	if (cfg->reactors)
		fprintf(out, "reactors: %u\n", cfg->reactors);
	else
		fprintf(out, "reactors: one per CPU\n");
	if (cfg->user || cfg->group)
		fprintf(out, "runs as: user %s, group %s (after binding)\n",
			cfg->user ? cfg->user : "(unchanged)",
			cfg->group ? cfg->group : "(the user's)");
	else
		fprintf(out, "runs as: the user that starts it\n");
	if (cfg->control_listen)
		fprintf(out, "control socket: %s\n", cfg->control_listen);
	if (cfg->metrics)
		fprintf(out, "metrics: http on %s, per-zone series %s\n",
			cfg->metrics_listen.text,
			cfg->metrics_per_zone ? "on" : "off");
	if (cfg->dnstap.on)
		fprintf(out, "dnstap: to %s%s, %s%s%s, 1 in %u (1 in %u under "
			"attack)\n", cfg->dnstap.unix_socket ? "unix:" : "",
			cfg->dnstap.sink,
			cfg->dnstap.log_queries ? "queries" : "",
			cfg->dnstap.log_queries && cfg->dnstap.log_responses ?
			" and " : "",
			cfg->dnstap.log_responses ? "responses" : "",
			cfg->dnstap.sample,
			cfg->dnstap.sample_attack ? cfg->dnstap.sample_attack :
			cfg->dnstap.sample);
	if (cfg->journal_db)
		fprintf(out, "journal: %s\n", cfg->journal_db);
}

static void check_defences(FILE *out, const struct config *cfg)
{
	const struct rrl_config *r = &cfg->rrl;
	const struct limits_config *l = &cfg->limits;
	static const char *const req[] = { "off", "on", "under-attack" };
	static const char *const mode[] = { "off", "on", "auto" };
	bool lim = limits_config_enabled(l);

	fprintf(out, "defences:\n");
	if (rrl_config_enabled(r))
		fprintf(out, "  rate-limit: on, %u responses/s per /%u (/%u "
			"IPv6) and name, slip %u, window %u s%s, %zu exempt "
			"networks\n", r->responses_per_second,
			r->ipv4_prefix_length, r->ipv6_prefix_length, r->slip,
			r->window, r->log_only ? ", log-only" : "",
			r->exempt_count);
	else
		fprintf(out, "  rate-limit: off\n");
	fprintf(out, "  exempt-local: %s\n", !cfg->exempt_local ? "off" :
		cfg->udp_io == CONFIG_UDP_IO_LIBUV ?
		"off (udp-io: libuv reads no interface)" :
		"on (UDP from 127.0.0.1 and ::1 on lo skips the limits)");
	fprintf(out, "  cookies: %s, require %s\n",
		cfg->cookies.answer ? "on" : "off",
		cfg->cookies.require >= 0 && cfg->cookies.require < 3 ?
		req[cfg->cookies.require] : "?");
	if (lim && l->queries_per_second)
		fprintf(out, "  limits: %u queries/s per source, slip %u\n",
			l->queries_per_second, l->slip);
	else
		fprintf(out, "  limits: per-source off\n");
	if (l->zone_nxdomains_per_second)
		fprintf(out, "  limits: %u NXDOMAIN/s per zone\n",
			l->zone_nxdomains_per_second);
	fprintf(out, "  attack: %s\n",
		cfg->attack.mode >= 0 && cfg->attack.mode < 3 ?
		mode[cfg->attack.mode] : "?");
	fprintf(out, "  udp-bpf-filter: %s\n", cfg->udp_bpf_filter ? "on" :
		"off");
	fprintf(out, "  udp-ebpf-filter: %s\n", !cfg->udp_ebpf_filter ? "off" :
		lim && l->queries_per_second && l->slip != 1 ?
		"on (kernel drop map of over-limit prefixes)" :
		"on, no map (needs limits: with slip 0 or N > 1)");
	fprintf(out, "  tcp: %u connections, %u per prefix, %u bytes\n",
		cfg->tcp_max_clients, cfg->tcp_max_per_prefix,
		cfg->tcp_memory_max);
	fprintf(out, "  acl: %zu entries, %zu trusted addresses; %zu TSIG "
		"keys\n", cfg->acl_count, cfg->trusted_count,
		cfg->tsig ? tsig_keyring_count(cfg->tsig) : (size_t)0);
}

void check_summary(FILE *out, const struct config *cfg, const struct zdb *db,
		   const char *config_path, size_t loaded, size_t refused)
{
	fprintf(out, "levee: %s: configuration ok, zones %zu loaded %zu "
		"refused\n", config_path ? config_path : "command line",
		loaded, refused);
	check_zones(out, cfg, db);
	check_server(out, cfg);
	check_defences(out, cfg);
}

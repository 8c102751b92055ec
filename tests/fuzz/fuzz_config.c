/* fuzz_config.c -- fuzz target: arbitrary bytes as the YAML configuration.
 *
 * Each input is written to levee.yaml in a private directory made once per
 * process (mkdtemp under /tmp, removed at exit) and read with config_load()
 * into a fresh config_init() config, which config_free() then releases: a
 * config or a clean LV_ECONFIG with a message, never an exit, a crash or a
 * leak. Inputs are capped at FUZZ_CONFIG_MAX bytes (real configs are a few
 * hundred). Built as a libFuzzer target with -Dfuzz=true, and always as a
 * replay driver of the seed corpus (replay.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/config.h"
#include "server/log.h"
#include "common/errcode.h"

#include "fuzz_util.h"

#define FUZZ_CONFIG_MAX 16384

static char fuzz_dir[64];
static char fuzz_path[96];

static void fuzz_cleanup(void)
{
	if (!fuzz_dir[0])
		return;
	(void)unlink(fuzz_path);
	(void)rmdir(fuzz_dir);
}

static void fuzz_init(void)
{
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/levee-fuzz-config.XXXXXX");
	if (!mkdtemp(fuzz_dir))
		abort();
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/levee.yaml", fuzz_dir);
	atexit(fuzz_cleanup);
	log_init(LOG_LEVEL_ERROR, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	int rc;

	if (!fuzz_dir[0])
		fuzz_init();
	if (size > FUZZ_CONFIG_MAX)
		return 0;
	fuzz_util_write(fuzz_path, data, size);
	config_init(&cfg);
	err[0] = '\0';
	rc = config_load(&cfg, fuzz_path, err, sizeof(err));
	if (rc != 0 && (rc != LV_ECONFIG || !err[0]))
		abort();   /* errors are LV_ECONFIG and say why */
	if (cfg.listen_count > CONFIG_MAX_LISTEN ||
	    cfg.zone_count > cfg.zone_cap ||
	    cfg.cpu_count > CONFIG_MAX_CPUS || cfg.nsid_len > CONFIG_MAX_NSID)
		abort();
	/* Every zone is there and found by its name, as itself (the names
	 * are unique). */
	for (size_t i = 0; i < cfg.zone_count; i++)
		if (!cfg.zones[i].domain || !cfg.zones[i].file ||
		    config_find_zone(&cfg, cfg.zones[i].domain) !=
		    &cfg.zones[i])
			abort();
	config_free(&cfg);
	return 0;
}

/*
 * fuzz_config.c — libFuzzer target for the configuration loader
 * (src/core/config.c): arbitrary bytes as a YAML file through
 * config_load_buffer, then config_validate and config_free. Finds crashes,
 * leaks (with ASan) and undefined behaviour in the YAML walker and in every
 * value checker. Seeds: fuzz/corpus/config/.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX];

	if (config_load_buffer(&cfg, "fuzz.yaml", (const char *)data, size, err) == 0) {
		(void)config_validate(&cfg, err);
		config_free(&cfg);
	}
	return 0;
}

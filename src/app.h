/*
 * app — start-up and shutdown of the whole server, and the pieces the CLI
 * shares with it: loading the configuration (with the secret resolved) and
 * opening the store with migrations applied.
 *
 * Threads: main thread only.
 */
#ifndef GH_APP_H
#define GH_APP_H

#include <stdbool.h>

#include "core/config.h"

/* Loads and validates config from path (NULL: none) and the environment.
 * require_secret: refuse without a secret unless development mode, which
 * generates one into <data_dir>/secret (0600). Prints errors to stderr. */
int app_load_config(struct gh_config *cfg, const char *path, bool require_secret);
/* Creates the data directory, opens the store, applies migrations. */
int app_open_store(const struct gh_config *cfg);
/* Initialises the auth modules that depend on the config (token keys,
 * password parameters, lockout). */
int app_init_auth(const struct gh_config *cfg);
/* Runs the server until SIGTERM/SIGINT; returns the process exit code. */
int app_serve(struct gh_config *cfg);

#endif

/*
 * app — see app.h. The order of start-up matters: the secret before the
 * token keys, the store before the bootstrap admin, the routes before the
 * listener, and signals blocked before any thread exists so that only the
 * main thread's sigwait() sees them.
 */
#include "app.h"

#include "api/handlers.h"
#include "auth/apikey.h"
#include "auth/lockout.h"
#include "authz/policy.h"
#include "authz/roles.h"
#include "auth/password.h"
#include "auth/session.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/workers.h"
#include "http/clientip.h"
#include "http/origin.h"
#include "http/router.h"
#include "http/server.h"
#include "mail/mail.h"
#include "ratelimit/ratelimit.h"
#include "ratelimit/rules.h"
#include "store/store.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static int mkdir_p(const char *path)
{
	char buf[1024];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Development mode only: read <data_dir>/secret, or create it (0600). */
static char *dev_secret(const char *data_dir)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/secret", data_dir);
	char buf[129] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = 0;
		if (n >= 32)
			return strdup(buf);
		fprintf(stderr, "gatehouse: %s is shorter than 32 characters\n", path);
		return NULL;
	}
	uint8_t raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(buf, sizeof buf, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, 64) != 64 || fsync(fd) != 0) {
		fprintf(stderr, "gatehouse: cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	fprintf(stderr,
		"gatehouse: DEVELOPMENT MODE: generated a secret into %s.\n"
		"gatehouse: never run development mode in production; set GATEHOUSE_SECRET.\n",
		path);
	return strdup(buf);
}

/* GATEHOUSE_CONFIG names the file and GATEHOUSE_BIN is the test harness's;
 * neither is a setting, so config_load does not see them. */
static char **settings_environment(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GATEHOUSE_CONFIG=", 17) != 0 &&
		    strncmp(environ[i], "GATEHOUSE_BIN=", 14) != 0)
			env[k++] = environ[i];
	return env;
}

int app_load_config(struct gh_config *cfg, const char *path, bool require_secret)
{
	char err[GH_CONFIG_ERR_MAX];
	char **env = settings_environment();
	if (!env)
		return -1;
	int rc = config_load(cfg, path, env, err);
	free(env);
	if (rc != 0) {
		fprintf(stderr, "gatehouse: config: %s\n", err);
		return -1;
	}
	if (config_validate(cfg, err) != 0) {
		fprintf(stderr, "gatehouse: config: %s\n", err);
		config_free(cfg);
		return -1;
	}
	if (log_set_level(cfg->log_level) != 0)
		log_set_level("info");
	if (!cfg->secret && require_secret) {
		if (!cfg->development) {
			fprintf(
			    stderr,
			    "gatehouse: no secret configured: set GATEHOUSE_SECRET (at least 32 "
			    "random characters) or `secret:` in the config file.\n"
			    "gatehouse: for local development only, GATEHOUSE_DEV=1 generates "
			    "one.\n");
			config_free(cfg);
			return -1;
		}
		if (mkdir_p(cfg->data_dir) != 0 || !(cfg->secret = dev_secret(cfg->data_dir))) {
			config_free(cfg);
			return -1;
		}
	}
	return 0;
}

int app_open_store(const struct gh_config *cfg)
{
	if (mkdir_p(cfg->data_dir) != 0) {
		fprintf(stderr, "gatehouse: cannot create data directory %s: %s\n", cfg->data_dir,
			strerror(errno));
		return -1;
	}
	if (store_open(cfg->database_url) != 0) {
		fprintf(stderr, "gatehouse: cannot open the database\n");
		return -1;
	}
	int applied;
	if (store()->migrate(&applied) != 0) {
		fprintf(stderr, "gatehouse: database migration failed\n");
		return -1;
	}
	return 0;
}

static struct gh_password_params password_params(const struct gh_config *cfg)
{
	return (struct gh_password_params){
	    .min_length = cfg->password_min_length,
	    .max_length = cfg->password_max_length,
	    .memory_kib = cfg->argon2_memory_kib,
	    .iterations = cfg->argon2_iterations,
	    .max_concurrent = cfg->max_concurrent_hashes,
	};
}

int app_init_auth(const struct gh_config *cfg)
{
	if (sodium_init() < 0)
		return -1;
	struct gh_password_params pp = password_params(cfg);
	if (password_init(&pp) != 0) {
		fprintf(stderr, "gatehouse: password parameters rejected\n");
		return -1;
	}
	if (cfg->secret)
		token_init(cfg->secret, strlen(cfg->secret));
	lockout_init(cfg->lockout_max_attempts, cfg->lockout_duration_s);
	return 0;
}

/* First start on an empty database: one admin with a random password,
 * printed once. No fixed default credential exists (ASVS 6.3.2). */
static int bootstrap_admin(void)
{
	char done[64];
	int64_t users = 0;
	if (store()->meta_get("bootstrap_admin", done, sizeof done) == GH_STORE_OK)
		return 0;
	if (store()->user_count(&users) != GH_STORE_OK)
		return -1;
	if (users > 0)
		return store()->meta_put("bootstrap_admin", "skipped: users existed") == GH_STORE_OK
			   ? 0
			   : -1;
	struct gh_user u;
	memset(&u, 0, sizeof u);
	token_random_alnum(u.id, GH_ID_LEN);
	snprintf(u.name, sizeof u.name, "Administrator");
	snprintf(u.email, sizeof u.email, "admin@gatehouse.local");
	snprintf(u.role, sizeof u.role, "admin");
	u.email_verified = true;
	u.created_at = u.updated_at = clock_now_ms();
	char password[25], hash[GH_PASSWORD_HASH_MAX], account_id[GH_ID_LEN + 1];
	token_random_alnum(password, 24);
	token_random_alnum(account_id, GH_ID_LEN);
	if (password_hash(password, strlen(password), hash) != 0 ||
	    store()->user_insert(&u, account_id, hash) != GH_STORE_OK ||
	    store()->meta_put("bootstrap_admin", u.id) != GH_STORE_OK) {
		sodium_memzero(password, sizeof password);
		return -1;
	}
	printf("gatehouse: bootstrap admin created. Sign in once with\n"
	       "gatehouse:   email:    %s\n"
	       "gatehouse:   password: %s\n"
	       "gatehouse: This password is shown only now; change it after signing in "
	       "(POST /api/auth/change-password).\n",
	       u.email, password);
	fflush(stdout);
	sodium_memzero(password, sizeof password);
	log_event(GH_LOG_INFO, "bootstrap admin created", "user", u.id, NULL);
	return 0;
}

static void reload(struct gh_config *cfg)
{
	struct gh_config fresh;
	if (app_load_config(&fresh, cfg->path, false) != 0) {
		log_event(GH_LOG_ERROR,
			  "reload refused: configuration invalid; keeping the old one", NULL);
		return;
	}
	/* Only what is safe to swap under running threads: log level, password
	 * parameters (password_init swaps atomically), lockout thresholds. */
	log_set_level(fresh.log_level);
	struct gh_password_params pp = password_params(&fresh);
	password_init(&pp);
	lockout_init(fresh.lockout_max_attempts, fresh.lockout_duration_s);
	config_free(&fresh);
	log_event(GH_LOG_INFO, "configuration reloaded", NULL);
}

int app_serve(struct gh_config *cfg)
{
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (app_init_auth(cfg) != 0 || app_open_store(cfg) != 0)
		return 1;
	if (session_init(cfg) != 0 || mail_init(cfg->data_dir) != 0 ||
	    origin_init(cfg->base_url, cfg->trusted_origins, cfg->n_trusted_origins) != 0 ||
	    clientip_init(cfg->trusted_proxies, cfg->n_trusted_proxies) != 0) {
		fprintf(stderr, "gatehouse: start-up failed\n");
		return 1;
	}
	roles_init(cfg);
	policy_init(cfg);
	if (apikey_init(cfg) != 0) {
		fprintf(stderr, "gatehouse: cannot load API keys\n");
		return 1;
	}
	/* simple-mode keys are hashed now; their plaintext has no further use */
	for (int i = 0; i < cfg->n_static_keys; i++)
		sodium_memzero(cfg->static_keys[i].key, strlen(cfg->static_keys[i].key));
	if (bootstrap_admin() != 0) {
		fprintf(stderr, "gatehouse: could not create the bootstrap admin\n");
		return 1;
	}
	rl_rules_init(cfg);
	if (ratelimit_start(cfg->redis_url) != 0) {
		fprintf(stderr, "gatehouse: rate_limits.redis_url is not a redis:// URL\n");
		return 1;
	}
	auth_core_register(cfg);
	auth_account_register(cfg);
	ops_register(cfg);
	apikeys_register(cfg);
	admin_register(cfg);
	forward_auth_register(cfg);
	ratelimit_info_register(cfg);
	router_set_precheck(GH_AUTH_BASE "/", rl_auth_precheck);
	if (workers_start(cfg->workers, 4096) != 0 || http_server_start(cfg, router_lookup) != 0) {
		fprintf(stderr, "gatehouse: cannot start the server on %s:%d\n", cfg->listen_host,
			cfg->listen_port);
		return 1;
	}
	printf("gatehouse: listening on %s (database %s)\n", cfg->base_url, cfg->database_url);
	fflush(stdout);
	log_event(GH_LOG_INFO, "listening", "url", cfg->base_url, NULL);

	for (;;) {
		int sig = 0;
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(cfg);
			continue;
		}
		break;
	}
	log_event(GH_LOG_INFO, "shutting down: draining requests", NULL);
	http_server_stop(10.0);
	workers_stop(); /* runs every queued job (session refreshes, resets) first */
	ratelimit_stop();
	apikey_shutdown(); /* writes the last usage counters */
	session_shutdown();
	store_close();
	token_shutdown();
	log_event(GH_LOG_INFO, "stopped", NULL);
	return 0;
}

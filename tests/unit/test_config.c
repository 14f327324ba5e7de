/*
 * test_config.c — unit tests for src/core/config.c: defaults, YAML values,
 * environment overrides and their precedence, derived defaults, and the
 * precise "FILE:LINE: key: problem" errors for everything that must be
 * rejected (unknown keys and variables, wrong types, bad listen addresses,
 * bad CIDRs, short secrets, ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "http/server.h" /* enum gh_method, whose bits config.c duplicates */

static char *const no_env[] = {NULL};

static int load_yaml(struct gh_config *cfg, const char *yaml, char *err)
{
	return config_load_buffer(cfg, "test.yaml", yaml, strlen(yaml), err);
}

/* Writes yaml to a fresh temporary file; the caller unlinks and frees. */
static char *write_temp(const char *yaml)
{
	char *path = strdup("/tmp/gh-test-config-XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(yaml);
	assert_int_equal(write(fd, yaml, len), (ssize_t)len);
	close(fd);
	return path;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* The YAML must be rejected with an error containing `expected`, and the
 * struct must be left freed (zeroed). */
static void expect_yaml_error(const char *yaml, const char *expected)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";

	if (load_yaml(&cfg, yaml, err) == 0) {
		config_free(&cfg);
		fail_msg("accepted: %s", yaml);
	}
	assert_contains(err, expected);
	assert_null(cfg.listen_host);
	assert_null(cfg.log_level);
}

static void expect_env_error(char *const *envp, const char *expected)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";

	if (config_load(&cfg, NULL, envp, err) == 0) {
		config_free(&cfg);
		fail_msg("accepted environment starting %s", envp[0]);
	}
	assert_contains(err, expected);
}

static void test_defaults(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(load_yaml(&cfg, "", err), 0);
	assert_null(cfg.path);
	assert_string_equal(cfg.listen_host, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 8080);
	assert_string_equal(cfg.base_url, "http://127.0.0.1:8080");
	assert_string_equal(cfg.data_dir, "./data");
	assert_string_equal(cfg.database_url, "sqlite:./data/gatehouse.db");
	assert_null(cfg.secret);
	assert_false(cfg.development);
	assert_int_equal(cfg.workers, 4);
	assert_true(cfg.http_threads >= 1);
	assert_int_equal(cfg.n_trusted_origins, 1); /* base_url's own origin */
	assert_string_equal(cfg.trusted_origins[0], "http://127.0.0.1:8080");
	assert_int_equal(cfg.n_trusted_proxies, 0);
	assert_int_equal(cfg.n_ip_headers, 1);
	assert_string_equal(cfg.ip_headers[0], "x-forwarded-for");
	assert_int_equal(cfg.max_body_bytes, 65536);
	assert_int_equal(cfg.max_header_bytes, 8192);
	assert_int_equal(cfg.max_connections, 1024);
	assert_int_equal(cfg.connection_timeout_s, 30);
	assert_true(cfg.sign_up_enabled);
	assert_int_equal(cfg.password_min_length, 8);
	assert_int_equal(cfg.password_max_length, 128);
	assert_int_equal(cfg.argon2_memory_kib, 19456);
	assert_int_equal(cfg.argon2_iterations, 2);
	assert_int_equal(cfg.max_concurrent_hashes, 4); /* = workers */
	assert_int_equal(cfg.lockout_max_attempts, 5);
	assert_int_equal(cfg.lockout_duration_s, 1800);
	assert_int_equal(cfg.session_expires_in_s, 604800);
	assert_int_equal(cfg.session_update_age_s, 86400);
	assert_int_equal(cfg.session_fresh_age_s, 86400);
	assert_false(cfg.cookie_cache_enabled);
	assert_int_equal(cfg.cookie_cache_max_age_s, 300);
	assert_string_equal(cfg.cookie_prefix, "better-auth");
	assert_null(cfg.cookie_domain);
	assert_string_equal(cfg.log_level, "info");
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);
	assert_null(cfg.listen_host);
	config_free(&cfg); /* freeing twice is harmless */
}

static void test_defaults_without_file(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *const envp[] = {"PATH=/usr/bin", "HOME=/root", "GATEHOUSEX=1", NULL};
	(void)state;

	assert_int_equal(config_load(&cfg, NULL, envp, err), 0);
	assert_null(cfg.path);
	assert_string_equal(cfg.base_url, "http://127.0.0.1:8080");
	assert_int_equal(cfg.workers, 4);
	config_free(&cfg);

	/* a NULL environment is treated as empty */
	assert_int_equal(config_load(&cfg, NULL, NULL, err), 0);
	assert_int_equal(cfg.listen_port, 8080);
	config_free(&cfg);
}

static const char full_yaml[] =
    "# every key\n"
    "listen: \"0.0.0.0:9000\"\n"
    "base_url: \"https://Auth.Example.com/\"\n"
    "data_dir: /var/lib/gatehouse\n"
    "database_url: \"postgres://gh@db/gatehouse\"\n"
    "secret: \"0123456789abcdef0123456789abcdef\"\n"
    "development: true\n"
    "workers: 6\n"
    "http_threads: 3\n"
    "trusted_origins: [\"http://localhost:3000\", \"https://*.example.com\"]\n"
    "trusted_proxies:\n"
    "  - 127.0.0.1\n"
    "  - 10.0.0.0/8\n"
    "  - \"fd00::/8\"\n"
    "ip_headers: [X-Real-IP, x-forwarded-for]\n"
    "limits: {max_body_bytes: 1048576, max_header_bytes: 16384, max_connections: 50,"
    " connection_timeout: 10}\n"
    "accounts: {sign_up_enabled: false, lockout_max_attempts: 3, lockout_duration: 60}\n"
    "password:\n"
    "  min_length: 12\n"
    "  max_length: 256\n"
    "  argon2_memory_kib: 65536\n"
    "  argon2_iterations: 3\n"
    "  max_concurrent_hashes: 2\n"
    "session:\n"
    "  expires_in: 3600\n"
    "  update_age: 600\n"
    "  fresh_age: 0\n"
    "  cookie_prefix: gh\n"
    "  cookie_domain: \".Example.com\"\n"
    "  cookie_cache: {enabled: yes, max_age: 60}\n"
    "log: {level: debug}\n";

static void test_yaml_values(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	if (load_yaml(&cfg, full_yaml, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.listen_host, "0.0.0.0");
	assert_int_equal(cfg.listen_port, 9000);
	assert_string_equal(cfg.base_url, "https://auth.example.com");
	assert_string_equal(cfg.data_dir, "/var/lib/gatehouse");
	assert_string_equal(cfg.database_url, "postgres://gh@db/gatehouse");
	assert_string_equal(cfg.secret, "0123456789abcdef0123456789abcdef");
	assert_true(cfg.development);
	assert_int_equal(cfg.workers, 6);
	assert_int_equal(cfg.http_threads, 3);
	assert_int_equal(cfg.n_trusted_origins, 3);
	assert_string_equal(cfg.trusted_origins[0], "http://localhost:3000");
	assert_string_equal(cfg.trusted_origins[1], "https://*.example.com");
	assert_string_equal(cfg.trusted_origins[2], "https://auth.example.com");
	assert_int_equal(cfg.n_trusted_proxies, 3);
	assert_string_equal(cfg.trusted_proxies[1], "10.0.0.0/8");
	assert_string_equal(cfg.trusted_proxies[2], "fd00::/8");
	assert_int_equal(cfg.n_ip_headers, 2);
	assert_string_equal(cfg.ip_headers[0], "x-real-ip"); /* lowercased */
	assert_int_equal(cfg.max_body_bytes, 1048576);
	assert_int_equal(cfg.max_header_bytes, 16384);
	assert_int_equal(cfg.max_connections, 50);
	assert_int_equal(cfg.connection_timeout_s, 10);
	assert_false(cfg.sign_up_enabled);
	assert_int_equal(cfg.lockout_max_attempts, 3);
	assert_int_equal(cfg.lockout_duration_s, 60);
	assert_int_equal(cfg.password_min_length, 12);
	assert_int_equal(cfg.password_max_length, 256);
	assert_int_equal(cfg.argon2_memory_kib, 65536);
	assert_int_equal(cfg.argon2_iterations, 3);
	assert_int_equal(cfg.max_concurrent_hashes, 2);
	assert_int_equal(cfg.session_expires_in_s, 3600);
	assert_int_equal(cfg.session_update_age_s, 600);
	assert_int_equal(cfg.session_fresh_age_s, 0);
	assert_string_equal(cfg.cookie_prefix, "gh");
	assert_string_equal(cfg.cookie_domain, ".example.com");
	assert_true(cfg.cookie_cache_enabled);
	assert_int_equal(cfg.cookie_cache_max_age_s, 60);
	assert_string_equal(cfg.log_level, "debug");
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);
}

static void test_env_overrides_yaml(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *path = write_temp("listen: 127.0.0.1:7000\n"
				"workers: 2\n"
				"development: false\n"
				"trusted_proxies: [10.0.0.0/8]\n"
				"log: {level: warn}\n"
				"accounts: {sign_up_enabled: true}\n"
				"session: {cookie_cache: {enabled: false}}\n");
	char *const envp[] = {
	    "HOME=/root",
	    "GATEHOUSE_WORKERS=9",
	    "GATEHOUSE_LISTEN=[::1]:7001",
	    "GATEHOUSE_DEV=yes",
	    "GATEHOUSE_TRUSTED_PROXIES=192.168.0.0/16, 127.0.0.1",
	    "GATEHOUSE_LOG_LEVEL=error",
	    "GATEHOUSE_SIGN_UP_ENABLED=0",
	    "GATEHOUSE_COOKIE_CACHE=true",
	    "GATEHOUSE_PASSWORD_MIN_LENGTH=15",
	    "GATEHOUSE_ARGON2_MEMORY_KIB=32768",
	    "GATEHOUSE_ARGON2_ITERATIONS=4",
	    "GATEHOUSE_LOCKOUT_MAX_ATTEMPTS=10",
	    "GATEHOUSE_LOCKOUT_DURATION=900",
	    "GATEHOUSE_MAX_BODY_BYTES=4096",
	    "GATEHOUSE_HTTP_THREADS=5",
	    "GATEHOUSE_DATA_DIR=/srv/gh/",
	    "GATEHOUSE_SECRET=abcdefghijklmnopqrstuvwxyz0123456789",
	    "GATEHOUSE_WORKERS=1",                  /* getenv() semantics: the first one wins */
	    "GATEHOUSE_CONFIG=/etc/gatehouse.yaml", /* read by the CLI, not here */
	    NULL,
	};
	(void)state;

	if (config_load(&cfg, path, envp, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.workers, 9);
	assert_int_equal(cfg.max_concurrent_hashes, 9);
	assert_string_equal(cfg.listen_host, "::1");
	assert_int_equal(cfg.listen_port, 7001);
	assert_string_equal(cfg.base_url, "http://[::1]:7001");
	assert_int_equal(cfg.n_trusted_origins, 1);
	assert_string_equal(cfg.trusted_origins[0], "http://[::1]:7001");
	assert_true(cfg.development);
	assert_int_equal(cfg.n_trusted_proxies, 2);
	assert_string_equal(cfg.trusted_proxies[0], "192.168.0.0/16");
	assert_string_equal(cfg.trusted_proxies[1], "127.0.0.1");
	assert_string_equal(cfg.log_level, "error");
	assert_false(cfg.sign_up_enabled);
	assert_true(cfg.cookie_cache_enabled);
	assert_int_equal(cfg.password_min_length, 15);
	assert_int_equal(cfg.argon2_memory_kib, 32768);
	assert_int_equal(cfg.argon2_iterations, 4);
	assert_int_equal(cfg.lockout_max_attempts, 10);
	assert_int_equal(cfg.lockout_duration_s, 900);
	assert_int_equal(cfg.max_body_bytes, 4096);
	assert_int_equal(cfg.http_threads, 5);
	assert_string_equal(cfg.data_dir, "/srv/gh/");
	assert_string_equal(cfg.database_url, "sqlite:/srv/gh/gatehouse.db");
	assert_string_equal(cfg.secret, "abcdefghijklmnopqrstuvwxyz0123456789");
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);
	unlink(path);
	free(path);
}

static void test_unknown_key_names_file_line_key(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char expected[GH_CONFIG_ERR_MAX];
	(void)state;

	assert_int_equal(load_yaml(&cfg,
				   "listen: 127.0.0.1:8080\n"
				   "session:\n"
				   "  expires_in: 60\n"
				   "  expirs_in: 30\n",
				   err),
			 -1);
	assert_string_equal(err, "test.yaml:4: session.expirs_in: unknown key");
	assert_null(cfg.listen_host); /* left freed */

	expect_yaml_error("session:\n  cookie_cache:\n    enable: true\n",
			  "test.yaml:3: session.cookie_cache.enable: unknown key");
	expect_yaml_error("workers: 4\nworker: 4\n", "test.yaml:2: worker: unknown key");

	/* through a real file, the file's path names the error */
	char *path = write_temp("log:\n  level: info\n  format: json\n");
	assert_int_equal(config_load(&cfg, path, no_env, err), -1);
	snprintf(expected, sizeof expected, "%s:3: log.format: unknown key", path);
	assert_string_equal(err, expected);
	unlink(path);
	free(path);
}

static void test_unknown_env_variable(void **state)
{
	char *const typo[] = {"GATEHOUSE_WORKER=3", NULL};
	char *const late[] = {"GATEHOUSE_WORKERS=3", "GATEHOUSE_SECRT=hunter2", NULL};
	(void)state;

	expect_env_error(typo, "GATEHOUSE_WORKER: unknown variable");
	expect_env_error(late, "GATEHOUSE_SECRT: unknown variable");
}

static void test_bad_types(void **state)
{
	(void)state;
	expect_yaml_error("workers: four\n",
			  "test.yaml:1: workers: must be an integer between 1 and 1024");
	expect_yaml_error("workers: \"4\"\n",
			  "test.yaml:1: workers: expected an integer, not a quoted string");
	expect_yaml_error("workers: [4]\n",
			  "test.yaml:1: workers: expected a single value, got a list");
	expect_yaml_error("workers:\n", "workers: must be an integer");
	expect_yaml_error("development: maybe\n",
			  "test.yaml:1: development: expected true or false");
	expect_yaml_error("development: 'true'\n",
			  "development: expected true or false, not a quoted string");
	expect_yaml_error("limits: 5\n",
			  "test.yaml:1: limits: expected a mapping, got a single value");
	expect_yaml_error("limits:\n  max_body_bytes: 1k\n",
			  "test.yaml:2: limits.max_body_bytes: must be an integer");
	expect_yaml_error("trusted_origins: https://a.test\n",
			  "trusted_origins: expected a list, got a single value");
	expect_yaml_error("trusted_origins: [[1]]\n",
			  "trusted_origins: list entries must be strings");
	expect_yaml_error("log: {level: verbose}\n",
			  "log.level: must be one of debug, info, warn, error");
	expect_yaml_error("data_dir: \"\"\n", "data_dir: must not be empty");
	expect_yaml_error("data_dir: \"a\\0b\"\n", "data_dir: must not contain NUL bytes");
	expect_yaml_error("base_url: ftp://a.test\n",
			  "base_url: must start with http:// or https://");
	expect_yaml_error("base_url: https://a.test/x?y=1\n", "base_url: must not contain a query");
	expect_yaml_error("database_url: mysql://db\n", "database_url: must be sqlite:PATH");
	expect_yaml_error("session: {cookie_prefix: \"a b\"}\n", "session.cookie_prefix:");
	expect_yaml_error("ip_headers: [\"x forwarded\"]\n",
			  "ip_headers: expected an HTTP header name");
	expect_yaml_error("{[1]: 2}\n", "test.yaml:1: (top level): keys must be plain strings");
	expect_yaml_error("- a\n- b\n", "test.yaml:1: expected a mapping of settings, got a list");
	expect_yaml_error("workers: 4\nworkers: 5\n", "test.yaml:2: workers: duplicate key");
	expect_yaml_error("a: [\n", "test.yaml:2: invalid YAML");
	expect_yaml_error("workers: 4\n---\nworkers: 5\n",
			  "test.yaml:3: only one YAML document is allowed");
}

static void test_numbers_are_strict(void **state)
{
	(void)state;
	expect_yaml_error("workers: 010\n", "workers: must be an integer"); /* octal in YAML 1.1 */
	expect_yaml_error("workers: +4\n", "workers: must be an integer");
	expect_yaml_error("workers: -1\n", "workers: must be an integer");
	expect_yaml_error("workers: 4x\n", "workers: must be an integer");
	expect_yaml_error("workers: 0x10\n", "workers: must be an integer");
	expect_yaml_error("workers: 0\n", "workers: must be an integer between 1 and 1024");
	expect_yaml_error("workers: 1025\n", "workers: must be an integer between 1 and 1024");
	expect_yaml_error("workers: 99999999999999999999999999\n", "workers: must be an integer");
	expect_yaml_error("workers: 18446744073709551617\n", "workers: must be an integer");
	expect_yaml_error("limits: {max_body_bytes: 18446744073709551615}\n",
			  "limits.max_body_bytes: must be an integer");
	expect_yaml_error("password: {argon2_memory_kib: 4}\n",
			  "password.argon2_memory_kib: must be an integer between 8 and");

	char *const spaced[] = {"GATEHOUSE_WORKERS= 4", NULL};
	char *const junk[] = {"GATEHOUSE_LOCKOUT_DURATION=30m", NULL};
	char *const empty[] = {"GATEHOUSE_ARGON2_ITERATIONS=", NULL};
	char *const bad_bool[] = {"GATEHOUSE_DEV=enabled", NULL};
	expect_env_error(spaced, "GATEHOUSE_WORKERS: must be an integer between 1 and 1024");
	expect_env_error(junk, "GATEHOUSE_LOCKOUT_DURATION: must be an integer");
	expect_env_error(empty, "GATEHOUSE_ARGON2_ITERATIONS: must be an integer");
	expect_env_error(bad_bool, "GATEHOUSE_DEV: expected true or false");
}

static void test_env_booleans(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} cases[] = {{"1", true},  {"true", true},   {"yes", true}, {"TRUE", true},
		     {"0", false}, {"false", false}, {"no", false}, {"off", false}};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct gh_config cfg;
		char err[GH_CONFIG_ERR_MAX] = "";
		char var[64];
		snprintf(var, sizeof var, "GATEHOUSE_DEV=%s", cases[i].text);
		char *const envp[] = {var, NULL};
		if (config_load(&cfg, NULL, envp, err) != 0)
			fail_msg("%s: %s", var, err);
		if (cfg.development != cases[i].value)
			fail_msg("%s gave %d", var, cfg.development);
		config_free(&cfg);
	}
}

static void test_bad_listen(void **state)
{
	static const struct {
		const char *listen;
		const char *expected;
	} cases[] = {
	    {"localhost", "expected host:port"},
	    {"localhost:", "port must be an integer between 1 and 65535"},
	    {"localhost:0", "port must be an integer between 1 and 65535"},
	    {"localhost:65536", "port must be an integer between 1 and 65535"},
	    {"localhost:80x", "port must be an integer between 1 and 65535"},
	    {":8080", "expected host:port, the host is empty"},
	    {"::1:8080", "IPv6 addresses must be in brackets"},
	    {"[::1]", "expected [IPv6]:port"},
	    {"[::1:8080", "expected [IPv6]:port"},
	    {"[not-v6]:8080", "not a valid IPv6 address"},
	    {"bad!host:80", "host name may contain only letters, digits"},
	    {"bad host:80", "host name may contain only letters, digits"},
	    {"-bad.test:80", "host name label starts with '-'"},
	    {"a..b:80", "host name has an empty or malformed label"},
	    {"300.1.1.1:80", "not a valid IPv4 address"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char yaml[128], var[128], expected[256];
		snprintf(yaml, sizeof yaml, "listen: \"%s\"\n", cases[i].listen);
		snprintf(expected, sizeof expected, "test.yaml:1: listen: %s", cases[i].expected);
		expect_yaml_error(yaml, expected);

		snprintf(var, sizeof var, "GATEHOUSE_LISTEN=%s", cases[i].listen);
		snprintf(expected, sizeof expected, "GATEHOUSE_LISTEN: %s", cases[i].expected);
		char *const envp[] = {var, NULL};
		expect_env_error(envp, expected);
	}
}

static void test_ipv6_listen(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(load_yaml(&cfg, "listen: \"[::1]:8443\"\n", err), 0);
	assert_string_equal(cfg.listen_host, "::1");
	assert_int_equal(cfg.listen_port, 8443);
	assert_string_equal(cfg.base_url, "http://[::1]:8443");
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);

	assert_int_equal(load_yaml(&cfg,
				   "listen: \"[2001:db8::1]:80\"\n"
				   "base_url: \"https://[2001:db8::1]:443/\"\n",
				   err),
			 0);
	assert_string_equal(cfg.listen_host, "2001:db8::1");
	assert_string_equal(cfg.base_url, "https://[2001:db8::1]:443");
	config_free(&cfg);
}

static void test_cidrs(void **state)
{
	static const char *const good[] = {"127.0.0.1",      "10.0.0.0/8", "0.0.0.0/0",
					   "192.168.1.0/24", "::1",        "fd00::/8",
					   "2001:db8::/32",  "10.1.2.3/32"};
	static const struct {
		const char *cidr;
		const char *expected;
	} bad[] = {
	    {"10.0.0.0/33", "CIDR prefix length must be between 0 and 32"},
	    {"fd00::/129", "CIDR prefix length must be between 0 and 128"},
	    {"10.0.0.0/", "CIDR prefix length must be between 0 and 32"},
	    {"10.0.0.0/08", "CIDR prefix length must be between 0 and 32"},
	    {"10.0.0.0/8x", "CIDR prefix length must be between 0 and 32"},
	    {"10.0.0.1/8", "CIDR block has host bits set beyond its prefix length"},
	    {"fd00::1/8", "CIDR block has host bits set beyond its prefix length"},
	    {"300.1.1.1", "not a valid IP address or CIDR block"},
	    {"localhost", "not a valid IP address or CIDR block"},
	    {"/8", "expected an IP address or a CIDR block"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct gh_config cfg;
		char err[GH_CONFIG_ERR_MAX] = "", yaml[128];
		snprintf(yaml, sizeof yaml, "trusted_proxies: [\"%s\"]\n", good[i]);
		if (load_yaml(&cfg, yaml, err) != 0)
			fail_msg("rejected %s: %s", good[i], err);
		assert_int_equal(cfg.n_trusted_proxies, 1);
		assert_string_equal(cfg.trusted_proxies[0], good[i]);
		config_free(&cfg);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char yaml[128], expected[256], var[128];
		snprintf(yaml, sizeof yaml, "trusted_proxies:\n  - 127.0.0.1\n  - \"%s\"\n",
			 bad[i].cidr);
		snprintf(expected, sizeof expected, "test.yaml:3: trusted_proxies: %s",
			 bad[i].expected);
		expect_yaml_error(yaml, expected);

		snprintf(var, sizeof var, "GATEHOUSE_TRUSTED_PROXIES=127.0.0.1,%s", bad[i].cidr);
		snprintf(expected, sizeof expected, "GATEHOUSE_TRUSTED_PROXIES: %s",
			 bad[i].expected);
		char *const envp[] = {var, NULL};
		expect_env_error(envp, expected);
	}
}

static void test_short_secret_rejected_by_validate(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *const short_secret[] = {"GATEHOUSE_SECRET=tooshort-hunter2-tooshort-01234", NULL};
	char *const ok_secret[] = {"GATEHOUSE_SECRET=exactly-32-bytes-long-secret-abc", NULL};
	(void)state;

	assert_int_equal(strlen(short_secret[0]) - strlen("GATEHOUSE_SECRET="), 31);
	assert_int_equal(strlen(ok_secret[0]) - strlen("GATEHOUSE_SECRET="), 32);

	/* loading accepts it: the length rule belongs to validation */
	assert_int_equal(config_load(&cfg, NULL, short_secret, err), 0);
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "secret: must be at least 32 bytes");
	assert_null(strstr(err, "hunter2")); /* never echo the secret */
	config_free(&cfg);

	assert_int_equal(config_load(&cfg, NULL, ok_secret, err), 0);
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);

	/* same from YAML */
	assert_int_equal(load_yaml(&cfg, "secret: hunter2\n", err), 0);
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_null(strstr(err, "hunter2"));
	config_free(&cfg);

	/* a malformed secret is reported without its value either */
	expect_yaml_error("secret: [hunter2]\n", "test.yaml:1: secret: expected a single value");
	struct gh_config bad;
	assert_int_equal(load_yaml(&bad, "secret: [hunter2]\n", err), -1);
	assert_null(strstr(err, "hunter2"));
}

static void test_trusted_origins_from_env(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *path = write_temp("trusted_origins: [\"https://yaml.example\"]\n");
	char *const envp[] = {
	    "GATEHOUSE_TRUSTED_ORIGINS=http://localhost:3000, HTTPS://*.Example.com/,myapp://",
	    NULL,
	};
	char *const cleared[] = {"GATEHOUSE_TRUSTED_ORIGINS=", NULL};
	char *const with_path[] = {"GATEHOUSE_TRUSTED_ORIGINS=https://a.test/login", NULL};
	char *const empty_item[] = {"GATEHOUSE_TRUSTED_ORIGINS=https://a.test,,https://b.test",
				    NULL};
	(void)state;

	if (config_load(&cfg, path, envp, err) != 0)
		fail_msg("%s", err);
	/* env replaces the YAML list; base_url's origin comes last */
	assert_int_equal(cfg.n_trusted_origins, 4);
	assert_string_equal(cfg.trusted_origins[0], "http://localhost:3000");
	assert_string_equal(cfg.trusted_origins[1], "https://*.example.com");
	assert_string_equal(cfg.trusted_origins[2], "myapp://");
	assert_string_equal(cfg.trusted_origins[3], "http://127.0.0.1:8080");
	config_free(&cfg);

	assert_int_equal(config_load(&cfg, path, cleared, err), 0);
	assert_int_equal(cfg.n_trusted_origins, 1);
	assert_string_equal(cfg.trusted_origins[0], "http://127.0.0.1:8080");
	config_free(&cfg);

	expect_env_error(with_path, "GATEHOUSE_TRUSTED_ORIGINS: an origin has no path");
	expect_env_error(empty_item, "GATEHOUSE_TRUSTED_ORIGINS: list entries must not be empty");
	unlink(path);
	free(path);

	/* the list has a fixed capacity */
	char big[33 * 24 + 64];
	size_t n = (size_t)snprintf(big, sizeof big, "trusted_origins:\n");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "  - https://h%d.test\n", i);
	expect_yaml_error(big, "test.yaml:34: trusted_origins: at most 32 entries");
	/* 32 fit the list, but then base_url's origin does not */
	*strstr(big, "  - https://h32.test\n") = '\0';
	expect_yaml_error(big, "trusted_origins: at most 31 entries besides base_url's own origin");
}

static void test_origin_normalisation(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	/* default ports dropped as browsers do; base_url's origin not repeated */
	if (load_yaml(&cfg,
		      "base_url: https://Auth.Example.com:443/gh/\n"
		      "trusted_origins: [\"HTTPS://auth.example.com\", \"http://a.test:80/\","
		      " \"http://a.test:8080\"]\n",
		      err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.base_url, "https://auth.example.com:443/gh");
	assert_int_equal(cfg.n_trusted_origins, 3);
	assert_string_equal(cfg.trusted_origins[0], "https://auth.example.com");
	assert_string_equal(cfg.trusted_origins[1], "http://a.test");
	assert_string_equal(cfg.trusted_origins[2], "http://a.test:8080");
	config_free(&cfg);

	/* a scheme-less wildcard matches any scheme */
	assert_int_equal(load_yaml(&cfg, "trusted_origins: [\"*.Example.com\"]\n", err), 0);
	assert_string_equal(cfg.trusted_origins[0], "*.example.com");
	config_free(&cfg);
	expect_yaml_error("trusted_origins: [\"*.\"]\n",
			  "trusted_origins: host name may contain only");
	expect_yaml_error("trusted_origins: [\"https://\"]\n", "trusted_origins: URL has no host");
	expect_yaml_error("trusted_origins: [\"a.test\"]\n",
			  "trusted_origins: expected an origin like https://app.example.com");
	expect_yaml_error("trusted_origins: [\"https://a.*.test\"]\n",
			  "trusted_origins: host name may contain only");
	/* dotted keys are not a second spelling of nested ones */
	expect_yaml_error("session.expires_in: 60\n",
			  "test.yaml:1: session.expires_in: unknown key");
}

static void test_derived_urls(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *const env_listen[] = {"GATEHOUSE_LISTEN=gatehouse.internal:9090", NULL};
	char *const env_base[] = {"GATEHOUSE_BASE_URL=https://id.example.com//", NULL};
	(void)state;

	assert_int_equal(load_yaml(&cfg, "listen: 0.0.0.0:9000\ndata_dir: /var/lib/gh\n", err), 0);
	assert_string_equal(cfg.base_url, "http://0.0.0.0:9000");
	assert_string_equal(cfg.database_url, "sqlite:/var/lib/gh/gatehouse.db");
	config_free(&cfg);

	/* explicit values are kept, trailing slashes dropped */
	assert_int_equal(load_yaml(&cfg,
				   "listen: 0.0.0.0:9000\n"
				   "base_url: https://Auth.Example.com/gh/\n"
				   "database_url: sqlite:/tmp/x.db\n",
				   err),
			 0);
	assert_string_equal(cfg.base_url, "https://auth.example.com/gh");
	assert_string_equal(cfg.database_url, "sqlite:/tmp/x.db");
	config_free(&cfg);

	/* '_' is allowed, as in container service names */
	assert_int_equal(load_yaml(&cfg, "listen: gatehouse_app:80\n", err), 0);
	assert_string_equal(cfg.base_url, "http://gatehouse_app:80");
	assert_string_equal(cfg.trusted_origins[0], "http://gatehouse_app");
	config_free(&cfg);

	/* derived from the final (environment) listen, not the YAML one */
	char *path = write_temp("listen: 127.0.0.1:1234\n");
	assert_int_equal(config_load(&cfg, path, env_listen, err), 0);
	assert_string_equal(cfg.base_url, "http://gatehouse.internal:9090");
	config_free(&cfg);
	assert_int_equal(config_load(&cfg, path, env_base, err), 0);
	assert_string_equal(cfg.base_url, "https://id.example.com");
	config_free(&cfg);
	unlink(path);
	free(path);

	/* null in YAML means "derive it" */
	assert_int_equal(load_yaml(&cfg, "base_url: ~\ndatabase_url:\n", err), 0);
	assert_string_equal(cfg.base_url, "http://127.0.0.1:8080");
	assert_string_equal(cfg.database_url, "sqlite:./data/gatehouse.db");
	config_free(&cfg);
}

static void test_validate_cross_field(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(load_yaml(&cfg, "password: {min_length: 20, max_length: 10}\n", err), 0);
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "password.min_length: must not exceed password.max_length");
	config_free(&cfg);

	/* validation does not trust that the struct came through the parser */
	assert_int_equal(load_yaml(&cfg, "", err), 0);
	cfg.argon2_memory_kib = 4;
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "password.argon2_memory_kib");
	cfg.argon2_memory_kib = 19456;
	cfg.argon2_iterations = 0;
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "password.argon2_iterations");
	cfg.argon2_iterations = 2;
	cfg.password_max_length = 5000;
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "password.max_length");
	cfg.password_max_length = 128;
	free(cfg.database_url);
	cfg.database_url = strdup("mysql://db");
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "database_url");
	free(cfg.database_url);
	cfg.database_url = strdup("postgresql://db/gh");
	assert_int_equal(config_validate(&cfg, err), 0);
	free(cfg.base_url);
	cfg.base_url = strdup("ftp://x");
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "base_url");
	config_free(&cfg);
}

static void test_file_errors(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(config_load(&cfg, "/nonexistent/gatehouse.yaml", no_env, err), -1);
	assert_contains(err, "/nonexistent/gatehouse.yaml: cannot open");
	assert_null(cfg.path);
	assert_int_equal(config_load(&cfg, "/tmp", no_env, err), -1);
	assert_contains(err, "/tmp: not a regular file");

	/* an empty file and a comment-only file mean "all defaults" */
	char *path = write_temp("# nothing here\n");
	assert_int_equal(config_load(&cfg, path, no_env, err), 0);
	assert_int_equal(cfg.listen_port, 8080);
	config_free(&cfg);
	unlink(path);
	free(path);
}

/* ------------------------------------ roles, policies, API keys, rate limits */

#define KEY_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-primary"
#define KEY_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB-ci"
#define KEY_C "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC-svc"
#define KEY_D "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD-env"

static const char access_yaml[] =
    "base_url: https://auth.example.com/gh\n"                                       /* 1 */
    "login_url: \"HTTPS://Auth.Example.com/sign-in?app=1\"\n"                       /* 2 */
    "policies:\n"                                                                   /* 3 */
    "  - path: \"/api/v1/*\"\n"                                                     /* 4 */
    "    host: \"API.example.com\"\n"                                               /* 5 */
    "    methods: [GET, HEAD]\n"                                                    /* 6 */
    "    access: public\n"                                                          /* 7 */
    "  - {path: \"/internal/*\", access: \"role:admin\"}\n"                         /* 8 */
    "  - {path: \"/support/**\", access: \"role:support\"}\n"                       /* 9 */
    "  - {path: /text, methods: [POST], access: \"permission:text:process\"}\n"     /* 10 */
    "  - {path: /me, access: authenticated}\n"                                      /* 11 */
    "  - {path: /maybe, access: optional, host: ~}\n"                               /* 12 */
    "  - {path: \"/**\", access: deny}\n"                                           /* 13 */
    "roles:\n"                                                                      /* 14 */
    "  support: [\"users:read\", \"keys:read\"]\n"                                  /* 15 */
    "  analyst:\n"                                                                  /* 16 */
    "    - analytics:read\n"                                                        /* 17 */
    "    - \"text:*\"\n"                                                            /* 18 */
    "  nobody: []\n"                                                                /* 19 */
    "  root: [\"*\"]\n"                                                             /* 20 */
    "api_keys:\n"                                                                   /* 21 */
    "  prefix: \"ak_\"\n"                                                           /* 22 */
    "  static:\n"                                                                   /* 23 */
    "    - {name: primary, key: \"" KEY_A "\", role: admin}\n"                      /* 24 */
    "    - name: ci\n"                                                              /* 25 */
    "      key: \"" KEY_B "\"\n"                                                    /* 26 */
    "      permissions: [\"text:process\"]\n"                                       /* 27 */
    "    - {name: Svc_2, key: \"" KEY_C "\", role: analyst}\n"                      /* 28 */
    "rate_limits:\n"                                                                /* 29 */
    "  enabled: false\n"                                                            /* 30 */
    "  redis_url: \"redis://127.0.0.1:6379/2\"\n"                                   /* 31 */
    "  on_redis_failure: open\n"                                                    /* 32 */
    "  auth_defaults: false\n"                                                      /* 33 */
    "  rules:\n"                                                                    /* 34 */
    "    - {name: role-admin, by: role, role: admin, limit: 10000, window: 3600}\n" /* 35 */
    "    - {name: per-ip, by: ip, limit: 100, window: 60, path: \"/api/v1/*\","
    " scope: forward, on_redis_failure: closed}\n" /* 36 */
    "    - name: auth.global\n"                    /* 37 */
    "      by: global\n"                           /* 38 */
    "      scope: auth\n"                          /* 39 */
    "      limit: 1000000000\n"                    /* 40 */
    "      window: 31536000\n"                     /* 41 */
    "    - {name: support-users, by: user, role: support, scope: all, limit: 5, window: "
    "1}\n"; /* 42 */

static void test_access_sections_yaml(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	if (load_yaml(&cfg, access_yaml, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.login_url, "https://auth.example.com/sign-in?app=1");

	assert_int_equal(cfg.n_roles, 4);
	assert_string_equal(cfg.roles[0].name, "support");
	assert_int_equal(cfg.roles[0].n_permissions, 2);
	assert_string_equal(cfg.roles[0].permissions[0], "users:read");
	assert_string_equal(cfg.roles[0].permissions[1], "keys:read");
	assert_string_equal(cfg.roles[1].name, "analyst");
	assert_int_equal(cfg.roles[1].n_permissions, 2);
	assert_string_equal(cfg.roles[1].permissions[1], "text:*");
	assert_string_equal(cfg.roles[2].name, "nobody");
	assert_int_equal(cfg.roles[2].n_permissions, 0);
	assert_string_equal(cfg.roles[3].permissions[0], "*");

	assert_int_equal(cfg.n_policies, 7);
	const struct gh_policy_rule *p = cfg.policies;
	assert_string_equal(p[0].path, "/api/v1/*");
	assert_string_equal(p[0].host, "api.example.com"); /* lowercased */
	assert_int_equal(p[0].methods, GH_GET | GH_HEAD);
	assert_int_equal(p[0].access, GH_ACCESS_PUBLIC);
	assert_null(p[0].arg);
	assert_int_equal(p[0].line, 4);
	assert_null(p[1].host);
	assert_int_equal(p[1].methods, 0);
	assert_int_equal(p[1].access, GH_ACCESS_ROLE);
	assert_string_equal(p[1].arg, "admin");
	assert_int_equal(p[1].line, 8);
	/* a role used above its definition */
	assert_int_equal(p[2].access, GH_ACCESS_ROLE);
	assert_string_equal(p[2].arg, "support");
	assert_int_equal(p[3].access, GH_ACCESS_PERMISSION);
	assert_string_equal(p[3].arg, "text:process");
	assert_int_equal(p[3].methods, GH_POST);
	assert_int_equal(p[4].access, GH_ACCESS_AUTHENTICATED);
	assert_int_equal(p[5].access, GH_ACCESS_OPTIONAL);
	assert_null(p[5].host);
	assert_int_equal(p[6].access, GH_ACCESS_DENY);
	assert_int_equal(p[6].line, 13);

	assert_string_equal(cfg.api_key_prefix, "ak_");
	assert_int_equal(cfg.n_static_keys, 3);
	assert_string_equal(cfg.static_keys[0].name, "primary");
	assert_string_equal(cfg.static_keys[0].key, KEY_A);
	assert_string_equal(cfg.static_keys[0].role, "admin");
	assert_int_equal(cfg.static_keys[0].n_permissions, 0);
	assert_string_equal(cfg.static_keys[1].name, "ci");
	assert_string_equal(cfg.static_keys[1].role, "user"); /* the default */
	assert_int_equal(cfg.static_keys[1].n_permissions, 1);
	assert_string_equal(cfg.static_keys[1].permissions[0], "text:process");
	assert_string_equal(cfg.static_keys[2].name, "Svc_2");
	assert_string_equal(cfg.static_keys[2].role, "analyst");

	assert_false(cfg.rate_limit_enabled);
	assert_string_equal(cfg.redis_url, "redis://127.0.0.1:6379/2");
	assert_int_equal(cfg.rate_limit_redis_failure, GH_RATE_FAIL_OPEN);
	assert_false(cfg.auth_rate_limits_enabled);
	assert_int_equal(cfg.n_rate_rules, 4);
	const struct gh_rate_rule *r = cfg.rate_rules;
	assert_string_equal(r[0].name, "role-admin");
	assert_int_equal(r[0].by, GH_RATE_BY_ROLE);
	assert_string_equal(r[0].role, "admin");
	assert_int_equal(r[0].scope, GH_RATE_SCOPE_FORWARD); /* the default */
	assert_null(r[0].path);
	assert_int_equal(r[0].limit, 10000);
	assert_int_equal(r[0].window_s, 3600);
	assert_int_equal(r[0].on_redis_failure, GH_RATE_FAIL_OPEN); /* the global one */
	assert_int_equal(r[0].line, 35);
	assert_string_equal(r[1].name, "per-ip");
	assert_int_equal(r[1].by, GH_RATE_BY_IP);
	assert_string_equal(r[1].path, "/api/v1/*");
	assert_null(r[1].role);
	assert_int_equal(r[1].on_redis_failure, GH_RATE_FAIL_CLOSED);
	assert_string_equal(r[2].name, "auth.global");
	assert_int_equal(r[2].by, GH_RATE_BY_GLOBAL);
	assert_int_equal(r[2].scope, GH_RATE_SCOPE_AUTH);
	assert_int_equal(r[2].limit, 1000000000);
	assert_int_equal(r[2].window_s, 31536000);
	assert_int_equal(r[2].line, 37);
	assert_int_equal(r[3].by, GH_RATE_BY_USER);
	assert_int_equal(r[3].scope, GH_RATE_SCOPE_ALL);
	assert_string_equal(r[3].role, "support");

	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);
	assert_null(cfg.static_keys[0].key);
	assert_int_equal(cfg.n_static_keys, 0);
}

static void test_access_defaults(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	assert_int_equal(load_yaml(&cfg, "base_url: https://id.example.com/auth/\n", err), 0);
	assert_string_equal(cfg.login_url, "https://id.example.com/auth/sign-in");
	assert_string_equal(cfg.api_key_prefix, "gh_");
	assert_int_equal(cfg.n_roles, 0);
	assert_int_equal(cfg.n_policies, 0);
	assert_int_equal(cfg.n_static_keys, 0);
	assert_int_equal(cfg.n_rate_rules, 0);
	assert_true(cfg.rate_limit_enabled);
	assert_null(cfg.redis_url);
	assert_int_equal(cfg.rate_limit_redis_failure, GH_RATE_FAIL_LOCAL);
	assert_true(cfg.auth_rate_limits_enabled);
	config_free(&cfg);

	/* empty and null sections are "none" */
	assert_int_equal(load_yaml(&cfg,
				   "roles: ~\npolicies:\napi_keys: {static: []}\n"
				   "rate_limits: {rules: ~, redis_url: ~}\nlogin_url: ~\n",
				   err),
			 0);
	assert_int_equal(cfg.n_policies, 0);
	assert_int_equal(cfg.n_static_keys, 0);
	assert_string_equal(cfg.login_url, "http://127.0.0.1:8080/sign-in");
	config_free(&cfg);
}

/* The HTTP layer's enum gh_method bits are duplicated in config.c. */
static void test_method_bits_match_server_h(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	static const struct {
		const char *name;
		unsigned bit;
	} m[] = {{"GET", GH_GET},        {"HEAD", GH_HEAD},     {"POST", GH_POST},
		 {"PUT", GH_PUT},        {"DELETE", GH_DELETE}, {"PATCH", GH_PATCH},
		 {"OPTIONS", GH_OPTIONS}};
	(void)state;

	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		char yaml[128];
		snprintf(yaml, sizeof yaml, "policies: [{path: /, methods: [%s], access: deny}]\n",
			 m[i].name);
		if (load_yaml(&cfg, yaml, err) != 0)
			fail_msg("%s: %s", m[i].name, err);
		assert_int_equal(cfg.policies[0].methods, m[i].bit);
		config_free(&cfg);
	}
}

static void test_roles_resolved_after_load(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	/* every kind of reference above the roles section */
	if (load_yaml(&cfg,
		      "rate_limits:\n"
		      "  rules: [{name: a, by: role, role: late, limit: 1, window: 1}]\n"
		      "api_keys:\n"
		      "  static: [{name: k, key: \"" KEY_A "\", role: late}]\n"
		      "policies: [{path: /x, access: \"role:late\"}]\n"
		      "roles: {late: [\"x:read\"]}\n",
		      err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.policies[0].arg, "late");
	assert_string_equal(cfg.static_keys[0].role, "late");
	assert_string_equal(cfg.rate_rules[0].role, "late");
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);

	/* an undefined one is reported at the line of the reference */
	expect_yaml_error("policies:\n"
			  "  - {path: /a, access: \"role:admin\"}\n"
			  "  - {path: /b, access: \"role:ghost\"}\n"
			  "roles: {late: []}\n",
			  "test.yaml:3: policies.access: role is neither built-in (admin, user, "
			  "readonly) nor defined under roles");
	expect_yaml_error("api_keys:\n  static:\n    - name: k\n      key: \"" KEY_A "\"\n"
			  "      role: ghost\n",
			  "test.yaml:5: api_keys.static.role: role is neither built-in");
	expect_yaml_error("rate_limits:\n  rules:\n"
			  "    - {name: a, by: ip, role: ghost, limit: 1, window: 1}\n",
			  "test.yaml:3: rate_limits.rules.role: role is neither built-in");
}

static void test_builtin_roles_cannot_be_redefined(void **state)
{
	(void)state;
	expect_yaml_error("roles:\n  support: []\n  admin: [\"*\"]\n",
			  "test.yaml:3: roles.admin: built-in roles (admin, user, readonly) cannot "
			  "be redefined");
	expect_yaml_error("roles: {user: []}\n", "test.yaml:1: roles.user: built-in roles");
	expect_yaml_error("roles: {readonly: []}\n", "test.yaml:1: roles.readonly: built-in roles");
	expect_yaml_error("roles:\n  a: []\n  a: []\n", "test.yaml:3: roles.a: duplicate key");
}

static void test_access_errors(void **state)
{
	static const struct {
		const char *yaml;
		const char *expected;
	} cases[] = {
	    /* roles */
	    {"roles: [a]\n", "test.yaml:1: roles: expected a mapping of role names to "
			     "permission lists, got a list"},
	    {"roles:\n  Support: []\n", "test.yaml:2: roles: a role name is 1-32 characters"},
	    {"roles:\n  \"a b\": []\n", "test.yaml:2: roles: a role name is"},
	    {"roles:\n  x: users:read\n", "test.yaml:2: roles.x: expected a list of "
					  "permissions, got a single value"},
	    {"roles:\n  x:\n", "test.yaml:2: roles.x: expected a list of permissions, got "
			       "nothing"},
	    {"roles:\n  x: [users]\n", "test.yaml:2: roles.x: expected a permission like "
				       "resource:action, resource:* or *"},
	    {"roles:\n  x:\n    - a:b\n    - \"a:b c\"\n",
	     "test.yaml:4: roles.x: a permission's action may contain only"},
	    {"roles:\n  x: [\"a/b:read\"]\n", "roles.x: a permission's resource may contain"},
	    {"roles:\n  x: [\"re$d:read\"]\n", "roles.x: a permission's resource may contain"},
	    {"roles:\n  x: [[a]]\n", "test.yaml:2: roles.x: permissions must be strings"},
	    /* policies */
	    {"policies: {path: /}\n", "test.yaml:1: policies: expected a list, got a mapping"},
	    {"policies: [\"/x\"]\n", "test.yaml:1: policies: list entries must be mappings"},
	    {"policies:\n  - {host: a.test, access: public}\n",
	     "test.yaml:2: policies: each rule needs a path"},
	    {"policies:\n  - {path: /x}\n", "test.yaml:2: policies: each rule needs access"},
	    {"policies:\n  - access: public\n    path: api/*\n",
	     "test.yaml:3: policies.path: must start with '/'"},
	    {"policies:\n  - {path: \"/a?b=1\", access: public}\n",
	     "test.yaml:2: policies.path: must not contain '?' or '#'"},
	    {"policies:\n  - {path: \"/a b\", access: public}\n",
	     "policies.path: must not contain spaces"},
	    {"policies:\n  - {path: /x, access: public, verb: GET}\n",
	     "test.yaml:2: policies.verb: unknown key"},
	    {"policies:\n  - path: /x\n    path: /y\n    access: public\n",
	     "test.yaml:3: policies.path: duplicate key"},
	    {"policies:\n  - path: /x\n    access: everyone\n",
	     "test.yaml:3: policies.access: must be public, optional, authenticated, deny, "
	     "role:<name> or permission:<resource>:<action>"},
	    {"policies:\n  - {path: /x, access: \"role:\"}\n",
	     "test.yaml:2: policies.access: role:<name> needs a role name"},
	    {"policies:\n  - {path: /x, access: \"permission:text\"}\n",
	     "test.yaml:2: policies.access: permission:<resource>:<action>: expected a "
	     "permission like resource:action or resource:*"},
	    {"policies:\n  - {path: /x, access: \"permission:*\"}\n",
	     "policies.access: permission:<resource>:<action>: expected a permission"},
	    {"policies:\n  - {path: /x, access: [public]}\n",
	     "policies.access: expected a single value, got a list"},
	    {"policies:\n  - path: /x\n    methods:\n      - GET\n      - FETCH\n    access: "
	     "public\n",
	     "test.yaml:5: policies.methods: methods are GET, HEAD, POST, PUT, DELETE, PATCH "
	     "or OPTIONS"},
	    {"policies:\n  - {path: /x, methods: [get], access: public}\n",
	     "policies.methods: methods are GET"},
	    {"policies:\n  - {path: /x, methods: [GET, GET], access: public}\n",
	     "policies.methods: a method is listed twice"},
	    {"policies:\n  - {path: /x, methods: [], access: public}\n",
	     "test.yaml:2: policies.methods: must not be an empty list"},
	    {"policies:\n  - {path: /x, methods: GET, access: public}\n",
	     "policies.methods: expected a list of HTTP methods, got a single value"},
	    {"policies:\n  - {path: /x, host: \"api.test:8443\", access: public}\n",
	     "test.yaml:2: policies.host: must not include a port"},
	    {"policies:\n  - {path: /x, host: \"a/b\", access: public}\n",
	     "policies.host: may contain only"},
	    /* api keys */
	    {"api_keys: {prefix: \"g h\"}\n", "test.yaml:1: api_keys.prefix: must be 1-32 "
					      "characters"},
	    {"api_keys: {prefix: \"\"}\n", "api_keys.prefix: must not be empty"},
	    {"api_keys: {prefixx: gh_}\n", "test.yaml:1: api_keys.prefixx: unknown key"},
	    {"api_keys:\n  static: {name: a}\n", "test.yaml:2: api_keys.static: expected a list"},
	    {"api_keys:\n  static:\n    - {name: a}\n",
	     "test.yaml:3: api_keys.static: each static key needs a name and a key"},
	    {"api_keys:\n  static:\n    - name: \"c i\"\n      key: \"" KEY_A "\"\n",
	     "test.yaml:3: api_keys.static.name: a key name is 1-64 characters"},
	    {"api_keys:\n  static:\n    - name: ci\n      key: hunter2hunter2hunter2\n",
	     "test.yaml:4: api_keys.static.key: must be at least 32 characters long"},
	    {"api_keys:\n  static:\n    - name: ci\n      key: \"" KEY_A " x\"\n",
	     "test.yaml:4: api_keys.static.key: may contain only printable ASCII characters"},
	    {"api_keys:\n  static:\n    - {name: ci, key: \"" KEY_A "\"}\n"
	     "    - {name: ci, key: \"" KEY_B "\"}\n",
	     "test.yaml:4: api_keys.static: name is already used by another static key"},
	    {"api_keys:\n  static:\n    - {name: a, key: \"" KEY_A "\"}\n"
	     "    - {name: b, key: \"" KEY_A "\"}\n",
	     "test.yaml:4: api_keys.static: key is the same as another static key's"},
	    {"api_keys:\n  static:\n    - {name: a, key: \"" KEY_A "\", role: \"Admin\"}\n",
	     "test.yaml:3: api_keys.static.role: a role name is"},
	    {"api_keys:\n  static:\n    - {name: a, key: \"" KEY_A "\", permissions: []}\n",
	     "test.yaml:3: api_keys.static.permissions: must not be an empty list"},
	    {"api_keys:\n  static:\n    - {name: a, key: \"" KEY_A "\", permissions: [x]}\n",
	     "test.yaml:3: api_keys.static.permissions: expected a permission"},
	    {"api_keys:\n  static:\n    - {name: a, key: \"" KEY_A "\", secret: x}\n",
	     "test.yaml:3: api_keys.static.secret: unknown key"},
	    /* rate limits */
	    {"rate_limits: {redis_url: \"http://127.0.0.1:6379\"}\n",
	     "test.yaml:1: rate_limits.redis_url: must start with redis://"},
	    {"rate_limits: {redis_url: \"rediss://h:6380\"}\n",
	     "rate_limits.redis_url: must start with redis://"},
	    {"rate_limits: {redis_url: \"redis://h\"}\n",
	     "rate_limits.redis_url: expected redis://host:port or redis://host:port/db"},
	    {"rate_limits: {redis_url: \"redis://u:p@h:6379\"}\n",
	     "rate_limits.redis_url: URL must not contain credentials"},
	    {"rate_limits: {redis_url: \"redis://h:6379/x\"}\n",
	     "rate_limits.redis_url: the database after '/' must be a number"},
	    {"rate_limits: {on_redis_failure: maybe}\n",
	     "test.yaml:1: rate_limits.on_redis_failure: must be one of local, open, closed"},
	    {"rate_limits: {enabled: sometimes}\n", "rate_limits.enabled: expected true or false"},
	    {"rate_limits:\n  rules: [{name: a, by: ip, limit: 1}]\n",
	     "test.yaml:2: rate_limits.rules: each rule needs name, by, limit and window"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: role, limit: 1, window: 1}\n",
	     "test.yaml:3: rate_limits.rules.by: a rule counted by role needs a role"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: session, limit: 1, window: 1}\n",
	     "test.yaml:3: rate_limits.rules.by: must be one of ip, user, key, role, global"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, scope: api, limit: 1, window: 1}\n",
	     "rate_limits.rules.scope: must be one of forward, auth, all"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 0, window: 1}\n",
	     "test.yaml:3: rate_limits.rules.limit: must be an integer between 1 and "
	     "1000000000"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 1000000001, window: 1}\n",
	     "rate_limits.rules.limit: must be an integer between 1 and 1000000000"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: \"5\", window: 1}\n",
	     "rate_limits.rules.limit: expected an integer, not a quoted string"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 1, window: 31536001}\n",
	     "rate_limits.rules.window: must be an integer between 1 and 31536000"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 1, window: 1m}\n",
	     "rate_limits.rules.window: must be an integer"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 1, window: 1}\n"
	     "    - {name: a, by: ip, limit: 2, window: 2}\n",
	     "test.yaml:4: rate_limits.rules.name: another rule has the same name"},
	    {"rate_limits:\n  rules:\n    - {name: \"a/b\", by: ip, limit: 1, window: 1}\n",
	     "rate_limits.rules.name: a rule name is 1-64 characters"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 1, window: 1, path: x}\n",
	     "rate_limits.rules.path: must start with '/'"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 1, window: 1,"
	     " on_redis_failure: fail}\n",
	     "rate_limits.rules.on_redis_failure: must be one of local, open, closed"},
	    {"rate_limits:\n  rules:\n    - {name: a, by: ip, limit: 1, window: 1, burst: 2}\n",
	     "test.yaml:3: rate_limits.rules.burst: unknown key"},
	    /* login_url */
	    {"login_url: ftp://a.test/login\n",
	     "test.yaml:1: login_url: must start with http:// or https://"},
	    {"login_url: \"https://a.test/login#x\"\n", "login_url: must not contain a fragment"},
	    {"login_url: /sign-in\n", "login_url: must start with http:// or https://"},
	    {"login_url: \"https://a.test/s\xc3\xa9\"\n", "login_url: must be ASCII"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_yaml_error(cases[i].yaml, cases[i].expected);
}

/* Key values never appear in messages, whatever is wrong. */
static void test_key_values_never_quoted(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *const env_short[] = {"GATEHOUSE_API_KEY=hunter2-hunter2", NULL};
	char *const env_role[] = {"GATEHOUSE_API_KEYS=ci:hunter2-hunter2-hunter2-hunter2-xx:ghost",
				  NULL};
	(void)state;

	assert_int_equal(
	    load_yaml(&cfg, "api_keys:\n  static:\n    - {name: a, key: hunter2}\n", err), -1);
	assert_null(strstr(err, "hunter2"));
	assert_int_equal(
	    load_yaml(&cfg,
		      "api_keys:\n  static:\n"
		      "    - {name: a, key: \"hunter2 hunter2 hunter2 hunter2 hunter2\"}\n",
		      err),
	    -1);
	assert_null(strstr(err, "hunter2"));
	assert_int_equal(config_load(&cfg, NULL, env_short, err), -1);
	assert_string_equal(err, "GATEHOUSE_API_KEY: key must be at least 32 characters long");
	assert_int_equal(config_load(&cfg, NULL, env_role, err), -1);
	assert_null(strstr(err, "hunter2"));
}

static void test_env_static_keys(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *path = write_temp("roles: {analyst: [\"analytics:read\"]}\n"
				"api_keys:\n"
				"  static: [{name: yaml, key: \"" KEY_C "\"}]\n");
	/* API_KEYS listed first: "primary" still comes first */
	char *const envp[] = {"GATEHOUSE_API_KEYS= ci:" KEY_B ":readonly ; svc:" KEY_D
			      ":analyst;plain:EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE",
			      "GATEHOUSE_API_KEY=" KEY_A, NULL};
	(void)state;

	if (config_load(&cfg, path, envp, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_static_keys, 5);
	assert_string_equal(cfg.static_keys[0].name, "yaml");
	assert_string_equal(cfg.static_keys[0].role, "user");
	assert_string_equal(cfg.static_keys[1].name, "primary");
	assert_string_equal(cfg.static_keys[1].key, KEY_A);
	assert_string_equal(cfg.static_keys[1].role, "admin");
	assert_string_equal(cfg.static_keys[2].name, "ci");
	assert_string_equal(cfg.static_keys[2].key, KEY_B);
	assert_string_equal(cfg.static_keys[2].role, "readonly");
	assert_string_equal(cfg.static_keys[3].name, "svc");
	assert_string_equal(cfg.static_keys[3].key, KEY_D);
	assert_string_equal(cfg.static_keys[3].role, "analyst"); /* a custom role */
	assert_string_equal(cfg.static_keys[4].name, "plain");
	assert_string_equal(cfg.static_keys[4].role, "user");
	assert_int_equal(cfg.static_keys[4].n_permissions, 0);
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);

	/* empty variables add nothing */
	char *const empty[] = {"GATEHOUSE_API_KEY=", "GATEHOUSE_API_KEYS=", NULL};
	assert_int_equal(config_load(&cfg, path, empty, err), 0);
	assert_int_equal(cfg.n_static_keys, 1);
	config_free(&cfg);

	static const struct {
		const char *var;
		const char *expected;
	} bad[] = {
	    {"GATEHOUSE_API_KEYS=yaml:" KEY_A,
	     "GATEHOUSE_API_KEYS: entry 1: name is already used by another static key"},
	    {"GATEHOUSE_API_KEYS=a:" KEY_A ";b:" KEY_C,
	     "GATEHOUSE_API_KEYS: entry 2: key is the same as another static key's"},
	    {"GATEHOUSE_API_KEYS=a:" KEY_A ":ghost",
	     "GATEHOUSE_API_KEYS: entry 1: role is neither built-in"},
	    {"GATEHOUSE_API_KEYS=a:" KEY_A ";b:tooshort",
	     "GATEHOUSE_API_KEYS: entry 2: key must be at least 32 characters long"},
	    {"GATEHOUSE_API_KEYS=" KEY_A, "GATEHOUSE_API_KEYS: entry 1: expected name:key or "
					  "name:key:role"},
	    {"GATEHOUSE_API_KEYS=a:" KEY_A ":", "entry 1: expected name:key or name:key:role"},
	    {"GATEHOUSE_API_KEYS=a:" KEY_A ":user:x", "entry 1: expected name:key or"},
	    {"GATEHOUSE_API_KEYS=a:" KEY_A ";;b:" KEY_B, "GATEHOUSE_API_KEYS: entry 2 is empty"},
	    {"GATEHOUSE_API_KEYS=a:" KEY_A ";", "GATEHOUSE_API_KEYS: entry 2 is empty"},
	    {"GATEHOUSE_API_KEYS=a b:" KEY_A, "GATEHOUSE_API_KEYS: entry 1: a key name is"},
	    {"GATEHOUSE_API_KEY=" KEY_C, "GATEHOUSE_API_KEY: key is the same as another"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *const one[] = {(char *)(uintptr_t)bad[i].var, NULL};
		if (config_load(&cfg, path, one, err) == 0) {
			config_free(&cfg);
			fail_msg("accepted %s", bad[i].var);
		}
		assert_contains(err, bad[i].expected);
		assert_null(strstr(err, "AAAAAAAA"));
		assert_null(strstr(err, "CCCCCCCC"));
		assert_null(strstr(err, "tooshort"));
	}
	unlink(path);
	free(path);

	/* "primary" clashes with a file key of that name */
	path = write_temp("api_keys: {static: [{name: primary, key: \"" KEY_C "\"}]}\n");
	char *const primary[] = {"GATEHOUSE_API_KEY=" KEY_A, NULL};
	assert_int_equal(config_load(&cfg, path, primary, err), -1);
	assert_string_equal(err, "GATEHOUSE_API_KEY: name is already used by another static key");
	unlink(path);
	free(path);
}

static void test_env_access_settings(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *path =
	    write_temp("rate_limits:\n"
		       "  redis_url: \"redis://yaml:6379\"\n"
		       "  rules:\n"
		       "    - {name: a, by: ip, limit: 1, window: 1}\n"
		       "    - {name: b, by: ip, limit: 1, window: 1, on_redis_failure: local}\n"
		       "api_keys: {prefix: yaml_}\n");
	char *const envp[] = {
	    "GATEHOUSE_LOGIN_URL=https://Login.Example.com/in",
	    "GATEHOUSE_API_KEY_PREFIX=env_",
	    "GATEHOUSE_REDIS_URL=redis://[::1]:6380/1",
	    "GATEHOUSE_RATE_LIMIT_ENABLED=no",
	    "GATEHOUSE_RATE_LIMIT_REDIS_FAILURE=closed",
	    "GATEHOUSE_AUTH_RATE_LIMITS=0",
	    NULL,
	};
	char *const unset_redis[] = {"GATEHOUSE_REDIS_URL=", NULL};
	(void)state;

	if (config_load(&cfg, path, envp, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.login_url, "https://login.example.com/in");
	assert_string_equal(cfg.api_key_prefix, "env_");
	assert_string_equal(cfg.redis_url, "redis://[::1]:6380/1");
	assert_false(cfg.rate_limit_enabled);
	assert_int_equal(cfg.rate_limit_redis_failure, GH_RATE_FAIL_CLOSED);
	assert_false(cfg.auth_rate_limits_enabled);
	/* a rule without its own on_redis_failure follows the final global one */
	assert_int_equal(cfg.rate_rules[0].on_redis_failure, GH_RATE_FAIL_CLOSED);
	assert_int_equal(cfg.rate_rules[1].on_redis_failure, GH_RATE_FAIL_LOCAL);
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);

	assert_int_equal(config_load(&cfg, path, unset_redis, err), 0);
	assert_null(cfg.redis_url);
	config_free(&cfg);
	unlink(path);
	free(path);

	char *const bad_fail[] = {"GATEHOUSE_RATE_LIMIT_REDIS_FAILURE=Local", NULL};
	char *const bad_redis[] = {"GATEHOUSE_REDIS_URL=localhost:6379", NULL};
	char *const bad_bool[] = {"GATEHOUSE_AUTH_RATE_LIMITS=maybe", NULL};
	char *const bad_login[] = {"GATEHOUSE_LOGIN_URL=sign-in", NULL};
	char *const bad_prefix[] = {"GATEHOUSE_API_KEY_PREFIX=", NULL};
	expect_env_error(bad_fail, "GATEHOUSE_RATE_LIMIT_REDIS_FAILURE: must be one of local, "
				   "open, closed");
	expect_env_error(bad_redis, "GATEHOUSE_REDIS_URL: must start with redis://");
	expect_env_error(bad_bool, "GATEHOUSE_AUTH_RATE_LIMITS: expected true or false");
	expect_env_error(bad_login, "GATEHOUSE_LOGIN_URL: must start with http:// or https://");
	expect_env_error(bad_prefix, "GATEHOUSE_API_KEY_PREFIX: must not be empty");
}

/* Drops the last line of buf. */
static void drop_last_line(char *buf)
{
	char *nl = strrchr(buf, '\n');
	assert_non_null(nl);
	*nl = '\0';
	nl = strrchr(buf, '\n');
	assert_non_null(nl);
	nl[1] = '\0';
}

/* Appends text to a growing buffer. */
__attribute__((format(printf, 3, 4))) static void append(char **buf, size_t *len, const char *fmt,
							 ...)
{
	va_list ap;
	char piece[512];

	va_start(ap, fmt);
	int n = vsnprintf(piece, sizeof piece, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof piece);
	*buf = realloc(*buf, *len + (size_t)n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, piece, (size_t)n + 1);
	*len += (size_t)n;
}

static void test_access_counts(void **state)
{
	char *y = NULL;
	size_t n = 0;
	char expected[128];
	(void)state;

	/* GH_MAX_POLICIES + 1 rules: the extra one's line is named */
	append(&y, &n, "policies:\n");
	for (int i = 0; i <= GH_MAX_POLICIES; i++)
		append(&y, &n, "  - {path: /p%d, access: public}\n", i);
	snprintf(expected, sizeof expected, "test.yaml:%d: policies: at most %d entries",
		 GH_MAX_POLICIES + 2, GH_MAX_POLICIES);
	expect_yaml_error(y, expected);
	/* exactly the maximum is fine */
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX];
	drop_last_line(y);
	if (load_yaml(&cfg, y, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_policies, GH_MAX_POLICIES);
	config_free(&cfg);
	free(y), y = NULL, n = 0;

	append(&y, &n, "roles:\n");
	for (int i = 0; i <= GH_MAX_ROLES; i++)
		append(&y, &n, "  r%d: []\n", i);
	snprintf(expected, sizeof expected, "test.yaml:%d: roles.r%d: at most %d roles",
		 GH_MAX_ROLES + 2, GH_MAX_ROLES, GH_MAX_ROLES);
	expect_yaml_error(y, expected);
	free(y), y = NULL, n = 0;

	append(&y, &n, "roles:\n  big:\n");
	for (int i = 0; i <= GH_MAX_PERMS; i++)
		append(&y, &n, "    - r%d:read\n", i);
	snprintf(expected, sizeof expected, "test.yaml:%d: roles.big: at most %d permissions",
		 GH_MAX_PERMS + 3, GH_MAX_PERMS);
	expect_yaml_error(y, expected);
	free(y), y = NULL, n = 0;

	append(&y, &n, "api_keys:\n  static:\n");
	for (int i = 0; i <= GH_MAX_STATIC_KEYS; i++)
		append(&y, &n, "    - {name: k%d, key: \"%s-%d\"}\n", i, KEY_A, i);
	snprintf(expected, sizeof expected, "test.yaml:%d: api_keys.static: at most %d entries",
		 GH_MAX_STATIC_KEYS + 3, GH_MAX_STATIC_KEYS);
	expect_yaml_error(y, expected);
	/* the maximum from the file, then one more from the environment */
	drop_last_line(y);
	char *path = write_temp(y);
	char *const one_more[] = {"GATEHOUSE_API_KEY=" KEY_B, NULL};
	assert_int_equal(config_load(&cfg, path, one_more, err), -1);
	assert_contains(err, "GATEHOUSE_API_KEY: at most 64 static keys are allowed");
	unlink(path);
	free(path);
	free(y), y = NULL, n = 0;

	append(&y, &n, "rate_limits:\n  rules:\n");
	for (int i = 0; i <= GH_MAX_RATE_RULES; i++)
		append(&y, &n, "    - {name: r%d, by: ip, limit: 1, window: 1}\n", i);
	snprintf(expected, sizeof expected, "test.yaml:%d: rate_limits.rules: at most %d entries",
		 GH_MAX_RATE_RULES + 3, GH_MAX_RATE_RULES);
	expect_yaml_error(y, expected);
	free(y);
}

static void test_validate_access_rules(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	(void)state;

	if (load_yaml(&cfg, access_yaml, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(config_validate(&cfg, err), 0);

	/* app.c wipes static keys after hashing them; validate still passes */
	for (int i = 0; i < cfg.n_static_keys; i++)
		memset(cfg.static_keys[i].key, 0, strlen(cfg.static_keys[i].key));
	assert_int_equal(config_validate(&cfg, err), 0);

	char *saved = cfg.policies[1].arg;
	cfg.policies[1].arg = (char *)(uintptr_t) "ghost";
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "policies[1] (line 8): access: role is neither built-in");
	cfg.policies[1].arg = saved;

	cfg.rate_rules[0].window_s = 0;
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "rate_limits.rules[0] (line 35): limit must be 1 to 1000000000");
	cfg.rate_rules[0].window_s = 60;

	cfg.policies[0].path[0] = 'x';
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "policies[0] (line 4): path must start with '/'");
	cfg.policies[0].path[0] = '/';

	cfg.n_roles = GH_MAX_ROLES + 1;
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "roles: at most 32 roles");
	cfg.n_roles = 4;

	cfg.redis_url[0] = 'R';
	assert_int_equal(config_validate(&cfg, err), -1);
	assert_contains(err, "rate_limits.redis_url");
	cfg.redis_url[0] = 'r';
	assert_int_equal(config_validate(&cfg, err), 0);
	config_free(&cfg);
}

/* Every kind of partly-built entry is freed when loading stops in the
 * middle of it (run under ASan to see leaks). */
static void test_partial_entries_freed(void **state)
{
	static const char *const yamls[] = {
	    "roles:\n  a: [\"x:read\", \"y:read\", bad]\n",
	    "policies:\n  - {path: /x, host: a.test, methods: [GET], access: nope}\n",
	    "policies:\n  - {path: /x, access: \"role:ghost\"}\n",
	    "api_keys:\n  static:\n    - {name: a, key: \"" KEY_A "\", role: user,"
	    " permissions: [\"a:b\", bad]}\n",
	    "api_keys:\n  static:\n    - {name: a, key: \"" KEY_A "\", role: ghost}\n",
	    "rate_limits:\n  rules:\n    - {name: a, by: ip, path: /x, role: user, limit: 1,"
	    " window: 0}\n",
	    "rate_limits: {redis_url: \"redis://h:1\", rules: [{name: a, by: ip, limit: 1,"
	    " window: 1}]}\nlogin_url: \"https://a.test/\"\nbogus: 1\n",
	};
	char *const env_bad[] = {"GATEHOUSE_API_KEYS=a:" KEY_A ";b:" KEY_B ":ghost", NULL};
	(void)state;

	for (size_t i = 0; i < sizeof yamls / sizeof yamls[0]; i++)
		expect_yaml_error(yamls[i], "test.yaml:");
	expect_env_error(env_bad, "entry 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_defaults_without_file),
	    cmocka_unit_test(test_yaml_values),
	    cmocka_unit_test(test_env_overrides_yaml),
	    cmocka_unit_test(test_unknown_key_names_file_line_key),
	    cmocka_unit_test(test_unknown_env_variable),
	    cmocka_unit_test(test_bad_types),
	    cmocka_unit_test(test_numbers_are_strict),
	    cmocka_unit_test(test_env_booleans),
	    cmocka_unit_test(test_bad_listen),
	    cmocka_unit_test(test_ipv6_listen),
	    cmocka_unit_test(test_cidrs),
	    cmocka_unit_test(test_short_secret_rejected_by_validate),
	    cmocka_unit_test(test_trusted_origins_from_env),
	    cmocka_unit_test(test_origin_normalisation),
	    cmocka_unit_test(test_derived_urls),
	    cmocka_unit_test(test_validate_cross_field),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_access_sections_yaml),
	    cmocka_unit_test(test_access_defaults),
	    cmocka_unit_test(test_method_bits_match_server_h),
	    cmocka_unit_test(test_roles_resolved_after_load),
	    cmocka_unit_test(test_builtin_roles_cannot_be_redefined),
	    cmocka_unit_test(test_access_errors),
	    cmocka_unit_test(test_key_values_never_quoted),
	    cmocka_unit_test(test_env_static_keys),
	    cmocka_unit_test(test_env_access_settings),
	    cmocka_unit_test(test_access_counts),
	    cmocka_unit_test(test_validate_access_rules),
	    cmocka_unit_test(test_partial_entries_freed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

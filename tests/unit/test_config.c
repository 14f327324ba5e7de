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

static char *const no_env[] = { NULL };

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
	char *const envp[] = { "PATH=/usr/bin", "HOME=/root", "GATEHOUSEX=1", NULL };
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
		"GATEHOUSE_WORKERS=1", /* getenv() semantics: the first one wins */
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
	char *const typo[] = { "GATEHOUSE_WORKER=3", NULL };
	char *const late[] = { "GATEHOUSE_WORKERS=3", "GATEHOUSE_SECRT=hunter2", NULL };
	(void)state;

	expect_env_error(typo, "GATEHOUSE_WORKER: unknown variable");
	expect_env_error(late, "GATEHOUSE_SECRT: unknown variable");
}

static void test_bad_types(void **state)
{
	(void)state;
	expect_yaml_error("workers: four\n", "test.yaml:1: workers: must be an integer between 1 and 1024");
	expect_yaml_error("workers: \"4\"\n", "test.yaml:1: workers: expected an integer, not a quoted string");
	expect_yaml_error("workers: [4]\n", "test.yaml:1: workers: expected a single value, got a list");
	expect_yaml_error("workers:\n", "workers: must be an integer");
	expect_yaml_error("development: maybe\n", "test.yaml:1: development: expected true or false");
	expect_yaml_error("development: 'true'\n", "development: expected true or false, not a quoted string");
	expect_yaml_error("limits: 5\n", "test.yaml:1: limits: expected a mapping, got a single value");
	expect_yaml_error("limits:\n  max_body_bytes: 1k\n", "test.yaml:2: limits.max_body_bytes: must be an integer");
	expect_yaml_error("trusted_origins: https://a.test\n", "trusted_origins: expected a list, got a single value");
	expect_yaml_error("trusted_origins: [[1]]\n", "trusted_origins: list entries must be strings");
	expect_yaml_error("log: {level: verbose}\n", "log.level: must be one of debug, info, warn, error");
	expect_yaml_error("data_dir: \"\"\n", "data_dir: must not be empty");
	expect_yaml_error("data_dir: \"a\\0b\"\n", "data_dir: must not contain NUL bytes");
	expect_yaml_error("base_url: ftp://a.test\n", "base_url: must start with http:// or https://");
	expect_yaml_error("base_url: https://a.test/x?y=1\n", "base_url: must not contain a query");
	expect_yaml_error("database_url: mysql://db\n", "database_url: must be sqlite:PATH");
	expect_yaml_error("session: {cookie_prefix: \"a b\"}\n", "session.cookie_prefix:");
	expect_yaml_error("ip_headers: [\"x forwarded\"]\n", "ip_headers: expected an HTTP header name");
	expect_yaml_error("{[1]: 2}\n", "test.yaml:1: (top level): keys must be plain strings");
	expect_yaml_error("- a\n- b\n", "test.yaml:1: expected a mapping of settings, got a list");
	expect_yaml_error("workers: 4\nworkers: 5\n", "test.yaml:2: workers: duplicate key");
	expect_yaml_error("a: [\n", "test.yaml:2: invalid YAML");
	expect_yaml_error("workers: 4\n---\nworkers: 5\n", "test.yaml:3: only one YAML document is allowed");
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

	char *const spaced[] = { "GATEHOUSE_WORKERS= 4", NULL };
	char *const junk[] = { "GATEHOUSE_LOCKOUT_DURATION=30m", NULL };
	char *const empty[] = { "GATEHOUSE_ARGON2_ITERATIONS=", NULL };
	char *const bad_bool[] = { "GATEHOUSE_DEV=enabled", NULL };
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
	} cases[] = { { "1", true },   { "true", true },   { "yes", true }, { "TRUE", true },
		      { "0", false },  { "false", false }, { "no", false }, { "off", false } };
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct gh_config cfg;
		char err[GH_CONFIG_ERR_MAX] = "";
		char var[64];
		snprintf(var, sizeof var, "GATEHOUSE_DEV=%s", cases[i].text);
		char *const envp[] = { var, NULL };
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
		{ "localhost", "expected host:port" },
		{ "localhost:", "port must be an integer between 1 and 65535" },
		{ "localhost:0", "port must be an integer between 1 and 65535" },
		{ "localhost:65536", "port must be an integer between 1 and 65535" },
		{ "localhost:80x", "port must be an integer between 1 and 65535" },
		{ ":8080", "expected host:port, the host is empty" },
		{ "::1:8080", "IPv6 addresses must be in brackets" },
		{ "[::1]", "expected [IPv6]:port" },
		{ "[::1:8080", "expected [IPv6]:port" },
		{ "[not-v6]:8080", "not a valid IPv6 address" },
		{ "bad!host:80", "host name may contain only letters, digits" },
		{ "bad host:80", "host name may contain only letters, digits" },
		{ "-bad.test:80", "host name label starts with '-'" },
		{ "a..b:80", "host name has an empty or malformed label" },
		{ "300.1.1.1:80", "not a valid IPv4 address" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char yaml[128], var[128], expected[256];
		snprintf(yaml, sizeof yaml, "listen: \"%s\"\n", cases[i].listen);
		snprintf(expected, sizeof expected, "test.yaml:1: listen: %s", cases[i].expected);
		expect_yaml_error(yaml, expected);

		snprintf(var, sizeof var, "GATEHOUSE_LISTEN=%s", cases[i].listen);
		snprintf(expected, sizeof expected, "GATEHOUSE_LISTEN: %s", cases[i].expected);
		char *const envp[] = { var, NULL };
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

	assert_int_equal(load_yaml(&cfg, "listen: \"[2001:db8::1]:80\"\n"
					 "base_url: \"https://[2001:db8::1]:443/\"\n", err), 0);
	assert_string_equal(cfg.listen_host, "2001:db8::1");
	assert_string_equal(cfg.base_url, "https://[2001:db8::1]:443");
	config_free(&cfg);
}

static void test_cidrs(void **state)
{
	static const char *const good[] = { "127.0.0.1", "10.0.0.0/8", "0.0.0.0/0",
					     "192.168.1.0/24", "::1", "fd00::/8",
					     "2001:db8::/32", "10.1.2.3/32" };
	static const struct {
		const char *cidr;
		const char *expected;
	} bad[] = {
		{ "10.0.0.0/33", "CIDR prefix length must be between 0 and 32" },
		{ "fd00::/129", "CIDR prefix length must be between 0 and 128" },
		{ "10.0.0.0/", "CIDR prefix length must be between 0 and 32" },
		{ "10.0.0.0/08", "CIDR prefix length must be between 0 and 32" },
		{ "10.0.0.0/8x", "CIDR prefix length must be between 0 and 32" },
		{ "10.0.0.1/8", "CIDR block has host bits set beyond its prefix length" },
		{ "fd00::1/8", "CIDR block has host bits set beyond its prefix length" },
		{ "300.1.1.1", "not a valid IP address or CIDR block" },
		{ "localhost", "not a valid IP address or CIDR block" },
		{ "/8", "expected an IP address or a CIDR block" },
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
		char *const envp[] = { var, NULL };
		expect_env_error(envp, expected);
	}
}

static void test_short_secret_rejected_by_validate(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *const short_secret[] = { "GATEHOUSE_SECRET=tooshort-hunter2-tooshort-01234", NULL };
	char *const ok_secret[] = { "GATEHOUSE_SECRET=exactly-32-bytes-long-secret-abc", NULL };
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
	char *const cleared[] = { "GATEHOUSE_TRUSTED_ORIGINS=", NULL };
	char *const with_path[] = { "GATEHOUSE_TRUSTED_ORIGINS=https://a.test/login", NULL };
	char *const empty_item[] = { "GATEHOUSE_TRUSTED_ORIGINS=https://a.test,,https://b.test",
				     NULL };
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
	if (load_yaml(&cfg, "base_url: https://Auth.Example.com:443/gh/\n"
			    "trusted_origins: [\"HTTPS://auth.example.com\", \"http://a.test:80/\","
			    " \"http://a.test:8080\"]\n", err) != 0)
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
	expect_yaml_error("trusted_origins: [\"*.\"]\n", "trusted_origins: host name may contain only");
	expect_yaml_error("trusted_origins: [\"https://\"]\n", "trusted_origins: URL has no host");
	expect_yaml_error("trusted_origins: [\"a.test\"]\n",
			  "trusted_origins: expected an origin like https://app.example.com");
	expect_yaml_error("trusted_origins: [\"https://a.*.test\"]\n",
			  "trusted_origins: host name may contain only");
	/* dotted keys are not a second spelling of nested ones */
	expect_yaml_error("session.expires_in: 60\n", "test.yaml:1: session.expires_in: unknown key");
}

static void test_derived_urls(void **state)
{
	struct gh_config cfg;
	char err[GH_CONFIG_ERR_MAX] = "";
	char *const env_listen[] = { "GATEHOUSE_LISTEN=gatehouse.internal:9090", NULL };
	char *const env_base[] = { "GATEHOUSE_BASE_URL=https://id.example.com//", NULL };
	(void)state;

	assert_int_equal(load_yaml(&cfg, "listen: 0.0.0.0:9000\ndata_dir: /var/lib/gh\n", err),
			 0);
	assert_string_equal(cfg.base_url, "http://0.0.0.0:9000");
	assert_string_equal(cfg.database_url, "sqlite:/var/lib/gh/gatehouse.db");
	config_free(&cfg);

	/* explicit values are kept, trailing slashes dropped */
	assert_int_equal(load_yaml(&cfg, "listen: 0.0.0.0:9000\n"
					 "base_url: https://Auth.Example.com/gh/\n"
					 "database_url: sqlite:/tmp/x.db\n", err), 0);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

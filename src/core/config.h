/*
 * config — gatehouse's settings: one YAML file plus GATEHOUSE_* environment
 * overrides, validated once at start (and again on SIGHUP).
 *
 * Owns: struct gh_config and everything in it (strings are heap copies freed
 * by config_free). Precedence: built-in defaults < YAML file < environment.
 *
 * Errors name the file, line and key ("gatehouse.yaml:12: session.expires_in:
 * must be a positive integer"); for environment overrides the "file" is the
 * variable name ("GATEHOUSE_LISTEN: expected host:port").
 *
 * Threads: config_load/config_free run on the main thread only. A loaded
 * config is immutable and may be read from any thread.
 */
#ifndef GH_CORE_CONFIG_H
#define GH_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define GH_CONFIG_ERR_MAX 512
#define GH_MAX_TRUSTED 32
#define GH_MAX_ROLES 32
#define GH_MAX_PERMS 64
#define GH_MAX_POLICIES 128
#define GH_MAX_STATIC_KEYS 64
#define GH_MAX_RATE_RULES 64

/* A custom role: name → permissions "resource:action" ("resource:*" and "*"
 * allowed). Built-in roles (admin, user, readonly) are not listed here. */
struct gh_role_def {
	char *name;
	char *permissions[GH_MAX_PERMS];
	int n_permissions;
};

enum gh_access {
	GH_ACCESS_PUBLIC,        /* anyone; identity headers never set */
	GH_ACCESS_OPTIONAL,      /* identity passed when present, anonymous allowed */
	GH_ACCESS_AUTHENTICATED, /* any valid credential */
	GH_ACCESS_ROLE,          /* arg = role name */
	GH_ACCESS_PERMISSION,    /* arg = "resource:action" */
	GH_ACCESS_DENY,          /* explicit deny */
};

/* One forward-auth rule; first match wins, no match = deny. */
struct gh_policy_rule {
	char *host;       /* glob ("*.example.com", "api.x.com"); NULL = any host */
	char *path;       /* glob: '*' matches within one segment, except a
			   * trailing '*', which matches the rest (slashes too);
			   * '**' matches across segments anywhere; otherwise
			   * exact. Matched against the path without the query. */
	unsigned methods; /* mask of enum gh_method (http/server.h); 0 = any */
	enum gh_access access;
	char *arg; /* role or permission; NULL otherwise */
	int line;  /* where it was defined, for logs */
};

/* "Simple mode" API keys from the config or environment (seed 002). */
struct gh_static_key {
	char *name;
	char *key;  /* the secret; app.c hashes it at load and wipes this copy */
	char *role; /* default "user" */
	char *permissions[GH_MAX_PERMS];
	int n_permissions; /* 0 = the role's permissions */
};

enum gh_rate_by {
	GH_RATE_BY_IP,
	GH_RATE_BY_USER,
	GH_RATE_BY_KEY,
	GH_RATE_BY_ROLE,
	GH_RATE_BY_GLOBAL
};
enum gh_rate_scope { GH_RATE_SCOPE_FORWARD, GH_RATE_SCOPE_AUTH, GH_RATE_SCOPE_ALL };
enum gh_rate_fail { GH_RATE_FAIL_LOCAL, GH_RATE_FAIL_OPEN, GH_RATE_FAIL_CLOSED };

/* A rate-limit rule: `limit` requests per `window_s`, counted per subject
 * (`by`). Applies when every selector given matches: path glob (the request
 * path for /api/auth, the original URI for forward-auth), role. */
struct gh_rate_rule {
	char *name;
	enum gh_rate_by by;
	enum gh_rate_scope scope;           /* default FORWARD */
	char *path;                         /* glob like policies; NULL = any */
	char *role;                         /* NULL = any caller */
	long long limit;                    /* >= 1 */
	long long window_s;                 /* >= 1 */
	enum gh_rate_fail on_redis_failure; /* default: rate_limit_redis_failure */
	int line;
};

struct gh_config {
	/* where it came from: path of the YAML file, or NULL when none */
	char *path;

	/* server */
	char *listen_host;  /* default "127.0.0.1" */
	int listen_port;    /* default 8080 */
	char *base_url;     /* default "http://<listen>" ; no trailing slash */
	char *data_dir;     /* default "./data" */
	char *database_url; /* default "sqlite:<data_dir>/gatehouse.db" */
	char *secret;       /* >= 32 bytes; NULL until resolved */
	bool development;   /* GATEHOUSE_DEV=1 / development: true */
	int workers;        /* slow-work pool size; default 4 */
	int http_threads;   /* MHD thread pool; default = number of cores */

	/* origins and proxies */
	char *trusted_origins[GH_MAX_TRUSTED]; /* base_url's origin is added implicitly */
	int n_trusted_origins;
	char *trusted_proxies[GH_MAX_TRUSTED]; /* IPs or CIDRs, e.g. "127.0.0.1", "10.0.0.0/8" */
	int n_trusted_proxies;
	char *ip_headers[8]; /* default {"x-forwarded-for"} */
	int n_ip_headers;

	/* limits (every one of them enforced with a precise error) */
	size_t max_body_bytes;    /* default 65536 */
	size_t max_header_bytes;  /* default 8192 */
	int max_connections;      /* default 1024 */
	int connection_timeout_s; /* default 30 */

	/* accounts and passwords */
	bool sign_up_enabled;       /* default true */
	int password_min_length;    /* default 8 (NIST: 15 without MFA; documented) */
	int password_max_length;    /* default 128 */
	unsigned argon2_memory_kib; /* default 19456 (OWASP) */
	unsigned argon2_iterations; /* default 2 */
	int max_concurrent_hashes;  /* default = number of workers */
	int lockout_max_attempts;   /* default 5 */
	int lockout_duration_s;     /* default 1800 */

	/* sessions (Better-Auth defaults) */
	int session_expires_in_s;   /* 604800 */
	int session_update_age_s;   /* 86400 */
	int session_fresh_age_s;    /* 86400 */
	bool cookie_cache_enabled;  /* false */
	int cookie_cache_max_age_s; /* 300 */
	char *cookie_prefix;        /* "better-auth" */
	char *cookie_domain;        /* NULL: host-only cookie */

	/* logging */
	char *log_level; /* "debug" | "info" | "warn" | "error"; default "info" */

	/* roles and forward-auth policies */
	struct gh_role_def roles[GH_MAX_ROLES];
	int n_roles;
	struct gh_policy_rule policies[GH_MAX_POLICIES];
	int n_policies;
	char *login_url; /* where browsers are sent; default base_url + "/sign-in" */

	/* API keys */
	char *api_key_prefix; /* default "gh_" */
	struct gh_static_key static_keys[GH_MAX_STATIC_KEYS];
	int n_static_keys;

	/* rate limits */
	bool rate_limit_enabled;                    /* default true */
	char *redis_url;                            /* NULL: in-process limits only */
	enum gh_rate_fail rate_limit_redis_failure; /* default LOCAL */
	struct gh_rate_rule rate_rules[GH_MAX_RATE_RULES];
	int n_rate_rules;
	bool auth_rate_limits_enabled; /* Better-Auth's special rules; default true */
};

/* Fills *cfg from defaults, then the YAML file at path (NULL: no file;
 * a path that does not exist is an error), then the environment `envp`
 * (NULL-terminated "KEY=VALUE" array; pass environ). Returns 0, or -1 with a
 * one-line message in err. On error *cfg is left freed. */
int config_load(struct gh_config *cfg, const char *path, char *const *envp,
		char err[GH_CONFIG_ERR_MAX]);

/* Parses a YAML document held in memory (used by config_load and the fuzzer).
 * `name` is used in error messages in place of a file name. */
int config_load_buffer(struct gh_config *cfg, const char *name, const char *yaml, size_t len,
		       char err[GH_CONFIG_ERR_MAX]);

/* Checks cross-field rules after loading (secret length, min <= max, base_url
 * is http(s), ...). secret may still be NULL here: the caller resolves it
 * (development mode generates one). Returns 0 or -1 with err. */
int config_validate(const struct gh_config *cfg, char err[GH_CONFIG_ERR_MAX]);

void config_free(struct gh_config *cfg);

#endif

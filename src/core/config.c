/*
 * config.c — loads struct gh_config: built-in defaults, then one YAML file
 * (libyaml document API), then GATEHOUSE_* variables from the envp array, then
 * derived defaults (base_url from listen, database_url from data_dir,
 * max_concurrent_hashes from workers). See config.h for the contract and
 * docs/decisions/0005-config-yaml.md for why libyaml.
 *
 * Every setting is one row of `settings[]`: its dotted YAML key, its
 * environment variable (if any), its type, where it lives in the struct, its
 * range and an optional checker that validates and normalises text. The YAML
 * walker and the environment loop both go through that table, so a key and
 * its variable can never disagree on what is accepted.
 *
 * Strictness, on purpose (a typo in an auth server's config must not pass):
 *   - unknown keys, unknown GATEHOUSE_* variables and duplicate keys are
 *     errors;
 *   - numbers are plain decimal digits, no sign, no leading zeros (YAML 1.1
 *     would read 010 as octal), range-checked with no overflow; a quoted
 *     number or boolean is a type error;
 *   - lists must be YAML sequences (or comma-separated in the environment).
 * Messages are one line, "FILE:LINE: dotted.key: problem" or
 * "GATEHOUSE_X: problem", and never quote a value: the secret must not leak
 * into logs, and quoting the other values would make that easy to get wrong.
 *
 * The secret: its copy in struct gh_config is wiped by config_free; the file
 * buffer, libyaml's document scalars and libyaml's input buffers are wiped
 * before they are freed. libyaml's short-lived scanner strings are not (see
 * the decision record).
 */
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <yaml.h>

/* A config file is a few kilobytes; anything much larger is a mistake. */
#define CONFIG_FILE_MAX (1024 * 1024)

#define TEN_YEARS_S 315360000ULL

/* ---------------------------------------------------------------- errors */

/* Where a value came from: a YAML file and line, or an environment variable
 * (line 0, name is the variable). */
struct origin {
	const char *name;
	size_t line;
	const char *key; /* dotted key; unused for environment variables */
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, const struct origin *at,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at->line > 0)
		n = snprintf(err, GH_CONFIG_ERR_MAX, "%s:%zu: %s: ", at->name, at->line, at->key);
	else
		n = snprintf(err, GH_CONFIG_ERR_MAX, "%s: ", at->name);
	if (n < 0 || n >= GH_CONFIG_ERR_MAX)
		return -1; /* the prefix alone filled the buffer; it is truncated */
	va_start(ap, fmt);
	vsnprintf(err + n, GH_CONFIG_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Copies untrusted text (a YAML key, an environment name) for an error
 * message: printable ASCII only, so the message stays one line. */
static void printable_copy(char *dst, size_t cap, const char *src, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/* ------------------------------------------------------- text checkers */

/* A checker validates a heap copy of the value, may normalise it in place
 * (only ever shortening it), and returns NULL or a complaint. */
typedef const char *(*text_check_fn)(char *text);

static void ascii_lower(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_alpha(c);
}

/* Decimal digits only: no sign, no spaces, no leading zeros, no overflow. */
static bool parse_decimal(const char *s, size_t len, unsigned long long max,
			  unsigned long long *out)
{
	unsigned long long v = 0;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool has_space_or_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* RFC 1123 host name, or a dotted IPv4 address. '_' is accepted too: it is
 * common in container service names and browsers allow it. With
 * allow_wildcard, a leading "*." label is accepted (trusted origins,
 * Better-Auth style). */
static const char *hostname_problem(const char *h, size_t len, bool allow_wildcard)
{
	char buf[256];
	bool all_numeric = true;
	size_t label = 0;

	if (allow_wildcard && len > 2 && h[0] == '*' && h[1] == '.') {
		h += 2;
		len -= 2;
	}
	if (len == 0)
		return "host is empty";
	if (len > 253)
		return "host name is too long";
	for (size_t i = 0; i < len; i++) {
		char c = h[i];
		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return "host name has an empty or malformed label";
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-' && c != '_')
			return "host name may contain only letters, digits, '-', '_' and '.'";
		if (label == 0 && c == '-')
			return "host name label starts with '-'";
		if (!is_digit(c))
			all_numeric = false;
		if (++label > 63)
			return "host name label is longer than 63 characters";
	}
	if (label == 0 || h[len - 1] == '-')
		return "host name has an empty or malformed label";
	if (all_numeric) {
		unsigned char addr[4];
		memcpy(buf, h, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, addr) != 1)
			return "not a valid IPv4 address";
	}
	return NULL;
}

static bool parse_port(const char *s, size_t len, int *port)
{
	unsigned long long v;

	if (!parse_decimal(s, len, 65535, &v) || v == 0)
		return false;
	*port = (int)v;
	return true;
}

static bool is_ipv6(const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char addr[16];

	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* host[:port] or [IPv6][:port], as in a URL's authority (RFC 3986 3.2). */
static const char *authority_problem(const char *a, size_t len, bool allow_wildcard)
{
	const char *port = NULL;
	size_t hlen;
	int p;

	if (len == 0)
		return "URL has no host";
	if (memchr(a, '@', len))
		return "URL must not contain credentials";
	if (a[0] == '[') {
		const char *close = memchr(a, ']', len);
		if (!close || !is_ipv6(a + 1, (size_t)(close - a - 1)))
			return "URL has a malformed [IPv6] host";
		if (close + 1 < a + len) {
			if (close[1] != ':')
				return "URL has junk after the [IPv6] host";
			port = close + 2;
		}
	} else {
		const char *colon = memchr(a, ':', len);
		hlen = colon ? (size_t)(colon - a) : len;
		const char *why = hostname_problem(a, hlen, allow_wildcard);
		if (why)
			return why;
		if (colon)
			port = colon + 1;
	}
	if (port && !parse_port(port, (size_t)(a + len - port), &p))
		return "URL port must be an integer between 1 and 65535";
	return NULL;
}

/* http(s)://authority[/path]; scheme and host are lowercased and trailing
 * slashes dropped so that "https://a.test/" and "https://A.test" agree. */
static const char *check_base_url(char *url)
{
	size_t skip;

	if (has_space_or_control(url))
		return "must not contain spaces or control characters";
	ascii_lower(url, strcspn(url, ":"));
	if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return "must start with http:// or https://";
	if (strpbrk(url, "?#"))
		return "must not contain a query or fragment";
	char *auth = url + skip;
	size_t alen = strcspn(auth, "/");
	const char *why = authority_problem(auth, alen, false);
	if (why)
		return why;
	ascii_lower(auth, alen);
	size_t n = strlen(url);
	while (n > skip + alen && url[n - 1] == '/')
		url[--n] = '\0';
	return NULL;
}

/* Browsers omit the scheme's default port from Origin (RFC 6454 6.1), so
 * "https://a.test:443" is stored as "https://a.test" to compare equal. */
static void strip_default_port(char *origin)
{
	size_t n = strlen(origin);

	if (strncmp(origin, "http://", 7) == 0 && n > 10 && strcmp(origin + n - 3, ":80") == 0)
		origin[n - 3] = '\0';
	else if (strncmp(origin, "https://", 8) == 0 && n > 12 &&
		 strcmp(origin + n - 4, ":443") == 0)
		origin[n - 4] = '\0';
}

/* An origin (RFC 6454): scheme://host[:port], no path. For http(s) the host
 * may start with "*." (Better-Auth wildcard); other schemes are app deep
 * links ("myapp://") and are only checked for shape. "*.example.com" with no
 * scheme is a wildcard for any scheme (src/http/origin.c matches it so). */
static const char *check_origin(char *o)
{
	size_t slen = 0, n;

	if (has_space_or_control(o))
		return "must not contain spaces or control characters";
	if (o[0] == '*' && o[1] == '.') {
		const char *why = authority_problem(o, strlen(o), true);
		if (why)
			return why;
		ascii_lower(o, strlen(o));
		return NULL;
	}
	while (is_alnum(o[slen]) || o[slen] == '+' || o[slen] == '-' || o[slen] == '.')
		slen++;
	if (slen == 0 || !is_alpha(o[0]) || strncmp(o + slen, "://", 3) != 0)
		return "expected an origin like https://app.example.com";
	ascii_lower(o, slen);
	n = strlen(o);
	if (n > slen + 3 && o[n - 1] == '/')
		o[--n] = '\0';
	bool web = (slen == 4 && strncmp(o, "http", 4) == 0) ||
		   (slen == 5 && strncmp(o, "https", 5) == 0);
	if (!web)
		return NULL;
	char *auth = o + slen + 3;
	size_t alen = strlen(auth);
	if (strcspn(auth, "/?#") != alen)
		return "an origin has no path, query or fragment";
	const char *why = authority_problem(auth, alen, true);
	if (why)
		return why;
	ascii_lower(auth, alen);
	strip_default_port(o);
	return NULL;
}

/* An IP address or a CIDR block; host bits beyond the prefix must be zero,
 * so "10.0.0.1/8" (probably meant as something else) is rejected. */
static const char *check_proxy(char *text)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char bytes[16];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long long prefix;
	unsigned bits;

	if (alen == 0 || alen >= sizeof addr)
		return "expected an IP address or a CIDR block like 10.0.0.0/8";
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bytes) == 1)
		bits = 32;
	else if (inet_pton(AF_INET6, addr, bytes) == 1)
		bits = 128;
	else
		return "not a valid IP address or CIDR block";
	if (!slash)
		return NULL;
	if (!parse_decimal(slash + 1, strlen(slash + 1), bits, &prefix))
		return bits == 32 ? "CIDR prefix length must be between 0 and 32"
				  : "CIDR prefix length must be between 0 and 128";
	for (unsigned b = (unsigned)prefix; b < bits; b++)
		if (bytes[b / 8] & (0x80u >> (b % 8)))
			return "CIDR block has host bits set beyond its prefix length";
	return NULL;
}

/* RFC 9110 5.6.2 token, as header names and cookie names are. */
static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

static const char *check_header_name(char *name)
{
	if (!is_token(name) || strlen(name) > 64)
		return "expected an HTTP header name like x-forwarded-for";
	ascii_lower(name, strlen(name));
	return NULL;
}

static const char *check_cookie_prefix(char *prefix)
{
	if (!is_token(prefix) || strlen(prefix) > 64)
		return "must be 1-64 characters valid in a cookie name (letters, digits, '-', '_', ...)";
	return NULL;
}

/* RFC 6265 5.2.3: a leading dot is allowed and ignored by browsers. */
static const char *check_cookie_domain(char *domain)
{
	const char *h = domain[0] == '.' ? domain + 1 : domain;
	const char *why = hostname_problem(h, strlen(h), false);

	if (why)
		return why;
	ascii_lower(domain, strlen(domain));
	return NULL;
}

static const char *check_path(char *path)
{
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "must not contain control characters";
	return NULL;
}

static bool database_url_ok(const char *url)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return url[7] != '\0';
	if (strncmp(url, "postgres://", 11) == 0)
		return url[11] != '\0';
	if (strncmp(url, "postgresql://", 13) == 0)
		return url[13] != '\0';
	return false;
}

static const char *check_database_url(char *url)
{
	if (!database_url_ok(url))
		return "must be sqlite:PATH, postgres://... or postgresql://...";
	return check_path(url);
}

static bool log_level_ok(const char *level)
{
	return strcmp(level, "debug") == 0 || strcmp(level, "info") == 0 ||
	       strcmp(level, "warn") == 0 || strcmp(level, "error") == 0;
}

static const char *check_log_level(char *level)
{
	return log_level_ok(level) ? NULL : "must be one of debug, info, warn, error";
}

/* ------------------------------------------------------ settings table */

enum kind {
	KIND_STRING,
	KIND_BOOL,
	KIND_INT,   /* int field */
	KIND_UINT,  /* unsigned field */
	KIND_SIZE,  /* size_t field */
	KIND_LIST,  /* char *field[capacity] with an int count */
	KIND_LISTEN /* host:port into listen_host + listen_port */
};

struct setting {
	const char *key; /* dotted YAML key */
	const char *env; /* GATEHOUSE_* variable, or NULL */
	enum kind kind;
	size_t offset;
	size_t count_offset;  /* KIND_LIST */
	int capacity;         /* KIND_LIST */
	unsigned long long min, max; /* numbers */
	bool nullable;        /* strings: null / empty means "unset" */
	bool sensitive;       /* wiped before free */
	text_check_fn check;  /* strings and list entries */
};

#define AT(field) offsetof(struct gh_config, field)
#define STRING(k, e, f, chk) \
	{ .key = k, .env = e, .kind = KIND_STRING, .offset = AT(f), .check = chk }
#define OPTIONAL_STRING(k, e, f, chk) \
	{ .key = k, .env = e, .kind = KIND_STRING, .offset = AT(f), .nullable = true, .check = chk }
#define BOOLEAN(k, e, f) { .key = k, .env = e, .kind = KIND_BOOL, .offset = AT(f) }
#define NUMBER(kd, k, e, f, lo, hi) \
	{ .key = k, .env = e, .kind = kd, .offset = AT(f), .min = lo, .max = hi }
#define LIST(k, e, f, n, chk)                                                              \
	{ .key = k, .env = e, .kind = KIND_LIST, .offset = AT(f), .count_offset = AT(n), \
	  .capacity = (int)(sizeof(((struct gh_config *)0)->f) / sizeof(char *)), .check = chk }

static const struct setting settings[] = {
	{ .key = "listen", .env = "GATEHOUSE_LISTEN", .kind = KIND_LISTEN },
	OPTIONAL_STRING("base_url", "GATEHOUSE_BASE_URL", base_url, check_base_url),
	STRING("data_dir", "GATEHOUSE_DATA_DIR", data_dir, check_path),
	OPTIONAL_STRING("database_url", "GATEHOUSE_DATABASE_URL", database_url,
			check_database_url),
	{ .key = "secret", .env = "GATEHOUSE_SECRET", .kind = KIND_STRING,
	  .offset = AT(secret), .nullable = true, .sensitive = true },
	BOOLEAN("development", "GATEHOUSE_DEV", development),
	NUMBER(KIND_INT, "workers", "GATEHOUSE_WORKERS", workers, 1, 1024),
	NUMBER(KIND_INT, "http_threads", "GATEHOUSE_HTTP_THREADS", http_threads, 1, 1024),
	LIST("trusted_origins", "GATEHOUSE_TRUSTED_ORIGINS", trusted_origins,
	     n_trusted_origins, check_origin),
	LIST("trusted_proxies", "GATEHOUSE_TRUSTED_PROXIES", trusted_proxies,
	     n_trusted_proxies, check_proxy),
	LIST("ip_headers", NULL, ip_headers, n_ip_headers, check_header_name),

	NUMBER(KIND_SIZE, "limits.max_body_bytes", "GATEHOUSE_MAX_BODY_BYTES", max_body_bytes,
	       1, 1ULL << 30),
	NUMBER(KIND_SIZE, "limits.max_header_bytes", NULL, max_header_bytes, 1024, 1ULL << 20),
	NUMBER(KIND_INT, "limits.max_connections", NULL, max_connections, 1, 1000000),
	NUMBER(KIND_INT, "limits.connection_timeout", NULL, connection_timeout_s, 1, 86400),

	BOOLEAN("accounts.sign_up_enabled", "GATEHOUSE_SIGN_UP_ENABLED", sign_up_enabled),
	NUMBER(KIND_INT, "accounts.lockout_max_attempts", "GATEHOUSE_LOCKOUT_MAX_ATTEMPTS",
	       lockout_max_attempts, 1, 1000000),
	NUMBER(KIND_INT, "accounts.lockout_duration", "GATEHOUSE_LOCKOUT_DURATION",
	       lockout_duration_s, 1, 31536000),

	NUMBER(KIND_INT, "password.min_length", "GATEHOUSE_PASSWORD_MIN_LENGTH",
	       password_min_length, 1, 4096),
	NUMBER(KIND_INT, "password.max_length", NULL, password_max_length, 1, 4096),
	NUMBER(KIND_UINT, "password.argon2_memory_kib", "GATEHOUSE_ARGON2_MEMORY_KIB",
	       argon2_memory_kib, 8, 4194304),
	NUMBER(KIND_UINT, "password.argon2_iterations", "GATEHOUSE_ARGON2_ITERATIONS",
	       argon2_iterations, 1, 1000),
	NUMBER(KIND_INT, "password.max_concurrent_hashes", NULL, max_concurrent_hashes, 1,
	       1024),

	NUMBER(KIND_INT, "session.expires_in", NULL, session_expires_in_s, 1, TEN_YEARS_S),
	NUMBER(KIND_INT, "session.update_age", NULL, session_update_age_s, 0, TEN_YEARS_S),
	NUMBER(KIND_INT, "session.fresh_age", NULL, session_fresh_age_s, 0, TEN_YEARS_S),
	STRING("session.cookie_prefix", NULL, cookie_prefix, check_cookie_prefix),
	OPTIONAL_STRING("session.cookie_domain", NULL, cookie_domain, check_cookie_domain),
	BOOLEAN("session.cookie_cache.enabled", "GATEHOUSE_COOKIE_CACHE", cookie_cache_enabled),
	NUMBER(KIND_INT, "session.cookie_cache.max_age", NULL, cookie_cache_max_age_s, 1,
	       TEN_YEARS_S),

	STRING("log.level", "GATEHOUSE_LOG_LEVEL", log_level, check_log_level),
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

/* Variables in the GATEHOUSE_ namespace that other parts of the program read
 * (the CLI picks the config file); accepted here, not applied. */
static const char *const reserved_env[] = { "GATEHOUSE_CONFIG" };

static char **string_field(struct gh_config *cfg, const struct setting *s)
{
	return (char **)((char *)cfg + s->offset);
}

static int *list_count(struct gh_config *cfg, const struct setting *s)
{
	return (int *)((char *)cfg + s->count_offset);
}

static void free_text(char *text, bool sensitive)
{
	if (text && sensitive)
		sodium_memzero(text, strlen(text));
	free(text);
}

static void list_clear(struct gh_config *cfg, const struct setting *s)
{
	char **items = string_field(cfg, s);
	int *n = list_count(cfg, s);

	for (int i = 0; i < *n; i++) {
		free(items[i]);
		items[i] = NULL;
	}
	*n = 0;
}

/* ------------------------------------------------------ applying values */

static int out_of_memory(char *err)
{
	snprintf(err, GH_CONFIG_ERR_MAX, "out of memory while loading the configuration");
	return -1;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static int apply_listen(struct gh_config *cfg, char *text, const struct origin *at, char *err)
{
	const char *host, *port;
	size_t hlen;
	int p;

	if (text[0] == '[') {
		char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			return fail(err, at, "expected [IPv6]:port, e.g. [::1]:8080");
		host = text + 1;
		hlen = (size_t)(close - host);
		port = close + 2;
		if (!is_ipv6(host, hlen))
			return fail(err, at, "not a valid IPv6 address in brackets");
	} else {
		char *colon = strrchr(text, ':');
		if (!colon)
			return fail(err, at, "expected host:port, e.g. 127.0.0.1:8080");
		host = text;
		hlen = (size_t)(colon - text);
		port = colon + 1;
		if (memchr(host, ':', hlen))
			return fail(err, at, "IPv6 addresses must be in brackets, e.g. [::1]:8080");
		if (hlen == 0)
			return fail(err, at, "expected host:port, the host is empty");
		const char *why = hostname_problem(host, hlen, false);
		if (why)
			return fail(err, at, "%s", why);
	}
	if (!parse_port(port, strlen(port), &p))
		return fail(err, at, "port must be an integer between 1 and 65535");
	char *copy = strndup(host, hlen);
	if (!copy)
		return out_of_memory(err);
	free(cfg->listen_host);
	cfg->listen_host = copy;
	cfg->listen_port = p;
	return 0;
}

/* Copies text (len bytes, not NUL-terminated) and runs the checker. */
static int checked_copy(const struct setting *s, const char *text, size_t len,
			const struct origin *at, char **out, char *err)
{
	if (memchr(text, '\0', len))
		return fail(err, at, "must not contain NUL bytes");
	char *copy = strndup(text, len);
	if (!copy)
		return out_of_memory(err);
	const char *why = s->check ? s->check(copy) : NULL;
	if (why) {
		free_text(copy, s->sensitive);
		return fail(err, at, "%s", why);
	}
	*out = copy;
	return 0;
}

/* One scalar value. is_null: a YAML null (~, null, empty) or an empty
 * environment variable. quoted: a YAML single- or double-quoted scalar. */
static int apply_scalar(struct gh_config *cfg, const struct setting *s, const char *text,
			size_t len, bool is_null, bool quoted, const struct origin *at, char *err)
{
	unsigned long long v;
	char *copy = NULL;
	bool b;

	switch (s->kind) {
	case KIND_STRING:
		if (is_null || len == 0) {
			if (!s->nullable)
				return fail(err, at, "must not be empty");
			free_text(*string_field(cfg, s), s->sensitive);
			*string_field(cfg, s) = NULL;
			return 0;
		}
		if (checked_copy(s, text, len, at, &copy, err) != 0)
			return -1;
		free_text(*string_field(cfg, s), s->sensitive);
		*string_field(cfg, s) = copy;
		return 0;
	case KIND_LISTEN: {
		if (is_null || len == 0)
			return fail(err, at, "expected host:port, e.g. 127.0.0.1:8080");
		if (checked_copy(s, text, len, at, &copy, err) != 0)
			return -1;
		int rc = apply_listen(cfg, copy, at, err);
		free(copy);
		return rc;
	}
	case KIND_BOOL:
		/* parse_bool wants a C string; booleans are short */
		if (!is_null && !quoted && len < 8 && !memchr(text, '\0', len)) {
			char word[8];
			memcpy(word, text, len);
			word[len] = '\0';
			if (parse_bool(word, &b)) {
				*(bool *)((char *)cfg + s->offset) = b;
				return 0;
			}
		}
		return fail(err, at, quoted ? "expected true or false, not a quoted string"
					    : "expected true or false");
	case KIND_INT:
	case KIND_UINT:
	case KIND_SIZE:
		if (quoted)
			return fail(err, at, "expected an integer, not a quoted string");
		if (is_null || !parse_decimal(text, len, s->max, &v) || v < s->min)
			return fail(err, at, "must be an integer between %llu and %llu", s->min,
				    s->max);
		if (s->kind == KIND_INT)
			*(int *)((char *)cfg + s->offset) = (int)v;
		else if (s->kind == KIND_UINT)
			*(unsigned *)((char *)cfg + s->offset) = (unsigned)v;
		else
			*(size_t *)((char *)cfg + s->offset) = (size_t)v;
		return 0;
	case KIND_LIST:
		break;
	}
	return fail(err, at, "internal error: not a scalar setting");
}

static int list_append(struct gh_config *cfg, const struct setting *s, const char *text,
		       size_t len, const struct origin *at, char *err)
{
	int *n = list_count(cfg, s);
	char *copy = NULL;

	if (len == 0)
		return fail(err, at, "list entries must not be empty");
	if (*n >= s->capacity)
		return fail(err, at, "at most %d entries are allowed", s->capacity);
	if (checked_copy(s, text, len, at, &copy, err) != 0)
		return -1;
	string_field(cfg, s)[(*n)++] = copy;
	return 0;
}

/* ----------------------------------------------------------------- YAML */

struct yaml_walk {
	struct gh_config *cfg;
	yaml_document_t *doc;
	const char *name;
	char *err;
};

static bool yaml_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (n->data.scalar.length == strlen(nulls[i]) &&
		    memcmp(n->data.scalar.value, nulls[i], n->data.scalar.length) == 0)
			return true;
	return false;
}

static const char *scalar_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *node_kind(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return n->type == YAML_SEQUENCE_NODE ? "a list" : "a single value";
}

static int apply_yaml_value(struct yaml_walk *w, const struct setting *s, yaml_node_t *v,
			    const struct origin *at)
{
	if (s->kind == KIND_LIST) {
		if (yaml_is_null(v)) {
			list_clear(w->cfg, s);
			return 0;
		}
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(w->err, at, "expected a list, got %s", node_kind(v));
		list_clear(w->cfg, s);
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(w->doc, *it);
			struct origin item_at = { w->name, item->start_mark.line + 1, at->key };
			if (item->type != YAML_SCALAR_NODE || yaml_is_null(item))
				return fail(w->err, &item_at, "list entries must be strings");
			if (list_append(w->cfg, s, scalar_text(item), item->data.scalar.length,
					&item_at, w->err) != 0)
				return -1;
		}
		return 0;
	}
	if (v->type != YAML_SCALAR_NODE)
		return fail(w->err, at, "expected a single value, got %s", node_kind(v));
	bool quoted = v->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		      v->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return apply_scalar(w->cfg, s, scalar_text(v), v->data.scalar.length, yaml_is_null(v),
			    quoted, at, w->err);
}

/* If table key `full` is section + "." + key (or key at the top level),
 * returns what follows the match: "" for a setting, ".rest" inside a
 * section. NULL if it does not match. */
static const char *key_match(const char *full, const char *section, size_t seclen,
			     const char *key, size_t keylen)
{
	if (seclen > 0) {
		if (strncmp(full, section, seclen) != 0 || full[seclen] != '.')
			return NULL;
		full += seclen + 1;
	}
	if (strlen(full) < keylen || memcmp(full, key, keylen) != 0)
		return NULL;
	full += keylen;
	return (*full == '\0' || *full == '.') ? full : NULL;
}

/* Walks one mapping whose dotted path is the first seclen bytes of section
 * (a table key). Depth is bounded by the table, whatever the input holds. */
static int walk_mapping(struct yaml_walk *w, const yaml_node_t *map, const char *section,
			size_t seclen)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const struct setting *s = NULL;
		const char *rest = NULL;
		char dotted[128];

		if (k->type != YAML_SCALAR_NODE) {
			snprintf(dotted, sizeof dotted, "%.*s", (int)seclen, section);
			struct origin at = { w->name, k->start_mark.line + 1,
					     seclen ? dotted : "(top level)" };
			return fail(w->err, &at, "keys must be plain strings, not %s",
				    node_kind(k));
		}
		const char *key = scalar_text(k);
		size_t keylen = k->data.scalar.length;
		/* "session.expires_in: 5" is not a way to spell session: {expires_in} */
		bool has_dot = memchr(key, '.', keylen) != NULL;
		for (size_t i = 0; i < N_SETTINGS && !s && !has_dot; i++) {
			rest = key_match(settings[i].key, section, seclen, key, keylen);
			if (rest)
				s = &settings[i];
		}
		if (!s) {
			char shown[80];
			printable_copy(shown, sizeof shown, key, keylen);
			snprintf(dotted, sizeof dotted, "%.*s%s%s", (int)seclen, section,
				 seclen ? "." : "", shown);
			struct origin at = { w->name, k->start_mark.line + 1, dotted };
			return fail(w->err, &at, "unknown key");
		}
		size_t dlen = (size_t)(rest - s->key);
		snprintf(dotted, sizeof dotted, "%.*s", (int)dlen, s->key);
		struct origin at = { w->name, k->start_mark.line + 1, dotted };

		/* earlier keys all matched the table, so this scan stays short */
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *prev = yaml_document_get_node(w->doc, q->key);
			if (prev->data.scalar.length == keylen &&
			    memcmp(scalar_text(prev), key, keylen) == 0)
				return fail(w->err, &at, "duplicate key");
		}

		if (*rest == '\0') {
			struct origin vat = { w->name, v->start_mark.line + 1, dotted };
			if (apply_yaml_value(w, s, v, &vat) != 0)
				return -1;
		} else if (v->type == YAML_MAPPING_NODE) {
			if (walk_mapping(w, v, s->key, dlen) != 0)
				return -1;
		} else if (!yaml_is_null(v)) {
			return fail(w->err, &at, "expected a mapping, got %s", node_kind(v));
		}
	}
	return 0;
}

static void scrub_document(yaml_document_t *doc)
{
	for (yaml_node_t *n = doc->nodes.start; n && n < doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			sodium_memzero(n->data.scalar.value, n->data.scalar.length);
}

/* libyaml copies the input into these buffers; the file may hold the secret. */
static void scrub_parser(yaml_parser_t *parser)
{
	if (parser->raw_buffer.start)
		sodium_memzero(parser->raw_buffer.start,
			       (size_t)(parser->raw_buffer.end - parser->raw_buffer.start));
	if (parser->buffer.start)
		sodium_memzero(parser->buffer.start,
			       (size_t)(parser->buffer.end - parser->buffer.start));
}

static int yaml_syntax_error(const yaml_parser_t *parser, const char *name, char *err)
{
	const char *problem = parser->problem ? parser->problem : "cannot parse";

	if (parser->error == YAML_MEMORY_ERROR)
		return out_of_memory(err);
	if (parser->error == YAML_READER_ERROR) {
		snprintf(err, GH_CONFIG_ERR_MAX, "%s: invalid YAML at byte %zu: %s", name,
			 parser->problem_offset, problem);
		return -1;
	}
	if (parser->context)
		snprintf(err, GH_CONFIG_ERR_MAX, "%s:%zu: invalid YAML: %s %s", name,
			 parser->problem_mark.line + 1, problem, parser->context);
	else
		snprintf(err, GH_CONFIG_ERR_MAX, "%s:%zu: invalid YAML: %s", name,
			 parser->problem_mark.line + 1, problem);
	return -1;
}

static int apply_yaml(struct gh_config *cfg, const char *name, const char *yaml, size_t len,
		      char *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		return out_of_memory(err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_syntax_error(&parser, name, err);
		goto out_parser;
	}

	struct yaml_walk w = { cfg, &doc, name, err };
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || yaml_is_null(root)) {
		rc = 0; /* empty file: defaults only */
	} else if (root->type != YAML_MAPPING_NODE) {
		snprintf(err, GH_CONFIG_ERR_MAX, "%s:%zu: expected a mapping of settings, got %s",
			 name, root->start_mark.line + 1, node_kind(root));
	} else {
		rc = walk_mapping(&w, root, "", 0);
	}

	/* a second document would be silently ignored by a reader of the first */
	if (rc == 0) {
		if (!yaml_parser_load(&parser, &extra)) {
			rc = yaml_syntax_error(&parser, name, err);
		} else {
			yaml_node_t *more = yaml_document_get_root_node(&extra);
			if (more) {
				snprintf(err, GH_CONFIG_ERR_MAX,
					 "%s:%zu: only one YAML document is allowed", name,
					 more->start_mark.line + 1);
				rc = -1;
			}
			scrub_document(&extra);
			yaml_document_delete(&extra);
		}
	}
	scrub_document(&doc);
	yaml_document_delete(&doc);
out_parser:
	scrub_parser(&parser);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---------------------------------------------------------- environment */

static int apply_env_list(struct gh_config *cfg, const struct setting *s, const char *value,
			  const struct origin *at, char *err)
{
	list_clear(cfg, s);
	if (*value == '\0')
		return 0; /* set but empty: an empty list */
	for (;;) {
		size_t len = strcspn(value, ",");
		const char *start = value, *end = value + len;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (list_append(cfg, s, start, (size_t)(end - start), at, err) != 0)
			return -1;
		if (value[len] == '\0')
			return 0;
		value += len + 1;
	}
}

static int apply_env(struct gh_config *cfg, char *const *envp, char *err)
{
	bool seen[N_SETTINGS] = { false };

	for (char *const *e = envp; e && *e; e++) {
		const char *entry = *e;
		const char *eq = strchr(entry, '=');
		const struct setting *s = NULL;
		size_t nlen;
		bool reserved = false;

		if (strncmp(entry, "GATEHOUSE_", 10) != 0 || !eq)
			continue;
		nlen = (size_t)(eq - entry);
		for (size_t i = 0; i < N_SETTINGS && !s; i++)
			if (settings[i].env && strlen(settings[i].env) == nlen &&
			    memcmp(settings[i].env, entry, nlen) == 0)
				s = &settings[i];
		for (size_t r = 0; r < sizeof reserved_env / sizeof reserved_env[0]; r++)
			if (strlen(reserved_env[r]) == nlen && memcmp(reserved_env[r], entry, nlen) == 0)
				reserved = true;
		if (reserved)
			continue;
		if (!s) {
			char shown[80];
			printable_copy(shown, sizeof shown, entry, nlen);
			snprintf(err, GH_CONFIG_ERR_MAX,
				 "%s: unknown variable (no setting has this name)", shown);
			return -1;
		}
		/* like getenv(): the first definition wins */
		if (seen[s - settings])
			continue;
		seen[s - settings] = true;

		struct origin at = { s->env, 0, s->key };
		const char *value = eq + 1;
		int rc = s->kind == KIND_LIST
				 ? apply_env_list(cfg, s, value, &at, err)
				 : apply_scalar(cfg, s, value, strlen(value), *value == '\0', false,
						&at, err);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* --------------------------------------------------- defaults, deriving */

static int default_http_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

static int set_defaults(struct gh_config *cfg, char *err)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen_host = strdup("127.0.0.1");
	cfg->listen_port = 8080;
	cfg->data_dir = strdup("./data");
	cfg->workers = 4;
	cfg->http_threads = default_http_threads();
	cfg->ip_headers[0] = strdup("x-forwarded-for");
	cfg->n_ip_headers = 1;
	cfg->max_body_bytes = 65536;
	cfg->max_header_bytes = 8192;
	cfg->max_connections = 1024;
	cfg->connection_timeout_s = 30;
	cfg->sign_up_enabled = true;
	cfg->password_min_length = 8;
	cfg->password_max_length = 128;
	cfg->argon2_memory_kib = 19456;
	cfg->argon2_iterations = 2;
	cfg->max_concurrent_hashes = 0; /* 0 until derived from workers */
	cfg->lockout_max_attempts = 5;
	cfg->lockout_duration_s = 1800;
	cfg->session_expires_in_s = 604800;
	cfg->session_update_age_s = 86400;
	cfg->session_fresh_age_s = 86400;
	cfg->cookie_cache_enabled = false;
	cfg->cookie_cache_max_age_s = 300;
	cfg->cookie_prefix = strdup("better-auth");
	cfg->log_level = strdup("info");
	if (!cfg->listen_host || !cfg->data_dir || !cfg->ip_headers[0] || !cfg->cookie_prefix ||
	    !cfg->log_level)
		return out_of_memory(err);
	return 0;
}

/* The server's own origin is always trusted (Better-Auth does the same with
 * baseURL): it is appended to trusted_origins unless already listed, so
 * consumers need to look at one list only. */
static int add_base_url_origin(struct gh_config *cfg, char *err)
{
	const char *auth = strstr(cfg->base_url, "://");
	size_t len;
	char *origin;

	if (!auth)
		return 0; /* not reachable: base_url was checked */
	len = (size_t)(auth + 3 - cfg->base_url) + strcspn(auth + 3, "/");
	origin = strndup(cfg->base_url, len);
	if (!origin)
		return out_of_memory(err);
	strip_default_port(origin);
	for (int i = 0; i < cfg->n_trusted_origins; i++) {
		if (strcmp(cfg->trusted_origins[i], origin) == 0) {
			free(origin);
			return 0;
		}
	}
	if (cfg->n_trusted_origins >= GH_MAX_TRUSTED) {
		free(origin);
		snprintf(err, GH_CONFIG_ERR_MAX,
			 "trusted_origins: at most %d entries besides base_url's own origin",
			 GH_MAX_TRUSTED - 1);
		return -1;
	}
	cfg->trusted_origins[cfg->n_trusted_origins++] = origin;
	return 0;
}

/* Defaults that depend on other settings, computed after every override. */
static int derive(struct gh_config *cfg, char *err)
{
	if (!cfg->base_url) {
		bool v6 = strchr(cfg->listen_host, ':') != NULL;
		if (asprintf(&cfg->base_url, "http://%s%s%s:%d", v6 ? "[" : "", cfg->listen_host,
			     v6 ? "]" : "", cfg->listen_port) < 0) {
			cfg->base_url = NULL;
			return out_of_memory(err);
		}
	}
	if (!cfg->database_url) {
		size_t n = strlen(cfg->data_dir);
		bool slash = n > 0 && cfg->data_dir[n - 1] == '/';
		if (asprintf(&cfg->database_url, "sqlite:%s%sgatehouse.db", cfg->data_dir,
			     slash ? "" : "/") < 0) {
			cfg->database_url = NULL;
			return out_of_memory(err);
		}
	}
	if (cfg->max_concurrent_hashes == 0)
		cfg->max_concurrent_hashes = cfg->workers;
	return add_base_url_origin(cfg, err);
}

/* --------------------------------------------------------------- public */

static int read_file(const char *path, char **out, size_t *len, char *err)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, GH_CONFIG_ERR_MAX, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, GH_CONFIG_ERR_MAX, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, GH_CONFIG_ERR_MAX, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return out_of_memory(err);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, GH_CONFIG_ERR_MAX, "%s: cannot read: %s", path,
				 n < 0 ? strerror(errno) : "file shrank while reading");
			sodium_memzero(buf, got);
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int config_load(struct gh_config *cfg, const char *path, char *const *envp,
		char err[GH_CONFIG_ERR_MAX])
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (set_defaults(cfg, err) != 0)
		goto fail;
	if (path) {
		cfg->path = strdup(path);
		if (!cfg->path) {
			out_of_memory(err);
			goto fail;
		}
		if (read_file(path, &text, &len, err) != 0)
			goto fail;
		rc = apply_yaml(cfg, path, text, len, err);
		sodium_memzero(text, len);
		free(text);
		if (rc != 0)
			goto fail;
	}
	if (apply_env(cfg, envp, err) != 0 || derive(cfg, err) != 0)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

int config_load_buffer(struct gh_config *cfg, const char *name, const char *yaml, size_t len,
		       char err[GH_CONFIG_ERR_MAX])
{
	if (!name)
		name = "(buffer)";
	if (set_defaults(cfg, err) != 0 || apply_yaml(cfg, name, yaml, len, err) != 0 ||
	    derive(cfg, err) != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

static int invalid(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int invalid(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, GH_CONFIG_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* Re-checks what parsing already enforces too, because a struct can be built
 * or edited by code (tests, the dev-mode secret) without going through it. */
int config_validate(const struct gh_config *cfg, char err[GH_CONFIG_ERR_MAX])
{
	if (!cfg->listen_host || !*cfg->listen_host || cfg->listen_port < 1 ||
	    cfg->listen_port > 65535)
		return invalid(err, "listen: expected host:port with a port between 1 and 65535");
	if (!cfg->base_url || (strncmp(cfg->base_url, "http://", 7) != 0 &&
			       strncmp(cfg->base_url, "https://", 8) != 0))
		return invalid(err, "base_url: must start with http:// or https://");
	if (!cfg->data_dir || !*cfg->data_dir)
		return invalid(err, "data_dir: must not be empty");
	if (!cfg->database_url || !database_url_ok(cfg->database_url))
		return invalid(err, "database_url: must be sqlite:PATH, postgres://... or "
				    "postgresql://...");
	/* the length only, never the value */
	if (cfg->secret && strlen(cfg->secret) < 32)
		return invalid(err, "secret: must be at least 32 bytes long "
				    "(generate one with: openssl rand -base64 48)");
	if (cfg->workers < 1 || cfg->http_threads < 1 || cfg->max_concurrent_hashes < 1)
		return invalid(err, "workers, http_threads and password.max_concurrent_hashes "
				    "must be at least 1");
	if (cfg->n_trusted_origins < 0 || cfg->n_trusted_origins > GH_MAX_TRUSTED ||
	    cfg->n_trusted_proxies < 0 || cfg->n_trusted_proxies > GH_MAX_TRUSTED ||
	    cfg->n_ip_headers < 0 || cfg->n_ip_headers > (int)(sizeof cfg->ip_headers /
							       sizeof cfg->ip_headers[0]))
		return invalid(err, "trusted_origins/trusted_proxies/ip_headers: too many entries");
	if (cfg->max_body_bytes < 1 || cfg->max_header_bytes < 1024 || cfg->max_connections < 1 ||
	    cfg->connection_timeout_s < 1)
		return invalid(err, "limits: every limit must be positive "
				    "(max_header_bytes at least 1024)");
	if (cfg->password_min_length < 1)
		return invalid(err, "password.min_length: must be at least 1");
	if (cfg->password_max_length > 4096)
		return invalid(err, "password.max_length: must be at most 4096");
	if (cfg->password_min_length > cfg->password_max_length)
		return invalid(err, "password.min_length: must not exceed password.max_length (%d)",
			       cfg->password_max_length);
	if (cfg->argon2_memory_kib < 8)
		return invalid(err, "password.argon2_memory_kib: must be at least 8");
	if (cfg->argon2_iterations < 1)
		return invalid(err, "password.argon2_iterations: must be at least 1");
	if (cfg->lockout_max_attempts < 1 || cfg->lockout_duration_s < 1)
		return invalid(err, "accounts: lockout_max_attempts and lockout_duration must be "
				    "at least 1");
	if (cfg->session_expires_in_s < 1 || cfg->session_update_age_s < 0 ||
	    cfg->session_fresh_age_s < 0 || cfg->cookie_cache_max_age_s < 1)
		return invalid(err, "session: expires_in and cookie_cache.max_age must be positive, "
				    "update_age and fresh_age not negative");
	if (!cfg->cookie_prefix || !is_token(cfg->cookie_prefix))
		return invalid(err, "session.cookie_prefix: must be a valid cookie name");
	if (!cfg->log_level || !log_level_ok(cfg->log_level))
		return invalid(err, "log.level: must be one of debug, info, warn, error");
	return 0;
}

void config_free(struct gh_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->listen_host);
	free(cfg->base_url);
	free(cfg->data_dir);
	free(cfg->database_url);
	free_text(cfg->secret, true);
	for (int i = 0; i < GH_MAX_TRUSTED; i++) {
		free(cfg->trusted_origins[i]);
		free(cfg->trusted_proxies[i]);
	}
	for (size_t i = 0; i < sizeof cfg->ip_headers / sizeof cfg->ip_headers[0]; i++)
		free(cfg->ip_headers[i]);
	free(cfg->cookie_prefix);
	free(cfg->cookie_domain);
	free(cfg->log_level);
	memset(cfg, 0, sizeof *cfg);
}

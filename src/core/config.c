/*
 * config.c — loads struct gh_config: built-in defaults, then one YAML file
 * (libyaml document API), then GATEHOUSE_* variables from the envp array, then
 * derived defaults (base_url from listen, database_url from data_dir,
 * max_concurrent_hashes from workers, login_url from base_url, rate rules'
 * on_redis_failure from the global one). See config.h for the contract and
 * docs/decisions/0005-config-yaml.md for why libyaml.
 *
 * Every setting is one row of `settings[]`: its dotted YAML key, its
 * environment variable (if any), its type, where it lives in the struct, its
 * range and an optional checker that validates and normalises text. The YAML
 * walker and the environment loop both go through that table, so a key and
 * its variable can never disagree on what is accepted. Structured sections
 * (roles, policies, api_keys.static, rate_limits.rules) are KIND_CUSTOM rows
 * whose handlers read lists of mappings field by field; role names they use
 * are checked once the whole file is read, so order in the file is free.
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
 * The secret and static API keys: their copies in struct gh_config are wiped
 * by config_free (so are rejected copies while loading); the file
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

/* The part both URL settings share, in this order: no blanks or controls,
 * (ascii_only) no bytes >= 0x80, an http(s) scheme, none of `forbid`
 * (reported as forbid_why), a valid authority ending at one of `auth_end`.
 * Scheme and host are lowercased. *skip = scheme length with "://",
 * *alen = authority length. */
static const char *check_http_url(char *url, bool ascii_only, const char *forbid,
				  const char *forbid_why, const char *auth_end, size_t *skip,
				  size_t *alen)
{
	if (has_space_or_control(url))
		return "must not contain spaces or control characters";
	for (const char *p = url; ascii_only && *p; p++)
		if ((unsigned char)*p >= 0x80)
			return "must be ASCII (percent-encode other characters)";
	ascii_lower(url, strcspn(url, ":"));
	if (strncmp(url, "http://", 7) == 0)
		*skip = 7;
	else if (strncmp(url, "https://", 8) == 0)
		*skip = 8;
	else
		return "must start with http:// or https://";
	if (strpbrk(url, forbid))
		return forbid_why;
	char *auth = url + *skip;
	*alen = strcspn(auth, auth_end);
	const char *why = authority_problem(auth, *alen, false);
	if (why)
		return why;
	ascii_lower(auth, *alen);
	return NULL;
}

/* http(s)://authority[/path]; scheme and host are lowercased and trailing
 * slashes dropped so that "https://a.test/" and "https://A.test" agree. */
static const char *check_base_url(char *url)
{
	size_t skip, alen;

	const char *why = check_http_url(url, false, "?#", "must not contain a query or fragment",
					 "/", &skip, &alen);
	if (why)
		return why;
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
	bool web =
	    (slen == 4 && strncmp(o, "http", 4) == 0) || (slen == 5 && strncmp(o, "https", 5) == 0);
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
		return "must be 1-64 characters valid in a cookie name (letters, digits, '-', '_', "
		       "...)";
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

/* 1..max characters, each a digit, a lowercase letter, an uppercase one
 * (unless lower_only) or one of `extra`. */
static bool name_ok(const char *s, size_t max, const char *extra, bool lower_only)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		bool ok = is_digit(c) || (c >= 'a' && c <= 'z') ||
			  (!lower_only && c >= 'A' && c <= 'Z') || strchr(extra, c) != NULL;
		if (!ok || n >= max)
			return false;
	}
	return n > 0;
}

#define GH_STR_(x) #x
#define GH_STR(x) GH_STR_(x)
#define ROLE_NAME_RULE "1-32 characters: a-z, 0-9, '_' or '-'"
#define KEY_NAME_RULE "1-64 characters: letters, digits, '_' or '-'"
#define RULE_NAME_RULE "1-64 characters: letters, digits, '_', '.' or '-'"
#define ROLE_UNKNOWN "role is neither built-in (admin, user, readonly) nor defined under roles"

static bool role_name_ok(const char *s)
{
	return name_ok(s, 32, "_-", true);
}

static bool key_name_ok(const char *s)
{
	return name_ok(s, 64, "_-", false);
}

static bool rule_name_ok(const char *s)
{
	return name_ok(s, 64, "_.-", false);
}

static bool is_builtin_role(const char *s)
{
	return strcmp(s, "admin") == 0 || strcmp(s, "user") == 0 || strcmp(s, "readonly") == 0;
}

static bool role_known(const struct gh_config *cfg, const char *role)
{
	if (is_builtin_role(role))
		return true;
	for (int i = 0; i < cfg->n_roles && i < GH_MAX_ROLES; i++)
		if (cfg->roles[i].name && strcmp(cfg->roles[i].name, role) == 0)
			return true;
	return false;
}

static bool perm_char(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* "resource:action" or "resource:*"; with allow_all (role grants), also "*"
 * alone and "*:action". At most
 * 64 characters (API key caches keep permissions in 72-byte slots). */
static const char *permission_problem(const char *p, bool allow_all)
{
	const char *colon = strchr(p, ':'), *q;

	if (allow_all && strcmp(p, "*") == 0)
		return NULL;
	if (strlen(p) > 64)
		return "a permission is at most 64 characters long";
	if (!colon || colon == p || colon[1] == '\0')
		return allow_all ? "expected a permission like resource:action, resource:* or *"
				 : "expected a permission like resource:action or resource:*";
	bool any_resource = colon == p + 1 && p[0] == '*'; /* "*:read" (grants only) */
	if (any_resource && !allow_all)
		return "a required permission names its resource (resource:action)";
	for (q = p; q < colon && !any_resource; q++)
		if (!perm_char(*q))
			return "a permission's resource may contain only letters, digits, '_', '.' "
			       "and '-', or be * in a role";
	if (strcmp(colon + 1, "*") == 0)
		return NULL;
	for (q = colon + 1; *q; q++)
		if (!perm_char(*q))
			return "a permission's action may contain only letters, digits, '_', '.' "
			       "and '-', or be *";
	return NULL;
}

/* A policy or rate-rule path glob, matched against the path without query. */
static const char *glob_path_problem(const char *p)
{
	if (p[0] != '/')
		return "must start with '/'";
	if (strlen(p) > 1024)
		return "must be at most 1024 characters long";
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f)
			return "must not contain spaces or control characters";
		if (c == '?' || c == '#')
			return "must not contain '?' or '#' (paths are matched without the query)";
	}
	return NULL;
}

/* A host glob ("*.example.com"); lowercased. policy.c drops the request's
 * port before matching, so a pattern with a port could never match. */
static const char *check_host_glob(char *h)
{
	size_t n = strlen(h);

	if (n > 253)
		return "must be at most 253 characters long";
	for (size_t i = 0; i < n; i++) {
		if (h[i] == ':')
			return "must not include a port (the request's port is ignored when "
			       "matching)";
		if (!is_alnum(h[i]) && !strchr("-._*", h[i]))
			return "may contain only letters, digits, '-', '_', '.' and '*'";
	}
	ascii_lower(h, n);
	return NULL;
}

/* A static API key's secret. The problem never includes the value. */
static const char *static_key_problem(const char *k)
{
	size_t n = strlen(k);

	if (n < 32)
		return "must be at least 32 characters long";
	if (n > 512)
		return "must be at most 512 characters long";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] <= 0x20 || (unsigned char)k[i] >= 0x7f)
			return "may contain only printable ASCII characters, no spaces";
	return NULL;
}

/* Absolute http(s) URL browsers are sent to; a query is allowed
 * (forward-auth appends "rd=" with '&' then). It goes into Location headers,
 * so it must be ASCII. Scheme and host are lowercased. */
static const char *check_login_url(char *url)
{
	size_t skip, alen;

	return check_http_url(url, true, "#", "must not contain a fragment", "/?", &skip, &alen);
}

/* redis://host:port[/db] (ratelimit.h's form; no credentials, no TLS yet). */
static const char *check_redis_url(char *url)
{
	static const char shape[] = "expected redis://host:port or redis://host:port/db";
	unsigned long long db;

	if (has_space_or_control(url))
		return "must not contain spaces or control characters";
	ascii_lower(url, strcspn(url, ":"));
	if (strncmp(url, "redis://", 8) != 0)
		return "must start with redis:// (redis://host:port or redis://host:port/db)";
	char *auth = url + 8;
	size_t alen = strcspn(auth, "/");
	const char *why = authority_problem(auth, alen, false);
	if (why)
		return why;
	const char *host_end = auth[0] == '[' ? memchr(auth, ']', alen) : auth;
	if (!host_end || !memchr(host_end, ':', alen - (size_t)(host_end - auth)))
		return shape;
	if (auth[alen] == '/' &&
	    !parse_decimal(auth + alen + 1, strlen(auth + alen + 1), 65535, &db))
		return "the database after '/' must be a number between 0 and 65535";
	ascii_lower(auth, alen);
	return NULL;
}

static const char *check_key_prefix(char *prefix)
{
	return name_ok(prefix, 32, "_-", false)
		   ? NULL
		   : "must be 1-32 characters: letters, digits, '_' or '-'";
}

/* ------------------------------------------------------ settings table */

enum kind {
	KIND_STRING,
	KIND_BOOL,
	KIND_INT,    /* int field */
	KIND_UINT,   /* unsigned field */
	KIND_SIZE,   /* size_t field */
	KIND_LIST,   /* char *field[capacity] with an int count */
	KIND_LISTEN, /* host:port into listen_host + listen_port */
	KIND_ENUM,   /* one of `names` into an enum field (its index) */
	KIND_CUSTOM  /* a structured section: `yaml` and `env` functions */
};

struct loader;
struct yaml_walk;
struct setting;

/* Custom sections: the YAML value node (any type) and the environment text. */
typedef int (*yaml_fn)(struct yaml_walk *w, yaml_node_t *v, const struct origin *at);
typedef int (*env_fn)(struct loader *ld, const char *value, const struct origin *at);

struct setting {
	const char *key; /* dotted YAML key */
	const char *env; /* GATEHOUSE_* variable, or NULL */
	enum kind kind;
	size_t offset;
	size_t count_offset;         /* KIND_LIST */
	int capacity;                /* KIND_LIST */
	unsigned long long min, max; /* numbers */
	bool nullable;               /* strings: null / empty means "unset" */
	bool sensitive;              /* wiped before free */
	text_check_fn check;         /* strings and list entries */
	const char *const *names;    /* KIND_ENUM: NULL-terminated, in enum order */
	yaml_fn yaml;                /* KIND_CUSTOM */
	env_fn from_env;             /* KIND_CUSTOM, when it has a variable */
};

#define AT(field) offsetof(struct gh_config, field)
#define STRING(k, e, f, chk)                                                                       \
	{                                                                                          \
		.key = k, .env = e, .kind = KIND_STRING, .offset = AT(f), .check = chk             \
	}
#define OPTIONAL_STRING(k, e, f, chk)                                                              \
	{                                                                                          \
		.key = k, .env = e, .kind = KIND_STRING, .offset = AT(f), .nullable = true,        \
		.check = chk                                                                       \
	}
#define BOOLEAN(k, e, f)                                                                           \
	{                                                                                          \
		.key = k, .env = e, .kind = KIND_BOOL, .offset = AT(f)                             \
	}
#define NUMBER(kd, k, e, f, lo, hi)                                                                \
	{                                                                                          \
		.key = k, .env = e, .kind = kd, .offset = AT(f), .min = lo, .max = hi              \
	}
#define LIST(k, e, f, n, chk)                                                                      \
	{                                                                                          \
		.key = k, .env = e, .kind = KIND_LIST, .offset = AT(f), .count_offset = AT(n),     \
		.capacity = (int)(sizeof(((struct gh_config *)0)->f) / sizeof(char *)),            \
		.check = chk                                                                       \
	}

#define ENUM(k, e, f, list)                                                                        \
	{                                                                                          \
		.key = k, .env = e, .kind = KIND_ENUM, .offset = AT(f), .names = list              \
	}
/* key NULL: an environment variable with no YAML key */
#define CUSTOM(k, e, y, en)                                                                        \
	{                                                                                          \
		.key = k, .env = e, .kind = KIND_CUSTOM, .yaml = y, .from_env = en                 \
	}

/* enum gh_rate_fail, gh_rate_by and gh_rate_scope, in declaration order */
static const char *const rate_fail_names[] = {"local", "open", "closed", NULL};
static const char *const rate_by_names[] = {"ip", "user", "key", "role", "global", NULL};
static const char *const rate_scope_names[] = {"forward", "auth", "all", NULL};

_Static_assert(sizeof(enum gh_rate_fail) == sizeof(int) && sizeof(enum gh_rate_by) == sizeof(int) &&
		   sizeof(enum gh_rate_scope) == sizeof(int),
	       "enum fields are written as int");

static int yaml_roles(struct yaml_walk *w, yaml_node_t *v, const struct origin *at);
static int yaml_policies(struct yaml_walk *w, yaml_node_t *v, const struct origin *at);
static int yaml_static_keys(struct yaml_walk *w, yaml_node_t *v, const struct origin *at);
static int yaml_rate_rules(struct yaml_walk *w, yaml_node_t *v, const struct origin *at);
static int env_primary_key(struct loader *ld, const char *value, const struct origin *at);
static int env_static_keys(struct loader *ld, const char *value, const struct origin *at);

static const struct setting settings[] = {
    {.key = "listen", .env = "GATEHOUSE_LISTEN", .kind = KIND_LISTEN},
    OPTIONAL_STRING("base_url", "GATEHOUSE_BASE_URL", base_url, check_base_url),
    STRING("data_dir", "GATEHOUSE_DATA_DIR", data_dir, check_path),
    OPTIONAL_STRING("database_url", "GATEHOUSE_DATABASE_URL", database_url, check_database_url),
    {.key = "secret",
     .env = "GATEHOUSE_SECRET",
     .kind = KIND_STRING,
     .offset = AT(secret),
     .nullable = true,
     .sensitive = true},
    BOOLEAN("development", "GATEHOUSE_DEV", development),
    NUMBER(KIND_INT, "workers", "GATEHOUSE_WORKERS", workers, 1, 1024),
    NUMBER(KIND_INT, "http_threads", "GATEHOUSE_HTTP_THREADS", http_threads, 1, 1024),
    LIST("trusted_origins", "GATEHOUSE_TRUSTED_ORIGINS", trusted_origins, n_trusted_origins,
	 check_origin),
    LIST("trusted_proxies", "GATEHOUSE_TRUSTED_PROXIES", trusted_proxies, n_trusted_proxies,
	 check_proxy),
    LIST("ip_headers", NULL, ip_headers, n_ip_headers, check_header_name),

    NUMBER(KIND_SIZE, "limits.max_body_bytes", "GATEHOUSE_MAX_BODY_BYTES", max_body_bytes, 1,
	   1ULL << 30),
    NUMBER(KIND_SIZE, "limits.max_header_bytes", NULL, max_header_bytes, 1024, 1ULL << 20),
    NUMBER(KIND_INT, "limits.max_connections", NULL, max_connections, 1, 1000000),
    NUMBER(KIND_INT, "limits.connection_timeout", NULL, connection_timeout_s, 1, 86400),

    BOOLEAN("accounts.sign_up_enabled", "GATEHOUSE_SIGN_UP_ENABLED", sign_up_enabled),
    NUMBER(KIND_INT, "accounts.lockout_max_attempts", "GATEHOUSE_LOCKOUT_MAX_ATTEMPTS",
	   lockout_max_attempts, 1, 1000000),
    NUMBER(KIND_INT, "accounts.lockout_duration", "GATEHOUSE_LOCKOUT_DURATION", lockout_duration_s,
	   1, 31536000),

    NUMBER(KIND_INT, "password.min_length", "GATEHOUSE_PASSWORD_MIN_LENGTH", password_min_length, 1,
	   4096),
    NUMBER(KIND_INT, "password.max_length", NULL, password_max_length, 1, 4096),
    NUMBER(KIND_UINT, "password.argon2_memory_kib", "GATEHOUSE_ARGON2_MEMORY_KIB",
	   argon2_memory_kib, 8, 4194304),
    NUMBER(KIND_UINT, "password.argon2_iterations", "GATEHOUSE_ARGON2_ITERATIONS",
	   argon2_iterations, 1, 1000),
    NUMBER(KIND_INT, "password.max_concurrent_hashes", NULL, max_concurrent_hashes, 1, 1024),

    NUMBER(KIND_INT, "session.expires_in", NULL, session_expires_in_s, 1, TEN_YEARS_S),
    NUMBER(KIND_INT, "session.update_age", NULL, session_update_age_s, 0, TEN_YEARS_S),
    NUMBER(KIND_INT, "session.fresh_age", NULL, session_fresh_age_s, 0, TEN_YEARS_S),
    STRING("session.cookie_prefix", NULL, cookie_prefix, check_cookie_prefix),
    OPTIONAL_STRING("session.cookie_domain", NULL, cookie_domain, check_cookie_domain),
    BOOLEAN("session.cookie_cache.enabled", "GATEHOUSE_COOKIE_CACHE", cookie_cache_enabled),
    NUMBER(KIND_INT, "session.cookie_cache.max_age", NULL, cookie_cache_max_age_s, 1, TEN_YEARS_S),

    STRING("log.level", "GATEHOUSE_LOG_LEVEL", log_level, check_log_level),

    /* roles are read before anything that names one is checked (check_role_refs) */
    CUSTOM("roles", NULL, yaml_roles, NULL),
    CUSTOM("policies", NULL, yaml_policies, NULL),
    OPTIONAL_STRING("login_url", "GATEHOUSE_LOGIN_URL", login_url, check_login_url),

    STRING("api_keys.prefix", "GATEHOUSE_API_KEY_PREFIX", api_key_prefix, check_key_prefix),
    /* before GATEHOUSE_API_KEYS, so "primary" is the first environment key */
    CUSTOM(NULL, "GATEHOUSE_API_KEY", NULL, env_primary_key),
    CUSTOM("api_keys.static", "GATEHOUSE_API_KEYS", yaml_static_keys, env_static_keys),

    BOOLEAN("rate_limits.enabled", "GATEHOUSE_RATE_LIMIT_ENABLED", rate_limit_enabled),
    OPTIONAL_STRING("rate_limits.redis_url", "GATEHOUSE_REDIS_URL", redis_url, check_redis_url),
    ENUM("rate_limits.on_redis_failure", "GATEHOUSE_RATE_LIMIT_REDIS_FAILURE",
	 rate_limit_redis_failure, rate_fail_names),
    BOOLEAN("rate_limits.auth_defaults", "GATEHOUSE_AUTH_RATE_LIMITS", auth_rate_limits_enabled),
    CUSTOM("rate_limits.rules", NULL, yaml_rate_rules, NULL),
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

/* Variables in the GATEHOUSE_ namespace that other parts of the program read
 * (the CLI picks the config file); accepted here, not applied. */
static const char *const reserved_env[] = {"GATEHOUSE_CONFIG"};

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
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

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

/* Index of text (len bytes) in a NULL-terminated list, or -1. */
static int enum_index(const char *const *names, const char *text, size_t len)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == len && memcmp(names[i], text, len) == 0)
			return i;
	return -1;
}

/* "a, b, c" for messages. */
static void join_names(const char *const *names, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && n < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", names[i]);
		if (w < 0)
			return;
		n += (size_t)w;
	}
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
		return fail(err, at,
			    quoted ? "expected true or false, not a quoted string"
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
	case KIND_ENUM: {
		int index = enum_index(s->names, text, is_null ? 0 : len);
		if (index < 0) {
			char hint[128];
			join_names(s->names, hint, sizeof hint);
			return fail(err, at, "must be one of %s", hint);
		}
		memcpy((char *)cfg + s->offset, &index, sizeof index);
		return 0;
	}
	case KIND_LIST:
	case KIND_CUSTOM: break;
	}
	return fail(err, at, "internal error: not a scalar setting");
}

static int list_append(struct gh_config *cfg, const struct setting *s, const char *text, size_t len,
		       const struct origin *at, char *err)
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

/* A role named by a policy, static key or rate rule in the YAML file,
 * checked once the whole file is read (roles may be defined after use). */
struct role_ref {
	const char *role; /* owned by the config */
	const char *file;
	size_t line;
	const char *key;
};

/* State for one config_load / config_load_buffer. */
struct loader {
	struct gh_config *cfg;
	char *err;
	struct role_ref refs[GH_MAX_POLICIES + GH_MAX_STATIC_KEYS + GH_MAX_RATE_RULES];
	int n_refs;
	bool rule_fail_set[GH_MAX_RATE_RULES]; /* on_redis_failure given explicitly */
};

struct yaml_walk {
	struct gh_config *cfg;
	yaml_document_t *doc;
	const char *name;
	char *err;
	struct loader *ld;
};

static bool yaml_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

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
	if (s->kind == KIND_CUSTOM)
		return s->yaml(w, v, at);
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
			struct origin item_at = {w->name, item->start_mark.line + 1, at->key};
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

/* ------------------------------------------ roles, policies, keys, rates */

/* Remembers a role reference for check_role_refs. */
static void add_role_ref(struct yaml_walk *w, const char *role, size_t line, const char *key)
{
	struct loader *ld = w->ld;

	/* one reference per policy, key or rule at most, so it always fits */
	if (ld->n_refs < (int)(sizeof ld->refs / sizeof ld->refs[0]))
		ld->refs[ld->n_refs++] = (struct role_ref){role, w->name, line, key};
}

static int check_role_refs(struct loader *ld)
{
	for (int i = 0; i < ld->n_refs; i++) {
		const struct role_ref *r = &ld->refs[i];
		if (!role_known(ld->cfg, r->role)) {
			struct origin at = {r->file, r->line, r->key};
			return fail(ld->err, &at, ROLE_UNKNOWN);
		}
	}
	ld->n_refs = 0;
	return 0;
}

/* The origin of field `field` of an entry in `section`, at node v. */
static struct origin field_at(const struct yaml_walk *w, const yaml_node_t *v, const char *section,
			      const char *field, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s.%s", section, field);
	return (struct origin){w->name, v->start_mark.line + 1, buf};
}

/* A non-empty scalar, copied. */
static int yaml_string(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
		       char **out)
{
	if (v->type != YAML_SCALAR_NODE)
		return fail(w->err, at, "expected a single value, got %s", node_kind(v));
	if (yaml_is_null(v) || v->data.scalar.length == 0)
		return fail(w->err, at, "must not be empty");
	if (memchr(scalar_text(v), '\0', v->data.scalar.length))
		return fail(w->err, at, "must not contain NUL bytes");
	*out = strndup(scalar_text(v), v->data.scalar.length);
	return *out ? 0 : out_of_memory(w->err);
}

/* A non-empty scalar run through a checker; wiped when sensitive. */
static int yaml_checked_string(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
			       text_check_fn check, bool sensitive, char **out)
{
	char *copy;

	if (yaml_string(w, v, at, &copy) != 0)
		return -1;
	const char *why = check(copy);
	if (why) {
		free_text(copy, sensitive);
		return fail(w->err, at, "%s", why);
	}
	*out = copy;
	return 0;
}

static int yaml_integer(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
			unsigned long long min, unsigned long long max, long long *out)
{
	unsigned long long n;

	if (v->type != YAML_SCALAR_NODE)
		return fail(w->err, at, "expected a single value, got %s", node_kind(v));
	if (v->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    v->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		return fail(w->err, at, "expected an integer, not a quoted string");
	if (yaml_is_null(v) || !parse_decimal(scalar_text(v), v->data.scalar.length, max, &n) ||
	    n < min)
		return fail(w->err, at, "must be an integer between %llu and %llu", min, max);
	*out = (long long)n;
	return 0;
}

static int yaml_enum(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
		     const char *const *names, int *out)
{
	char hint[128];

	if (v->type != YAML_SCALAR_NODE)
		return fail(w->err, at, "expected a single value, got %s", node_kind(v));
	*out = enum_index(names, scalar_text(v), yaml_is_null(v) ? 0 : v->data.scalar.length);
	if (*out >= 0)
		return 0;
	join_names(names, hint, sizeof hint);
	return fail(w->err, at, "must be one of %s", hint);
}

/* A role name given in a policy, key or rule: syntax now, existence later. */
static int yaml_role_ref(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
			 const char *key, char **out)
{
	if (yaml_string(w, v, at, out) != 0)
		return -1;
	if (!role_name_ok(*out))
		return fail(w->err, at, "a role name is " ROLE_NAME_RULE);
	add_role_ref(w, *out, at->line, key);
	return 0;
}

/* A list of permissions into perms/n (cleared first). */
static int yaml_permissions(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
			    bool allow_empty, char **perms, int *n)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(w->err, at, "expected a list of permissions, got %s",
			    yaml_is_null(v) ? "nothing" : node_kind(v));
	if (!allow_empty && v->data.sequence.items.start == v->data.sequence.items.top)
		return fail(w->err, at,
			    "must not be an empty list (leave it out to use the "
			    "role's permissions)");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, *it);
		struct origin item_at = {w->name, item->start_mark.line + 1, at->key};
		char *perm;
		if (*n >= GH_MAX_PERMS)
			return fail(w->err, &item_at, "at most %d permissions are allowed",
				    GH_MAX_PERMS);
		if (item->type != YAML_SCALAR_NODE || yaml_is_null(item))
			return fail(w->err, &item_at,
				    "permissions must be strings like resource:action");
		if (yaml_string(w, item, &item_at, &perm) != 0)
			return -1;
		const char *why = permission_problem(perm, true);
		if (why) {
			free(perm);
			return fail(w->err, &item_at, "%s", why);
		}
		perms[(*n)++] = perm;
	}
	return 0;
}

/* Reads a list entry that must be a mapping of the given fields: vals[i] is
 * the value node of names[i], NULL when absent. */
static int item_fields(struct yaml_walk *w, const yaml_node_t *item, const char *section,
		       const char *const *names, size_t n, yaml_node_t **vals)
{
	char dotted[128];

	for (size_t i = 0; i < n; i++)
		vals[i] = NULL;
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		size_t i;
		if (k->type != YAML_SCALAR_NODE) {
			struct origin at = {w->name, k->start_mark.line + 1, section};
			return fail(w->err, &at, "keys must be plain strings, not %s",
				    node_kind(k));
		}
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == k->data.scalar.length &&
			    memcmp(names[i], scalar_text(k), k->data.scalar.length) == 0)
				break;
		if (i == n) {
			char shown[80];
			printable_copy(shown, sizeof shown, scalar_text(k), k->data.scalar.length);
			snprintf(dotted, sizeof dotted, "%s.%s", section, shown);
			struct origin at = {w->name, k->start_mark.line + 1, dotted};
			return fail(w->err, &at, "unknown key");
		}
		snprintf(dotted, sizeof dotted, "%s.%s", section, names[i]);
		struct origin at = {w->name, k->start_mark.line + 1, dotted};
		if (vals[i])
			return fail(w->err, &at, "duplicate key");
		vals[i] = yaml_document_get_node(w->doc, p->value);
	}
	return 0;
}

/* The list of mappings under a section: null = none; else each entry is
 * checked to be a mapping and handed to one(). */
static int yaml_entries(struct yaml_walk *w, yaml_node_t *v, const struct origin *at,
			const char *what, int *count, int capacity,
			int (*one)(struct yaml_walk *w, const yaml_node_t *item, size_t line))
{
	if (yaml_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(w->err, at, "expected a list, got %s", node_kind(v));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, *it);
		struct origin item_at = {w->name, item->start_mark.line + 1, at->key};
		if (item->type != YAML_MAPPING_NODE)
			return fail(w->err, &item_at, "list entries must be mappings (%s)", what);
		if (*count >= capacity)
			return fail(w->err, &item_at, "at most %d entries are allowed", capacity);
		if (one(w, item, item->start_mark.line + 1) != 0)
			return -1;
	}
	return 0;
}

/* roles: {name: [permission, ...], ...} */
static int yaml_roles(struct yaml_walk *w, yaml_node_t *v, const struct origin *at)
{
	struct gh_config *cfg = w->cfg;

	if (yaml_is_null(v))
		return 0;
	if (v->type != YAML_MAPPING_NODE)
		return fail(w->err, at,
			    "expected a mapping of role names to permission lists, "
			    "got %s",
			    node_kind(v));
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		struct origin key_at = {w->name, k->start_mark.line + 1, "roles"};
		char dotted[64];
		char *name;
		if (k->type != YAML_SCALAR_NODE)
			return fail(w->err, &key_at, "keys must be plain strings, not %s",
				    node_kind(k));
		if (yaml_string(w, k, &key_at, &name) != 0)
			return -1;
		if (!role_name_ok(name)) {
			free(name);
			return fail(w->err, &key_at, "a role name is " ROLE_NAME_RULE);
		}
		snprintf(dotted, sizeof dotted, "roles.%s", name);
		key_at.key = dotted;
		const char *why = is_builtin_role(name)
				      ? "built-in roles (admin, user, readonly) cannot be redefined"
				  : role_known(cfg, name) ? "duplicate key"
				  : cfg->n_roles >= GH_MAX_ROLES
				      ? "at most " GH_STR(GH_MAX_ROLES) " roles are allowed"
				      : NULL;
		if (why) {
			free(name);
			return fail(w->err, &key_at, "%s", why);
		}
		struct gh_role_def *r = &cfg->roles[cfg->n_roles++];
		r->name = name;
		yaml_node_t *perms = yaml_document_get_node(w->doc, p->value);
		struct origin perms_at = {w->name, perms->start_mark.line + 1, dotted};
		if (yaml_permissions(w, perms, &perms_at, true, r->permissions,
				     &r->n_permissions) != 0)
			return -1;
	}
	return 0;
}

/* HTTP methods as enum gh_method bits. Duplicated from src/http/server.h so
 * that the config does not depend on the HTTP layer; tests/unit/test_config.c
 * checks that the two agree. */
static const struct {
	const char *name;
	unsigned bit;
} http_methods[] = {{"GET", 1},     {"HEAD", 2},   {"POST", 4},    {"PUT", 8},
		    {"DELETE", 16}, {"PATCH", 32}, {"OPTIONS", 64}};

static int yaml_methods(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
			unsigned *mask)
{
	*mask = 0;
	if (yaml_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(w->err, at, "expected a list of HTTP methods, got %s", node_kind(v));
	if (v->data.sequence.items.start == v->data.sequence.items.top)
		return fail(w->err, at, "must not be an empty list (leave it out for any method)");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, *it);
		struct origin item_at = {w->name, item->start_mark.line + 1, at->key};
		size_t i = 0;
		if (item->type == YAML_SCALAR_NODE)
			for (; i < sizeof http_methods / sizeof http_methods[0]; i++)
				if (strlen(http_methods[i].name) == item->data.scalar.length &&
				    memcmp(http_methods[i].name, scalar_text(item),
					   item->data.scalar.length) == 0)
					break;
		if (item->type != YAML_SCALAR_NODE ||
		    i == sizeof http_methods / sizeof http_methods[0])
			return fail(w->err, &item_at,
				    "methods are GET, HEAD, POST, PUT, DELETE, PATCH or OPTIONS");
		if (*mask & http_methods[i].bit)
			return fail(w->err, &item_at, "a method is listed twice");
		*mask |= http_methods[i].bit;
	}
	return 0;
}

static int yaml_access(struct yaml_walk *w, const yaml_node_t *v, const struct origin *at,
		       struct gh_policy_rule *r)
{
	static const struct {
		const char *name;
		enum gh_access access;
	} simple[] = {{"public", GH_ACCESS_PUBLIC},
		      {"optional", GH_ACCESS_OPTIONAL},
		      {"authenticated", GH_ACCESS_AUTHENTICATED},
		      {"deny", GH_ACCESS_DENY}};
	char *text;

	if (yaml_string(w, v, at, &text) != 0)
		return -1;
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		if (strcmp(text, simple[i].name) == 0) {
			free(text);
			r->access = simple[i].access;
			return 0;
		}
	}
	if (strncmp(text, "role:", 5) == 0) {
		bool ok = role_name_ok(text + 5);
		r->arg = ok ? strdup(text + 5) : NULL;
		free(text);
		if (!ok)
			return fail(w->err, at, "role:<name> needs a role name of " ROLE_NAME_RULE);
		if (!r->arg)
			return out_of_memory(w->err);
		r->access = GH_ACCESS_ROLE;
		add_role_ref(w, r->arg, at->line, "policies.access");
		return 0;
	}
	if (strncmp(text, "permission:", 11) == 0) {
		const char *why = permission_problem(text + 11, false);
		r->arg = why ? NULL : strdup(text + 11);
		free(text);
		if (why)
			return fail(w->err, at, "permission:<resource>:<action>: %s", why);
		if (!r->arg)
			return out_of_memory(w->err);
		r->access = GH_ACCESS_PERMISSION;
		return 0;
	}
	free(text);
	return fail(w->err, at,
		    "must be public, optional, authenticated, deny, role:<name> or "
		    "permission:<resource>:<action>");
}

static const char *check_glob_path(char *path)
{
	return glob_path_problem(path);
}

static int yaml_policy(struct yaml_walk *w, const yaml_node_t *item, size_t line)
{
	enum { PATH, HOST, METHODS, ACCESS, N };
	static const char *const names[N] = {"path", "host", "methods", "access"};
	yaml_node_t *vals[N];
	struct gh_policy_rule *r = &w->cfg->policies[w->cfg->n_policies++];
	struct origin at;
	char dotted[64];

	r->line = (int)line;
	if (item_fields(w, item, "policies", names, N, vals) != 0)
		return -1;
	at = (struct origin){w->name, line, "policies"};
	if (!vals[PATH])
		return fail(w->err, &at, "each rule needs a path");
	if (!vals[ACCESS])
		return fail(w->err, &at,
			    "each rule needs access (public, optional, authenticated, "
			    "deny, role:<name> or permission:<resource>:<action>)");
	at = field_at(w, vals[PATH], "policies", names[PATH], dotted, sizeof dotted);
	if (yaml_checked_string(w, vals[PATH], &at, check_glob_path, false, &r->path) != 0)
		return -1;
	if (vals[HOST] && !yaml_is_null(vals[HOST])) {
		at = field_at(w, vals[HOST], "policies", names[HOST], dotted, sizeof dotted);
		if (yaml_checked_string(w, vals[HOST], &at, check_host_glob, false, &r->host) != 0)
			return -1;
	}
	if (vals[METHODS]) {
		at = field_at(w, vals[METHODS], "policies", names[METHODS], dotted, sizeof dotted);
		if (yaml_methods(w, vals[METHODS], &at, &r->methods) != 0)
			return -1;
	}
	at = field_at(w, vals[ACCESS], "policies", names[ACCESS], dotted, sizeof dotted);
	return yaml_access(w, vals[ACCESS], &at, r);
}

static int yaml_policies(struct yaml_walk *w, yaml_node_t *v, const struct origin *at)
{
	return yaml_entries(w, v, at, "path, host, methods, access", &w->cfg->n_policies,
			    GH_MAX_POLICIES, yaml_policy);
}

/* Name and key of static key `i` must differ from every earlier one's. */
static const char *static_key_clash(const struct gh_config *cfg, int i)
{
	const struct gh_static_key *k = &cfg->static_keys[i];

	for (int j = 0; j < i; j++) {
		if (strcmp(cfg->static_keys[j].name, k->name) == 0)
			return "name is already used by another static key";
		if (strcmp(cfg->static_keys[j].key, k->key) == 0)
			return "key is the same as another static key's";
	}
	return NULL;
}

static const char *check_key_name(char *name)
{
	return key_name_ok(name) ? NULL : "a key name is " KEY_NAME_RULE;
}

static const char *check_static_key(char *key)
{
	return static_key_problem(key);
}

static int yaml_static_key(struct yaml_walk *w, const yaml_node_t *item, size_t line)
{
	enum { NAME, KEY, ROLE, PERMISSIONS, N };
	static const char *const names[N] = {"name", "key", "role", "permissions"};
	static const char section[] = "api_keys.static";
	yaml_node_t *vals[N];
	struct gh_config *cfg = w->cfg;
	int index = cfg->n_static_keys;
	struct gh_static_key *k = &cfg->static_keys[cfg->n_static_keys++];
	struct origin at;
	char dotted[64];

	if (item_fields(w, item, section, names, N, vals) != 0)
		return -1;
	at = (struct origin){w->name, line, section};
	if (!vals[NAME] || !vals[KEY])
		return fail(w->err, &at, "each static key needs a name and a key");
	at = field_at(w, vals[NAME], section, names[NAME], dotted, sizeof dotted);
	if (yaml_checked_string(w, vals[NAME], &at, check_key_name, false, &k->name) != 0)
		return -1;
	at = field_at(w, vals[KEY], section, names[KEY], dotted, sizeof dotted);
	if (yaml_checked_string(w, vals[KEY], &at, check_static_key, true, &k->key) != 0)
		return -1;
	const char *clash = static_key_clash(cfg, index);
	if (clash) {
		at = (struct origin){w->name, line, section};
		return fail(w->err, &at, "%s", clash);
	}
	if (vals[ROLE]) {
		at = field_at(w, vals[ROLE], section, names[ROLE], dotted, sizeof dotted);
		if (yaml_role_ref(w, vals[ROLE], &at, "api_keys.static.role", &k->role) != 0)
			return -1;
	} else if (!(k->role = strdup("user"))) {
		return out_of_memory(w->err);
	}
	if (vals[PERMISSIONS]) {
		at = field_at(w, vals[PERMISSIONS], section, names[PERMISSIONS], dotted,
			      sizeof dotted);
		if (yaml_permissions(w, vals[PERMISSIONS], &at, false, k->permissions,
				     &k->n_permissions) != 0)
			return -1;
	}
	return 0;
}

static int yaml_static_keys(struct yaml_walk *w, yaml_node_t *v, const struct origin *at)
{
	return yaml_entries(w, v, at, "name, key, role, permissions", &w->cfg->n_static_keys,
			    GH_MAX_STATIC_KEYS, yaml_static_key);
}

static const char *check_rule_name(char *name)
{
	return rule_name_ok(name) ? NULL : "a rule name is " RULE_NAME_RULE;
}

static int yaml_rate_rule(struct yaml_walk *w, const yaml_node_t *item, size_t line)
{
	enum { NAME, BY, SCOPE, PATH, ROLE, LIMIT, WINDOW, ON_FAILURE, N };
	static const char *const names[N] = {"name", "by",    "scope",  "path",
					     "role", "limit", "window", "on_redis_failure"};
	static const char section[] = "rate_limits.rules";
	yaml_node_t *vals[N];
	struct gh_config *cfg = w->cfg;
	int index = cfg->n_rate_rules;
	struct gh_rate_rule *r = &cfg->rate_rules[cfg->n_rate_rules++];
	struct origin at;
	char dotted[64];
	int e;

	r->line = (int)line;
	if (item_fields(w, item, section, names, N, vals) != 0)
		return -1;
	at = (struct origin){w->name, line, section};
	if (!vals[NAME] || !vals[BY] || !vals[LIMIT] || !vals[WINDOW])
		return fail(w->err, &at, "each rule needs name, by, limit and window");
	at = field_at(w, vals[NAME], section, names[NAME], dotted, sizeof dotted);
	if (yaml_checked_string(w, vals[NAME], &at, check_rule_name, false, &r->name) != 0)
		return -1;
	for (int j = 0; j < index; j++)
		if (strcmp(cfg->rate_rules[j].name, r->name) == 0)
			return fail(w->err, &at, "another rule has the same name");
	at = field_at(w, vals[BY], section, names[BY], dotted, sizeof dotted);
	if (yaml_enum(w, vals[BY], &at, rate_by_names, &e) != 0)
		return -1;
	r->by = (enum gh_rate_by)e;
	if (vals[SCOPE]) {
		at = field_at(w, vals[SCOPE], section, names[SCOPE], dotted, sizeof dotted);
		if (yaml_enum(w, vals[SCOPE], &at, rate_scope_names, &e) != 0)
			return -1;
		r->scope = (enum gh_rate_scope)e;
	}
	if (vals[PATH] && !yaml_is_null(vals[PATH])) {
		at = field_at(w, vals[PATH], section, names[PATH], dotted, sizeof dotted);
		if (yaml_checked_string(w, vals[PATH], &at, check_glob_path, false, &r->path) != 0)
			return -1;
	}
	if (vals[ROLE] && !yaml_is_null(vals[ROLE])) {
		at = field_at(w, vals[ROLE], section, names[ROLE], dotted, sizeof dotted);
		if (yaml_role_ref(w, vals[ROLE], &at, "rate_limits.rules.role", &r->role) != 0)
			return -1;
	}
	if (r->by == GH_RATE_BY_ROLE && !r->role) {
		at = field_at(w, vals[BY], section, names[BY], dotted, sizeof dotted);
		return fail(w->err, &at, "a rule counted by role needs a role");
	}
	at = field_at(w, vals[LIMIT], section, names[LIMIT], dotted, sizeof dotted);
	if (yaml_integer(w, vals[LIMIT], &at, 1, 1000000000, &r->limit) != 0)
		return -1;
	at = field_at(w, vals[WINDOW], section, names[WINDOW], dotted, sizeof dotted);
	if (yaml_integer(w, vals[WINDOW], &at, 1, 31536000, &r->window_s) != 0)
		return -1;
	if (vals[ON_FAILURE]) {
		at = field_at(w, vals[ON_FAILURE], section, names[ON_FAILURE], dotted,
			      sizeof dotted);
		if (yaml_enum(w, vals[ON_FAILURE], &at, rate_fail_names, &e) != 0)
			return -1;
		r->on_redis_failure = (enum gh_rate_fail)e;
		w->ld->rule_fail_set[index] = true;
	}
	return 0;
}

static int yaml_rate_rules(struct yaml_walk *w, yaml_node_t *v, const struct origin *at)
{
	return yaml_entries(w, v, at,
			    "name, by, scope, path, role, limit, window, on_redis_failure",
			    &w->cfg->n_rate_rules, GH_MAX_RATE_RULES, yaml_rate_rule);
}

/* If table key `full` is section + "." + key (or key at the top level),
 * returns what follows the match: "" for a setting, ".rest" inside a
 * section. NULL if it does not match. */
static const char *key_match(const char *full, const char *section, size_t seclen, const char *key,
			     size_t keylen)
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
			struct origin at = {w->name, k->start_mark.line + 1,
					    seclen ? dotted : "(top level)"};
			return fail(w->err, &at, "keys must be plain strings, not %s",
				    node_kind(k));
		}
		const char *key = scalar_text(k);
		size_t keylen = k->data.scalar.length;
		/* "session.expires_in: 5" is not a way to spell session: {expires_in} */
		bool has_dot = memchr(key, '.', keylen) != NULL;
		for (size_t i = 0; i < N_SETTINGS && !s && !has_dot; i++) {
			if (!settings[i].key)
				continue; /* environment only */
			rest = key_match(settings[i].key, section, seclen, key, keylen);
			if (rest)
				s = &settings[i];
		}
		if (!s) {
			char shown[80];
			printable_copy(shown, sizeof shown, key, keylen);
			snprintf(dotted, sizeof dotted, "%.*s%s%s", (int)seclen, section,
				 seclen ? "." : "", shown);
			struct origin at = {w->name, k->start_mark.line + 1, dotted};
			return fail(w->err, &at, "unknown key");
		}
		size_t dlen = (size_t)(rest - s->key);
		snprintf(dotted, sizeof dotted, "%.*s", (int)dlen, s->key);
		struct origin at = {w->name, k->start_mark.line + 1, dotted};

		/* earlier keys all matched the table, so this scan stays short */
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *prev = yaml_document_get_node(w->doc, q->key);
			if (prev->data.scalar.length == keylen &&
			    memcmp(scalar_text(prev), key, keylen) == 0)
				return fail(w->err, &at, "duplicate key");
		}

		if (*rest == '\0') {
			struct origin vat = {w->name, v->start_mark.line + 1, dotted};
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

static int apply_yaml(struct loader *ld, const char *name, const char *yaml, size_t len)
{
	struct gh_config *cfg = ld->cfg;
	char *err = ld->err;
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

	struct yaml_walk w = {cfg, &doc, name, err, ld};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || yaml_is_null(root)) {
		rc = 0; /* empty file: defaults only */
	} else if (root->type != YAML_MAPPING_NODE) {
		snprintf(err, GH_CONFIG_ERR_MAX, "%s:%zu: expected a mapping of settings, got %s",
			 name, root->start_mark.line + 1, node_kind(root));
	} else {
		rc = walk_mapping(&w, root, "", 0);
		if (rc == 0)
			rc = check_role_refs(ld);
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

/* Appends one static key from the environment (already split). `entry` is
 * its 1-based position in GATEHOUSE_API_KEYS, 0 for GATEHOUSE_API_KEY.
 * Messages name the entry, never its key. Every role is known by now: roles
 * come from the YAML file only. */
static int add_env_key(struct loader *ld, const struct origin *at, int entry, const char *name,
		       size_t nlen, const char *key, size_t klen, const char *role, size_t rlen)
{
	struct gh_config *cfg = ld->cfg;
	char where[32] = "";
	const char *why;

	if (entry > 0)
		snprintf(where, sizeof where, "entry %d: ", entry);
	if (cfg->n_static_keys >= GH_MAX_STATIC_KEYS)
		return fail(ld->err, at,
			    "%sat most %d static keys are allowed (file and "
			    "environment together)",
			    where, GH_MAX_STATIC_KEYS);
	int index = cfg->n_static_keys;
	struct gh_static_key *k = &cfg->static_keys[cfg->n_static_keys++];
	k->name = strndup(name, nlen);
	k->key = strndup(key, klen);
	k->role = strndup(role, rlen);
	if (!k->name || !k->key || !k->role)
		return out_of_memory(ld->err);
	if (!key_name_ok(k->name))
		return fail(ld->err, at, "%sa key name is " KEY_NAME_RULE, where);
	if ((why = static_key_problem(k->key)))
		return fail(ld->err, at, "%skey %s", where, why);
	if (!role_name_ok(k->role) || !role_known(cfg, k->role))
		return fail(ld->err, at, "%s" ROLE_UNKNOWN, where);
	if ((why = static_key_clash(cfg, index)))
		return fail(ld->err, at, "%s%s", where, why);
	return 0;
}

/* GATEHOUSE_API_KEY: seed 002's simple mode, one admin key named primary. */
static int env_primary_key(struct loader *ld, const char *value, const struct origin *at)
{
	if (*value == '\0')
		return 0; /* set but empty: no key */
	return add_env_key(ld, at, 0, "primary", 7, value, strlen(value), "admin", 5);
}

/* GATEHOUSE_API_KEYS: "name:key[:role]" entries separated by ';', appended to
 * the file's static keys. */
static int env_static_keys(struct loader *ld, const char *value, const struct origin *at)
{
	static const char shape[] = "entry %d: expected name:key or name:key:role";

	for (int entry = 1; *value; entry++) {
		size_t len = strcspn(value, ";");
		const char *start = value, *end = value + len;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (start == end)
			return fail(ld->err, at, "entry %d is empty", entry);
		const char *c1 = memchr(start, ':', (size_t)(end - start));
		if (!c1)
			return fail(ld->err, at, shape, entry);
		const char *c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
		const char *key_end = c2 ? c2 : end;
		if (c2 && (c2 + 1 == end || memchr(c2 + 1, ':', (size_t)(end - c2 - 1))))
			return fail(ld->err, at, shape, entry);
		const char *role = c2 ? c2 + 1 : "user";
		size_t rlen = c2 ? (size_t)(end - c2 - 1) : 4;
		if (add_env_key(ld, at, entry, start, (size_t)(c1 - start), c1 + 1,
				(size_t)(key_end - c1 - 1), role, rlen) != 0)
			return -1;
		if (value[len] == '\0')
			break;
		value += len + 1;
		if (*value == '\0')
			return fail(ld->err, at, "entry %d is empty", entry + 1);
	}
	return 0;
}

/* Variables are applied in table order, not in the order of envp, so that
 * GATEHOUSE_API_KEY's "primary" always precedes GATEHOUSE_API_KEYS' keys. */
static int apply_env(struct loader *ld, char *const *envp)
{
	struct gh_config *cfg = ld->cfg;
	char *err = ld->err;
	const char *values[N_SETTINGS] = {NULL};

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
			if (strlen(reserved_env[r]) == nlen &&
			    memcmp(reserved_env[r], entry, nlen) == 0)
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
		if (!values[s - settings])
			values[s - settings] = eq + 1;
	}

	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *value = values[i];
		int rc;

		if (!value)
			continue;
		struct origin at = {s->env, 0, s->key};
		if (s->kind == KIND_CUSTOM)
			rc = s->from_env(ld, value, &at);
		else if (s->kind == KIND_LIST)
			rc = apply_env_list(cfg, s, value, &at, err);
		else
			rc = apply_scalar(cfg, s, value, strlen(value), *value == '\0', false, &at,
					  err);
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
	cfg->api_key_prefix = strdup("gh_");
	cfg->rate_limit_enabled = true;
	cfg->rate_limit_redis_failure = GH_RATE_FAIL_LOCAL;
	cfg->auth_rate_limits_enabled = true;
	if (!cfg->listen_host || !cfg->data_dir || !cfg->ip_headers[0] || !cfg->cookie_prefix ||
	    !cfg->log_level || !cfg->api_key_prefix)
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
static int derive(struct loader *ld)
{
	struct gh_config *cfg = ld->cfg;
	char *err = ld->err;

	/* a rule without its own on_redis_failure follows the global one, which
	 * the environment may have changed after the file was read */
	for (int i = 0; i < cfg->n_rate_rules; i++)
		if (!ld->rule_fail_set[i])
			cfg->rate_rules[i].on_redis_failure = cfg->rate_limit_redis_failure;
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
	if (!cfg->login_url && asprintf(&cfg->login_url, "%s/sign-in", cfg->base_url) < 0) {
		cfg->login_url = NULL;
		return out_of_memory(err);
	}
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
	struct loader ld = {.cfg = cfg, .err = err};

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
		rc = apply_yaml(&ld, path, text, len);
		sodium_memzero(text, len);
		free(text);
		if (rc != 0)
			goto fail;
	}
	if (apply_env(&ld, envp) != 0 || derive(&ld) != 0)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

int config_load_buffer(struct gh_config *cfg, const char *name, const char *yaml, size_t len,
		       char err[GH_CONFIG_ERR_MAX])
{
	struct loader ld = {.cfg = cfg, .err = err};

	if (!name)
		name = "(buffer)";
	if (set_defaults(cfg, err) != 0 || apply_yaml(&ld, name, yaml, len) != 0 ||
	    derive(&ld) != 0) {
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

/* Roles, policies, static keys and rate rules, re-checked as in parsing.
 * Static keys' lengths are not: app.c wipes the secrets once hashed. */
static int validate_access_rules(const struct gh_config *cfg, char *err)
{
	if (cfg->n_roles < 0 || cfg->n_roles > GH_MAX_ROLES)
		return invalid(err, "roles: at most %d roles are allowed", GH_MAX_ROLES);
	if (cfg->n_policies < 0 || cfg->n_policies > GH_MAX_POLICIES)
		return invalid(err, "policies: at most %d entries are allowed", GH_MAX_POLICIES);
	if (cfg->n_static_keys < 0 || cfg->n_static_keys > GH_MAX_STATIC_KEYS)
		return invalid(err, "api_keys.static: at most %d entries are allowed",
			       GH_MAX_STATIC_KEYS);
	if (cfg->n_rate_rules < 0 || cfg->n_rate_rules > GH_MAX_RATE_RULES)
		return invalid(err, "rate_limits.rules: at most %d entries are allowed",
			       GH_MAX_RATE_RULES);

	for (int i = 0; i < cfg->n_roles; i++) {
		const struct gh_role_def *r = &cfg->roles[i];
		if (!r->name || !role_name_ok(r->name) || is_builtin_role(r->name))
			return invalid(err,
				       "roles[%d]: a role name is " ROLE_NAME_RULE
				       " and not admin, user or readonly",
				       i);
		for (int j = 0; j < i; j++)
			if (strcmp(cfg->roles[j].name, r->name) == 0)
				return invalid(err, "roles[%d]: defined twice", i);
		if (r->n_permissions < 0 || r->n_permissions > GH_MAX_PERMS)
			return invalid(err, "roles[%d]: at most %d permissions are allowed", i,
				       GH_MAX_PERMS);
		for (int p = 0; p < r->n_permissions; p++)
			if (!r->permissions[p] || permission_problem(r->permissions[p], true))
				return invalid(err, "roles[%d]: permission %d is malformed", i, p);
	}

	for (int i = 0; i < cfg->n_policies; i++) {
		const struct gh_policy_rule *r = &cfg->policies[i];
		if (!r->path || glob_path_problem(r->path))
			return invalid(err, "policies[%d] (line %d): path must start with '/'", i,
				       r->line);
		if (r->methods & ~127u)
			return invalid(err, "policies[%d] (line %d): unknown method bits", i,
				       r->line);
		switch (r->access) {
		case GH_ACCESS_PUBLIC:
		case GH_ACCESS_OPTIONAL:
		case GH_ACCESS_AUTHENTICATED:
		case GH_ACCESS_DENY: break;
		case GH_ACCESS_ROLE:
			if (!r->arg || !role_known(cfg, r->arg))
				return invalid(err, "policies[%d] (line %d): access: " ROLE_UNKNOWN,
					       i, r->line);
			break;
		case GH_ACCESS_PERMISSION:
			if (!r->arg || permission_problem(r->arg, false))
				return invalid(err,
					       "policies[%d] (line %d): access: malformed "
					       "permission",
					       i, r->line);
			break;
		default: return invalid(err, "policies[%d] (line %d): unknown access", i, r->line);
		}
	}

	for (int i = 0; i < cfg->n_static_keys; i++) {
		const struct gh_static_key *k = &cfg->static_keys[i];
		if (!k->name || !key_name_ok(k->name) || !k->key)
			return invalid(
			    err, "api_keys.static[%d]: needs a name (" KEY_NAME_RULE ") and a key",
			    i);
		for (int j = 0; j < i; j++)
			if (strcmp(cfg->static_keys[j].name, k->name) == 0)
				return invalid(err,
					       "api_keys.static[%d]: name is already used by "
					       "another static key",
					       i);
		if (k->role && !role_known(cfg, k->role))
			return invalid(err, "api_keys.static[%d]: " ROLE_UNKNOWN, i);
		if (k->n_permissions < 0 || k->n_permissions > GH_MAX_PERMS)
			return invalid(err,
				       "api_keys.static[%d]: at most %d permissions are allowed", i,
				       GH_MAX_PERMS);
		for (int p = 0; p < k->n_permissions; p++)
			if (!k->permissions[p] || permission_problem(k->permissions[p], true))
				return invalid(
				    err, "api_keys.static[%d]: permission %d is malformed", i, p);
	}

	for (int i = 0; i < cfg->n_rate_rules; i++) {
		const struct gh_rate_rule *r = &cfg->rate_rules[i];
		if (!r->name || !rule_name_ok(r->name))
			return invalid(
			    err, "rate_limits.rules[%d] (line %d): a rule name is " RULE_NAME_RULE,
			    i, r->line);
		for (int j = 0; j < i; j++)
			if (strcmp(cfg->rate_rules[j].name, r->name) == 0)
				return invalid(err,
					       "rate_limits.rules[%d] (line %d): another rule "
					       "has the same name",
					       i, r->line);
		if ((unsigned)r->by > GH_RATE_BY_GLOBAL || (unsigned)r->scope > GH_RATE_SCOPE_ALL ||
		    (unsigned)r->on_redis_failure > GH_RATE_FAIL_CLOSED)
			return invalid(err,
				       "rate_limits.rules[%d] (line %d): by, scope or "
				       "on_redis_failure out of range",
				       i, r->line);
		if (r->limit < 1 || r->limit > 1000000000 || r->window_s < 1 ||
		    r->window_s > 31536000)
			return invalid(err,
				       "rate_limits.rules[%d] (line %d): limit must be 1 to "
				       "1000000000 and window 1 to 31536000 seconds",
				       i, r->line);
		if (r->path && glob_path_problem(r->path))
			return invalid(err,
				       "rate_limits.rules[%d] (line %d): path must start "
				       "with '/'",
				       i, r->line);
		if (r->by == GH_RATE_BY_ROLE && !r->role)
			return invalid(err,
				       "rate_limits.rules[%d] (line %d): a rule counted by "
				       "role needs a role",
				       i, r->line);
		if (r->role && !role_known(cfg, r->role))
			return invalid(err, "rate_limits.rules[%d] (line %d): " ROLE_UNKNOWN, i,
				       r->line);
	}
	return 0;
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
	    cfg->n_ip_headers < 0 ||
	    cfg->n_ip_headers > (int)(sizeof cfg->ip_headers / sizeof cfg->ip_headers[0]))
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
		return invalid(err,
			       "session: expires_in and cookie_cache.max_age must be positive, "
			       "update_age and fresh_age not negative");
	if (!cfg->cookie_prefix || !is_token(cfg->cookie_prefix))
		return invalid(err, "session.cookie_prefix: must be a valid cookie name");
	if (!cfg->log_level || !log_level_ok(cfg->log_level))
		return invalid(err, "log.level: must be one of debug, info, warn, error");
	if (cfg->login_url && strncmp(cfg->login_url, "http://", 7) != 0 &&
	    strncmp(cfg->login_url, "https://", 8) != 0)
		return invalid(err, "login_url: must start with http:// or https://");
	if (cfg->api_key_prefix && !name_ok(cfg->api_key_prefix, 32, "_-", false))
		return invalid(err, "api_keys.prefix: must be 1-32 characters: letters, digits, "
				    "'_' or '-'");
	if (cfg->redis_url && strncmp(cfg->redis_url, "redis://", 8) != 0)
		return invalid(err, "rate_limits.redis_url: must start with redis://");
	if ((unsigned)cfg->rate_limit_redis_failure > GH_RATE_FAIL_CLOSED)
		return invalid(err, "rate_limits.on_redis_failure: must be one of local, open, "
				    "closed");
	return validate_access_rules(cfg, err);
}

static int clamp_count(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
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
	free(cfg->login_url);
	free(cfg->api_key_prefix);
	free(cfg->redis_url);
	/* the loader counts an entry before filling it, so a load that stopped
	 * half-way through one leaves it counted; counts are clamped in case a
	 * struct was edited by hand */
	for (int i = 0; i < clamp_count(cfg->n_roles, GH_MAX_ROLES); i++) {
		struct gh_role_def *r = &cfg->roles[i];
		free(r->name);
		for (int p = 0; p < clamp_count(r->n_permissions, GH_MAX_PERMS); p++)
			free(r->permissions[p]);
	}
	for (int i = 0; i < clamp_count(cfg->n_policies, GH_MAX_POLICIES); i++) {
		free(cfg->policies[i].host);
		free(cfg->policies[i].path);
		free(cfg->policies[i].arg);
	}
	for (int i = 0; i < clamp_count(cfg->n_static_keys, GH_MAX_STATIC_KEYS); i++) {
		struct gh_static_key *k = &cfg->static_keys[i];
		free(k->name);
		free_text(k->key, true);
		free(k->role);
		for (int p = 0; p < clamp_count(k->n_permissions, GH_MAX_PERMS); p++)
			free(k->permissions[p]);
	}
	for (int i = 0; i < clamp_count(cfg->n_rate_rules, GH_MAX_RATE_RULES); i++) {
		free(cfg->rate_rules[i].name);
		free(cfg->rate_rules[i].path);
		free(cfg->rate_rules[i].role);
	}
	memset(cfg, 0, sizeof *cfg);
}

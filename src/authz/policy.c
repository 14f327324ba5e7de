/*
 * policy — see policy.h. The glob matcher is iterative with bounded
 * backtracking (one saved position per '*'), so a hostile path cannot make
 * it exponential.
 */
#include "authz/policy.h"

#include <ctype.h>
#include <string.h>

static const struct gh_config *cfg;

void policy_init(const struct gh_config *c)
{
	cfg = c;
}

/* '*' within one segment; '**' across segments; a final '*' matches the rest.
 * Classic two-pointer wildcard matching with a single backtrack point, which
 * is linear-ish (O(n*m) worst case) and never recursive. */
bool policy_glob_match(const char *p, const char *t)
{
	const char *star_p = NULL, *star_t = NULL;
	bool star_any = false; /* the saved star may cross '/' */
	while (*t) {
		if (*p == '*') {
			bool any = p[1] == '*' || p[1] == 0;
			while (*p == '*')
				p++;
			if (!*p && any)
				return true;
			star_p = p;
			star_t = t;
			star_any = any;
			continue;
		}
		if (*p == *t) {
			p++;
			t++;
			continue;
		}
		if (star_p && (star_any || *star_t != '/')) {
			/* let the star eat one more character */
			if (!star_any && *star_t == '/')
				return false;
			star_t++;
			t = star_t;
			p = star_p;
			continue;
		}
		return false;
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

bool policy_host_match(const char *pattern, const char *host)
{
	char h[256], pat[256];
	size_t n = strcspn(host, ":");
	if (host[0] == '[') /* [v6]:port */
		n = strcspn(host, "]") + 1;
	if (n >= sizeof h || strlen(pattern) >= sizeof pat)
		return false;
	for (size_t i = 0; i < n; i++)
		h[i] = (char)tolower((unsigned char)host[i]);
	h[n] = 0;
	size_t k = 0;
	for (; pattern[k]; k++)
		pat[k] = (char)tolower((unsigned char)pattern[k]);
	pat[k] = 0;
	/* in host globs '*' may cover dots: "*.example.com" is any subdomain */
	const char *p = pat, *t = h, *sp = NULL, *st = NULL;
	while (*t) {
		if (*p == '*') {
			sp = ++p;
			st = t;
		} else if (*p == *t) {
			p++;
			t++;
		} else if (sp) {
			p = sp;
			t = ++st;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

static bool path_matches(const char *rule, const char *path)
{
	size_t n = strlen(rule);
	if (strchr(rule, '*'))
		return policy_glob_match(rule, path);
	if (n > 0 && rule[n - 1] == '/')
		return strncmp(rule, path, n) == 0;
	return strcmp(rule, path) == 0;
}

const struct gh_policy_rule *policy_match(const char *host, const char *path,
					  enum gh_method method)
{
	for (int i = 0; i < cfg->n_policies; i++) {
		const struct gh_policy_rule *r = &cfg->policies[i];
		if (r->methods && !(r->methods & (unsigned)method))
			continue;
		if (r->host && (!host || !policy_host_match(r->host, host)))
			continue;
		if (path_matches(r->path, path))
			return r;
	}
	return NULL;
}

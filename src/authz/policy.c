/*
 * policy — see policy.h. The glob matcher is iterative with bounded
 * backtracking (one saved position per '*'), so a hostile path cannot make
 * it exponential.
 */
#include "authz/policy.h"

#include <ctype.h>
#include <stdlib.h>
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

const struct gh_policy_rule *policy_match(const char *host, const char *path, enum gh_method method)
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool policy_normalize_path(const char *in, char *out, size_t outsz)
{
	if (in[0] != '/' || outsz < 2)
		return false;
	/* 1: decode unreserved escapes; refuse encoded separators */
	size_t n = strlen(in);
	char *dec = malloc(n + 1);
	if (!dec)
		return false;
	size_t d = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '\\' || c == 0) {
			free(dec);
			return false;
		}
		if (c == '%' &&
		    !(i + 2 < n + 1 && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0)) {
			/* a malformed escape ("%%32e") could turn into a new escape
			 * once its neighbour is decoded: never guess */
			free(dec);
			return false;
		}
		if (c == '%') {
			int v = hexval(in[i + 1]) * 16 + hexval(in[i + 2]);
			if (v == '/' || v == '\\' || v == 0) {
				free(dec);
				return false;
			}
			if (unreserved(v)) {
				dec[d++] = (char)v;
				i += 2;
				continue;
			}
		}
		dec[d++] = c;
	}
	dec[d] = 0;
	/* 2: walk the segments; `out` is "/seg1/seg2" (a stack of segments) */
	size_t o = 0;
	const char *p = dec;
	bool ok = true, dir = false; /* dir: the result ends in '/' */
	while (*p && ok) {
		while (*p == '/')
			p++; /* merge slashes */
		if (!*p) {
			dir = true;
			break;
		}
		const char *seg = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - seg);
		dir = false;
		if (len == 1 && seg[0] == '.') {
			dir = true;
		} else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (o == 0) {
				ok = false; /* above the root */
				break;
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			o--; /* the '/' before the dropped segment */
			dir = true;
		} else if (o + 1 + len + 2 > outsz) {
			ok = false;
		} else {
			out[o++] = '/';
			memcpy(out + o, seg, len);
			o += len;
		}
	}
	if (ok) {
		if (o == 0 || dir)
			out[o++] = '/';
		out[o] = 0;
	}
	free(dec);
	return ok;
}

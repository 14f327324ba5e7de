/*
 * origin — see origin.h. Origins are compared in ASCII lower case as
 * "scheme://host[:port]" (RFC 6454 §6.1 serialisation).
 */
#include "http/origin.h"

#include "http/server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATTERNS 40
#define ORIGIN_MAX 256

static char patterns[MAX_PATTERNS][ORIGIN_MAX];
static int n_patterns;

/* Copies the origin part of url (lower-cased) into out; false if url has no
 * "scheme://host". */
static bool origin_of(const char *url, char out[ORIGIN_MAX])
{
	const char *sep = strstr(url, "://");
	if (!sep || sep == url)
		return false;
	for (const char *p = url; p < sep; p++)
		if (!isalpha((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
			return false;
	const char *host = sep + 3;
	size_t hlen = strcspn(host, "/?#");
	/* userinfo is never a trusted origin; browsers read '\\' as '/' (WHATWG URL) */
	if (hlen == 0 || memchr(host, '@', hlen) || memchr(host, '\\', hlen))
		return false;
	size_t total = (size_t)(host - url) + hlen;
	if (total >= ORIGIN_MAX)
		return false;
	for (size_t i = 0; i < total; i++)
		out[i] = (char)tolower((unsigned char)url[i]);
	out[total] = 0;
	return true;
}

int origin_init(const char *base_url, char *const *list, int n)
{
	n_patterns = 0;
	if (base_url && origin_of(base_url, patterns[0]))
		n_patterns = 1;
	for (int i = 0; i < n && n_patterns < MAX_PATTERNS; i++) {
		size_t len = strlen(list[i]);
		if (len == 0 || len >= ORIGIN_MAX)
			return -1;
		for (size_t k = 0; k <= len; k++)
			patterns[n_patterns][k] = (char)tolower((unsigned char)list[i][k]);
		while (len > 0 && patterns[n_patterns][len - 1] == '/')
			patterns[n_patterns][--len] = 0;
		n_patterns++;
	}
	return 0;
}

/* host (with optional port) matches "*.example.com": one or more labels
 * before the suffix. */
static bool wildcard_host_match(const char *host, const char *suffix)
{
	size_t hl = strlen(host), sl = strlen(suffix);
	return hl > sl + 1 && strcmp(host + hl - sl, suffix) == 0 && host[hl - sl - 1] == '.';
}

static bool pattern_match(const char *pattern, const char *origin)
{
	if (strcmp(pattern, origin) == 0)
		return true;
	const char *star = strstr(pattern, "*.");
	if (!star)
		return false;
	const char *host = strstr(origin, "://") + 3;
	if (star == pattern) /* "*.example.com": http or https only (never javascript:) */
		return (strncmp(origin, "http://", 7) == 0 ||
			strncmp(origin, "https://", 8) == 0) &&
		       wildcard_host_match(host, star + 2);
	/* scheme-qualified wildcard: the scheme must match too */
	size_t scheme_len = (size_t)(star - pattern);
	if (strncmp(pattern, origin, scheme_len) != 0)
		return false;
	return wildcard_host_match(origin + scheme_len, star + 2);
}

bool origin_is_trusted(const char *url)
{
	char o[ORIGIN_MAX];
	if (!url || !origin_of(url, o))
		return false;
	for (int i = 0; i < n_patterns; i++)
		if (pattern_match(patterns[i], o))
			return true;
	return false;
}

/* Origin (else Referer) must be a trusted origin. "null" with
 * Sec-Fetch-Site: same-origin is the server's own page (Better-Auth infers
 * the base URL there). */
static bool validate_origin(struct gh_request *req, struct gh_error *err)
{
	const char *o = req_header(req, "Origin");
	const char *site = req_header(req, "Sec-Fetch-Site");
	if (o && strcmp(o, "null") == 0 && site && strcmp(site, "same-origin") == 0)
		return true;
	if (!o || !*o)
		o = req_header(req, "Referer");
	if (!o || !*o || strcmp(o, "null") == 0)
		return error_set(err, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin");
	if (!origin_is_trusted(o))
		return error_set(err, 403, "INVALID_ORIGIN", "Invalid origin");
	return true;
}

bool origin_check_request(struct gh_request *req, struct gh_error *err)
{
	if (req->method & (GH_GET | GH_HEAD | GH_OPTIONS))
		return true;
	if (!req_header(req, "Cookie"))
		return true;
	return validate_origin(req, err);
}

bool origin_check_callback(const char *url, const char *code, struct gh_error *err)
{
	if (!url || !*url)
		return true;
	for (const char *p = url; *p; p++) /* CR/LF would end up in a Location header */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return error_set(err, 403, code, "Invalid callbackURL");
	if (url[0] == '/') {
		if (url[1] == '/' || url[1] == '\\')
			return error_set(err, 403, code, "Invalid callbackURL");
		return true;
	}
	if (origin_is_trusted(url))
		return true;
	return error_set(err, 403, code, "Invalid callbackURL");
}

bool origin_check_login(struct gh_request *req, struct gh_error *err)
{
	if (req_header(req, "Cookie"))
		return validate_origin(req, err);
	const char *site = req_header(req, "Sec-Fetch-Site");
	const char *mode = req_header(req, "Sec-Fetch-Mode");
	const char *dest = req_header(req, "Sec-Fetch-Dest");
	if ((site && *site) || (mode && *mode) || (dest && *dest)) {
		if (site && mode && strcmp(site, "cross-site") == 0 &&
		    strcmp(mode, "navigate") == 0)
			return error_set(
			    err, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
			    "Cross-site navigation login blocked. This request appears to "
			    "be a CSRF attack.");
		return validate_origin(req, err);
	}
	if (req_header(req, "Origin") || req_header(req, "Referer"))
		return validate_origin(req, err);
	return true;
}

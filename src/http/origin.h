/*
 * origin — CSRF protection by Origin checks and callback-URL validation, as
 * Better-Auth does it (REFERENCE-better-auth §3 "CSRF/origin"):
 *   - a state-changing request (not GET/HEAD/OPTIONS) that carries a Cookie
 *     must come from a trusted origin: Origin, else Referer; missing or
 *     "null" → 403 MISSING_OR_NULL_ORIGIN, untrusted → 403 INVALID_ORIGIN;
 *   - callbackURL and friends must be trusted origins or a safe relative
 *     path ("/x", never "//x" or "/\x");
 *   - sign-in and sign-up: see origin_check_login.
 * Trusted origins: base_url's origin plus the configured list; a pattern is
 * an exact origin, a scheme-qualified wildcard (scheme, "://", then "*.example.com")
 * or a bare "*.example.com".
 *
 * Owns: the parsed list. Threads: origin_init on the main thread; the rest any.
 */
#ifndef GH_HTTP_ORIGIN_H
#define GH_HTTP_ORIGIN_H

#include <stdbool.h>

#include "core/error.h"

struct gh_request;

int origin_init(const char *base_url, char *const *patterns, int n);
/* url may be a full URL or an origin; false for anything unparseable. */
bool origin_is_trusted(const char *url);
/* The CSRF rule above; false with err set when the request must be refused. */
bool origin_check_request(struct gh_request *req, struct gh_error *err);
/* NULL or empty is fine; code is the error code to use (INVALID_CALLBACK_URL…). */
bool origin_check_callback(const char *url, const char *code, struct gh_error *err);
/* Sign-in and sign-up (Better-Auth's form CSRF check): with a Cookie, the
 * rule above; otherwise a cross-site navigation is refused
 * (CROSS_SITE_NAVIGATION_LOGIN_BLOCKED) and any Origin/Referer or Fetch
 * Metadata present must name a trusted origin. */
bool origin_check_login(struct gh_request *req, struct gh_error *err);

#endif

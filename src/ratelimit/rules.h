/*
 * ratelimit/rules — which rate limits apply to a request, and how a verdict
 * is told to the client. The counting itself is ratelimit.h's.
 *
 * /api/auth routes (a precheck: it runs before any handler, so before any
 * password hashing):
 *   - Better-Auth's special rules, per IP and path (REFERENCE-better-auth §4),
 *     on unless rate_limits.auth_defaults is false:
 *       /sign-in/..., /sign-up/..., /change-password, /change-email   3 per 10 s
 *       /request-password-reset, /forget-password, /send-verification-email
 *                                                                    3 per 60 s
 *       every other /api/auth route                                100 per 10 s
 *   - configured rules with scope auth or all whose selectors match.
 * forward-auth (after the caller is known, before an API key use is charged):
 *   - configured rules with scope forward or all whose selectors match the
 *     original path and the caller's role;
 *   - the API key's own limit (rateLimitTimeWindow / rateLimitMax).
 * Subjects: ip → client IP (trusted proxies only); user → user id (rule
 * skipped for anonymous callers); key → key id (skipped without a key);
 * role → role name; global → one counter.
 *
 * Answers: 429 {"message":"Too many requests. Please try again later.",
 * "code":"RATE_LIMITED"} with Retry-After and X-Retry-After (seconds, what
 * Better-Auth's client reads), RateLimit-Policy and RateLimit
 * (draft-ietf-httpapi-ratelimit-headers) on 429s and on successful
 * forward-auth answers. nginx's auth_request accepts only 200/401/403, so
 * there the denial is a 403 carrying the same headers and code.
 *
 * Threads: any.
 */
#ifndef GH_RATELIMIT_RULES_H
#define GH_RATELIMIT_RULES_H

#include "http/server.h"
#include "ratelimit/ratelimit.h"

struct gh_config;
struct gh_request;

void rl_rules_init(const struct gh_config *cfg);

struct rl_subject {
	const char *ip;
	const char *user_id; /* NULL: anonymous */
	const char *role;    /* NULL: anonymous */
	const char *key_id;  /* NULL: no API key */
	/* the key's own limit */
	bool key_limit;
	int64_t key_window_ms, key_max;
};

/* Fills checks (at most GH_RL_MAX_CHECKS); returns how many. */
int rl_rules_for_forward(const char *path, const struct rl_subject *who,
			 struct gh_rl_check *checks);

/* Every forward rule that can apply to this caller, whatever the path (the
 * rule's path selector, or NULL, in paths[i]); plus the key's own limit.
 * For GET /api/auth/rate-limit. Returns how many (<= GH_RL_MAX_CHECKS). */
int rl_rules_for_caller(const struct rl_subject *who, struct gh_rl_check *checks,
			const char **paths);

/* The precheck of every /api/auth route (http/server.h gh_precheck). */
enum gh_check rl_auth_precheck(struct gh_request *req);

/* Adds RateLimit-Policy / RateLimit for the checks. */
void rl_add_headers(struct gh_request *req, const struct gh_rl_check *checks, int n,
		    const struct gh_rl_result *res);
/* The denial answer (status 429, or 403 for nginx); 503 when the limit store
 * is down and a rule fails closed. */
void rl_deny(struct gh_request *req, const struct gh_rl_check *checks, int n,
	     const struct gh_rl_result *res, int status);

#endif

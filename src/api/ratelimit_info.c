/*
 * api/ratelimit_info — GET /api/auth/rate-limit: the caller's limits and
 * what is left of them (seed 002's /auth/rate-limit). The caller is known by
 * a session (cookie or Bearer) or an API key (X-API-Key or Bearer); nothing
 * is charged. Each entry: {name, limit, window (s), remaining, reset (s),
 * path}. With Redis configured the counters live there and this answer
 * reports remaining/reset as null (peeking at Redis is not implemented yet).
 */
#include "api/handlers.h"
#include "auth/apikey.h"
#include "auth/session.h"
#include "core/clock.h"
#include "http/router.h"
#include "http/server.h"
#include "ratelimit/ratelimit.h"
#include "ratelimit/rules.h"

#include <string.h>
#include <strings.h>

static void h_rate_limit(struct gh_request *req)
{
	struct rl_subject who = {.ip = req->client_ip};
	struct gh_auth a;
	struct gh_key_identity k;
	struct gh_error err = {0};
	const char *key = req_header(req, "X-API-Key");
	const char *authz = req_header(req, "Authorization");
	if (!key && authz && strncasecmp(authz, "Bearer ", 7) == 0 &&
	    apikey_looks_like_key(authz + 7))
		key = authz + 7;
	if (key) {
		if (!apikey_verify(key, NULL, 0, false, &k, &err)) {
			resp_error(req, &err);
			return;
		}
		who.user_id = k.owner_id;
		who.role = k.role;
		who.key_id = k.key_id;
		who.key_limit = k.rate_limit_enabled;
		who.key_window_ms = k.rate_limit_window_ms;
		who.key_max = k.rate_limit_max;
	} else if (session_resolve(req, &a, false) == GH_RESOLVE_OK) {
		who.user_id = a.user.id;
		who.role = a.user.role;
	} else {
		resp_fail(req, 401, "UNAUTHORIZED", "Unauthorized");
		return;
	}
	struct gh_rl_check checks[GH_RL_MAX_CHECKS];
	const char *paths[GH_RL_MAX_CHECKS];
	int n = rl_rules_for_caller(&who, checks, paths);
	int64_t remaining[GH_RL_MAX_CHECKS], reset[GH_RL_MAX_CHECKS];
	bool local = strcmp(ratelimit_redis_state(), "disabled") == 0;
	if (local)
		ratelimit_peek_local(checks, n, clock_now_ms(), remaining, reset);
	json_t *rules = json_array();
	for (int i = 0; i < n; i++) {
		json_t *r = json_object();
		json_object_set_new(r, "name", json_string(checks[i].policy_name));
		json_object_set_new(r, "limit", json_integer(checks[i].limit));
		json_object_set_new(r, "window", json_integer(checks[i].window_ms / 1000));
		json_object_set_new(r, "remaining",
				    local ? json_integer(remaining[i]) : json_null());
		json_object_set_new(r, "reset",
				    local ? json_integer((reset[i] + 999) / 1000) : json_null());
		json_object_set_new(r, "path", paths[i] ? json_string(paths[i]) : json_null());
		json_array_append_new(rules, r);
	}
	json_t *out = json_object();
	json_object_set_new(out, "store", json_string(local ? "memory" : "redis"));
	json_object_set_new(out, "rules", rules);
	resp_header(req, "Cache-Control", "no-store");
	resp_json(req, 200, out);
}

void ratelimit_info_register(const struct gh_config *cfg)
{
	(void)cfg;
	router_add(GH_GET, GH_AUTH_BASE "/rate-limit", h_rate_limit, 0);
}

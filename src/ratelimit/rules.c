/* ratelimit/rules — see rules.h. */
#include "ratelimit/rules.h"

#include "auth/session.h"
#include "authz/policy.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "http/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gh_config *cfg;

void rl_rules_init(const struct gh_config *c)
{
	cfg = c;
}

static bool path_selects(const char *rule_path, const char *path)
{
	if (!rule_path)
		return true;
	size_t n = strlen(rule_path);
	if (strchr(rule_path, '*'))
		return policy_glob_match(rule_path, path);
	if (n > 0 && rule_path[n - 1] == '/')
		return strncmp(rule_path, path, n) == 0;
	return strcmp(rule_path, path) == 0;
}

/* Adds rule r when its path and role selectors pick this request. */
static int add_config_rules_one(const struct gh_rate_rule *r, const char *path,
				const struct rl_subject *who, struct gh_rl_check *checks, int n)
{
	{
		if (n >= GH_RL_MAX_CHECKS || !path_selects(r->path, path))
			return n;
		if (r->role && (!who->role || strcmp(r->role, who->role) != 0))
			return n;
		const char *subject;
		switch (r->by) {
		case GH_RATE_BY_IP: subject = who->ip; break;
		case GH_RATE_BY_USER: subject = who->user_id; break;
		case GH_RATE_BY_KEY: subject = who->key_id; break;
		case GH_RATE_BY_ROLE: subject = who->role; break;
		default: subject = "*"; break;
		}
		if (!subject)
			return n;
		struct gh_rl_check *c = &checks[n++];
		snprintf(c->key, sizeof c->key, "r:%s:%s", r->name, subject);
		c->limit = r->limit;
		c->window_ms = r->window_s * 1000;
		c->on_redis_failure = r->on_redis_failure;
		c->policy_name = r->name;
	}
	return n;
}

/* Adds the configured rules of `scope` that select this request. */
static int add_config_rules(enum gh_rate_scope scope, const char *path,
			    const struct rl_subject *who, struct gh_rl_check *checks, int n)
{
	for (int i = 0; i < cfg->n_rate_rules && n < GH_RL_MAX_CHECKS; i++) {
		const struct gh_rate_rule *r = &cfg->rate_rules[i];
		if (r->scope == GH_RATE_SCOPE_ALL || r->scope == scope)
			n = add_config_rules_one(r, path, who, checks, n);
	}
	return n;
}

int rl_rules_for_forward(const char *path, const struct rl_subject *who, struct gh_rl_check *checks)
{
	if (!cfg->rate_limit_enabled)
		return 0;
	int n = add_config_rules(GH_RATE_SCOPE_FORWARD, path, who, checks, 0);
	if (who->key_id && who->key_limit && n < GH_RL_MAX_CHECKS) {
		struct gh_rl_check *c = &checks[n++];
		snprintf(c->key, sizeof c->key, "k:%s", who->key_id);
		c->limit = who->key_max;
		c->window_ms = who->key_window_ms;
		c->on_redis_failure = cfg->rate_limit_redis_failure;
		c->policy_name = "api-key";
	}
	return n;
}

int rl_rules_for_caller(const struct rl_subject *who, struct gh_rl_check *checks,
			const char **paths)
{
	int n = 0;
	if (!cfg->rate_limit_enabled)
		return 0;
	for (int i = 0; i < cfg->n_rate_rules && n < GH_RL_MAX_CHECKS; i++) {
		const struct gh_rate_rule *r = &cfg->rate_rules[i];
		if (r->scope == GH_RATE_SCOPE_AUTH)
			continue;
		int before = n;
		/* reuse the selector logic with the rule's own path as the request path */
		n = add_config_rules_one(r, r->path ? r->path : "/", who, checks, n);
		if (n > before)
			paths[before] = r->path;
	}
	if (who->key_id && who->key_limit && n < GH_RL_MAX_CHECKS) {
		struct gh_rl_check *c = &checks[n];
		snprintf(c->key, sizeof c->key, "k:%s", who->key_id);
		c->limit = who->key_max;
		c->window_ms = who->key_window_ms;
		c->on_redis_failure = cfg->rate_limit_redis_failure;
		c->policy_name = "api-key";
		paths[n++] = NULL;
	}
	return n;
}

/* Better-Auth's special rules (REFERENCE-better-auth §4). */
static void auth_default_rule(const char *path, int64_t *limit, int64_t *window_ms,
			      const char **name)
{
	const char *p = path + strlen("/api/auth");
	if (strncmp(p, "/sign-in", 8) == 0 || strncmp(p, "/sign-up", 8) == 0 ||
	    strcmp(p, "/change-password") == 0 || strcmp(p, "/change-email") == 0) {
		*limit = 3, *window_ms = 10000, *name = "auth-sensitive";
	} else if (strcmp(p, "/request-password-reset") == 0 ||
		   strncmp(p, "/forget-password", 16) == 0 ||
		   strcmp(p, "/send-verification-email") == 0) {
		*limit = 3, *window_ms = 60000, *name = "auth-email";
	} else {
		*limit = 100, *window_ms = 10000, *name = "auth-default";
	}
}

static int rules_for_auth(struct gh_request *req, struct gh_rl_check *checks)
{
	if (!cfg->rate_limit_enabled)
		return 0;
	int n = 0;
	if (cfg->auth_rate_limits_enabled) {
		struct gh_rl_check *c = &checks[n++];
		auth_default_rule(req->path, &c->limit, &c->window_ms, &c->policy_name);
		/* the key is bounded: a long path is cut, which only merges counters */
		int w = snprintf(c->key, sizeof c->key, "a:%.63s|%.90s", req->client_ip, req->path);
		(void)w;
		c->on_redis_failure = cfg->rate_limit_redis_failure;
	}
	struct rl_subject who = {.ip = req->client_ip};
	struct gh_auth *a = NULL;
	for (int i = 0; i < cfg->n_rate_rules; i++) /* resolve the caller only if a rule needs it */
		if ((cfg->rate_rules[i].scope != GH_RATE_SCOPE_FORWARD) &&
		    (cfg->rate_rules[i].by == GH_RATE_BY_USER || cfg->rate_rules[i].role ||
		     cfg->rate_rules[i].by == GH_RATE_BY_ROLE)) {
			a = req_alloc(req, sizeof *a);
			if (session_resolve(req, a, false) == GH_RESOLVE_OK) {
				who.user_id = a->user.id;
				who.role = a->user.role;
			}
			break;
		}
	return add_config_rules(GH_RATE_SCOPE_AUTH, req->path, &who, checks, n);
}

/* ---- answers ---- */

static int64_t ceil_s(int64_t ms)
{
	return ms <= 0 ? 0 : (ms + 999) / 1000;
}

void rl_add_headers(struct gh_request *req, const struct gh_rl_check *checks, int n,
		    const struct gh_rl_result *res)
{
	if (n == 0)
		return;
	char policy[1024] = "", state[1024] = "";
	size_t pa = 0, sa = 0;
	for (int i = 0; i < n; i++) {
		const char *name = checks[i].policy_name ? checks[i].policy_name : "default";
		int w = snprintf(policy + pa, sizeof policy - pa, "%s\"%s\";q=%lld;w=%lld",
				 i ? ", " : "", name, (long long)checks[i].limit,
				 (long long)ceil_s(checks[i].window_ms));
		if (w > 0 && (size_t)w < sizeof policy - pa)
			pa += (size_t)w;
		w = snprintf(state + sa, sizeof state - sa, "%s\"%s\";r=%lld;t=%lld", i ? ", " : "",
			     name, (long long)res->remaining[i],
			     (long long)ceil_s(res->reset_ms[i]));
		if (w > 0 && (size_t)w < sizeof state - sa)
			sa += (size_t)w;
	}
	resp_header(req, "RateLimit-Policy", policy);
	resp_header(req, "RateLimit", state);
}

void rl_deny(struct gh_request *req, const struct gh_rl_check *checks, int n,
	     const struct gh_rl_result *res, int status)
{
	if (res->store_failed) {
		resp_header(req, "Retry-After", "1");
		resp_fail(req, 503, "RATE_LIMIT_UNAVAILABLE",
			  "Rate limits cannot be checked right now; try again shortly");
		return;
	}
	char secs[24];
	snprintf(secs, sizeof secs, "%lld",
		 (long long)(ceil_s(res->retry_after_ms) > 0 ? ceil_s(res->retry_after_ms) : 1));
	resp_header(req, "Retry-After", secs);
	resp_header(req, "X-Retry-After", secs);
	rl_add_headers(req, checks, n, res);
	resp_fail(req, status, "RATE_LIMITED", "Too many requests. Please try again later.");
	const char *rule = res->denied_index >= 0 && res->denied_index < n
			       ? checks[res->denied_index].policy_name
			       : NULL;
	log_event(GH_LOG_INFO, "rate limited", "rule", rule, "ip", req->client_ip, "path",
		  req->path, NULL);
}

/* ---- the /api/auth precheck ---- */

struct auth_pending {
	struct gh_request *req;
	struct gh_rl_check checks[GH_RL_MAX_CHECKS];
	int n;
};

static void auth_checked(void *arg, const struct gh_rl_result *res)
{
	struct auth_pending *p = arg;
	if (!res->allowed)
		rl_deny(p->req, p->checks, p->n, res, 429);
	req_precheck_done(p->req, res->allowed);
}

enum gh_check rl_auth_precheck(struct gh_request *req)
{
	struct auth_pending *p = req_alloc(req, sizeof *p);
	p->req = req;
	p->n = rules_for_auth(req, p->checks);
	if (p->n == 0)
		return GH_CHECK_PASS;
	struct gh_rl_result res;
	if (strcmp(ratelimit_redis_state(), "disabled") == 0) { /* in process: no suspension */
		ratelimit_check_local(p->checks, p->n, clock_now_ms(), &res);
		if (res.allowed)
			return GH_CHECK_PASS;
		rl_deny(req, p->checks, p->n, &res, 429);
		return GH_CHECK_DENY;
	}
	/* suspend first: the answer may arrive on the Redis thread before
	 * ratelimit_check returns */
	req_defer(req);
	if (ratelimit_check(p->checks, p->n, clock_now_ms(), &res, auth_checked, p))
		auth_checked(p, &res);
	return GH_CHECK_PENDING;
}

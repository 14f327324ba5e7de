/*
 * api/forward_auth — the endpoints reverse proxies ask before letting a
 * request through (REFERENCE-standards "Forward-auth contracts"):
 *
 *   GET /api/authz/auth-request     nginx auth_request: only 200/401/403
 *                                   (anything else becomes 500 in nginx);
 *                                   the login URL travels in X-Auth-Login-URL
 *   GET /api/authz/forward-auth     Traefik ForwardAuth, Caddy forward_auth:
 *                                   browsers get 302/303 to sign-in
 *   ANY /api/authz/ext-authz/<path> Envoy ext_authz (HTTP): original method
 *                                   and path arrive as the request's own
 *   GET /oauth2/auth                oauth2-proxy style: 202/401/403
 *
 * The original request comes from X-Original-URI/-Method (nginx) or
 * X-Forwarded-Method/-Proto/-Host/-Uri (Traefik, Caddy), believed only when
 * the peer is a configured trusted proxy (ASVS 4.1.3); otherwise the request
 * is judged as itself (which no policy names, so it is denied).
 *
 * Decision: the first policy rule that matches host, path and method
 * (authz/policy) → public (200, no identity), optional, authenticated,
 * role:X (admin passes every role), permission:Y, deny; no rule → 403.
 * Credentials, in order: X-API-Key, Authorization: Bearer <api key>,
 * Authorization: Bearer <session token.sig>, the session cookie. A presented
 * key or Bearer value that does not verify is 401 invalid_token, even on
 * optional routes and even next to a valid cookie (silently serving an
 * anonymous or cookie identity would hide the error). Other Authorization
 * schemes (Basic, …) are the upstream's business and are ignored.
 *
 * Success adds Remote-User/-Email/-Name/-Groups, X-Auth-Request-User/-Email/
 * -Groups, X-Auth-Key-Id and X-Auth-Scopes; the proxy copies them to the
 * upstream and must overwrite client-sent copies (examples/nginx).
 *
 * Threads: inline on the HTTP thread; the only store access is a read on a
 * cache miss.
 */
#include "api/handlers.h"
#include "auth/apikey.h"
#include "auth/session.h"
#include "authz/policy.h"
#include "authz/roles.h"
#include "core/config.h"
#include "core/log.h"
#include "http/clientip.h"
#include "http/cookie.h"
#include "http/router.h"
#include "http/server.h"
#include "ratelimit/rules.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct gh_config *cfg;
static char default_login_url[1100]; /* base_url + "/sign-in" when login_url is unset */

enum flavor { FLAVOR_NGINX, FLAVOR_TRAEFIK, FLAVOR_ENVOY, FLAVOR_OAUTH2_PROXY };

struct original {
	enum gh_method method;
	const char *method_name;
	const char *host;  /* may be NULL */
	const char *proto; /* "http" | "https" */
	const char *uri;   /* path and query */
	char path[2048];   /* path only, normalised (policy_normalize_path) */
	bool bad_path;     /* not acceptable: denied whatever the policies say */
};

/* Everything the decision found out. */
struct verdict {
	int status;       /* 200, 401, 403 */
	const char *code; /* static strings only */
	char message[GH_ERROR_MSG_MAX];
	const char *www_error; /* RFC 6750 error attribute or NULL */
	const char *scope;     /* for insufficient_scope */
	bool has_identity;
	bool is_key;
	struct gh_auth session;
	struct gh_key_identity key;
};

static enum gh_method method_of(const char *m)
{
	static const struct {
		const char *n;
		enum gh_method m;
	} t[] = {{"GET", GH_GET},        {"HEAD", GH_HEAD},     {"POST", GH_POST},
		 {"PUT", GH_PUT},        {"DELETE", GH_DELETE}, {"PATCH", GH_PATCH},
		 {"OPTIONS", GH_OPTIONS}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (m && strcmp(m, t[i].n) == 0)
			return t[i].m;
	return GH_OTHER;
}

static void read_original(struct gh_request *req, enum flavor f, struct original *o)
{
	bool trusted = clientip_is_trusted_proxy(req->peer_ip);
	o->method_name = req->method_name;
	o->host = req_header(req, "Host");
	o->proto = strncmp(cfg->base_url, "https:", 6) == 0 ? "https" : "http";
	o->uri = req->path;
	if (f == FLAVOR_ENVOY) {
		static const char prefix[] = "/api/authz/ext-authz";
		o->uri = req->path + sizeof prefix - 1;
		if (!*o->uri)
			o->uri = "/";
		const char *p = trusted ? req_header(req, "X-Forwarded-Proto") : NULL;
		if (p && (strcmp(p, "https") == 0 || strcmp(p, "http") == 0))
			o->proto = p;
	} else if (trusted) {
		const char *m, *u, *h, *p;
		if (f == FLAVOR_NGINX) {
			m = req_header(req, "X-Original-Method");
			u = req_header(req, "X-Original-URI");
			if (!u)
				u = req_header(req, "X-Forwarded-Uri");
			if (!m)
				m = req_header(req, "X-Forwarded-Method");
		} else {
			m = req_header(req, "X-Forwarded-Method");
			u = req_header(req, "X-Forwarded-Uri");
			if (!u)
				u = req_header(req, "X-Original-URI");
		}
		h = req_header(req, "X-Forwarded-Host");
		p = req_header(req, "X-Forwarded-Proto");
		if (m)
			o->method_name = m;
		if (u && u[0] == '/')
			o->uri = u;
		if (h)
			o->host = h;
		if (p && (strcmp(p, "https") == 0 || strcmp(p, "http") == 0))
			o->proto = p;
	}
	o->method = method_of(o->method_name);
	size_t n = strcspn(o->uri, "?#");
	char raw[sizeof o->path];
	o->bad_path = n >= sizeof raw;
	if (o->bad_path)
		n = sizeof raw - 1;
	memcpy(raw, o->uri, n);
	raw[n] = 0;
	/* match on the path the upstream will resolve, not the raw text */
	if (!o->bad_path && !policy_normalize_path(raw, o->path, sizeof o->path))
		o->bad_path = true;
	if (o->bad_path)
		snprintf(o->path, sizeof o->path, "%s", raw);
}

/* The API key in the request, if any: X-API-Key, or a Bearer value with our
 * key prefix. */
static const char *presented_key(struct gh_request *req)
{
	const char *k = req_header(req, "X-API-Key");
	if (k && *k)
		return k;
	const char *authz = req_header(req, "Authorization");
	if (authz && strncasecmp(authz, "Bearer ", 7) == 0 && apikey_looks_like_key(authz + 7))
		return authz + 7;
	return NULL;
}

static void deny(struct verdict *v, int status, const char *code, const char *message,
		 const char *www_error)
{
	v->status = status;
	v->code = code;
	snprintf(v->message, sizeof v->message, "%s", message);
	v->www_error = www_error;
}

/* Resolves the caller; false when a presented credential is invalid (v set). */
static bool identify(struct gh_request *req, struct verdict *v)
{
	const char *key = presented_key(req);
	if (key) {
		struct gh_error err = {0};
		if (!apikey_verify(key, NULL, 0, false, &v->key, &err)) {
			if (err.status == 503)
				deny(v, 503, err.code, err.message, NULL);
			else if (err.status == 429)
				deny(v, 429, err.code, err.message, NULL);
			else
				deny(v, 401, err.code, err.message, "invalid_token");
			return false;
		}
		v->has_identity = v->is_key = true;
		return true;
	}
	const char *authz = req_header(req, "Authorization");
	bool bearer = authz && strncasecmp(authz, "Bearer ", 7) == 0;
	switch (session_resolve(req, &v->session, false)) {
	case GH_RESOLVE_OK:
		if (bearer && !v->session.from_bearer) {
			/* the bearer did not verify; the cookie must not paper over it */
			deny(v, 401, "INVALID_TOKEN", "Invalid or expired credential",
			     "invalid_token");
			return false;
		}
		v->has_identity = true;
		return true;
	case GH_RESOLVE_ERROR:
		deny(v, 503, "SERVICE_UNAVAILABLE", "Session store unavailable", NULL);
		return false;
	default:
		if (bearer) {
			deny(v, 401, "INVALID_TOKEN", "Invalid or expired credential",
			     "invalid_token");
			return false;
		}
		return true; /* a stale cookie, or a non-Bearer scheme, is simply no session */
	}
}

static const char *identity_role(const struct verdict *v)
{
	return v->is_key ? v->key.role : v->session.user.role;
}

static bool identity_grants(const struct verdict *v, const char *perm)
{
	return v->is_key ? apikey_grants(&v->key, perm) : roles_grants(v->session.user.role, perm);
}

static void decide(struct gh_request *req, const struct original *o, struct verdict *v)
{
	/* the embedded session and key are filled by identify() when used:
	 * clearing ~10 KiB per request would be pure hot-path cost */
	v->status = 200;
	v->code = NULL;
	v->message[0] = 0;
	v->www_error = NULL;
	v->scope = NULL;
	v->has_identity = v->is_key = false;
	if (o->bad_path) {
		deny(v, 403, "MALFORMED_PATH", "The request path is not acceptable", NULL);
		return;
	}
	const struct gh_policy_rule *rule = policy_match(o->host, o->path, o->method);
	if (!rule) {
		deny(v, 403, "FORBIDDEN", "No policy allows this request", NULL);
		return;
	}
	switch (rule->access) {
	case GH_ACCESS_PUBLIC: return;
	case GH_ACCESS_DENY: deny(v, 403, "FORBIDDEN", "Denied by policy", NULL); return;
	default: break;
	}
	if (!identify(req, v))
		return;
	if (!v->has_identity) {
		if (rule->access != GH_ACCESS_OPTIONAL)
			deny(v, 401, "UNAUTHORIZED", "Authentication required", NULL);
		return;
	}
	if (rule->access == GH_ACCESS_ROLE && strcmp(identity_role(v), rule->arg) != 0 &&
	    strcmp(identity_role(v), "admin") != 0) {
		deny(v, 403, "FORBIDDEN", "Your role does not allow this request",
		     "insufficient_scope");
		return;
	}
	if (rule->access == GH_ACCESS_PERMISSION && !identity_grants(v, rule->arg)) {
		deny(v, 403, "INSUFFICIENT_PERMISSIONS", "Missing permission",
		     "insufficient_scope");
		v->scope = rule->arg;
		return;
	}
}

static void add_identity_headers(struct gh_request *req, const struct verdict *v)
{
	const char *id, *email, *name, *role, *scopes;
	if (v->is_key) {
		id = v->key.owner_id;
		email = v->key.owner_email;
		name = v->key.owner_name;
		role = v->key.role;
		if (v->key.has_perm_list) {
			char *buf = req_alloc(req, (size_t)v->key.n_perms * 73 + 1);
			buf[0] = 0;
			for (int i = 0; i < v->key.n_perms; i++) {
				if (i)
					strcat(buf, " ");
				strcat(buf, v->key.perms[i]);
			}
			scopes = buf;
		} else {
			scopes = roles_scopes(role);
		}
		resp_header(req, "X-Auth-Key-Id", v->key.key_id);
	} else {
		id = v->session.user.id;
		email = v->session.user.email;
		name = v->session.user.name;
		role = v->session.user.role;
		scopes = roles_scopes(role);
	}
	resp_header(req, "Remote-User", id);
	resp_header(req, "Remote-Email", email);
	resp_header(req, "Remote-Name", name);
	resp_header(req, "Remote-Groups", role);
	resp_header(req, "X-Auth-Request-User", id);
	resp_header(req, "X-Auth-Request-Email", email);
	resp_header(req, "X-Auth-Request-Groups", role);
	resp_header(req, "X-Auth-Scopes", scopes);
}

static bool wants_html(struct gh_request *req)
{
	const char *accept = req_header(req, "Accept");
	const char *xrw = req_header(req, "X-Requested-With");
	return accept && strstr(accept, "text/html") &&
	       !(xrw && strcasecmp(xrw, "XMLHttpRequest") == 0);
}

static const char *login_url_for(struct gh_request *req, const struct original *o)
{
	char orig[4096], enc[3 * 4096];
	snprintf(orig, sizeof orig, "%s://%s%s", o->proto, o->host ? o->host : "", o->uri);
	if (!cookie_url_encode(orig, enc, sizeof enc))
		enc[0] = 0;
	const char *login = cfg->login_url ? cfg->login_url : default_login_url;
	return req_sprintf(req, "%s%crd=%s", login, strchr(login, '?') ? '&' : '?', enc);
}

static void answer(struct gh_request *req, enum flavor f, const struct original *o,
		   const struct verdict *v)
{
	resp_header(req, "Cache-Control", "no-store");
	if (v->status == 200) {
		if (v->has_identity)
			add_identity_headers(req, v);
		resp_empty(req, f == FLAVOR_OAUTH2_PROXY ? 202 : 200);
		return;
	}
	int status = v->status;
	if (f == FLAVOR_NGINX && status != 401 && status != 403)
		status = status == 429 ? 403 : 401; /* nginx turns anything else into 500 */
	if (status == 401) {
		const char *www =
		    v->www_error
			? req_sprintf(req, "Bearer realm=\"gatehouse\", error=\"%s\"", v->www_error)
			: "Bearer realm=\"gatehouse\"";
		resp_header(req, "WWW-Authenticate", www);
		const char *login = login_url_for(req, o);
		resp_header(req, "X-Auth-Login-URL", login);
		if ((f == FLAVOR_TRAEFIK || f == FLAVOR_ENVOY) && wants_html(req)) {
			resp_header(req, "Location", login);
			resp_empty(req, (o->method == GH_GET || o->method == GH_HEAD) ? 302 : 303);
			return;
		}
	} else if (status == 403 && v->www_error) {
		resp_header(
		    req, "WWW-Authenticate",
		    v->scope
			? req_sprintf(req, "Bearer realm=\"gatehouse\", error=\"%s\", scope=\"%s\"",
				      v->www_error, v->scope)
			: req_sprintf(req, "Bearer realm=\"gatehouse\", error=\"%s\"",
				      v->www_error));
	}
	resp_fail(req, status, v->code, v->message);
}

/* A request waiting for Redis: everything needed to finish it later. */
struct pending {
	struct gh_request *req;
	enum flavor flavor;
	struct original o;
	struct verdict v;
	struct gh_rl_check checks[GH_RL_MAX_CHECKS];
	int n;
};

static void log_denial(struct gh_request *req, const struct original *o, const struct verdict *v)
{
	if (!log_enabled(GH_LOG_INFO))
		return;
	char st[8];
	snprintf(st, sizeof st, "%d", v->status);
	log_event(GH_LOG_INFO, "forward-auth denied", "status", st, "code", v->code, "method",
		  o->method_name, "path", o->path, "ip", req->client_ip, NULL);
}

/* After the rate limits: charge the key's use, answer. */
static void finish(struct pending *p, const struct gh_rl_result *res)
{
	struct gh_request *req = p->req;
	if (res && !res->allowed) {
		rl_deny(req, p->checks, p->n, res, p->flavor == FLAVOR_NGINX ? 403 : 429);
		return;
	}
	if (p->v.status == 200 && p->v.is_key) {
		struct gh_error err = {0};
		if (!apikey_charge(&p->v.key, &err)) /* a use counts only when allowed */
			deny(&p->v, err.status, err.code, err.message, NULL);
	}
	if (p->v.status != 200)
		log_denial(req, &p->o, &p->v);
	if (res)
		rl_add_headers(req, p->checks, p->n, res);
	answer(req, p->flavor, &p->o, &p->v);
}

static void rate_checked(void *arg, const struct gh_rl_result *res)
{
	struct pending *p = arg;
	finish(p, res);
	req_complete(p->req);
}

static void handle(struct gh_request *req, enum flavor f)
{
	/* on the stack: only a Redis check, which outlives this call, needs a
	 * copy in the request's arena */
	struct pending local;
	struct pending *p = &local;
	p->req = req;
	p->flavor = f;
	p->n = 0;
	read_original(req, f, &p->o);
	decide(req, &p->o, &p->v);
	if (p->v.status == 200) {
		const struct verdict *v = &p->v;
		struct rl_subject who = {.ip = req->client_ip};
		if (v->is_key) {
			who.user_id = v->key.owner_id;
			who.role = v->key.role;
			who.key_id = v->key.key_id;
			who.key_limit = v->key.rate_limit_enabled;
			who.key_window_ms = v->key.rate_limit_window_ms;
			who.key_max = v->key.rate_limit_max;
		} else if (v->has_identity) {
			who.user_id = v->session.user.id;
			who.role = v->session.user.role;
		}
		p->n = rl_rules_for_forward(p->o.path, &who, p->checks);
	}
	if (p->n == 0) {
		finish(p, NULL);
		return;
	}
	struct gh_rl_result res;
	if (strcmp(ratelimit_redis_state(), "disabled") == 0) {
		ratelimit_check_local(p->checks, p->n, clock_now_ms(), &res);
		finish(p, &res);
		return;
	}
	struct pending *kept = req_alloc(req, sizeof *kept);
	*kept = local;
	req_defer(req); /* before the check: Redis may answer before it returns */
	if (ratelimit_check(kept->checks, kept->n, clock_now_ms(), &res, rate_checked, kept))
		rate_checked(kept, &res);
}

static void h_nginx(struct gh_request *req)
{
	handle(req, FLAVOR_NGINX);
}
static void h_traefik(struct gh_request *req)
{
	handle(req, FLAVOR_TRAEFIK);
}
static void h_envoy(struct gh_request *req)
{
	handle(req, FLAVOR_ENVOY);
}
static void h_oauth2_proxy(struct gh_request *req)
{
	handle(req, FLAVOR_OAUTH2_PROXY);
}

void forward_auth_register(const struct gh_config *c)
{
	cfg = c;
	if (!cfg->login_url)
		snprintf(default_login_url, sizeof default_login_url, "%s/sign-in", cfg->base_url);
	const unsigned any =
	    GH_GET | GH_HEAD | GH_POST | GH_PUT | GH_DELETE | GH_PATCH | GH_OPTIONS;
	router_add(GH_GET | GH_HEAD, "/api/authz/auth-request", h_nginx, 0);
	router_add(any, "/api/authz/forward-auth", h_traefik, 0);
	router_add(any, "/api/authz/ext-authz/*", h_envoy, 0);
	router_add(GH_GET | GH_HEAD, "/oauth2/auth", h_oauth2_proxy, 0);
}

/*
 * api/handlers — the HTTP handlers, grouped by resource:
 *   auth_core.c     sign-up, sign-in (email, username), sign-out,
 *                   get-session, is-username-available, ok
 *   auth_account.c  sessions (list, revoke*), update-user, change-password,
 *                   verify-password, delete-user, password reset
 *   apikeys.c       api-key create/get/list/update/delete/verify
 *   admin.c         Better-Auth's admin plugin routes
 *   forward_auth.c  /api/authz/... and /oauth2/auth for reverse proxies
 *   ops.c           /healthz, /readyz, /metrics
 * Each file registers its routes; handlers have the uniform signature
 * void h(struct gh_request *) and never touch SQL (they call store/, auth/).
 * Threads: handlers flagged GH_ROUTE_SLOW run on workers, the rest inline.
 */
#ifndef GH_API_HANDLERS_H
#define GH_API_HANDLERS_H

struct gh_config;

void auth_core_register(const struct gh_config *cfg);
void auth_account_register(const struct gh_config *cfg);
void ops_register(const struct gh_config *cfg);
void apikeys_register(const struct gh_config *cfg);
void admin_register(const struct gh_config *cfg);
void forward_auth_register(const struct gh_config *cfg);
void ratelimit_info_register(const struct gh_config *cfg);

/* "/api/auth" */
#define GH_AUTH_BASE "/api/auth"

#endif

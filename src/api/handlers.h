/*
 * api/handlers — the HTTP handlers, grouped by resource:
 *   auth_core.c     sign-up, sign-in (email, username), sign-out,
 *                   get-session, is-username-available, ok
 *   auth_account.c  sessions (list, revoke*), update-user, change-password,
 *                   verify-password, delete-user, password reset
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

/* "/api/auth" */
#define GH_AUTH_BASE "/api/auth"

#endif

/*
 * roles — which permissions a role grants, and whether a permission is
 * granted. Permissions are "resource:action"; a grant may use "*" for either
 * part ("*:read", "text:*", "*:*" or "*").
 *
 * Built-in roles (cannot be redefined; docs/authorization.md):
 *   admin     *:*                                  everything
 *   user      *:read *:write text:process batch:run
 *   readonly  *:read
 * Custom roles come from the config's `roles:` section.
 *
 * An API key may carry its own permissions; they only narrow: a request is
 * allowed a permission iff the owner's role grants it AND (the key has no
 * permission list OR the key's list grants it).
 *
 * Owns: the role table (built at roles_init from the config; immutable
 * afterwards). Threads: roles_init on the main thread; the rest anywhere.
 */
#ifndef GH_AUTHZ_ROLES_H
#define GH_AUTHZ_ROLES_H

#include <stdbool.h>
#include <stddef.h>

struct gh_config;

int roles_init(const struct gh_config *cfg);
bool roles_exists(const char *role);
/* Whether one grant covers `perm` ("resource:action"). */
bool roles_grant_covers(const char *grant, const char *perm);
/* Whether the grant list (n entries) covers `perm`. */
bool roles_list_grants(char *const *grants, int n, const char *perm);
bool roles_grants(const char *role, const char *perm);
/* Space-separated grants of a role, for X-Auth-Scopes; "" for unknown. */
const char *roles_scopes(const char *role);
/* Valid "resource:action" (parts [A-Za-z0-9_.-]+ or "*")? */
bool roles_valid_permission(const char *perm);

#endif

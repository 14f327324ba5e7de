/*
 * router — the table of routes: exact paths, method-specific. A path that is
 * not in the table, a wrong method and a trailing slash are all 404 with an
 * empty body, as Better-Auth answers (REFERENCE-better-auth §1).
 *
 * Owns: the route table (static storage, filled at start). Threads: router_add
 * on the main thread before the server starts; router_lookup from any thread.
 */
#ifndef GH_HTTP_ROUTER_H
#define GH_HTTP_ROUTER_H

#include "http/server.h"

/* Registers route (copied) and its metrics id; name for metrics is the path.
 * A path ending in "/" + "*" matches that prefix and anything below it (Envoy's
 * ext_authz appends the original path). Exact paths win over prefixes. */
void router_add(unsigned methods, const char *path, gh_handler fn, unsigned flags);
/* Sets the precheck of every route whose path starts with prefix. Call after
 * the routes are added. */
void router_set_precheck(const char *prefix, gh_precheck fn);
const struct gh_route *router_lookup(const char *path, enum gh_method method, bool *path_exists);

#endif

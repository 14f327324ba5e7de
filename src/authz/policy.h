/*
 * policy — forward-auth path policies: rules of (host glob, path glob,
 * methods) → access, evaluated in order; the first match wins and no match
 * means deny (config.h struct gh_policy_rule has the glob rules).
 *
 * Owns: nothing beyond the config's rule array. Threads: any (read-only).
 */
#ifndef GH_AUTHZ_POLICY_H
#define GH_AUTHZ_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "http/server.h"

void policy_init(const struct gh_config *cfg);
/* NULL: no rule matched (deny). host may be NULL (matches only rules with
 * no host). path must not contain the query string. */
const struct gh_policy_rule *policy_match(const char *host, const char *path,
					  enum gh_method method);
/* Canonical form of a request path before any rule sees it, so that
 * "/api/v1/../internal" cannot pass as "/api/v1/...":
 *   - percent-encoded unreserved characters are decoded (RFC 3986 §6.2.2.2:
 *     "%2e" is "."), other escapes kept as they are;
 *   - an encoded slash or backslash ("%2f", "%5c"), a raw backslash or a
 *     malformed escape ("%%32e", which would decode into "%2e") makes the
 *     path unacceptable: upstreams disagree on what they mean;
 *   - "." and ".." segments are removed (RFC 3986 §5.2.4), and a ".." above
 *     the root makes the path unacceptable;
 *   - runs of slashes become one (nginx's merge_slashes).
 * Returns false when the path is unacceptable (deny it) or too long. */
bool policy_normalize_path(const char *in, char *out, size_t outsz);

/* The glob used by policies and rate-limit rules (see config.h). */
bool policy_glob_match(const char *pattern, const char *text);
/* Host globs compare case-insensitively and ignore a ":port" on the host. */
bool policy_host_match(const char *pattern, const char *host);

#endif

/*
 * router — a sorted array searched by binary search: O(log n) string
 * compares, no allocation per request. See router.h.
 */
#include "http/router.h"

#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 160

static struct gh_route routes[MAX_ROUTES];
static int n_routes;
/* prefix routes ("/x/" + "*"), stored as "/x/"; "/x" itself matches too */
static struct gh_route prefixes[16];
static char prefix_paths[16][128];
static int n_prefixes;

static int by_path(const void *a, const void *b)
{
	const struct gh_route *ra = a, *rb = b;
	return strcmp(ra->path, rb->path);
}

void router_add(unsigned methods, const char *path, gh_handler fn, unsigned flags)
{
	size_t len = strlen(path);
	if (len >= 2 && strcmp(path + len - 2, "/*") == 0) {
		if (n_prefixes == 16 || len >= sizeof prefix_paths[0])
			abort(); /* a programming error */
		memcpy(prefix_paths[n_prefixes], path, len - 1);
		prefix_paths[n_prefixes][len - 1] = 0;
		prefixes[n_prefixes] = (struct gh_route){
		    .methods = methods,
		    .path = prefix_paths[n_prefixes],
		    .fn = fn,
		    .flags = flags,
		    .metric_id = metrics_register_route(path),
		};
		n_prefixes++;
		return;
	}
	if (n_routes == MAX_ROUTES)
		abort(); /* a programming error: raise MAX_ROUTES */
	routes[n_routes++] = (struct gh_route){
	    .methods = methods,
	    .path = path,
	    .fn = fn,
	    .flags = flags,
	    .metric_id = metrics_register_route(path),
	};
	qsort(routes, (size_t)n_routes, sizeof routes[0], by_path);
}

const struct gh_route *router_lookup(const char *path, enum gh_method method, bool *path_exists)
{
	/* The same path may appear once per handler with different methods:
	 * find the first entry for the path, then scan its neighbours. */
	int lo = 0, hi = n_routes;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (strcmp(routes[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*path_exists = false;
	for (int i = lo; i < n_routes && strcmp(routes[i].path, path) == 0; i++) {
		*path_exists = true;
		if (routes[i].methods & (unsigned)method)
			return &routes[i];
	}
	for (int i = 0; i < n_prefixes; i++) {
		const char *pre = prefixes[i].path; /* ends in '/' */
		size_t n = strlen(pre);
		if (strncmp(path, pre, n) == 0 ||
		    (strncmp(path, pre, n - 1) == 0 && path[n - 1] == 0)) {
			*path_exists = true;
			if (prefixes[i].methods & (unsigned)method)
				return &prefixes[i];
		}
	}
	return NULL;
}

void router_set_precheck(const char *prefix, gh_precheck fn)
{
	size_t n = strlen(prefix);
	for (int i = 0; i < n_routes; i++)
		if (strncmp(routes[i].path, prefix, n) == 0)
			routes[i].precheck = fn;
	for (int i = 0; i < n_prefixes; i++)
		if (strncmp(prefixes[i].path, prefix, n) == 0)
			prefixes[i].precheck = fn;
}

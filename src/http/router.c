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

static int by_path(const void *a, const void *b)
{
	const struct gh_route *ra = a, *rb = b;
	return strcmp(ra->path, rb->path);
}

void router_add(unsigned methods, const char *path, gh_handler fn, unsigned flags)
{
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
	return NULL;
}

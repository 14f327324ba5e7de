/*
 * metrics — Prometheus counters and histograms, rendered as text at /metrics.
 *
 * Owns: every counter. Routes are registered once at start (main thread);
 * afterwards every call is lock-free (relaxed atomics) and may run on any
 * thread.
 *
 * Exposed series:
 *   gatehouse_http_requests_total{route,status}
 *   gatehouse_http_request_duration_seconds_bucket{le} / _sum / _count
 *   gatehouse_signin_total{outcome}   success | failure | locked | banned
 *   gatehouse_worker_queue_depth, gatehouse_http_in_flight
 *   gatehouse_password_hashes_total
 */
#ifndef GH_CORE_METRICS_H
#define GH_CORE_METRICS_H

enum gh_signin_outcome {
	GH_SIGNIN_SUCCESS,
	GH_SIGNIN_FAILURE,
	GH_SIGNIN_LOCKED,
	GH_SIGNIN_BANNED,
	GH_SIGNIN_OUTCOMES
};

/* Returns a route id (>= 0); "other" (id 0) exists from the start. */
int metrics_register_route(const char *name);
void metrics_request(int route_id, int status, double seconds);
void metrics_signin(enum gh_signin_outcome outcome);
void metrics_password_hash(void);
/* Renders the exposition text; returns a malloc'd string. */
char *metrics_render(int worker_queue_depth, int in_flight);

#endif

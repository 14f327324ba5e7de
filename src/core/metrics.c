/*
 * metrics — fixed-size tables of relaxed atomics (see metrics.h). Status
 * codes are folded into a short list of the ones gatehouse answers, so the
 * table never grows at run time.
 */
#include "core/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 128

static const int status_codes[] = {200, 201, 202, 204, 302, 303, 304, 400, 401, 403, 404,
				   405, 408, 413, 415, 422, 429, 431, 500, 503, 0};
#define N_STATUS ((int)(sizeof status_codes / sizeof status_codes[0]))

static const double bucket_le[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
				   0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
#define N_BUCKETS ((int)(sizeof bucket_le / sizeof bucket_le[0]))

static const char *route_names[MAX_ROUTES] = {"other"};
static int n_routes = 1;
static atomic_ullong requests[MAX_ROUTES][N_STATUS];
static atomic_ullong buckets[N_BUCKETS + 1];
static atomic_ullong duration_sum_us;
static atomic_ullong signins[GH_SIGNIN_OUTCOMES];
static atomic_ullong password_hashes;

int metrics_register_route(const char *name)
{
	for (int i = 0; i < n_routes; i++)
		if (strcmp(route_names[i], name) == 0)
			return i;
	if (n_routes == MAX_ROUTES)
		return 0;
	route_names[n_routes] = name;
	return n_routes++;
}

static int status_index(int status)
{
	for (int i = 0; i < N_STATUS - 1; i++)
		if (status_codes[i] == status)
			return i;
	return N_STATUS - 1;
}

void metrics_request(int route_id, int status, double seconds)
{
	if (route_id < 0 || route_id >= n_routes)
		route_id = 0;
	atomic_fetch_add_explicit(&requests[route_id][status_index(status)], 1,
				  memory_order_relaxed);
	int b = 0;
	while (b < N_BUCKETS && seconds > bucket_le[b])
		b++;
	atomic_fetch_add_explicit(&buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&duration_sum_us, (unsigned long long)(seconds * 1e6),
				  memory_order_relaxed);
}

void metrics_signin(enum gh_signin_outcome outcome)
{
	atomic_fetch_add_explicit(&signins[outcome], 1, memory_order_relaxed);
}

void metrics_password_hash(void)
{
	atomic_fetch_add_explicit(&password_hashes, 1, memory_order_relaxed);
}

struct text {
	char *buf;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap *= 2;
		char *nb = realloc(t->buf, t->cap);
		if (!nb)
			abort();
		t->buf = nb;
	}
}

char *metrics_render(int worker_queue_depth, int in_flight)
{
	static const char *const outcome_names[] = {"success", "failure", "locked", "banned"};
	struct text t = {malloc(16384), 0, 16384};
	if (!t.buf)
		abort();
	put(&t,
	    "# HELP gatehouse_http_requests_total HTTP requests answered, by route and status.\n"
	    "# TYPE gatehouse_http_requests_total counter\n");
	for (int r = 0; r < n_routes; r++) {
		for (int s = 0; s < N_STATUS; s++) {
			unsigned long long v =
			    atomic_load_explicit(&requests[r][s], memory_order_relaxed);
			if (!v)
				continue;
			if (status_codes[s])
				put(&t,
				    "gatehouse_http_requests_total{route=\"%s\",status=\"%d\"} "
				    "%llu\n",
				    route_names[r], status_codes[s], v);
			else
				put(&t,
				    "gatehouse_http_requests_total{route=\"%s\",status=\"other\"} "
				    "%llu\n",
				    route_names[r], v);
		}
	}
	put(&t, "# HELP gatehouse_http_request_duration_seconds Time from headers to response.\n"
		"# TYPE gatehouse_http_request_duration_seconds histogram\n");
	unsigned long long cum = 0;
	for (int b = 0; b <= N_BUCKETS; b++) {
		cum += atomic_load_explicit(&buckets[b], memory_order_relaxed);
		if (b < N_BUCKETS)
			put(&t, "gatehouse_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			    bucket_le[b], cum);
		else
			put(&t,
			    "gatehouse_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			    cum);
	}
	put(&t, "gatehouse_http_request_duration_seconds_sum %.6f\n",
	    (double)atomic_load(&duration_sum_us) / 1e6);
	put(&t, "gatehouse_http_request_duration_seconds_count %llu\n", cum);
	put(&t, "# HELP gatehouse_signin_total Sign-in attempts by outcome.\n"
		"# TYPE gatehouse_signin_total counter\n");
	for (int o = 0; o < GH_SIGNIN_OUTCOMES; o++)
		put(&t, "gatehouse_signin_total{outcome=\"%s\"} %llu\n", outcome_names[o],
		    atomic_load(&signins[o]));
	put(&t,
	    "# HELP gatehouse_password_hashes_total Password hashes and verifications computed.\n"
	    "# TYPE gatehouse_password_hashes_total counter\n"
	    "gatehouse_password_hashes_total %llu\n",
	    atomic_load(&password_hashes));
	put(&t,
	    "# HELP gatehouse_worker_queue_depth Jobs waiting for a worker thread.\n"
	    "# TYPE gatehouse_worker_queue_depth gauge\n"
	    "gatehouse_worker_queue_depth %d\n",
	    worker_queue_depth);
	put(&t,
	    "# HELP gatehouse_http_in_flight Requests being handled.\n"
	    "# TYPE gatehouse_http_in_flight gauge\n"
	    "gatehouse_http_in_flight %d\n",
	    in_flight);
	return t.buf;
}

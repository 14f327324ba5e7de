/*
 * api/ops — operator endpoints: /healthz (the process answers), /readyz (the
 * store answers too), /metrics (Prometheus text, see core/metrics.h).
 */
#include "api/handlers.h"
#include "core/metrics.h"
#include "core/workers.h"
#include "http/router.h"
#include "ratelimit/ratelimit.h"
#include "http/server.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void h_healthz(struct gh_request *req)
{
	resp_json_text(req, 200, "{\"status\":\"ok\"}");
}

static void h_readyz(struct gh_request *req)
{
	bool store_ok = store()->ping() == 0;
	/* Redis down is not "not ready": rate limits fall back as configured */
	json_t *o = json_pack("{s:s, s:{s:s, s:s}}", "status", store_ok ? "ready" : "unavailable",
			      "checks", "store", store_ok ? "ok" : "unreachable", "ratelimit_redis",
			      ratelimit_redis_state());
	resp_header(req, "Cache-Control", "no-store");
	resp_json(req, store_ok ? 200 : 503, o);
}

static void h_metrics(struct gh_request *req)
{
	char *text = metrics_render(workers_queue_depth(), http_server_in_flight());
	const char *state = ratelimit_redis_state();
	char *full = NULL;
	if (asprintf(&full,
		     "%s# HELP gatehouse_ratelimit_denied_total Requests refused by a rate limit.\n"
		     "# TYPE gatehouse_ratelimit_denied_total counter\n"
		     "gatehouse_ratelimit_denied_total %llu\n"
		     "# HELP gatehouse_ratelimit_redis_errors_total Rate-limit checks Redis could "
		     "not answer.\n"
		     "# TYPE gatehouse_ratelimit_redis_errors_total counter\n"
		     "gatehouse_ratelimit_redis_errors_total %llu\n"
		     "# HELP gatehouse_ratelimit_redis_up Whether the rate-limit Redis answers "
		     "(-1: not configured).\n"
		     "# TYPE gatehouse_ratelimit_redis_up gauge\n"
		     "gatehouse_ratelimit_redis_up %d\n",
		     text, (unsigned long long)ratelimit_denied_total(),
		     (unsigned long long)ratelimit_redis_errors_total(),
		     strcmp(state, "up") == 0     ? 1
		     : strcmp(state, "down") == 0 ? 0
						  : -1) < 0)
		abort();
	free(text);
	resp_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", full);
	free(full);
}

void ops_register(const struct gh_config *cfg)
{
	(void)cfg;
	router_add(GH_GET | GH_HEAD, "/healthz", h_healthz, 0);
	router_add(GH_GET | GH_HEAD, "/readyz", h_readyz, 0);
	router_add(GH_GET, "/metrics", h_metrics, 0);
}

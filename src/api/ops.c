/*
 * api/ops — operator endpoints: /healthz (the process answers), /readyz (the
 * store answers too), /metrics (Prometheus text, see core/metrics.h).
 */
#include "api/handlers.h"
#include "core/metrics.h"
#include "core/workers.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"

#include <stdlib.h>

static void h_healthz(struct gh_request *req)
{
	resp_json_text(req, 200, "{\"status\":\"ok\"}");
}

static void h_readyz(struct gh_request *req)
{
	bool store_ok = store()->ping() == 0;
	json_t *o = json_pack("{s:s, s:{s:s}}", "status", store_ok ? "ready" : "unavailable",
			      "checks", "store", store_ok ? "ok" : "unreachable");
	resp_header(req, "Cache-Control", "no-store");
	resp_json(req, store_ok ? 200 : 503, o);
}

static void h_metrics(struct gh_request *req)
{
	char *text = metrics_render(workers_queue_depth(), http_server_in_flight());
	resp_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
}

void ops_register(const struct gh_config *cfg)
{
	(void)cfg;
	router_add(GH_GET | GH_HEAD, "/healthz", h_healthz, 0);
	router_add(GH_GET | GH_HEAD, "/readyz", h_readyz, 0);
	router_add(GH_GET, "/metrics", h_metrics, 0);
}

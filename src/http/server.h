/*
 * http/server — gatehouse's HTTP front: libmicrohttpd with its internal epoll
 * and one thread per core, the request/response types handlers use, and the
 * limits every request is held to.
 *
 * The path of a request (docs/architecture.md):
 *   1. MHD calls on_access() with the headers: we make a struct gh_request,
 *      check header size (431), Content-Length (413) and route it (404).
 *   2. Body chunks are appended up to max_body_bytes (then 413, nothing read
 *      further is kept).
 *   3. On the final call the route's precheck (rate limits) runs, then the
 *      route's handler — inline on the HTTP thread
 *      for cheap routes, or, for routes flagged GH_ROUTE_SLOW, on the worker
 *      pool: the connection is suspended, the job queued, and the worker
 *      resumes the connection when the response is ready. A slow request
 *      never occupies an HTTP thread.
 *   4. The response is queued only after the handler ran (never on the first
 *      call: MHD would close keep-alive connections).
 *
 * Owns: every struct gh_request (created and freed here), its arena, its
 * response. Handlers write the response through resp_*().
 *
 * Threads: a request is touched by one thread at a time: its HTTP thread, or
 * while suspended, exactly one worker. req_* / resp_* are not thread-safe
 * across requests' boundaries and need none.
 */
#ifndef GH_HTTP_SERVER_H
#define GH_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/error.h"

struct MHD_Connection;
struct gh_config;

enum gh_method {
	GH_GET = 1,
	GH_HEAD = 2,
	GH_POST = 4,
	GH_PUT = 8,
	GH_DELETE = 16,
	GH_PATCH = 32,
	GH_OPTIONS = 64,
	GH_OTHER = 128,
};

struct gh_request;
typedef void (*gh_handler)(struct gh_request *req);

/* A route's precheck runs on the HTTP thread before the handler is
 * dispatched (rate limits: they must be decided before any hashing).
 * PASS: go on. DENY: the response it set is sent. PENDING: it called
 * req_defer() and will call req_precheck_done() from any thread. */
enum gh_check { GH_CHECK_PASS, GH_CHECK_DENY, GH_CHECK_PENDING };
typedef enum gh_check (*gh_precheck)(struct gh_request *req);

/* Route flags */
#define GH_ROUTE_SLOW 1u /* run on the worker pool (hashing, database writes) */

struct gh_route {
	unsigned methods; /* mask of enum gh_method */
	const char *path; /* exact path, e.g. "/api/auth/sign-in/email" */
	gh_handler fn;
	gh_precheck precheck; /* NULL: none */
	unsigned flags;
	int metric_id; /* index into the metrics route table; set by router */
};

#define GH_RESP_MAX_HEADERS 32

struct gh_arena_block;

struct gh_request {
	/* input (valid for the whole request) */
	struct MHD_Connection *conn;
	enum gh_method method;
	const char *method_name;
	const char *path;
	char *body; /* NUL-terminated; NULL when empty */
	size_t body_len;
	char peer_ip[64];   /* the TCP peer */
	char client_ip[64]; /* peer, or taken from proxy headers when the peer is trusted */
	const struct gh_route *route;
	double started; /* monotonic seconds */

	/* output */
	int status;
	char *resp_body; /* malloc'd; owned by the request until queued */
	size_t resp_len;
	const char *resp_content_type;
	const char *resp_header_names[GH_RESP_MAX_HEADERS];
	const char *resp_header_values[GH_RESP_MAX_HEADERS];
	int resp_n_headers;

	/* framework state (server.c only) */
	int state;
	bool body_overflow;
	bool in_handler; /* the handler (not a precheck) is running */
	bool deferred;   /* req_defer was called; the answer comes after a resume */
	size_t body_cap;
	struct gh_arena_block *arena;
	void *handler_ctx; /* handlers may park per-request state here (arena memory) */
};

/* ---- request helpers ---- */
const char *req_header(struct gh_request *req, const char *name);
const char *req_query(struct gh_request *req, const char *name);
/* Memory that lives until the request ends. Never fails (aborts on OOM). */
void *req_alloc(struct gh_request *req, size_t n);
char *req_strdup(struct gh_request *req, const char *s);
char *req_sprintf(struct gh_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- response helpers (each replaces the previous body) ---- */
/* Takes ownership of `body` (json_decref'd here). */
void resp_json(struct gh_request *req, int status, json_t *body);
/* Takes ownership of a malloc'd body. */
void resp_take_body(struct gh_request *req, int status, const char *content_type, char *body,
		    size_t len);
/* The literal JSON text, copied. */
void resp_json_text(struct gh_request *req, int status, const char *json);
/* {"message","code"} from err. */
void resp_error(struct gh_request *req, const struct gh_error *err);
void resp_fail(struct gh_request *req, int status, const char *code, const char *message);
void resp_text(struct gh_request *req, int status, const char *content_type, const char *text);
void resp_empty(struct gh_request *req, int status);
/* name and value are copied into the request's arena. */
void resp_header(struct gh_request *req, const char *name, const char *value);

/* ---- asynchronous answers ----
 * An inline handler (or a precheck) that waits for something off-thread
 * (Redis) calls req_defer() before starting it: the connection is suspended
 * and the HTTP thread moves on. The completion, on any thread, sets the
 * response and calls req_complete() (handler) or req_precheck_done()
 * (precheck; pass=false means the response it set is sent). Never call
 * req_defer from a GH_ROUTE_SLOW handler: a worker already owns it. */
void req_defer(struct gh_request *req);
void req_complete(struct gh_request *req);
void req_precheck_done(struct gh_request *req, bool pass);

/* ---- lifecycle (main thread) ---- */
typedef const struct gh_route *(*gh_route_lookup)(const char *path, enum gh_method method,
						  bool *path_exists);

int http_server_start(const struct gh_config *cfg, gh_route_lookup lookup);
/* Stops accepting, waits up to drain_s for in-flight requests, stops. */
void http_server_stop(double drain_s);
/* requests currently being handled (for metrics and drain) */
int http_server_in_flight(void);

#endif

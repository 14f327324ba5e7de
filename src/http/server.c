/*
 * http/server — libmicrohttpd glue, request lifecycle and limits. See
 * server.h for the path of a request and the thread rules.
 *
 * MHD calls the access handler several times per request: once with headers
 * only (*con_cls == NULL), once per body chunk, and once more with no data
 * when the body is complete. After MHD_resume_connection it calls it again;
 * that is when a worker's response gets queued.
 */
#include "http/server.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/workers.h"
#include "http/clientip.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum req_state {
	ST_RECEIVING = 0, /* headers seen, body (if any) arriving */
	ST_CHECKING,      /* suspended; the route's precheck is waiting (Redis) */
	ST_CHECKED,       /* precheck passed; dispatch on the next call */
	ST_WORKING,       /* suspended; a worker or an async answer owns the request */
	ST_READY,         /* response built, not yet queued */
	ST_QUEUED,
};

static struct {
	struct MHD_Daemon *daemon;
	gh_route_lookup lookup;
	const struct gh_config *cfg;
	atomic_int in_flight;
} srv;

/* ---- per-request arena ---- */

struct gh_arena_block {
	struct gh_arena_block *next;
	size_t used, cap;
	char data[];
};

void *req_alloc(struct gh_request *req, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct gh_arena_block *b = req->arena;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 3072 ? n : 3072;
		b = malloc(sizeof *b + cap);
		if (!b)
			abort();
		b->next = req->arena;
		b->used = 0;
		b->cap = cap;
		req->arena = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

char *req_strdup(struct gh_request *req, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = req_alloc(req, n);
	memcpy(p, s, n);
	return p;
}

char *req_sprintf(struct gh_request *req, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = req_alloc(req, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static void request_free(struct gh_request *req)
{
	struct gh_arena_block *b = req->arena;
	while (b) {
		struct gh_arena_block *next = b->next;
		free(b);
		b = next;
	}
	free(req->body);
	free(req->resp_body);
	free(req);
}

/* ---- request helpers ---- */

const char *req_header(struct gh_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *req_query(struct gh_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- response helpers ---- */

static void set_body(struct gh_request *req, int status, const char *ctype, char *body, size_t len)
{
	free(req->resp_body);
	req->status = status;
	req->resp_content_type = ctype;
	req->resp_body = body;
	req->resp_len = len;
}

void resp_json(struct gh_request *req, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (!text)
		abort();
	set_body(req, status, "application/json", text, strlen(text));
}

void resp_take_body(struct gh_request *req, int status, const char *content_type, char *body,
		    size_t len)
{
	set_body(req, status, content_type, body, len);
}

void resp_json_text(struct gh_request *req, int status, const char *json)
{
	char *text = strdup(json);
	if (!text)
		abort();
	set_body(req, status, "application/json", text, strlen(text));
}

void resp_fail(struct gh_request *req, int status, const char *code, const char *message)
{
	/* never abort on a bad string: fall back to a fixed message */
	json_t *o = json_pack("{s:s, s:s}", "message", message ? message : "", "code",
			      code ? code : "INTERNAL_SERVER_ERROR");
	if (!o)
		o = json_pack("{s:s, s:s}", "message", "Error", "code",
			      code ? code : "INTERNAL_SERVER_ERROR");
	if (!o)
		o = json_pack("{s:s, s:s}", "message", "Error", "code", "INTERNAL_SERVER_ERROR");
	resp_json(req, status, o);
}

void resp_error(struct gh_request *req, const struct gh_error *err)
{
	resp_fail(req, err->status, err->code, err->message);
}

void resp_text(struct gh_request *req, int status, const char *content_type, const char *text)
{
	char *copy = strdup(text);
	if (!copy)
		abort();
	set_body(req, status, content_type, copy, strlen(copy));
}

void resp_empty(struct gh_request *req, int status)
{
	set_body(req, status, NULL, NULL, 0);
}

void resp_header(struct gh_request *req, const char *name, const char *value)
{
	if (req->resp_n_headers == GH_RESP_MAX_HEADERS) {
		log_event(GH_LOG_ERROR, "too many response headers", "header", name, NULL);
		return;
	}
	req->resp_header_names[req->resp_n_headers] = req_strdup(req, name);
	req->resp_header_values[req->resp_n_headers] = req_strdup(req, value);
	req->resp_n_headers++;
}

/* ---- lifecycle ---- */

static enum gh_method parse_method(const char *m)
{
	static const struct {
		const char *name;
		enum gh_method m;
	} table[] = {{"GET", GH_GET},        {"POST", GH_POST},     {"HEAD", GH_HEAD},
		     {"PUT", GH_PUT},        {"DELETE", GH_DELETE}, {"PATCH", GH_PATCH},
		     {"OPTIONS", GH_OPTIONS}};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(m, table[i].name) == 0)
			return table[i].m;
	return GH_OTHER;
}

static enum MHD_Result queue(struct gh_request *req)
{
	struct MHD_Response *r;
	if (req->resp_body) {
		r = MHD_create_response_from_buffer(req->resp_len, req->resp_body,
						    MHD_RESPMEM_MUST_FREE);
		req->resp_body = NULL; /* MHD owns it now */
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return MHD_NO;
	if (req->resp_content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, req->resp_content_type);
	for (int i = 0; i < req->resp_n_headers; i++)
		MHD_add_response_header(r, req->resp_header_names[i], req->resp_header_values[i]);
	enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)req->status, r);
	MHD_destroy_response(r);
	req->state = ST_QUEUED;
	return ret;
}

struct header_sum {
	size_t bytes;
};

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	struct header_sum *s = cls;
	s->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static void run_slow(void *arg)
{
	struct gh_request *req = arg;
	req->route->fn(req);
	req->state = ST_READY;
	MHD_resume_connection(req->conn);
}

/* Runs the handler (inline or on a worker) once the whole body is in and
 * the precheck (if any) passed. */
static enum MHD_Result dispatch(struct gh_request *req)
{
	if (req->route->flags & GH_ROUTE_SLOW) {
		req->state = ST_WORKING;
		MHD_suspend_connection(req->conn);
		if (!workers_submit(run_slow, req)) {
			resp_fail(req, 503, "SERVICE_UNAVAILABLE",
				  "Server is busy; try again shortly");
			resp_header(req, "Retry-After", "1");
			req->state = ST_READY;
			MHD_resume_connection(req->conn);
		}
		return MHD_YES;
	}
	req->in_handler = true;
	req->route->fn(req);
	/* Deferred: the answer may even be complete already (the callback ran on
	 * another thread), but it is queued only on MHD's next call, after the
	 * resume — never from here, while the connection is suspended. */
	if (req->deferred)
		return MHD_YES;
	return queue(req);
}

/* The final call for a complete request: precheck, then dispatch. */
static enum MHD_Result run_request(struct gh_request *req)
{
	if (req->route->precheck) {
		switch (req->route->precheck(req)) {
		case GH_CHECK_PASS: break;
		case GH_CHECK_DENY: return queue(req);
		case GH_CHECK_PENDING:
			return MHD_YES; /* suspended by req_defer; precheck_done() resumes */
		}
	}
	return dispatch(req);
}

void req_defer(struct gh_request *req)
{
	req->deferred = true;
	req->state = req->in_handler ? ST_WORKING : ST_CHECKING;
	MHD_suspend_connection(req->conn);
}

void req_complete(struct gh_request *req)
{
	req->state = ST_READY;
	MHD_resume_connection(req->conn);
}

void req_precheck_done(struct gh_request *req, bool pass)
{
	req->state = pass ? ST_CHECKED : ST_READY;
	MHD_resume_connection(req->conn);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct gh_request *req = *con_cls;
	if (!req) {
		req = calloc(1, sizeof *req);
		if (!req)
			return MHD_NO;
		*con_cls = req;
		atomic_fetch_add(&srv.in_flight, 1);
		req->conn = conn;
		req->started = clock_mono_s();
		req->method = parse_method(method);
		req->method_name = method;
		req->path = url;
		req->status = 500;
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		clientip_from_sockaddr(ci ? ci->client_addr : NULL, req->peer_ip);
		const char *fwd =
		    srv.cfg->n_ip_headers > 0 ? req_header(req, srv.cfg->ip_headers[0]) : NULL;
		clientip_resolve(req->peer_ip, fwd, req->client_ip);

		struct header_sum hs = {strlen(url) + strlen(method) + 16};
		MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_size, &hs);
		if (hs.bytes > srv.cfg->max_header_bytes) {
			resp_fail(req, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
				  "Request headers are larger than the server accepts");
			return queue(req); /* the connection closes after this answer */
		}
		const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > srv.cfg->max_body_bytes) {
			resp_fail(req, 413, "PAYLOAD_TOO_LARGE",
				  "Request body is larger than the server accepts");
			return queue(req);
		}
		bool path_exists = false;
		req->route = srv.lookup(url, req->method, &path_exists);
		if (!req->route) {
			resp_empty(req, 404);
			req->state = ST_READY;
		}
		return MHD_YES;
	}

	switch (req->state) {
	case ST_RECEIVING:
		if (*upload_data_size > 0) {
			size_t n = *upload_data_size;
			*upload_data_size = 0;
			if (req->body_overflow)
				return MHD_YES;
			if (req->body_len + n > srv.cfg->max_body_bytes) {
				req->body_overflow = true;
				return MHD_YES;
			}
			if (req->body_len + n + 1 > req->body_cap) {
				size_t cap = req->body_cap ? req->body_cap * 2 : 1024;
				while (cap < req->body_len + n + 1)
					cap *= 2;
				char *nb = realloc(req->body, cap);
				if (!nb)
					return MHD_NO;
				req->body = nb;
				req->body_cap = cap;
			}
			memcpy(req->body + req->body_len, upload_data, n);
			req->body_len += n;
			req->body[req->body_len] = 0;
			return MHD_YES;
		}
		if (req->body_overflow) {
			resp_fail(req, 413, "PAYLOAD_TOO_LARGE",
				  "Request body is larger than the server accepts");
			return queue(req);
		}
		return run_request(req);
	case ST_CHECKED: return dispatch(req);
	case ST_READY:
		/* an early answer (404): the body is read and dropped; MHD accepts the
		 * response only once the request is complete */
		if (*upload_data_size > 0) {
			*upload_data_size = 0;
			return MHD_YES;
		}
		return queue(req);
	default: *upload_data_size = 0; return MHD_YES;
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct gh_request *req = *con_cls;
	if (!req)
		return;
	double dt = clock_mono_s() - req->started;
	metrics_request(req->route ? req->route->metric_id : 0, req->status, dt);
	if (log_enabled(GH_LOG_DEBUG)) {
		char status[8], ms[32];
		snprintf(status, sizeof status, "%d", req->status);
		snprintf(ms, sizeof ms, "%.3f", dt * 1000);
		log_event(GH_LOG_DEBUG, "request", "method", req->method_name, "path", req->path,
			  "status", status, "ms", ms, "ip", req->client_ip, NULL);
	}
	request_free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&srv.in_flight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	log_event(GH_LOG_WARN, "http", "detail", msg, NULL);
}

int http_server_start(const struct gh_config *cfg, gh_route_lookup lookup)
{
	srv.cfg = cfg;
	srv.lookup = lookup;
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr;
	memset(&addr, 0, sizeof addr);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (inet_pton(AF_INET, cfg->listen_host, &addr.in4.sin_addr) == 1) {
		addr.in4.sin_family = AF_INET;
		addr.in4.sin_port = htons((uint16_t)cfg->listen_port);
	} else if (inet_pton(AF_INET6, cfg->listen_host, &addr.in6.sin6_addr) == 1) {
		addr.in6.sin6_family = AF_INET6;
		addr.in6.sin6_port = htons((uint16_t)cfg->listen_port);
		flags |= MHD_USE_IPv6;
	} else {
		log_event(GH_LOG_ERROR, "listen address must be a numeric IP", "host",
			  cfg->listen_host, NULL);
		return -1;
	}
	int threads =
	    cfg->http_threads > 0 ? cfg->http_threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	/* the pool size is given only when there is a pool: MHD warns otherwise */
	struct MHD_OptionItem pool[] = {
	    {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	srv.daemon = MHD_start_daemon(
	    flags, (uint16_t)cfg->listen_port, NULL, NULL, on_access, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &addr.sa,
	    MHD_OPTION_ARRAY, threads > 1 ? pool : pool + 1, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)cfg->connection_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(cfg->max_header_bytes * 2 + 8192), MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!srv.daemon) {
		log_event(GH_LOG_ERROR, "cannot listen", "host", cfg->listen_host, NULL);
		return -1;
	}
	return 0;
}

int http_server_in_flight(void)
{
	return atomic_load(&srv.in_flight);
}

void http_server_stop(double drain_s)
{
	if (!srv.daemon)
		return;
	MHD_socket s = MHD_quiesce_daemon(srv.daemon);
	if (s != MHD_INVALID_SOCKET)
		close(s);
	double until = clock_mono_s() + drain_s;
	while (atomic_load(&srv.in_flight) > 0 && clock_mono_s() < until)
		usleep(5000);
	MHD_stop_daemon(srv.daemon);
	srv.daemon = NULL;
}

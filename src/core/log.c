/*
 * log — JSON lines on stderr. See log.h.
 */
#include "core/log.h"

#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int min_level = GH_LOG_INFO;

int log_set_level(const char *name)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++) {
		if (name && strcmp(name, names[i]) == 0) {
			atomic_store(&min_level, i);
			return 0;
		}
	}
	return -1;
}

int log_enabled(enum gh_log_level level)
{
	return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

/* Appends s as a JSON string body (without quotes) to buf, escaping what JSON
 * requires; stops quietly when the buffer is full. */
static size_t append_escaped(char *buf, size_t at, size_t cap, const char *s)
{
	for (; *s && at + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[at++] = '\\';
			buf[at++] = (char)c;
		} else if (c < 0x20) {
			at += (size_t)snprintf(buf + at, cap - at, "\\u%04x", c);
		} else {
			buf[at++] = (char)c;
		}
	}
	return at;
}

static size_t append_raw(char *buf, size_t at, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (at + n >= cap)
		n = cap - at - 1;
	memcpy(buf + at, s, n);
	return at + n;
}

void log_event(enum gh_log_level level, const char *msg, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	if (!log_enabled(level))
		return;
	char line[4096];
	char ts[32];
	const size_t cap = sizeof line - 2; /* room for "}\n" */
	clock_format_iso(clock_now_ms(), ts);
	size_t at = (size_t)snprintf(line, cap, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
				     names[level]);
	at = append_escaped(line, at, cap, msg);
	at = append_raw(line, at, cap, "\"");
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *key = va_arg(ap, const char *);
		if (!key)
			break;
		const char *val = va_arg(ap, const char *);
		at = append_raw(line, at, cap, ",\"");
		at = append_escaped(line, at, cap, key);
		if (val) {
			at = append_raw(line, at, cap, "\":\"");
			at = append_escaped(line, at, cap, val);
			at = append_raw(line, at, cap, "\"");
		} else {
			at = append_raw(line, at, cap, "\":null");
		}
	}
	va_end(ap);
	line[at++] = '}';
	line[at++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, at);
	(void)w;
}

const char *log_secret_prefix(const char *secret, int keep, char *out, int outsz)
{
	if (!secret) {
		snprintf(out, (size_t)outsz, "(none)");
		return out;
	}
	snprintf(out, (size_t)outsz, "%.*s…", keep, secret);
	return out;
}

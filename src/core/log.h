/*
 * log — structured JSON log lines on stderr, one object per line:
 *   {"ts":"2026-11-22T08:00:00.000Z","level":"info","msg":"...", ...fields}
 *
 * Owns: the log level and the line format. Never pass a secret as a field:
 * API keys and tokens are logged only through log_secret_prefix(), which
 * keeps the first characters.
 *
 * Threads: any thread; a line is written with one write(2), so lines from
 * different threads never interleave.
 */
#ifndef GH_CORE_LOG_H
#define GH_CORE_LOG_H

#include <stdarg.h>

enum gh_log_level { GH_LOG_DEBUG, GH_LOG_INFO, GH_LOG_WARN, GH_LOG_ERROR };

/* "debug" | "info" | "warn" | "error"; returns -1 for anything else. */
int log_set_level(const char *name);
int log_enabled(enum gh_log_level level);

/* msg is a plain string; then pairs of (key, value) strings, NULL-terminated:
 *   log_event(GH_LOG_INFO, "sign-in", "user", id, "ip", ip, NULL);
 * A NULL value is written as JSON null. */
void log_event(enum gh_log_level level, const char *msg, ...);

/* Copies at most the first `keep` characters of secret, then "…", into out. */
const char *log_secret_prefix(const char *secret, int keep, char *out, int outsz);

#endif

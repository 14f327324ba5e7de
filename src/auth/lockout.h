/*
 * lockout — per-account protection against password guessing: after
 * max_attempts consecutive failures an account identifier is locked for
 * duration_s; a success resets the count. Identifiers are what the caller
 * typed (lower-cased email or username), known or not, so an unknown account
 * behaves exactly like a known one (no enumeration, ASVS 6.3.8). NIST's
 * ceiling of 100 consecutive failures is far above the default of 5.
 *
 * Owns: a bounded in-memory table (one node; issue 4 moves it to Redis for
 * clusters). Threads: any.
 */
#ifndef GH_AUTH_LOCKOUT_H
#define GH_AUTH_LOCKOUT_H

#include <stdbool.h>

void lockout_init(int max_attempts, int duration_s);
bool lockout_is_locked(const char *account);
/* Records a failure; true when this failure locked the account. */
bool lockout_record_failure(const char *account);
void lockout_record_success(const char *account);
void lockout_unlock(const char *account);

#endif

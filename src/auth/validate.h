/*
 * validate — field rules for accounts, shared by every handler so that a
 * value is judged the same everywhere:
 *   email     Better-Auth's (zod's) email shape, <= 254 bytes, lower-cased;
 *   username  3..30 of [A-Za-z0-9_.], compared lower-cased (username plugin);
 *   name      1..255 bytes, no control characters;
 *   image     <= 2048 bytes, no control characters.
 * Strings reaching here are valid UTF-8 (jansson rejects anything else).
 * Threads: any; pure functions.
 */
#ifndef GH_AUTH_VALIDATE_H
#define GH_AUTH_VALIDATE_H

#include <stdbool.h>

#include "core/error.h"
#include "store/store.h" /* GH_EMAIL_MAX */

bool validate_email(const char *email);
/* The one way an email enters gatehouse: copied, lower-cased, validated.
 * False (out undefined) when too long or not an email; `in` longer than
 * GH_EMAIL_MAX is refused, never truncated into a different address. */
bool normalize_email(const char *in, char out[GH_EMAIL_MAX + 1]);
/* USERNAME_TOO_SHORT / USERNAME_TOO_LONG / INVALID_USERNAME with `status`
 * (Better-Auth answers 400 at sign-up and update, 422 at sign-in and
 * is-username-available). */
bool validate_username(const char *username, int status, struct gh_error *err);
bool validate_text_field(const char *value, int max_bytes, bool allow_empty);
void lowercase_ascii(char *s);

#endif

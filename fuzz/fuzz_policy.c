/*
 * fuzz_policy — the forward-auth path machinery in src/authz/policy.c, fed
 * hostile original URIs:
 *   - policy_normalize_path: never overflows its output, and what it accepts
 *     starts with '/', has no "//", no "." or ".." segment, no backslash and
 *     no encoded separator; normalising it again changes nothing (idempotent);
 *   - policy_glob_match and policy_host_match on fuzz-derived pattern/text
 *     pairs: terminate (no exponential backtracking) and never read past the
 *     strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authz/policy.h"
#include "fuzz_input.h"

static void check_normalised(const char *p)
{
	FUZZ_CHECK(p[0] == '/');
	FUZZ_CHECK(strstr(p, "//") == NULL);
	FUZZ_CHECK(strstr(p, "/./") == NULL && strstr(p, "/../") == NULL);
	size_t n = strlen(p);
	FUZZ_CHECK(!(n >= 2 && strcmp(p + n - 2, "/.") == 0));
	FUZZ_CHECK(!(n >= 3 && strcmp(p + n - 3, "/..") == 0));
	FUZZ_CHECK(strchr(p, '\\') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;

	char out[512], again[512];
	if (policy_normalize_path(in, out, sizeof out)) {
		FUZZ_CHECK(strlen(out) < sizeof out);
		check_normalised(out);
		FUZZ_CHECK(policy_normalize_path(out, again, sizeof again));
		FUZZ_CHECK(strcmp(out, again) == 0);
	}
	/* split at the first newline: pattern, then text */
	char *nl = strchr(in, '\n');
	if (nl) {
		*nl = 0;
		(void)policy_glob_match(in, nl + 1);
		(void)policy_host_match(in, nl + 1);
	}
	free(in);
	return 0;
}

/*
 * fuzz_clientip.c — libFuzzer target for src/http/clientip.c: the
 * trusted-proxy CIDR parser and the right-to-left X-Forwarded-For walk.
 *
 * Input: one control byte, then NUL-separated strings.
 *   control & 3 != 3: "peer \0 forwarded" against the fixed proxy list
 *     127.0.0.1, 10.0.0.0/8, ::1, fd00::/8 (forwarded is NULL when absent or
 *     when control & 4); every string is also tried as a proxy address, and
 *     the first 20 bytes as a struct sockaddr.
 *   control & 3 == 3: every string is a CIDR for clientip_init.
 *
 * Invariants checked, beyond ASan/UBSan cleanliness:
 *   - the output of clientip_resolve and clientip_from_sockaddr is
 *     NUL-terminated inside GH_IP_MAX bytes;
 *   - an untrusted peer, or no header, gives the peer itself (truncated);
 *   - any other answer is a canonical address (inet_ntop(inet_pton(x)) == x)
 *     and never an IPv4-mapped IPv6 one;
 *   - clientip_init returns 0 or -1 only; after 0 the address of each of the
 *     first 32 entries is a trusted proxy, and the fixed list always loads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "fuzz_input.h"
#include "http/clientip.h"

#define MAX_PARTS 40
#define MAX_PROXIES 32 /* clientip.c ignores entries after this many */

static char fixed_0[] = "127.0.0.1", fixed_1[] = "10.0.0.0/8", fixed_2[] = "::1",
	    fixed_3[] = "fd00::/8";
static char *const fixed_list[] = {fixed_0, fixed_1, fixed_2, fixed_3};

static void load_fixed_list(void)
{
	FUZZ_CHECK(clientip_init(fixed_list, 4) == 0);
}

/* out must hold a NUL within GH_IP_MAX bytes and be a canonical address. */
static void check_canonical(const char *out)
{
	FUZZ_CHECK(memchr(out, 0, GH_IP_MAX) != NULL);
	char again[GH_IP_MAX];
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, out, &a4) == 1) {
		FUZZ_CHECK(inet_ntop(AF_INET, &a4, again, sizeof again) != NULL);
	} else {
		FUZZ_CHECK(inet_pton(AF_INET6, out, &a6) == 1);
		FUZZ_CHECK(!IN6_IS_ADDR_V4MAPPED(&a6));
		FUZZ_CHECK(inet_ntop(AF_INET6, &a6, again, sizeof again) != NULL);
	}
	FUZZ_CHECK(strcmp(again, out) == 0);
}

static void check_resolve(const char *peer, const char *forwarded)
{
	char *out = fuzz_malloc(GH_IP_MAX);
	memset(out, 0xAA, GH_IP_MAX);
	clientip_resolve(peer, forwarded, out);
	FUZZ_CHECK(memchr(out, 0, GH_IP_MAX) != NULL);
	size_t plen = strlen(peer);
	bool is_peer = strncmp(out, peer, GH_IP_MAX - 1) == 0 &&
		       strlen(out) == (plen < GH_IP_MAX ? plen : GH_IP_MAX - 1);
	if (!forwarded || !clientip_is_trusted_proxy(peer))
		FUZZ_CHECK(is_peer);
	else if (!is_peer)
		check_canonical(out);
	free(out);
}

static void check_sockaddr(const uint8_t *data, size_t size)
{
	uint8_t raw[20] = {0};
	memcpy(raw, data, size < sizeof raw ? size : sizeof raw);
	char *out = fuzz_malloc(GH_IP_MAX);

	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, raw, 4);
	memset(out, 0xAA, GH_IP_MAX);
	clientip_from_sockaddr((const struct sockaddr *)&sin, out);
	check_canonical(out);

	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	memcpy(&sin6.sin6_addr, raw + 4, 16);
	memset(out, 0xAA, GH_IP_MAX);
	clientip_from_sockaddr((const struct sockaddr *)&sin6, out);
	check_canonical(out);
	/* the peer as the server would see it, behind a trusted proxy or not */
	check_resolve(out, "203.0.113.7, 10.1.2.3");

	free(out);
}

static void fuzz_init(char **parts, int n)
{
	int rc = clientip_init(parts, n);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		for (int i = 0; i < n && i < MAX_PROXIES; i++) {
			char *addr = fuzz_strdup(parts[i]);
			char *slash = strchr(addr, '/');
			if (slash)
				*slash = 0;
			FUZZ_CHECK(clientip_is_trusted_proxy(addr));
			free(addr);
		}
		check_resolve(parts[0], n > 1 ? parts[1] : "198.51.100.1");
	}
	load_fixed_list();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialised;
	if (!initialised) {
		load_fixed_list();
		initialised = true;
	}
	uint8_t ctl = fuzz_take_u8(&data, &size);
	char *parts[MAX_PARTS];
	int n = fuzz_split(data, size, parts, (ctl & 3) == 3 ? MAX_PARTS : 2);

	if ((ctl & 3) == 3) {
		fuzz_init(parts, n);
	} else {
		const char *forwarded = n > 1 && !(ctl & 4) ? parts[1] : NULL;
		check_resolve(parts[0], forwarded);
		for (int i = 0; i < n; i++)
			(void)clientip_is_trusted_proxy(parts[i]);
		check_sockaddr(data, size);
	}

	fuzz_free_parts(parts, n);
	return 0;
}

/*
 * clientip — see clientip.h. Addresses are compared as 16-byte IPv6 (IPv4 is
 * mapped into ::ffff:0:0/96) so one CIDR matcher covers both families.
 */
#include "http/clientip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cidr {
	uint8_t addr[16];
	int bits;
};

#define MAX_PROXIES 32
static struct cidr proxies[MAX_PROXIES];
static int n_proxies;

static bool parse_ip16(const char *s, uint8_t out[16], bool *is_v4)
{
	struct in_addr v4;
	if (inet_pton(AF_INET, s, &v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		*is_v4 = true;
		return true;
	}
	*is_v4 = false;
	return inet_pton(AF_INET6, s, out) == 1;
}

static bool parse_cidr(const char *s, struct cidr *c)
{
	char buf[80];
	if (strlen(s) >= sizeof buf)
		return false;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	int bits = -1;
	if (slash) {
		*slash = 0;
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || b < 0 || b > 128)
			return false;
		bits = (int)b;
	}
	bool v4;
	if (!parse_ip16(buf, c->addr, &v4))
		return false;
	if (bits < 0)
		bits = v4 ? 32 : 128;
	if (v4 && bits > 32)
		return false;
	c->bits = v4 ? bits + 96 : bits;
	return true;
}

static bool cidr_contains(const struct cidr *c, const uint8_t a[16])
{
	int full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->addr, a, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (a[full] & mask);
}

int clientip_init(char *const *cidrs, int n)
{
	n_proxies = 0;
	for (int i = 0; i < n && i < MAX_PROXIES; i++) {
		if (!parse_cidr(cidrs[i], &proxies[n_proxies]))
			return -1;
		n_proxies++;
	}
	return 0;
}

bool clientip_is_trusted_proxy(const char *ip)
{
	uint8_t a[16];
	bool v4;
	if (!parse_ip16(ip, a, &v4))
		return false;
	for (int i = 0; i < n_proxies; i++)
		if (cidr_contains(&proxies[i], a))
			return true;
	return false;
}

void clientip_from_sockaddr(const struct sockaddr *sa, char out[GH_IP_MAX])
{
	out[0] = 0;
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  GH_IP_MAX);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6))
			inet_ntop(AF_INET, &a6->s6_addr[12], out, GH_IP_MAX);
		else
			inet_ntop(AF_INET6, a6, out, GH_IP_MAX);
	}
}

/* Normalises one textual address (trims blanks, unwraps ::ffff:a.b.c.d);
 * false when it is not an address. */
static bool normalise(const char *s, size_t len, char out[GH_IP_MAX])
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= GH_IP_MAX)
		return false;
	char buf[GH_IP_MAX];
	memcpy(buf, s, len);
	buf[len] = 0;
	uint8_t a[16];
	bool v4;
	if (!parse_ip16(buf, a, &v4))
		return false;
	if (v4 || (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0))
		inet_ntop(AF_INET, a + 12, out, GH_IP_MAX);
	else
		inet_ntop(AF_INET6, a, out, GH_IP_MAX);
	return true;
}

void clientip_resolve(const char *peer, const char *forwarded, char out[GH_IP_MAX])
{
	snprintf(out, GH_IP_MAX, "%s", peer);
	if (!forwarded || !clientip_is_trusted_proxy(peer))
		return;
	/* Walk right to left: each hop was appended by the proxy before it. */
	size_t end = strlen(forwarded);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && forwarded[start - 1] != ',')
			start--;
		char hop[GH_IP_MAX];
		if (!normalise(forwarded + start, end - start, hop))
			return; /* garbage in the chain: keep the last good answer */
		snprintf(out, GH_IP_MAX, "%s", hop);
		if (!clientip_is_trusted_proxy(hop))
			return;
		end = start > 0 ? start - 1 : 0;
	}
}

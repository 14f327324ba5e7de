/*
 * clientip — who the client is: the TCP peer, unless the peer is a trusted
 * proxy, in which case the configured header (default X-Forwarded-For) is
 * walked right to left to the first address that is not a trusted proxy
 * (REFERENCE-better-auth §3 "IP"; ASVS 4.1.3: never trust forwarded headers
 * from anyone else). IPv4-mapped IPv6 is reported as IPv4.
 *
 * Owns: the parsed trusted-proxy list. Threads: clientip_init on the main
 * thread; the rest from any thread.
 */
#ifndef GH_HTTP_CLIENTIP_H
#define GH_HTTP_CLIENTIP_H

#include <stdbool.h>
#include <sys/socket.h>

#define GH_IP_MAX 64

/* cidrs: "127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8". Returns -1 on a bad entry. */
int clientip_init(char *const *cidrs, int n);
bool clientip_is_trusted_proxy(const char *ip);
/* Text form of a socket address, IPv4-mapped IPv6 unwrapped. */
void clientip_from_sockaddr(const struct sockaddr *sa, char out[GH_IP_MAX]);
/* forwarded: the header's value or NULL. Writes the client's address to out. */
void clientip_resolve(const char *peer, const char *forwarded, char out[GH_IP_MAX]);

#endif

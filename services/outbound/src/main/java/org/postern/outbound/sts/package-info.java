/**
 * MTA-STS (RFC 8461) for outbound delivery: the {@code _mta-sts} TXT record, the policy fetched
 * over HTTPS and parsed, its cache (memory, a file, and in a cluster a cluster-wide map), and the
 * typed record of what failed a policy, for TLS reporting (RFC 8460). {@link
 * org.postern.outbound.sts.MtaSts} answers "which policy applies to this domain"; what a delivery
 * does with it lives in outbound's {@code StsGate}.
 *
 * <p><b>Talks to:</b> DNS (through outbound's non-blocking resolver), the policy host
 * {@code mta-sts.<domain>} over HTTPS (Vert.x's HTTP client), the cache file, and in a cluster
 * the map {@code postern.outbound.mta-sts.v1} and a cluster-wide lock per domain being fetched.
 *
 * <p><b>Does not trust:</b> the policy host (HTTPS with the Web PKI and the host name, no
 * redirects, 200 and {@code text/plain} only, 64 KiB, a deadline; the body is parsed strictly),
 * DNS (a TXT answer only says whether to fetch, never what the policy is), the cache file and the
 * cluster's map (every entry is parsed again as a policy, its expiry bounded by its max_age; an
 * unreadable one is ignored and logged). The cluster map's entries must carry a signature by a
 * node certificate of {@code cluster.bus_ca_file} ({@link org.postern.tls.EntrySeal}): Hazelcast
 * itself authenticates no one.
 *
 * <p><b>Standards:</b> RFC 8461 (MTA-STS), RFC 8460 §4.3 (result types), RFC 6125 (names).
 */
package org.postern.outbound.sts;

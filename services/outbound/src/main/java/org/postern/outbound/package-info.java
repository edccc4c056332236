/**
 * Delivery to the next hop, Postfix's {@code smtp} client: routing (transport table, MX records
 * by preference with equal preferences shuffled, the implicit MX, RFC 7505's null MX, CNAME
 * chains, IPv4 and IPv6, all through Vert.x's non-blocking DNS client), the client side of an
 * SMTP session as a chain of small phases ({@link org.postern.outbound.DeliveryAttempt} opens a
 * session: greeting, EHLO or HELO, STARTTLS as the destination's TLS policy level demands, AUTH to
 * a relayhost; {@link org.postern.outbound.MailTransaction} runs MAIL, RCPT and DATA or BDAT over
 * it), connection reuse and limits, and one result per recipient. DANE stands apart from the
 * session: {@link org.postern.outbound.Dane} turns levels {@code dane} and {@code dane-only} into a
 * plan per address before connecting, from {@link org.postern.outbound.DnssecResolver}'s answers,
 * and {@link org.postern.outbound.TlsaMatch} judges the certificate after the handshake.
 *
 * <p><b>Talks to:</b> the queue (which sends {@code DeliveryRequest}s and gets
 * {@code DeliveryReport}s), policy (the destination's TLS level, asked before any connection), DNS
 * servers, and next-hop SMTP servers. It is the only part of Postern that opens SMTP connections.
 * In a cluster, also the cluster-wide map of next hops whose TLS handshake broke
 * ({@link org.postern.outbound.BrokenTlsPeers}), whose entries are read as expiry times only and
 * never kept longer than {@code outbound.tls_broken_peer_memory}. For MTA-STS (package
 * {@code sts}, hooked in by {@link org.postern.outbound.StsGate}): {@code mta-sts.<domain>} over
 * HTTPS, and in a cluster the shared policy cache.
 *
 * <p><b>Does not trust:</b> the bus (requests are validated in their record constructors, and an
 * unexpected message gets a failure reply), DNS answers (a null MX is honoured, nothing else in
 * an answer widens what is tried beyond {@link org.postern.outbound.Router#MAX_TARGETS}
 * addresses), or the next hop: every reply code is checked against what its stage allows, a
 * reply to STARTTLS other than 220 is no handshake, anything sent before the handshake is
 * discarded (CVE-2021-38371), capabilities are asked again after it, and a reply of the wrong
 * class defers rather than counts as success. Credentials never travel without TLS. The AD bit
 * of a DNS answer is believed only from the loopback resolvers {@code outbound.dns_support_level =
 * dnssec} names, and a failed or bogus DNSSEC lookup defers, never downgrades.
 *
 * <p><b>Standards:</b> RFC 5321 (SMTP), 3207 (STARTTLS), 2920 (PIPELINING), 1870 (SIZE), 6152
 * (8BITMIME), 3030 (CHUNKING), 6531 (SMTPUTF8), 3461 (DSN parameters), 4954 with 4616 (AUTH PLAIN)
 * and the LOGIN mechanism, 7505 (null MX), 7435 (opportunistic security), 6125 (certificate names),
 * 7672 with 6698 and 7671 (DANE for SMTP: TLSA usages 2 and 3), 6840 §5.7 (the AD bit), 8461
 * (MTA-STS).
 *
 * <p><b>Settings:</b> {@code outbound.*} in config/README.md, and {@code tls.protocols} and
 * {@code tls.engine}. Everything runs on the verticle's event loop and is composed from futures;
 * files (CAs, client key, credentials) are read once at start on a worker.
 */
package org.postern.outbound;

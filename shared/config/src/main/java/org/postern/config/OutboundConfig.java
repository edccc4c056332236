package org.postern.config;

import java.time.Duration;
import java.util.List;

/**
 * Delivery settings ({@code outbound.*}).
 *
 * @param tlsCertChain client certificate file, empty for none (paths are read by outbound, off the
 *     event loop)
 * @param brokenTlsPeerMemory how long a failed opportunistic handshake sends that peer plaintext
 * @param noteStarttlsOffer log STARTTLS offers that policy level none leaves unused
 * @param relayCredentials file of relayhost AUTH credentials, empty for none
 * @param sts MTA-STS settings
 * @param dnssec whether the AD bit of {@code dnsServers} is trusted (DANE needs it)
 */
public record OutboundConfig(
    TransportTable transport,
    List<HostPort> dnsServers,
    Duration connectTimeout,
    Duration commandTimeout,
    Duration starttlsTimeout,
    String tlsCertChain,
    String tlsKey,
    String tlsCaFile,
    String tlsCaPath,
    Duration tlsSessionCacheTimeout,
    Duration brokenTlsPeerMemory,
    boolean noteStarttlsOffer,
    int connectionReuseLimit,
    Duration connectionIdleTimeout,
    int destinationConcurrency,
    Duration destinationRateDelay,
    int maxConnections,
    String relayCredentials,
    StsConfig sts,
    boolean dnssec) {}

package org.postern.config;

import java.time.Duration;
import java.util.List;

/** Settings of the inbound SMTP listener ({@code inbound.*}). */
public record InboundConfig(
    List<Listener> listeners,
    long maxMessageSize,
    int maxRecipients,
    Duration commandTimeout,
    Duration tlsHandshakeTimeout,
    Duration queueTimeout,
    int maxConnections,
    int maxConnectionsPerIp,
    int connectionRatePerIp,
    int maxErrors,
    Duration stressCommandTimeout,
    long minDataRate,
    String authUsers,
    List<HostPort> dnsServers,
    Duration dnsTimeout,
    int eventLoops) {}

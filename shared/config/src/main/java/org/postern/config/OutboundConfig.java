package org.postern.config;

import java.time.Duration;
import java.util.List;

/** Delivery settings ({@code outbound.*}). */
public record OutboundConfig(
    TransportTable transport,
    List<HostPort> dnsServers,
    Duration connectTimeout,
    Duration commandTimeout,
    Duration starttlsTimeout) {}

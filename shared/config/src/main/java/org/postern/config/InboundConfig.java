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
    int eventLoops,
    long maxBodyMemory) {

  /** {@code inbound.max_body_memory} in octets, its default (0) resolved against this JVM's heap. */
  public long bodyMemoryLimit() {
    return maxBodyMemory > 0 ? maxBodyMemory : Math.max(1, Runtime.getRuntime().maxMemory() / 4);
  }
}

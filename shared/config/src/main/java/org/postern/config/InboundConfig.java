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
    long maxBodyMemory,
    List<Cidr> clientLimitExceptions,
    String postmasterAddress,
    List<Cidr> proxyNetworks,
    Duration proxyTimeout,
    List<Cidr> xclientNetworks) {

  /** Whether {@code ip} is a load balancer whose PROXY header is believed ({@code inbound.proxy_networks}). */
  public boolean trustsProxyHeaderFrom(String ip) {
    return proxyNetworks.stream().anyMatch(n -> n.contains(ip));
  }


  /** Whether {@code ip} is a front end allowed XCLIENT ({@code inbound.xclient_networks}). */
  public boolean allowsXclientFrom(String ip) {
    return xclientNetworks.stream().anyMatch(n -> n.contains(ip));
  }

  /** Whether {@code ip} is exempt from the per-client limits ({@code inbound.client_limit_exceptions}). */
  public boolean exemptFromClientLimits(String ip) {
    return clientLimitExceptions.stream().anyMatch(n -> n.contains(ip));
  }

  /**
   * {@code inbound.postmaster_address}, or by default postmaster at the parent domain of our host
   * name (mx.example.net: postmaster@example.net), the organisation's mailbox rather than this
   * host, which delivers nothing locally: mail to postmaster@mx.example.net would come back here.
   * A host name of one or two labels has no such parent; postmaster at the name itself then.
   */
  public String postmaster(String hostname) {
    if (!postmasterAddress.isEmpty()) {
      return postmasterAddress;
    }
    int dot = hostname.indexOf('.');
    String rest = dot < 0 ? "" : hostname.substring(dot + 1);
    return "postmaster@" + (rest.contains(".") ? rest : hostname);
  }

  /** {@code inbound.max_body_memory} in octets, its default (0) resolved against this JVM's heap. */
  public long bodyMemoryLimit() {
    return maxBodyMemory > 0 ? maxBodyMemory : Math.max(1, Runtime.getRuntime().maxMemory() / 4);
  }
}

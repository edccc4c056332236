package org.postern.config;

import java.util.Map;

/**
 * One validated configuration, split per service so that each verticle sees only its own part.
 *
 * @param values every setting's effective value as text, for display
 */
public record PosternConfig(
    NodeConfig node,
    InboundConfig inbound,
    TlsConfig tls,
    PolicyConfig policy,
    QueueConfig queue,
    OutboundConfig outbound,
    ClusterConfig cluster,
    Map<String, String> values) {

  public PosternConfig {
    values = Map.copyOf(values);
  }

  /** This configuration with a different host name (used when node.hostname is empty). */
  public PosternConfig withHostname(String hostname) {
    return new PosternConfig(new NodeConfig(hostname, node.dataDir(), node.log(), node.logLevel(),
        node.adminListen(), node.adminAllowRemote()),
        inbound, tls, policy, queue, outbound, cluster, values);
  }
}

package org.postern.node.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import java.util.List;
import org.postern.config.ClusterConfig;
import org.postern.config.HostPort;

/**
 * The Hazelcast configuration of a node, built from {@code cluster.*}: a TCP/IP member list,
 * multicast and every auto-detection off, and the socket bound to one private interface only.
 * Hazelcast's own traffic (membership, heartbeats, the event bus's subscription map) is not
 * encrypted: TLS for it is a Hazelcast Enterprise feature, so the interface must be private.
 */
public final class HazelcastSettings {

  private HazelcastSettings() {}

  public static Config of(ClusterConfig cluster) {
    // Vert.x's defaults carry the maps its cluster manager needs (subscriptions, node info) with
    // their backup counts; only the network is replaced.
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(cluster.name());
    config.setProperty("hazelcast.logging.type", "jdk");
    // No call home to hazelcast.com from a mail relay.
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // The node's own shutdown hook closes Vert.x, which leaves the cluster in order.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Bind the interface below, not 0.0.0.0.
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.getJetConfig().setEnabled(false);

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(cluster.iface()));
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members().stream().map(HazelcastSettings::address).toList());
    return config;
  }

  /** {@code host:port}, with an IPv6 literal in brackets. */
  static String address(HostPort hp) {
    return (hp.host().contains(":") ? "[" + hp.host() + "]" : hp.host()) + ":" + hp.port();
  }
}

package org.postern.testkit;

import com.hazelcast.config.Config;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real clustered Vert.x instances in one test JVM: Hazelcast members on loopback, joined by an
 * explicit TCP/IP member list (no multicast, no discovery, nothing phoning home), the event bus on
 * 127.0.0.1. Several of them in one test behave as the nodes of a cluster do.
 */
public final class LoopbackCluster {

  private LoopbackCluster() {}

  /**
   * Joins (or forms) the cluster {@code name}: this member listens on {@code port}, the others on
   * {@code members} (FreePorts); blocks until joined, at most 120 s.
   */
  public static Vertx join(String name, int port, int[] members) throws Exception {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(name);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.logging.type", "jdk");
    config.getJetConfig().setEnabled(false);
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(port).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of("127.0.0.1"));
    network.getJoin().getMulticastConfig().setEnabled(false);
    network.getJoin().getAutoDetectionConfig().setEnabled(false);
    List<String> addresses = new ArrayList<>();
    for (int p : members) {
      addresses.add("127.0.0.1:" + p);
    }
    network.getJoin().getTcpIpConfig().setEnabled(true).setMembers(addresses);
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setPort(0);
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(config))
        .buildClustered().await(120, TimeUnit.SECONDS);
  }
}

package org.postern.node.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.logging.Logger;
import org.postern.config.ClusterConfig;
import org.postern.config.ConfigException;
import org.postern.config.Settings;

/**
 * Joins a cluster: a Vert.x instance whose event bus is clustered through Hazelcast.
 *
 * <p>SECURITY. The event bus carries envelopes, message bodies and policy answers between nodes;
 * it runs over TLS 1.2+ with client authentication ({@code ClientAuth.REQUIRED}) both ways: a
 * peer must present a certificate signed by {@code cluster.bus_ca_file}. Vert.x does not check
 * host names on event-bus connections, so every holder of a node certificate from that CA is a
 * member: that CA must issue node certificates and nothing else. Hazelcast's membership traffic is
 * plaintext and unauthenticated beyond the cluster name, and must stay on a private interface.
 */
public final class ClusterJoin {

  private static final Logger LOG = Logger.getLogger("postern.cluster");
  private static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  private ClusterJoin() {}

  /**
   * Checks the event-bus security settings and reads the node certificate. Blocking; call before
   * any event loop runs.
   *
   * @return the credentials, or null when the operator chose {@code cluster.insecure_event_bus=yes}
   * @throws ConfigException when TLS is not configured and not explicitly waived, or the files are bad
   */
  public static BusCredentials credentials(ClusterConfig cluster) throws ConfigException {
    if (cluster.insecureEventBus()) {
      return null;
    }
    if (!cluster.busTlsConfigured()) {
      throw new ConfigException(Settings.CLUSTER_BUS_CERT_CHAIN.key() + ", " + Settings.CLUSTER_BUS_KEY.key() + ", "
          + Settings.CLUSTER_BUS_CA_FILE.key() + ": the event bus carries mail between nodes and needs TLS with node"
          + " certificates; set all three (postern pki issue node), or set cluster.insecure_event_bus = yes for a"
          + " plaintext experiment");
    }
    return BusCredentials.load(cluster);
  }

  /**
   * A joined node's Vert.x, how many members the cluster has now (Hazelcast's membership, read at
   * each call), the Hazelcast instance, and the members' node ids ({@code view}); the last two are
   * null on a standalone node.
   */
  public record Joined(Vertx vertx, IntSupplier members, com.hazelcast.core.HazelcastInstance hazelcast,
      ClusterMembers view) {

    /** A standalone node: one member, no Hazelcast, no view. */
    public static Joined standalone(Vertx vertx) {
      return new Joined(vertx, () -> 1, null, null);
    }
  }

  /** Starts a clustered Vert.x and waits for it to join; logs what is and is not encrypted. */
  public static Future<Joined> join(ClusterConfig cluster, BusCredentials credentials) {
    EventBusOptions bus = new EventBusOptions().setHost(cluster.busHost()).setPort(cluster.busPort())
        .setClusterPublicHost(cluster.busHost());
    if (credentials == null) {
      LOG.severe("cluster: cluster.insecure_event_bus = yes: THE EVENT BUS IS PLAINTEXT AND UNAUTHENTICATED;"
          + " anyone who can reach " + cluster.busHost() + " can read and inject mail. Do not run this in production.");
    } else {
      bus.setSsl(true).setClientAuth(ClientAuth.REQUIRED).setTrustAll(false)
          .setEnabledSecureTransportProtocols(PROTOCOLS)
          .setKeyCertOptions(credentials.keyCertOptions()).setTrustOptions(credentials.trustOptions());
      LOG.info("cluster: event bus on " + cluster.busHost() + ":" + cluster.busPort() + " over TLS with client"
          + " certificates; " + credentials.describe());
    }
    LOG.info("cluster: joining '" + cluster.name() + "' through Hazelcast on " + cluster.iface() + ":" + cluster.port()
        + " (membership traffic is not encrypted; keep it on a private network), members "
        + cluster.members().stream().map(HazelcastSettings::address).toList());
    HazelcastClusterManager manager = new HazelcastClusterManager(HazelcastSettings.of(cluster));
    return Vertx.builder().with(new VertxOptions().setEventBusOptions(bus)).withClusterManager(manager)
        .buildClustered()
        .onSuccess(v -> MembershipLog.attach(manager.getHazelcastInstance()))
        .map(v -> new Joined(v, () -> manager.getHazelcastInstance().getCluster().getMembers().size(),
            manager.getHazelcastInstance(), new ClusterMembers(manager)));
  }
}

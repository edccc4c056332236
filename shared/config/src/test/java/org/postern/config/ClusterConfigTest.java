package org.postern.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster file (--cluster-config): cluster.* keys only, read between --config and --set. */
class ClusterConfigTest {

  @TempDir
  Path dir;

  @Test
  void defaultsKeepHazelcastOnLoopbackAndTheBusSecure() throws Exception {
    ClusterConfig c = ConfigLoader.load(null, List.of()).cluster();
    assertEquals("postern", c.name());
    assertEquals("127.0.0.1", c.iface());
    assertEquals("127.0.0.1", c.busHost(), "an empty bus host follows the interface");
    assertTrue(c.members().isEmpty());
    assertFalse(c.insecureEventBus());
    assertFalse(c.busTlsConfigured());
  }

  @Test
  void clusterFileSitsBetweenTheNodeFileAndSet() throws Exception {
    Path node = dir.resolve("node.conf");
    Files.writeString(node, "cluster.port = 5801\ncluster.name = from-node-file\n");
    Path cluster = dir.resolve("cluster.conf");
    Files.writeString(cluster, "cluster.name = relay-eu\ncluster.members = 10.0.0.1, 10.0.0.2:5702,\n"
        + "    postern-2.postern.mail.svc.cluster.local, [fd00::3]:5701\ncluster.interface = 10.0.0.1\n"
        + "cluster.bus_port = 5710\n");
    ClusterConfig c = ConfigLoader.load(node, cluster, List.of("cluster.bus_port=6000")).cluster();
    assertEquals("relay-eu", c.name(), "the cluster file wins over --config");
    assertEquals(5801, c.port(), "what the cluster file leaves alone comes from --config");
    assertEquals(6000, c.busPort(), "--set wins over the cluster file");
    assertEquals(List.of(new HostPort("10.0.0.1", 5701), new HostPort("10.0.0.2", 5702),
        new HostPort("postern-2.postern.mail.svc.cluster.local", 5701), new HostPort("fd00::3", 5701)), c.members());
    assertEquals("10.0.0.1", c.busHost());
  }

  @Test
  void clusterFileProblemsNameFileLineKeyAndReason() throws Exception {
    Path cluster = dir.resolve("cluster.conf");
    Files.writeString(cluster, "cluster.name = has space\n"
        + "queue.spool_dir = /elsewhere\n"
        + "cluster.interface = eth0\n"
        + "cluster.members = 10.0.0.1:99999, -bad-\n"
        + "cluster.bus_cert_chain = /etc/postern/node.pem\n"
        + "cluster.insecure_event_bus = maybe\n"
        + "cluster.member = 10.0.0.9\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, cluster, List.of()));
    List<String> p = e.problems();
    assertTrue(p.contains(cluster + ":1: cluster.name: expected 1 to 64 letters, digits, '.', '_' or '-', got 'has space'"),
        p.toString());
    assertTrue(p.contains(cluster + ":2: queue.spool_dir: not a cluster setting; the cluster configuration holds only"
        + " cluster.* keys (put it in --config)"), p.toString());
    assertTrue(p.contains(cluster + ":3: cluster.interface: expected an IP literal such as 10.0.0.5, got 'eth0'"),
        p.toString());
    assertTrue(p.contains(cluster + ":4: cluster.members: port must be between 1 and 65535, got 99999"), p.toString());
    assertTrue(p.contains(cluster + ":6: cluster.insecure_event_bus: expected one of yes, no, got 'maybe'"), p.toString());
    assertTrue(p.contains(cluster + ":7: cluster.member: unknown setting (did you mean cluster.members?)"), p.toString());
  }

  @Test
  void busCertificateAndKeyGoTogether() throws Exception {
    Path cluster = dir.resolve("cluster.conf");
    Files.writeString(cluster, "cluster.bus_cert_chain = /etc/postern/node.pem\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, cluster, List.of()));
    assertEquals(List.of(cluster + ":1: cluster.bus_cert_chain: cluster.bus_cert_chain and cluster.bus_key must be set together"),
        e.problems());
  }

  @Test
  void missingClusterFileIsNamed() {
    Path missing = dir.resolve("nope.conf");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, missing, List.of()));
    assertEquals(List.of(missing + ": no such file"), e.problems());
  }
}

package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as an operator meets it: precise errors, no stack traces, working helpers. */
class CommandLineIT {

  @TempDir
  Path work;

  private record Run(int exit, String stdout, String stderr) {}

  private Run postern(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
    pb.environment().put("POSTERN_JAR", NodeProcess.REPO.resolve("services/node/target/postern.jar").toString());
    Process p = pb.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Run(p.exitValue(), out, err);
  }

  @Test
  void aBadConfigurationStopsTheNodeWithOneLinePerProblem() throws Exception {
    Path conf = work.resolve("postern.conf");
    Files.writeString(conf, "inbound.listeners = 127.0.0.1:2525 maybe\nqueue.min_backof = 5m\n");
    Run r = postern("", "run", "--config", conf.toString(), "--set", "inbound.max_recipients=5");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals(List.of(
        "postern: configuration error: " + conf + ":2: queue.min_backof: unknown setting (did you mean queue.min_backoff?)",
        // Unknown keys are found while reading the file; bad values when they are parsed, after it.
        "postern: configuration error: " + conf + ":1: inbound.listeners: listener tls must be none, may or required, got 'maybe'",
        "postern: configuration error: --set: inbound.max_recipients: must be between 100 and 100000, got 5"),
        r.stderr().lines().toList());
    assertTrue(!r.stderr().contains("Exception") && !r.stderr().contains("\tat "), "no stack trace: " + r.stderr());
  }

  @Test
  void unknownRoleIsNamed() throws Exception {
    Run r = postern("", "run", "--roles", "inbound,mailer");
    assertEquals(2, r.exit());
    assertEquals("postern: --roles: unknown role 'mailer' (roles: inbound, policy, queue, outbound)", r.stderr().strip());
  }

  @Test
  void authHashPrintsALineThatVerifies() throws Exception {
    Run r = postern("correct horse\n", "auth", "hash", "--cost", "10", "alice");
    assertEquals(0, r.exit(), r.stderr());
    String line = r.stdout().strip();
    assertTrue(line.matches("alice:\\$2a\\$10\\$[./A-Za-z0-9]{53}"), line);
    assertTrue(BCrypt.verifyer().verify("correct horse".toCharArray(), line.substring(6)).verified);
    assertEquals(2, postern("", "auth", "hash", "alice").exit(), "an empty password is refused");
  }

  @Test
  void clusterModeRefusesAPlaintextEventBusUnlessAskedLoudly() throws Exception {
    Run r = postern("", "run", "--cluster");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals("postern: configuration error: cluster.bus_cert_chain, cluster.bus_key, cluster.bus_ca_file: the event"
        + " bus carries mail between nodes and needs TLS with node certificates; set all three (postern pki issue node),"
        + " or set cluster.insecure_event_bus = yes for a plaintext experiment", r.stderr().strip());
    Run orphan = postern("", "run", "--cluster-config", work.resolve("cluster.conf").toString());
    assertEquals(2, orphan.exit(), orphan.stderr());
    assertEquals("postern: configuration error: --cluster-config: given without --cluster", orphan.stderr().strip());
  }

  @Test
  void clusterFileHoldsClusterKeysOnlyAndEachProblemIsNamed() throws Exception {
    Path conf = work.resolve("cluster.conf");
    Files.writeString(conf, "cluster.members = 127.0.0.1:5701\nqueue.spool_dir = /var/spool/postern\n"
        + "cluster.interface = 0.0.0.0.0\n");
    Run r = postern("", "run", "--cluster", "--cluster-config", conf.toString());
    assertEquals(2, r.exit(), r.stderr());
    assertEquals(List.of(
        "postern: configuration error: " + conf + ":2: queue.spool_dir: not a cluster setting; the cluster configuration"
            + " holds only cluster.* keys (put it in --config)",
        "postern: configuration error: " + conf + ":3: cluster.interface: expected an IP literal such as 10.0.0.5,"
            + " got '0.0.0.0.0'"),
        r.stderr().lines().toList());
  }

  @Test
  void clusterNodeCertificatesAreCheckedBeforeJoining() throws Exception {
    org.postern.testkit.TestCa ca = org.postern.testkit.TestCa.create(Files.createDirectories(work.resolve("ca")),
        "Node CA");
    org.postern.testkit.TestCa other = org.postern.testkit.TestCa.create(Files.createDirectories(work.resolve("other")),
        "Other CA");
    org.postern.testkit.TestCa.Issued node = ca.issueNode("node-1");
    String caSet = "cluster.bus_ca_file=" + ca.certificatePath();

    Files.setPosixFilePermissions(node.key(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Run open = postern("", "run", "--cluster", "--set", caSet, "--set", "cluster.bus_cert_chain=" + node.chain(),
        "--set", "cluster.bus_key=" + node.key());
    assertEquals(2, open.exit(), open.stderr());
    assertTrue(open.stderr().strip().endsWith("fix with: chmod 600 " + node.key()), open.stderr());
    assertTrue(open.stderr().startsWith("postern: configuration error: cluster.bus_cert_chain, cluster.bus_key: "),
        open.stderr());

    org.postern.testkit.TestCa.Issued serverOnly = ca.issueServer("node-2");
    Run usage = postern("", "run", "--cluster", "--set", caSet, "--set", "cluster.bus_cert_chain=" + serverOnly.chain(),
        "--set", "cluster.bus_key=" + serverOnly.key());
    assertEquals(2, usage.exit(), usage.stderr());
    assertTrue(usage.stderr().contains("cluster.bus_cert_chain: the certificate CN=node-2,O=Postern tests must allow"
        + " both serverAuth and clientAuth"), usage.stderr());

    org.postern.testkit.TestCa.Issued foreign = other.issueNode("node-3");
    Run stranger = postern("", "run", "--cluster", "--set", caSet, "--set", "cluster.bus_cert_chain=" + foreign.chain(),
        "--set", "cluster.bus_key=" + foreign.key());
    assertEquals(2, stranger.exit(), stranger.stderr());
    assertEquals("postern: configuration error: cluster.bus_cert_chain: the certificate CN=node-3,O=Postern tests is"
        + " not signed by a CA in cluster.bus_ca_file; other nodes would refuse it", stranger.stderr().strip());
    for (Run r : List.of(open, usage, stranger)) {
      assertTrue(!r.stderr().contains("Exception") && !r.stderr().contains("\tat "), "no stack trace: " + r.stderr());
    }
  }

  @Test
  void anInsecureEventBusMustBeAskedForAndIsLoggedAsAnError() throws Exception {
    int hazelcast = org.postern.testkit.FreePorts.loopback();
    try (NodeProcess node = NodeProcess.run(work, List.of("--cluster", "--roles", "policy"), List.of(
        "cluster.insecure_event_bus=yes", "cluster.port=" + hazelcast, "cluster.bus_port=0",
        "node.data_dir=" + work.resolve("data"), "node.admin_listen="))) {
      node.awaitLog("postern/cluster\\[\\d+\\]: error: cluster: cluster.insecure_event_bus = yes: THE EVENT BUS IS"
          + " PLAINTEXT AND UNAUTHENTICATED", java.time.Duration.ofSeconds(90));
      node.awaitLog("cluster: joined as 127\\.0\\.0\\.1:" + hazelcast + "; members 1 \\[", java.time.Duration.ofSeconds(90));
      node.awaitLog("node started with roles \\[POLICY\\]", java.time.Duration.ofSeconds(90));
    }
  }
}

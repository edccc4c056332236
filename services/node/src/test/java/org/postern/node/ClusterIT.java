package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.TestCa;

/**
 * Three real node processes on loopback, joined with {@code deploy/postern run --cluster}: node A
 * runs inbound and policy only, B and C run queue, outbound and policy. Mail handed to A can only
 * reach the sink by crossing the TLS event bus to B or C. One cluster serves every test; the test
 * that adds an intruder runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  private static final Duration START = Duration.ofSeconds(150);

  @TempDir
  static Path work;

  static TestCa ca;
  static SmtpSink sink;
  static Path clusterFile;
  static int smtpA;
  static final int[] HAZELCAST = new int[3];
  static final int[] BUS = new int[3];
  static final NodeProcess[] NODES = new NodeProcess[3];

  @BeforeAll
  static void startCluster() throws Exception {
    ca = TestCa.create(Files.createDirectories(work.resolve("ca")), "Postern test node CA");
    sink = SmtpSink.start(SmtpSink.Options.starttls(true));
    smtpA = FreePorts.loopback();
    for (int i = 0; i < 3; i++) {
      HAZELCAST[i] = FreePorts.loopback();
      BUS[i] = FreePorts.loopback();
    }
    clusterFile = work.resolve("cluster.conf");
    Files.writeString(clusterFile, "# shared by the three nodes\n"
        + "cluster.name = postern-it\n"
        + "cluster.members = 127.0.0.1:" + HAZELCAST[0] + ", 127.0.0.1:" + HAZELCAST[1] + ",\n"
        + "    127.0.0.1:" + HAZELCAST[2] + "\n"
        + "cluster.interface = 127.0.0.1\n"
        + "cluster.bus_ca_file = " + ca.certificatePath() + "\n");
    NODES[0] = node("a", 0, ca.issueNode("node-a"), "inbound,policy",
        List.of("inbound.listeners=127.0.0.1:" + smtpA + " may", "node.admin_listen="));
    NODES[1] = node("b", 1, ca.issueNode("node-b"), "queue,outbound,policy",
        List.of("node.admin_listen=127.0.0.1:" + FreePorts.loopback()));
    NODES[2] = node("c", 2, ca.issueNode("node-c"), "queue,outbound,policy",
        List.of("node.admin_listen=127.0.0.1:" + FreePorts.loopback()));
    for (NodeProcess n : NODES) {
      n.awaitLog("node started with roles", START);
      n.awaitLog("cluster: .*; members 3 \\[", START);
    }
  }

  private static NodeProcess node(String name, int i, TestCa.Issued cert, String roles, List<String> extra)
      throws IOException {
    Path dir = Files.createDirectories(work.resolve(name));
    List<String> sets = new ArrayList<>(List.of(
        "cluster.port=" + HAZELCAST[i], "cluster.bus_port=" + BUS[i],
        "cluster.bus_cert_chain=" + cert.chain(), "cluster.bus_key=" + cert.key(),
        "node.hostname=node-" + name + ".postern.test", "node.data_dir=" + dir.resolve("data"),
        "queue.spool_dir=" + dir.resolve("spool"), "outbound.transport=*=[127.0.0.1]:" + sink.port()));
    sets.addAll(extra);
    return NodeProcess.run(dir, List.of("--cluster", "--cluster-config", clusterFile.toString(), "--roles", roles), sets);
  }

  @AfterAll
  static void stop() throws Exception {
    for (NodeProcess n : NODES) {
      if (n != null) {
        n.close();
      }
    }
    if (sink != null) {
      sink.close();
    }
  }

  @Test
  @Order(1)
  void eachNodeLogsTheMembersItSeesAndHowTheBusIsProtected() throws Exception {
    for (int i = 0; i < 3; i++) {
      String line = NODES[i].awaitLog("members 3 \\[", Duration.ofSeconds(1));
      for (int port : HAZELCAST) {
        assertTrue(line.contains("127.0.0.1:" + port), line);
      }
      assertTrue(line.contains("127.0.0.1:" + HAZELCAST[i] + " (this node)"), line);
      NODES[i].awaitLog("cluster: event bus on 127\\.0\\.0\\.1:" + BUS[i] + " over TLS with client certificates; node"
          + " certificate CN=node-" + "abc".charAt(i), Duration.ofSeconds(1));
      NODES[i].awaitLog("membership traffic is not encrypted", Duration.ofSeconds(1));
    }
    assertFalse(NODES[0].log().contains("queue active"), "node A has no queue");
  }

  @Test
  @Order(2)
  void mailHandedToTheInboundNodeIsQueuedAndDeliveredByAnotherNode() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      byte[] message = ("From: sender@example.org\r\nTo: someone@example.net\r\nSubject: cluster " + i + "\r\n"
          + "Message-ID: <cluster-" + i + "@example.org>\r\n\r\nacross the event bus " + i + "\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      Clients.Result r = Clients.smtplib(work, smtpA, "sender@example.org", "someone@example.net", message, true);
      assertEquals(0, r.exitCode(), r.output());
      Matcher m = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})").matcher(r.output());
      assertTrue(m.find(), r.output());
      ids.add(m.group(1));
    }
    List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(4, Duration.ofSeconds(60));
    for (int i = 0; i < 4; i++) {
      String marker = "across the event bus " + i;
      assertEquals(1, got.stream().filter(g -> g.contentAsString().contains(marker)).count(), marker);
    }
    for (String id : ids) {
      // Each message was stored by B or C, never by A; the queue hands it to the outbound role of
      // B or C, not necessarily its own.
      NodeProcess queue = awaitOnOneOf(id + ": from=<sender@example.org>, size=", NODES[1], NODES[2]);
      queue.awaitLog(id + ": removed", Duration.ofSeconds(30));
      awaitOnOneOf(id + ": to=<someone@example.net>, relay=127.0.0.1", NODES[1], NODES[2]);
      assertFalse(NODES[0].log().contains(id + ": to="), "A has no outbound role");
      assertFalse(NODES[0].log().contains(id + ": from=<sender@example.org>, size="), "A has no queue role");
    }
    SmtpSink.ReceivedMessage first = got.get(0);
    assertTrue(first.contentAsString().contains("by node-a.postern.test (Postern) with ESMTPS id "),
        "A wrote the Received header: " + first.contentAsString());
  }

  @Test
  @Order(3)
  void theBusRefusesPeersWithoutANodeCertificateOrWithOldTls() throws Exception {
    TestCa other = TestCa.create(Files.createDirectories(work.resolve("other-ca")), "Another CA");
    TestCa.Issued stranger = other.issueNode("node-x");
    TestCa.Issued ours = ca.issueNode("node-probe");
    int bus = BUS[1];
    // No certificate: the server demands one and fails the handshake.
    assertTrue(openssl(bus, "-tls1_2").matches("(?s).*alert (bad|handshake failure|certificate required).*"),
        "no client certificate");
    // A node certificate from another CA: refused the same way.
    String strangerOut = openssl(bus, "-tls1_2", "-cert", stranger.chain().toString(), "-key", stranger.key().toString());
    assertTrue(strangerOut.matches("(?s).*alert (bad certificate|certificate unknown|unknown ca|handshake failure).*"), strangerOut);
    // TLS 1.1 is never negotiated, even with a good certificate.
    String old = openssl(bus, "-tls1_1", "-cert", ours.chain().toString(), "-key", ours.key().toString());
    assertTrue(old.matches("(?s).*alert (protocol version|handshake failure).*|(?s).*no protocols available.*"), old);
    // Our own CA's node certificate completes the handshake: the refusals above are about the certificate.
    String good = openssl(bus, "-tls1_2", "-cert", ours.chain().toString(), "-key", ours.key().toString());
    assertTrue(good.contains("Verify return code: 0 (ok)") && !good.contains("alert"), good);
  }

  /**
   * Waits until exactly one of two nodes has logged {@code text} (logs of separate processes
   * arrive independently) and returns that node; fails if both did, or neither within 30 s.
   */
  private static NodeProcess awaitOnOneOf(String text, NodeProcess one, NodeProcess other) throws InterruptedException {
    String regex = Pattern.quote(text);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      // Short turns on each log in alternation: each wait returns as soon as a line arrives.
      NodeProcess found = one.findLog(regex, Duration.ofMillis(100)) != null ? one
          : other.findLog(regex, Duration.ofMillis(100)) != null ? other : null;
      if (found != null) {
        NodeProcess rest = found == one ? other : one;
        assertFalse(rest.log().contains(text), "logged by both nodes: " + text);
        return found;
      }
    }
    throw new AssertionError("neither node logged within 30 s: " + text);
  }

  private static String openssl(int port, String... extra) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
        "-CAfile", ca.certificatePath().toString()));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    // Wait a moment with stdin open, so a refusal that follows the handshake is read too.
    p.getOutputStream().write("\n".getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().flush();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("openssl s_client did not finish");
    }
    return out;
  }

  @Test
  @Order(4)
  void aNodeWithACertificateFromAnotherCaJoinsHazelcastButCannotUseTheBus() throws Exception {
    TestCa other = TestCa.create(Files.createDirectories(work.resolve("intruder-ca")), "Intruder CA");
    int smtpD = FreePorts.loopback();
    int hazelcastD = FreePorts.loopback();
    int busD = FreePorts.loopback();
    TestCa.Issued cert = other.issueNode("node-d");
    Path dir = Files.createDirectories(work.resolve("d"));
    try (NodeProcess d = NodeProcess.run(dir, List.of("--cluster", "--cluster-config", clusterFile.toString(),
        "--roles", "inbound"), List.of(
        "cluster.port=" + hazelcastD, "cluster.bus_port=" + busD, "cluster.bus_ca_file=" + other.certificatePath(),
        "cluster.bus_cert_chain=" + cert.chain(), "cluster.bus_key=" + cert.key(),
        "node.hostname=node-d.postern.test", "node.data_dir=" + dir.resolve("data"), "node.admin_listen=",
        "inbound.listeners=127.0.0.1:" + smtpD + " may", "policy.timeout=2s", "inbound.queue_timeout=5s"))) {
      d.awaitLog("node started with roles", START);
      String view = d.awaitLog("members 4 \\[", START);
      for (NodeProcess n : NODES) {
        // Hazelcast's open-source membership has no authentication: the intruder is a member.
        n.awaitLog("cluster: member joined: 127\\.0\\.0\\.1:" + hazelcastD + "; members 4", START);
      }
      assertTrue(view.contains("127.0.0.1:" + hazelcastD + " (this node)"), view);
      // But the event bus is closed to it: its session check cannot reach policy on A, B or C,
      // so its client is turned away with a temporary failure, and nothing reaches the sink.
      Clients.Result r = Clients.swaks("--to", "someone@example.net", "--from", "intruder@example.org",
          "--server", "127.0.0.1:" + smtpD, "--header", "Subject: from the intruder", "--timeout", "60");
      assertTrue(r.output().contains("<** 421 4.3.0 "), r.output());
      d.awaitLog("Connecting to server \\S+ failed \\(javax\\.net\\.ssl\\.SSLHandshakeException", Duration.ofSeconds(30));
      d.awaitLog("policy unavailable at connect", Duration.ofSeconds(30));
      assertTrue(sink.received().stream().noneMatch(m -> m.contentAsString().contains("from the intruder")));
    }
    for (NodeProcess n : NODES) {
      n.awaitLog("cluster: member left: 127\\.0\\.0\\.1:" + hazelcastD + "; members 3", Duration.ofSeconds(60));
    }
  }
}

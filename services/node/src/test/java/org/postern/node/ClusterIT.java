package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * that adds an intruder runs before the cluster-wide queue views, which stop node C for a while last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  private static final Duration START = Duration.ofSeconds(150);
  private static final String STUCK = "stuck.example";

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
        "queue.spool_dir=" + dir.resolve("spool"),
        // Port 9 on loopback is closed: mail to stuck.example stays queued, for the queue views.
        "outbound.transport=" + STUCK + "=[127.0.0.1]:9, *=[127.0.0.1]:" + sink.port()));
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
    int before = sink.received().size();
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
    List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(before + 4, Duration.ofSeconds(60));
    for (int i = 0; i < 4; i++) {
      String marker = "across the event bus " + i;
      assertEquals(1, got.stream().filter(g -> g.contentAsString().contains(marker)).count(), marker);
    }
    for (String id : ids) {
      // Each message was stored by B or C, never by A; the queue hands it to the outbound role of
      // its own node.
      NodeProcess queue = awaitOnOneOf(id + ": from=<sender@example.org>, size=", NODES[1], NODES[2]);
      queue.awaitLog(id + ": removed", Duration.ofSeconds(30));
      assertEquals(queue, awaitOnOneOf(id + ": to=<someone@example.net>, relay=127.0.0.1", NODES[1], NODES[2]));
      assertFalse(NODES[0].log().contains(id + ": to="), "A has no outbound role");
      assertFalse(NODES[0].log().contains(id + ": from=<sender@example.org>, size="), "A has no queue role");
    }
    SmtpSink.ReceivedMessage first = got.get(0);
    assertTrue(first.contentAsString().contains("by node-a.postern.test (Postern) with ESMTPS id "),
        "A wrote the Received header: " + first.contentAsString());
  }

  @Test
  @Order(2)
  void aBodyOfSeveralMegabytesCrossesToTheQueueInChunksAndArrivesWhole() throws Exception {
    // 3 MB of base64 lines: more than ten chunks of 256 KiB; no line starts with a dot.
    byte[] random = new byte[2_300_000];
    new java.util.Random(3).nextBytes(random);
    byte[] message = ("From: sender@example.org\r\nTo: someone@example.net\r\nSubject: big\r\n"
        + "Message-ID: <cluster-big@example.org>\r\n\r\n"
        + java.util.Base64.getMimeEncoder().encodeToString(random) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    assertTrue(message.length > 3_000_000, "size " + message.length);
    int before = sink.received().size();
    Clients.Result r = Clients.smtplib(work, smtpA, "sender@example.org", "someone@example.net", message, true);
    assertEquals(0, r.exitCode(), r.output());
    Matcher m = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})").matcher(r.output());
    assertTrue(m.find(), r.output());
    String id = m.group(1);
    // The queue node that took it logged the transfer: the body came in chunks, not in one message.
    NodeProcess queue = awaitOnOneOf(id + ": body of ", NODES[1], NODES[2]);
    Matcher t = Pattern.compile(Pattern.quote(id) + ": body of (\\d+) octets received on \\S+ in (\\d+) chunk\\(s\\)"
        + " of at most 262144 octets").matcher(queue.log());
    assertTrue(t.find(), queue.log());
    long octets = Long.parseLong(t.group(1));
    long chunks = Long.parseLong(t.group(2));
    assertTrue(octets > message.length, "the body A sent includes its Received header: " + octets);
    assertEquals((octets + 262143) / 262144, chunks);
    assertTrue(chunks > 10, "chunks: " + chunks);
    // Stored and delivered by that same node; byte for byte what the client sent, after A's header.
    queue.awaitLog(Pattern.quote(id + ": from=<sender@example.org>, size=" + octets), Duration.ofSeconds(30));
    queue.awaitLog(Pattern.quote(id + ": to=<someone@example.net>, relay=127.0.0.1"), Duration.ofSeconds(30));
    SmtpSink.ReceivedMessage got = sink.awaitMessages(before + 1, Duration.ofSeconds(60)).stream()
        .filter(g -> g.contentAsString().contains("<cluster-big@example.org>")).findFirst().orElseThrow();
    assertTrue(got.contentAsString().contains("by node-a.postern.test (Postern) with ESMTPS id " + id),
        "A wrote the Received header");
    byte[] tail = java.util.Arrays.copyOfRange(got.content(), got.content().length - message.length,
        got.content().length);
    assertTrue(java.util.Arrays.equals(message, tail), "the sink got the message byte for byte");
    assertFalse(NODES[0].log().contains(id + ": body of "), "A has no queue role");
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

  /** Messages to stuck.example queued by the cluster, with the node (B or C) that holds each. */
  static final java.util.Map<String, NodeProcess> STUCK_MAIL = new java.util.LinkedHashMap<>();

  private static int admin(NodeProcess n) {
    Matcher m = Pattern.compile("admin API listening on 127\\.0\\.0\\.1:(\\d+)").matcher(n.log());
    assertTrue(m.find(), "the admin API port in the log");
    return Integer.parseInt(m.group(1));
  }

  private static QueueCli.Run queueOn(int i, String... args) throws Exception {
    return QueueCli.queue(work, admin(NODES[i]), work.resolve("abc".charAt(i) + "/data"), args);
  }

  private static String hostname(NodeProcess n) {
    return n == NODES[1] ? "node-b.postern.test" : "node-c.postern.test";
  }

  private static io.vertx.core.json.JsonObject entry(io.vertx.core.json.JsonObject list, String id) {
    for (Object o : list.getJsonArray("messages")) {
      if (((io.vertx.core.json.JsonObject) o).getString("queueId").equals(id)) {
        return (io.vertx.core.json.JsonObject) o;
      }
    }
    throw new AssertionError(id + " not listed: " + list.encodePrettily());
  }

  private static io.vertx.core.json.JsonObject node(io.vertx.core.json.JsonObject answer, String name) {
    for (Object o : answer.getJsonArray("nodes")) {
      if (name.equals(((io.vertx.core.json.JsonObject) o).getString("node"))) {
        return (io.vertx.core.json.JsonObject) o;
      }
    }
    throw new AssertionError(name + " not among the nodes: " + answer.encodePrettily());
  }

  @Test
  @Order(5)
  void aListingOnOneNodeShowsTheMessagesOfEveryQueueNodeWithTotals() throws Exception {
    // The event bus spreads enqueues over B and C; send until each holds some (bounded).
    for (int i = 0; i < 12 && (!STUCK_MAIL.containsValue(NODES[1]) || !STUCK_MAIL.containsValue(NODES[2])); i++) {
      byte[] message = ("From: sender@example.org\r\nTo: held@" + STUCK + "\r\nSubject: stuck " + i + "\r\n\r\nwaits\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      Clients.Result r = Clients.smtplib(work, smtpA, "sender@example.org", "held@" + STUCK, message, true);
      Matcher m = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})").matcher(r.output());
      assertTrue(r.exitCode() == 0 && m.find(), r.output());
      STUCK_MAIL.put(m.group(1), awaitOnOneOf(m.group(1) + ": from=<sender@example.org>, size=", NODES[1], NODES[2]));
    }
    assertTrue(STUCK_MAIL.containsValue(NODES[1]) && STUCK_MAIL.containsValue(NODES[2]), "mail queued on B and on C");
    long onB = STUCK_MAIL.values().stream().filter(n -> n == NODES[1]).count();

    // Asked on B, the answer covers C's queue too: every message, with the node holding it.
    QueueCli.Run r = queueOn(1, "list", "--json");
    assertEquals(0, r.exit(), r.stderr() + r.stdout());
    io.vertx.core.json.JsonObject list = new io.vertx.core.json.JsonObject(r.stdout());
    assertEquals(STUCK_MAIL.size(), list.getJsonArray("messages").size(), list.encodePrettily());
    assertEquals(STUCK_MAIL.size(), list.getJsonObject("counts").getInteger("total"), list.encodePrettily());
    assertEquals(STUCK_MAIL.size(), list.getJsonObject("destinations").getJsonObject(STUCK).getInteger("messages"));
    STUCK_MAIL.forEach((id, n) -> assertEquals(hostname(n), entry(list, id).getString("node"), id));
    assertEquals(onB, node(list, "node-b.postern.test").getJsonObject("counts").getLong("total"));
    assertEquals(STUCK_MAIL.size() - onB, node(list, "node-c.postern.test").getJsonObject("counts").getLong("total"));
    assertEquals("ok", node(list, "node-c.postern.test").getString("status"));
    // A is a member without a queue: listed as such, and the answer is still complete.
    assertEquals(1, list.getJsonArray("nodes").stream()
        .filter(o -> "no_queue".equals(((io.vertx.core.json.JsonObject) o).getString("status"))).count(), list.encodePrettily());
    assertEquals(3, list.getJsonArray("nodes").size());
    assertTrue(list.getBoolean("complete"));

    // The human form, asked on C: a section per node, then the cluster's totals.
    QueueCli.Run human = queueOn(2, "list");
    assertEquals(0, human.exit(), human.stderr());
    assertTrue(human.stdout().contains("Node node-b.postern.test:\n-Queue ID-"), human.stdout());
    assertTrue(human.stdout().contains("Node node-c.postern.test:\n-Queue ID-"), human.stdout());
    assertTrue(human.stdout().contains(" in " + STUCK_MAIL.size() + " Requests (")
        && human.stdout().contains(" on 2 queue nodes; destinations: " + STUCK + " " + STUCK_MAIL.size() + "."), human.stdout());
  }

  @Test
  @Order(6)
  void holdAndDeleteReachTheNodeThatHoldsTheMessage() throws Exception {
    String onC = STUCK_MAIL.entrySet().stream().filter(e -> e.getValue() == NODES[2]).findFirst().orElseThrow().getKey();
    String onB = STUCK_MAIL.entrySet().stream().filter(e -> e.getValue() == NODES[1]).findFirst().orElseThrow().getKey();

    QueueCli.Run hold = queueOn(1, "hold", onC);
    assertEquals(0, hold.exit(), hold.stderr());
    assertTrue(hold.stdout().contains(onC + ": placed on hold (on node-c.postern.test)"), hold.stdout());
    NODES[2].awaitLog("operator: hold " + onC + ": 1 message\\(s\\) changed", Duration.ofSeconds(10));
    assertFalse(NODES[1].log().contains("operator: hold " + onC), "B does not hold it");

    QueueCli.Run delete = queueOn(2, "delete", onB);
    assertEquals(0, delete.exit(), delete.stderr());
    assertTrue(delete.stdout().contains(onB + ": removed (on node-b.postern.test)"), delete.stdout());
    NODES[1].awaitLog("operator: delete " + onB + ": 1 message\\(s\\) changed", Duration.ofSeconds(10));
    STUCK_MAIL.remove(onB);

    io.vertx.core.json.JsonObject list = new io.vertx.core.json.JsonObject(queueOn(2, "list", "--json").stdout());
    assertEquals("held", entry(list, onC).getString("state"));
    assertEquals(STUCK_MAIL.size(), list.getJsonObject("counts").getInteger("total"));
    assertEquals(1, list.getJsonObject("counts").getInteger("held"));
    assertTrue(list.getJsonArray("messages").stream()
        .noneMatch(o -> ((io.vertx.core.json.JsonObject) o).getString("queueId").equals(onB)), list.encodePrettily());

    // An id no node holds: one sentence, after asking both queues.
    QueueCli.Run missing = queueOn(1, "show", "0123456789ABCDEF");
    assertEquals(1, missing.exit());
    assertTrue(missing.stderr().contains("no message with queue id 0123456789ABCDEF in the queue of any node"
        + " (2 queue nodes asked)"), missing.stderr());
  }

  @Test
  @Order(7)
  void oneScrapeOfAnyQueueNodeCarriesEveryMembersMetricsLabelledByNode() throws Exception {
    HttpResponse<String> page = scrape(1, "/metrics/cluster");
    assertEquals(200, page.statusCode(), page.body());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    String text = page.body();
    for (String n : new String[] {"a", "b", "c"}) {
      assertTrue(text.contains("postern_cluster_member_up{node=\"node-" + n + ".postern.test\"} 1\n"), text);
    }
    // A runs no admin API: its certificate's end of validity reaches the operator only this way.
    assertTrue(Pattern.compile("(?m)^postern_tls_certificate_not_after_seconds\\{node=\"node-a\\.postern\\.test\",.* \\d")
        .matcher(text).find(), text);
    assertFalse(text.contains("postern_queue_replicated_total{node=\"node-a."), "A runs no queue: " + text);
    // C's counters, as B serves them, are what C itself serves (the mail is stuck: nothing moves).
    String ownC = scrape(2, "/metrics").body();
    for (String counter : List.of("postern_queue_replicated_total", "postern_queue_chunked_bodies_total")) {
      assertEquals(sample(ownC, counter + " "), sample(text, counter + "{node=\"node-c.postern.test\"} "), counter);
    }
    // The multi-megabyte body of order 2 came to B or C in chunks: the cluster's page counts it.
    double chunked = sample(text, "postern_queue_chunked_bodies_total{node=\"node-b.postern.test\"} ")
        + sample(text, "postern_queue_chunked_bodies_total{node=\"node-c.postern.test\"} ");
    assertTrue(chunked >= 1, text);
    // The queue's size, per node and state: the stuck mail, one held (order 6), counted every 5 s.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    double queued = -1;
    double held = -1;
    while (System.nanoTime() < deadline) {
      text = scrape(1, "/metrics/cluster").body();
      queued = 0;
      held = 0;
      for (String n : new String[] {"b", "c"}) {
        for (String st : new String[] {"active", "deferred", "held"}) {
          double v = sample(text, "postern_queue_messages{node=\"node-" + n + ".postern.test\",state=\"" + st + "\"} ");
          queued += v;
          held += st.equals("held") ? v : 0;
        }
      }
      if (queued == STUCK_MAIL.size() && held == 1) {
        break;
      }
      Thread.sleep(500);
    }
    assertEquals(STUCK_MAIL.size(), queued, text);
    assertEquals(1, held, text);
    assertTrue(sample(text, "postern_queue_octets{node=\"node-b.postern.test\"} ")
        + sample(text, "postern_queue_octets{node=\"node-c.postern.test\"} ") > 0, text);
    // Each family once: a scraper refuses a page whose family is split.
    assertEquals(1, Pattern.compile("(?m)^# TYPE postern_queue_replicated_total ").matcher(text).results().count(), text);
  }

  private static HttpResponse<String> scrape(int i, String path) throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin(NODES[i]) + path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the one sample whose line starts with {@code prefix}. */
  private static double sample(String page, String prefix) {
    List<String> lines = page.lines().filter(l -> l.startsWith(prefix)).toList();
    assertEquals(1, lines.size(), prefix + " in\n" + page);
    return Double.parseDouble(lines.get(0).substring(prefix.length()).split(" ")[0]);
  }

  @Test
  @Order(8)
  void aQueueNodeThatDoesNotAnswerIsReportedNotLeftOut() throws Exception {
    long pid = NODES[2].pid();
    assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor());
    try {
      QueueCli.Run r = queueOn(1, "list", "--json");
      assertEquals(1, r.exit(), r.stdout() + r.stderr());
      assertTrue(r.stderr().contains("incomplete: not every queue node answered"), r.stderr());
      io.vertx.core.json.JsonObject list = new io.vertx.core.json.JsonObject(r.stdout());
      assertFalse(list.getBoolean("complete"));
      long onB = STUCK_MAIL.values().stream().filter(n -> n == NODES[1]).count();
      assertEquals(onB, list.getJsonObject("counts").getLong("total"), list.encodePrettily());
      // Every member is accounted for: B answered; C did not. (A may be reported as not answering
      // too: Hazelcast may keep A's part of the subscription map on the stopped C.)
      List<io.vertx.core.json.JsonObject> nodes = list.getJsonArray("nodes").stream()
          .map(o -> (io.vertx.core.json.JsonObject) o).toList();
      assertEquals(3, nodes.size(), list.encodePrettily());
      assertEquals("ok", node(list, "node-b.postern.test").getString("status"));
      assertTrue(nodes.stream().noneMatch(n -> "node-c.postern.test".equals(n.getString("node"))), list.encodePrettily());
      List<io.vertx.core.json.JsonObject> silent = nodes.stream()
          .filter(n -> "no_answer".equals(n.getString("status"))).toList();
      assertFalse(silent.isEmpty(), list.encodePrettily());
      assertTrue(silent.stream().allMatch(n -> n.getString("error").equals("no answer within 10s")
          && !("127.0.0.1:" + BUS[1]).equals(n.getString("member"))), list.encodePrettily());
      // The human form says so too.
      QueueCli.Run human = queueOn(1, "list");
      assertEquals(1, human.exit(), human.stderr());
      assertTrue(human.stdout().contains("-- INCOMPLETE: ") && human.stdout().contains(
          ": no answer within 10s; its queue is not included"), human.stdout());
      // The cluster's metrics page comes within the scrape deadline all the same, and says whose
      // metrics are missing: C, named by its event-bus address or node id (it cannot give its name).
      HttpResponse<String> page = scrape(1, "/metrics/cluster");
      assertEquals(200, page.statusCode());
      assertTrue(Pattern.compile("(?m)^postern_cluster_member_up\\{node=\"(127\\.0\\.0\\.1:\\d+|node id [0-9a-f-]+)\"\\} 0$")
          .matcher(page.body()).find(), page.body());
      assertTrue(page.body().contains("postern_cluster_member_up{node=\"node-b.postern.test\"} 1\n"), page.body());
      assertFalse(page.body().contains("{node=\"node-c.postern.test\""), page.body());
    } finally {
      new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
    }
  }
}

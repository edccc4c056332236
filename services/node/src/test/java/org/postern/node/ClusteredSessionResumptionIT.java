package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * TLS 1.3 session resumption across clustered nodes, as issue 20 asks: three real node processes
 * joined over loopback with {@code deploy/postern run --cluster}. A runs the queue (and outbound,
 * to a sink) besides a listener; B and C run a listener only, so mail handed to them crosses the
 * event bus to A. A and B read one {@code tls.session_ticket_key_file}, C another. A session saved
 * from A with {@code s_client -sess_out} resumes on B, and mail sent over it is relayed as any
 * other; on C it gets a full handshake. Ticket settings cannot be pushed, and a push that replaces
 * the certificate keeps the ticket keys. One cluster serves every test, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusteredSessionResumptionIT {

  private static final Duration START = Duration.ofSeconds(150);
  private static final String[] NAMES = {"a", "b", "c"};
  /** Connections per check: each may land on another event loop of B. */
  private static final int TRIES = 3;

  @TempDir
  static Path work;

  static TestCa ca;
  static SmtpSink sink;
  static Path shared;
  static Path other;
  static Path tls13;
  static String operatorId;
  static int admin;
  static final int[] HAZELCAST = new int[3];
  static final int[] BUS = new int[3];
  static final int[] SMTP = new int[3];
  static final NodeProcess[] NODES = new NodeProcess[3];

  @BeforeAll
  static void startCluster() throws Exception {
    ca = TestCa.create(Files.createDirectories(work.resolve("ca")), "Postern test node CA");
    sink = SmtpSink.start(SmtpSink.Options.starttls(true));
    shared = SessionResumptionIT.secret(work, "shared");
    other = SessionResumptionIT.secret(work, "other");
    tls13 = work.resolve("tls13.session");
    Launcher.Run keygen = Launcher.run(work, "", "config", "keygen", "--out", work.resolve("ops").toString());
    assertEquals(0, keygen.exit(), keygen.stderr());
    Matcher id = Pattern.compile("key id ([0-9a-f]{16})").matcher(keygen.stdout());
    assertTrue(id.find(), keygen.stdout());
    operatorId = id.group(1);
    for (int i = 0; i < 3; i++) {
      HAZELCAST[i] = FreePorts.loopback();
      BUS[i] = FreePorts.loopback();
      SMTP[i] = FreePorts.loopback();
    }
    admin = FreePorts.loopback();
    Path clusterFile = Files.writeString(work.resolve("cluster.conf"), "cluster.name = postern-tickets-it\n"
        + "cluster.members = 127.0.0.1:" + HAZELCAST[0] + ", 127.0.0.1:" + HAZELCAST[1] + ", 127.0.0.1:" + HAZELCAST[2] + "\n"
        + "cluster.interface = 127.0.0.1\n"
        + "cluster.bus_ca_file = " + ca.certificatePath() + "\n"
        + "cluster.operator_keys = " + work.resolve("ops") + "/*.pub\n");
    // One queue node: nothing to replicate to.
    NODES[0] = node(0, "inbound,policy,queue,outbound", clusterFile, shared,
        List.of("node.admin_listen=127.0.0.1:" + admin, "queue.replicas=0"));
    NODES[1] = node(1, "inbound,policy", clusterFile, shared, List.of("node.admin_listen="));
    NODES[2] = node(2, "inbound,policy", clusterFile, other, List.of("node.admin_listen="));
    for (int i = 0; i < 3; i++) {
      NODES[i].awaitLog("node started with roles", START);
      NODES[i].awaitLog("cluster: .*; members 3 \\[", START);
      NODES[i].awaitLog("TLS session tickets: keys from tls.session_ticket_key_file " + (i == 2 ? other : shared),
          Duration.ofSeconds(1));
    }
  }

  private static NodeProcess node(int i, String roles, Path cluster, Path secret, List<String> extra) throws IOException {
    Path dir = Files.createDirectories(work.resolve(NAMES[i]));
    TestCa.Issued cert = ca.issueNode("node-" + NAMES[i]);
    List<String> sets = new ArrayList<>(List.of(
        "cluster.port=" + HAZELCAST[i], "cluster.bus_port=" + BUS[i],
        "cluster.bus_cert_chain=" + cert.chain(), "cluster.bus_key=" + cert.key(),
        "node.hostname=node-" + NAMES[i] + ".postern.test", "node.data_dir=" + dir.resolve("data"),
        "queue.spool_dir=" + dir.resolve("spool"), "inbound.listeners=127.0.0.1:" + SMTP[i] + " may",
        "outbound.transport=*=[127.0.0.1]:" + sink.port(), "tls.session_ticket_key_file=" + secret));
    sets.addAll(extra);
    return NodeProcess.run(dir, List.of("--cluster", "--cluster-config", cluster.toString(), "--roles", roles), sets);
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

  /** {@code deploy/postern config push ARGS} through node A's admin API, signed with the operator key. */
  private static Launcher.Run push(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("config", "push"));
    all.addAll(List.of(args));
    all.addAll(List.of("--key", work.resolve("ops/operator.key").toString(), "--admin", "127.0.0.1:" + admin,
        "--data-dir", work.resolve("a/data").toString()));
    Launcher.Run r = Launcher.run(work, "", all.toArray(String[]::new));
    assertFalse(r.hasStackTrace(), r.stderr());
    return r;
  }

  private static void eachNodeAnswered(Launcher.Run r, String line) {
    for (String n : NAMES) {
      assertTrue(r.stdout().contains("node-" + n + ".postern.test: " + line), "node " + n + ":\n" + r.stdout());
    }
  }

  private static ResumingClient.Mail mail(String marker) {
    return new ResumingClient.Mail("sender@example.org", "someone@example.net", "From: sender@example.org\n"
        + "To: someone@example.net\nSubject: " + marker + "\nMessage-ID: <" + marker + "@example.org>\n\n" + marker);
  }

  @Test
  @Order(1)
  void aSessionFromAResumesOnBAndMailSentOverItCrossesTheCluster() throws Exception {
    assertEquals("New, TLSv1.3", ResumingClient.run(SMTP[0], "-tls1_3", "-sess_out", tls13, null).handshake());
    int before = sink.received().size();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < TRIES; i++) {
      ResumingClient.Session s = ResumingClient.run(SMTP[1], "-tls1_3", "-sess_in", tls13, mail("resumed-on-b-" + i));
      assertEquals("Reused, TLSv1.3", s.handshake(), "node b, connection " + i + ":\n" + s.output());
      Matcher m = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})").matcher(s.queuedAs());
      assertTrue(m.find(), s.output());
      ids.add(m.group(1));
    }
    List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(before + TRIES, Duration.ofSeconds(60));
    for (int i = 0; i < TRIES; i++) {
      String id = ids.get(i);
      // B took the mail over the resumed session and handed it to A's queue over the event bus.
      NODES[0].awaitLog(Pattern.quote(id + ": from=<sender@example.org>, size="), Duration.ofSeconds(30));
      NODES[0].awaitLog(Pattern.quote(id + ": to=<someone@example.net>, relay=127.0.0.1"), Duration.ofSeconds(30));
      assertFalse(NODES[1].log().contains(id + ": from=<sender@example.org>, size="), "B has no queue");
      String marker = "resumed-on-b-" + i;
      SmtpSink.ReceivedMessage m = got.stream().filter(g -> g.contentAsString().contains("<" + marker + "@example.org>"))
          .findFirst().orElseThrow(() -> new AssertionError("the sink has no " + marker));
      assertTrue(m.contentAsString().contains("by node-b.postern.test (Postern) with ESMTPS id " + id),
          "B wrote the Received header of a TLS session: " + m.contentAsString());
    }
    // B logs the resumed sessions like full ones (s_client sends no certificate: NO).
    long logged = NODES[1].log().lines().filter(l -> l.contains("STARTTLS=server, relay=[127.0.0.1], version=TLSv1.3,"
        + " verify=NO, cipher=TLS_AES_")).count();
    assertEquals(TRIES, logged, NODES[1].log());
  }

  @Test
  @Order(2)
  void aClusterMemberWithAnotherSecretMakesAFullHandshake() throws Exception {
    assertEquals("New, TLSv1.3", ResumingClient.run(SMTP[2], "-tls1_3", "-sess_in", tls13, null).handshake(),
        "node c has another secret");
  }

  @Test
  @Order(3)
  void aPushCarriesNoTicketSettingAndSaysARestartTakesThem() throws Exception {
    Path lifetime = Files.writeString(work.resolve("lifetime.conf"), "tls.session_ticket_lifetime = 2h\n");
    Launcher.Run r = push(lifetime.toString());
    assertEquals(2, r.exit(), r.stdout() + r.stderr());
    eachNodeAnswered(r, "refused: lifetime.conf:1: tls.session_ticket_lifetime: a push cannot change this setting:"
        + " the ticket keys are loaded at start; change it on every node, then restart each");
    Path file = Files.writeString(work.resolve("secret.conf"), "tls.session_ticket_key_file = " + other + "\n");
    Launcher.Run s = push(file.toString());
    assertEquals(2, s.exit(), s.stdout() + s.stderr());
    eachNodeAnswered(s, "refused: secret.conf:1: tls.session_ticket_key_file: a push cannot change this setting:"
        + " a push never carries the ticket secret; copy the file to every node, then restart each");
    for (NodeProcess n : NODES) {
      n.awaitLog("config: refused version .* signed by key " + operatorId + ", nothing changed: secret.conf:1: ",
          Duration.ofSeconds(5));
    }
    // Nothing changed: the session still resumes on B, and still not on C.
    assertEquals("Reused, TLSv1.3", ResumingClient.run(SMTP[1], "-tls1_3", "-sess_in", tls13, null).handshake());
    assertEquals("New, TLSv1.3", ResumingClient.run(SMTP[2], "-tls1_3", "-sess_in", tls13, null).handshake());
  }

  @Test
  @Order(4)
  void aPushedCertificateKeepsTheTicketKeys() throws Exception {
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    Path tls = Files.writeString(work.resolve("tls.conf"), "tls.protocols = TLSv1.3\n");
    Launcher.Run r = push(tls.toString(), "--tls-cert", mail.chain().toString(), mail.key().toString());
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    eachNodeAnswered(r, "applied version ");
    for (NodeProcess n : NODES) {
      n.awaitLog("config: applied version .*; listener: tls.cert_chain .*" + Pattern.quote(mail.chain().getFileName().toString()),
          Duration.ofSeconds(5));
    }
    // The new server context seals and opens tickets with the same keys: a session from before the
    // push resumes on B, one from after it on A resumes on B too.
    assertEquals("Reused, TLSv1.3", ResumingClient.run(SMTP[1], "-tls1_3", "-sess_in", tls13, null).handshake());
    Path after = work.resolve("after-push.session");
    assertEquals("New, TLSv1.3", ResumingClient.run(SMTP[0], "-tls1_3", "-sess_out", after, null).handshake());
    assertEquals("Reused, TLSv1.3", ResumingClient.run(SMTP[1], "-tls1_3", "-sess_in", after, null).handshake());
    assertEquals("New, TLSv1.3", ResumingClient.run(SMTP[2], "-tls1_3", "-sess_in", after, null).handshake());
  }
}

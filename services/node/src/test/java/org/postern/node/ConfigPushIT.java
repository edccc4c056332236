package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
import org.postern.bus.ConfigPush;
import org.postern.testkit.FreePorts;
import org.postern.testkit.TestCa;
import org.postern.tls.Fingerprints;

/**
 * Signed configuration pushes across three real node processes on loopback, each with its own SMTP
 * listener (inbound and policy on every node; B and C also run a queue, with the outbound role a
 * clustered queue needs, and the admin API the CLI talks to). The operator's commands are the real {@code deploy/postern config ...}; what a push
 * changes is observed by swaks sessions on every node's listener. One cluster serves every test,
 * in order; a fourth node joins at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConfigPushIT {

  private static final Duration START = Duration.ofSeconds(150);
  private static final String[] NAMES = {"a", "b", "c"};

  @TempDir
  static Path work;

  static TestCa ca;
  static Path clusterFile;
  static String operatorId;
  static final int[] HAZELCAST = new int[4];
  static final int[] BUS = new int[4];
  static final int[] SMTP = new int[4];
  static final int[] ADMIN = new int[3];
  static final NodeProcess[] NODES = new NodeProcess[3];

  @BeforeAll
  static void startCluster() throws Exception {
    ca = TestCa.create(Files.createDirectories(work.resolve("ca")), "Postern test node CA");
    Launcher.Run keygen = Launcher.run(work, "", "config", "keygen", "--out", work.resolve("ops").toString());
    assertEquals(0, keygen.exit(), keygen.stderr());
    Matcher id = Pattern.compile("key id ([0-9a-f]{16})").matcher(keygen.stdout());
    assertTrue(id.find(), keygen.stdout());
    operatorId = id.group(1);
    for (int i = 0; i < 4; i++) {
      HAZELCAST[i] = FreePorts.loopback();
      BUS[i] = FreePorts.loopback();
      SMTP[i] = FreePorts.loopback();
    }
    clusterFile = work.resolve("cluster.conf");
    Files.writeString(clusterFile, clusterText(3));
    for (int i = 0; i < 3; i++) {
      String roles = i == 0 ? "inbound,policy" : "inbound,policy,queue,outbound";
      ADMIN[i] = i == 0 ? -1 : FreePorts.loopback();
      NODES[i] = node(NAMES[i], i, roles, clusterFile,
          List.of("node.admin_listen=" + (i == 0 ? "" : "127.0.0.1:" + ADMIN[i])));
    }
    for (NodeProcess n : NODES) {
      n.awaitLog("node started with roles", START);
      n.awaitLog("cluster: .*; members 3 \\[", START);
      n.awaitLog("config: trusting operator keys " + operatorId, Duration.ofSeconds(1));
    }
  }

  private static String clusterText(int members) {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < members; i++) {
      list.append(i == 0 ? "" : ", ").append("127.0.0.1:").append(HAZELCAST[i]);
    }
    return "cluster.name = postern-push-it\n"
        + "cluster.members = " + list + "\n"
        + "cluster.interface = 127.0.0.1\n"
        + "cluster.bus_ca_file = " + ca.certificatePath() + "\n"
        + "cluster.operator_keys = " + work.resolve("ops") + "/*.pub\n";
  }

  private static NodeProcess node(String name, int i, String roles, Path cluster, List<String> extra) throws IOException {
    Path dir = Files.createDirectories(work.resolve(name));
    TestCa.Issued cert = ca.issueNode("node-" + name);
    List<String> sets = new ArrayList<>(List.of(
        "cluster.port=" + HAZELCAST[i], "cluster.bus_port=" + BUS[i],
        "cluster.bus_cert_chain=" + cert.chain(), "cluster.bus_key=" + cert.key(),
        "node.hostname=node-" + name + ".postern.test", "node.data_dir=" + dir.resolve("data"),
        "queue.spool_dir=" + dir.resolve("spool"), "inbound.listeners=127.0.0.1:" + SMTP[i] + " may"));
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
  }

  /** {@code deploy/postern config ARGS --admin <node i's admin API> --data-dir <its data dir>}. */
  private static Launcher.Run config(int via, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("config"));
    all.addAll(List.of(args));
    all.addAll(List.of("--admin", "127.0.0.1:" + ADMIN[via], "--data-dir", work.resolve(NAMES[via]).resolve("data").toString()));
    Launcher.Run r = Launcher.run(work, "", all.toArray(String[]::new));
    assertFalse(r.hasStackTrace(), r.stderr());
    return r;
  }

  private static Path file(String name, String text) throws IOException {
    return Files.writeString(work.resolve(name), text);
  }

  /** A swaks session that stops after the greeting; what the greeting was. */
  private static String greeting(int port) throws Exception {
    Clients.Result r = Clients.swaks("--server", "127.0.0.1:" + port, "--quit-after", "CONNECT", "--timeout", "30");
    for (String line : r.lines()) {
      if (line.startsWith("<-  2") || line.startsWith("<** ")) {
        return line.substring(4);
      }
    }
    throw new AssertionError("no greeting: " + r.output());
  }

  /**
   * Every node's listener, twice each: the session check goes to the policy role of any node
   * (Vert.x spreads requests over them), so six sessions ask all three policy verticles.
   */
  private static void everyListenerGreets(String prefix, int nodes) throws Exception {
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < nodes; i++) {
        String g = greeting(SMTP[i]);
        assertTrue(g.startsWith(prefix), "node " + "abcd".charAt(i) + ": " + g);
      }
    }
  }

  private static void eachNodeAnswered(Launcher.Run r, String line) {
    for (String n : NAMES) {
      assertTrue(r.stdout().contains("node-" + n + ".postern.test: " + line), "node " + n + ":\n" + r.stdout());
    }
  }

  @Test
  @Order(1)
  void beforeAnyPushEveryNodeRunsOnItsOwnFiles() throws Exception {
    Launcher.Run show = config(2, "versions");
    assertEquals(0, show.exit(), show.stderr());
    eachNodeAnswered(show, "version 0 (its own files; no push applied)");
    assertTrue(show.stdout().contains("history: (empty)"), show.stdout());
    everyListenerGreets("220 ", 3);
  }

  @Test
  @Order(2)
  void aSignedPushChangesThePolicyOnEveryNode() throws Exception {
    Path live = file("live.conf", "# policy settings a push may change\npolicy.relay_domains = example.net\n");
    Path access = file("access", "# pushed\nConnect:127.0.0.1 REJECT\n");
    Launcher.Run r = config(1, "push", live.toString(), "--policy-access", access.toString(),
        "--key", work.resolve("ops/operator.key").toString());
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    eachNodeAnswered(r, "applied version 1");
    assertEquals(3, r.stdout().lines().count(), r.stdout());
    for (NodeProcess n : NODES) {
      n.awaitLog("config: applied version 1 signed by key " + operatorId, Duration.ofSeconds(5));
      n.awaitLog("policy: pushed access", Duration.ofSeconds(5));
    }
    everyListenerGreets("554 5.7.1 ", 3);
  }

  @Test
  @Order(3)
  void aBrokenPushIsRefusedByEveryNodeWithFileLineAndNothingChanges() throws Exception {
    Path access = file("access", "# pushed\nConnect:127.0.0.1 OK\nConnect:192.0.2.1 SOMETIMES\n");
    Launcher.Run r = config(1, "push", "--policy-access", access.toString(), "--key", work.resolve("ops/operator.key").toString());
    assertEquals(2, r.exit(), r.stdout() + r.stderr());
    eachNodeAnswered(r, "refused: access:3: ");
    for (NodeProcess n : NODES) {
      n.awaitLog("config: refused version 2 signed by key " + operatorId + ", nothing changed: access:3: ",
          Duration.ofSeconds(5));
    }
    Path live = file("restart.conf", "policy.relay_domains = example.com\ninbound.event_loops = 2\n");
    Launcher.Run setting = config(1, "push", live.toString(), "--key", work.resolve("ops/operator.key").toString());
    assertEquals(2, setting.exit(), setting.stdout());
    eachNodeAnswered(setting, "refused: restart.conf:2: inbound.event_loops: a push cannot change this setting: the"
        + " listener's verticle instances are deployed at start; restart the node to change their number");
    // Line 2 of the broken map would have let 127.0.0.1 in: the pushed REJECT is still in force.
    everyListenerGreets("554 5.7.1 ", 3);
    eachNodeAnswered(config(2, "versions"), "version 1 by key " + operatorId);
  }

  @Test
  @Order(4)
  void unsignedAndUntrustedPushesAreRefusedAndLoggedWithTheKeyId() throws Exception {
    // Unsigned: straight to the admin API, as anyone holding a node's token could.
    ConfigPush unsigned = new ConfigPush(2, "0123456789abcdef", System.currentTimeMillis(), null,
        new ConfigPush.Text("access", "Connect:127.0.0.1 OK\n"), null, "", "");
    String token = Files.readString(work.resolve("b/data/admin.token")).strip();
    HttpResponse<String> http = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + ADMIN[1] + "/config/push"))
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(unsigned.toJson().encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, http.statusCode(), http.body());
    JsonArray results = new JsonObject(http.body()).getJsonArray("results");
    assertEquals(3, results.size(), http.body());
    for (Object o : results) {
      JsonObject res = (JsonObject) o;
      assertEquals("REFUSED", res.getString("outcome"), http.body());
      assertEquals(1, res.getLong("version"), "still version 1: " + http.body());
      assertTrue(res.getJsonArray("problems").getString(0).startsWith("unsigned push (claims key 0123456789abcdef)"),
          http.body());
    }
    for (NodeProcess n : NODES) {
      n.awaitLog("warning: config: refused version 2 signed by key 0123456789abcdef, nothing changed: unsigned push",
          Duration.ofSeconds(5));
    }

    // Signed, but by a key no node trusts.
    Launcher.Run keygen = Launcher.run(work, "", "config", "keygen", "--out", work.resolve("stranger").toString(),
        "--name", "mallory");
    assertEquals(0, keygen.exit(), keygen.stderr());
    Matcher id = Pattern.compile("key id ([0-9a-f]{16})").matcher(keygen.stdout());
    assertTrue(id.find(), keygen.stdout());
    String mallory = id.group(1);
    Path access = file("open", "Connect:127.0.0.1 OK\n");
    Launcher.Run r = config(1, "push", "--policy-access", access.toString(),
        "--key", work.resolve("stranger/mallory.key").toString());
    assertEquals(2, r.exit(), r.stdout() + r.stderr());
    eachNodeAnswered(r, "refused: signed by key " + mallory + ", which is not in cluster.operator_keys");
    for (NodeProcess n : NODES) {
      n.awaitLog("warning: config: refused version 2 signed by key " + mallory + ", nothing changed", Duration.ofSeconds(5));
    }
    everyListenerGreets("554 5.7.1 ", 3);
  }

  @Test
  @Order(5)
  void aRollbackPushesAnEarlierBundleAgainAsANewVersion() throws Exception {
    // An empty push would drop version 1's access map and settings: refused unless asked for.
    Launcher.Run empty = config(2, "push", "--key", work.resolve("ops/operator.key").toString());
    assertEquals(2, empty.exit(), empty.stdout() + empty.stderr());
    eachNodeAnswered(empty, "refused: the push has no access map, but the access of version 1 is in force: it would"
        + " be removed, leaving no access map; push it again with --policy-access FILE");
    eachNodeAnswered(empty, "refused: the push leaves out policy.relay_domains, which version 1 set");
    everyListenerGreets("554 5.7.1 ", 3);
    Launcher.Run open = config(2, "push", "--replace", "--key", work.resolve("ops/operator.key").toString());
    assertEquals(0, open.exit(), open.stdout() + open.stderr());
    eachNodeAnswered(open, "applied version 2");
    everyListenerGreets("220 ", 3);

    Launcher.Run back = config(1, "rollback", "1", "--key", work.resolve("ops/operator.key").toString());
    assertEquals(0, back.exit(), back.stdout() + back.stderr());
    assertTrue(back.stdout().startsWith("rolling back to the files of version 1 as version 3\n"), back.stdout());
    eachNodeAnswered(back, "applied version 3");
    everyListenerGreets("554 5.7.1 ", 3);

    Launcher.Run missing = config(1, "rollback", "9", "--key", work.resolve("ops/operator.key").toString());
    assertEquals(2, missing.exit(), missing.stderr());
    assertTrue(missing.stderr().contains("the cluster's history holds no version 9"), missing.stderr());
  }

  @Test
  @Order(6)
  void versionsListsTheVersionOnEveryNodeAndTheHistoryAndShowAndDiffReadThem() throws Exception {
    Launcher.Run show = config(1, "versions");
    assertEquals(0, show.exit(), show.stderr());
    eachNodeAnswered(show, "version 3 by key " + operatorId + " at ");
    assertTrue(show.stdout().contains("history: 1 2 3"), show.stdout());

    // What a version carried, and what changed between two (version 2 was the empty --replace push).
    Launcher.Run one = config(1, "show", "1");
    assertEquals(0, one.exit(), one.stderr());
    assertTrue(one.stdout().startsWith("version 1 by key " + operatorId + " at "), one.stdout());
    assertTrue(one.stdout().contains("== settings: live.conf\n# policy settings a push may change\n"
        + "policy.relay_domains = example.net\n== policy.access_map: access\n# pushed\nConnect:127.0.0.1 REJECT\n"),
        one.stdout());
    Launcher.Run diff = config(1, "diff", "2", "3");
    assertEquals(1, diff.exit(), diff.stderr());
    assertEquals("+ policy.relay_domains = example.net\n== policy.access_map (access)\n+ # pushed\n"
        + "+ Connect:127.0.0.1 REJECT\n", diff.stdout());
    assertEquals(0, config(1, "diff", "1", "3").exit(), "a rollback carries the same files");
    Launcher.Run missing = config(1, "show", "9");
    assertEquals(1, missing.exit(), missing.stderr());
    assertTrue(missing.stderr().contains("the cluster's history holds no version 9"), missing.stderr());
  }

  @Test
  @Order(7)
  void aNodeThatJoinsLaterAppliesTheCurrentVersion() throws Exception {
    Path lateCluster = Files.writeString(work.resolve("cluster-d.conf"), clusterText(4));
    try (NodeProcess d = node("d", 3, "inbound,policy", lateCluster, List.of("node.admin_listen="))) {
      d.awaitLog("members 4 \\[", START);
      d.awaitLog("config: the cluster's current configuration is version 3; applying it", START);
      d.awaitLog("config: applied version 3 signed by key " + operatorId, Duration.ofSeconds(30));
      d.awaitLog("node started with roles", START);
      String g = greeting(SMTP[3]);
      assertTrue(g.startsWith("554 5.7.1 "), g);
      Launcher.Run show = config(2, "versions");
      assertEquals(0, show.exit(), show.stderr());
      assertTrue(show.stdout().contains("node-d.postern.test: version 3 by key " + operatorId), show.stdout());
    }
  }

  private static String key() {
    return work.resolve("ops/operator.key").toString();
  }

  /** What a new STARTTLS session on node i is served, as openssl s_client sees it. */
  private static String served(int i) throws Exception {
    return Fingerprints.sha256(StartTlsSession.served(SMTP[i]));
  }

  @Test
  @Order(8)
  void aPushedCertificateIsServedByEveryNodeWhileASessionOpenedBeforeGoesOn() throws Exception {
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    String pushed = Fingerprints.sha256(mail.certificate());
    // Version 3 rejects 127.0.0.1 at connect: open the listeners first.
    Path open = file("open.conf", "policy.relay_domains = example.net\n");
    Launcher.Run opened = config(1, "push", open.toString(), "--replace", "--key", key());
    assertEquals(0, opened.exit(), opened.stdout() + opened.stderr());
    eachNodeAnswered(opened, "applied version 4");
    for (int i = 0; i < 3; i++) {
      assertNotEquals(pushed, served(i), "node " + NAMES[i] + " serves its own certificate before the push");
    }
    String before = served(0);
    try (StartTlsSession session = new StartTlsSession(work.resolve("before.err"), SMTP[0])) {
      assertTrue(session.command("EHLO before.example").startsWith("250"));
      Launcher.Run r = config(1, "push", open.toString(), "--tls-cert", mail.chain().toString(), mail.key().toString(),
          "--key", key());
      assertEquals(0, r.exit(), r.stdout() + r.stderr());
      eachNodeAnswered(r, "applied version 5");
      for (int i = 0; i < 3; i++) {
        NODES[i].awaitLog("config: applied version 5 .*; listener: tls.cert_chain .*/data/tls/pushed/v5/0-" + mail.chain().getFileName()
            + " SHA-256 " + Pattern.quote(pushed), Duration.ofSeconds(5));
        assertEquals(pushed, served(i), "node " + NAMES[i] + " serves the pushed certificate to a new session");
      }
      // The session that did STARTTLS before the push keeps its TLS session and goes on.
      assertEquals("250 2.0.0 Ok", session.command("NOOP"));
      assertEquals("250 2.1.0 Ok", session.command("MAIL FROM:<a@before.example>"));
      assertEquals("221 2.0.0 Bye", session.command("QUIT"));
    }
    assertNotEquals(before, pushed);
    // The key is on each node's disk, 0600 in a 0700 directory, and in the cluster's history it is not.
    for (String n : NAMES) {
      Path keys = work.resolve(n).resolve("data/tls/pushed/keys");
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
      try (var files = Files.list(keys)) {
        for (Path k : files.toList()) {
          assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(k)), k.toString());
        }
      }
    }
    String token = Files.readString(work.resolve("b/data/admin.token")).strip();
    HttpResponse<String> stored = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + ADMIN[1] + "/config/get"))
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString("{\"version\": 5}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, stored.statusCode(), stored.body());
    assertTrue(stored.body().contains("BEGIN CERTIFICATE"), stored.body());
    assertFalse(stored.body().contains("PRIVATE KEY"), "the history keeps no private key: " + stored.body());
  }

  @Test
  @Order(9)
  void aKeyThatIsNotTheCertificatesIsRefusedByEveryNodeAndTheOldCertificateStays() throws Exception {
    String inForce = served(0);
    TestCa.Issued renewed = ca.issueServer("mail.postern.test");
    TestCa.Issued other = ca.issueServer("other.postern.test");
    Path open = file("open.conf", "policy.relay_domains = example.net\ninbound.max_connections_per_ip = 1\n"
        + "inbound.client_limit_exceptions =\n");
    Launcher.Run r = config(2, "push", open.toString(), "--tls-cert", renewed.chain().toString(), other.key().toString(),
        "--key", key());
    assertEquals(2, r.exit(), r.stdout() + r.stderr());
    eachNodeAnswered(r, "refused: " + renewed.chain().getFileName()
        + ": the private key does not belong to the first certificate (CN=mail.postern.test,O=Postern tests)");
    for (int i = 0; i < 3; i++) {
      NODES[i].awaitLog("config: refused version 6 .*nothing changed: " + Pattern.quote(renewed.chain().getFileName()
          + ": the private key does not belong"), Duration.ofSeconds(5));
      assertEquals(inForce, served(i), "node " + NAMES[i] + " still serves the certificate of version 5");
    }
    // Nothing of the refused push applies, not even the limit it carried: two sessions from one address.
    try (Socket first = new Socket("127.0.0.1", SMTP[1])) {
      String greeting = firstLine(first);
      assertTrue(greeting.startsWith("220 "), greeting);
      try (Socket second = new Socket("127.0.0.1", SMTP[1])) {
        greeting = firstLine(second);
        assertTrue(greeting.startsWith("220 "), greeting);
      }
    }
    eachNodeAnswered(config(2, "versions"), "version 5 by key " + operatorId);
  }

  @Test
  @Order(10)
  void aLoweredLimitMeetsTheNextClientWith421() throws Exception {
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    Path limits = file("limits.conf", "policy.relay_domains = example.net\ninbound.max_connections_per_ip = 1\n"
        + "inbound.client_limit_exceptions =\n");
    Launcher.Run r = config(1, "push", limits.toString(), "--tls-cert", mail.chain().toString(), mail.key().toString(),
        "--key", key());
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    eachNodeAnswered(r, "applied version 6");
    for (int i = 0; i < 3; i++) {
      // From the log, not a TLS session: with one session per address, a probe could meet the limit itself.
      NODES[i].awaitLog("config: applied version 6 .*SHA-256 " + Pattern.quote(Fingerprints.sha256(mail.certificate())),
          Duration.ofSeconds(5));
      // The second connects only once the first is greeted: the listener's event loops admit in parallel.
      try (Socket first = new Socket("127.0.0.1", SMTP[i])) {
        String greeting = firstLine(first);
        assertTrue(greeting.startsWith("220 "), greeting);
        try (Socket second = new Socket("127.0.0.1", SMTP[i])) {
          assertEquals("421 4.7.0 node-" + NAMES[i] + ".postern.test Error: too many connections from 127.0.0.1",
              firstLine(second));
        }
      }
    }
  }

  private static String firstLine(Socket s) throws IOException {
    s.setSoTimeout(30_000);
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
  }
}

package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
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
import org.postern.node.QueueCli.Run;
import org.postern.testkit.FreePorts;

/**
 * {@code postern queue} as an operator runs it, against a real node started by
 * {@code deploy/postern run}: mail handed over by Python's smtplib stays queued (every delivery
 * goes to a closed loopback port), and each command is a real process whose output is checked.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueueAdminIT {

  private static final Pattern QUEUED = Pattern.compile("DATA 250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})");

  @TempDir
  static Path work;

  static NodeProcess node;
  static int smtpPort;
  static int adminPort;
  /** Mail to example.net, and to example.com. */
  static String toNet;
  static String toCom;

  @BeforeAll
  static void startNodeAndQueueMail() throws Exception {
    smtpPort = FreePorts.loopback();
    adminPort = FreePorts.loopback();
    node = NodeProcess.start(work, List.of(
        "inbound.listeners=127.0.0.1:" + smtpPort + " may",
        // Port 9 on loopback is closed: every attempt is deferred, so mail stays in the queue.
        "outbound.transport=*=[127.0.0.1]:9",
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "queue.spool_dir=" + work.resolve("data/spool"),
        "node.admin_listen=127.0.0.1:" + adminPort));
    node.awaitLog("admin API listening on 127\\.0\\.0\\.1:" + adminPort, Duration.ofSeconds(90));
    node.awaitLog("node started", Duration.ofSeconds(30));
    toNet = send("b@example.net,c@example.net");
    toCom = send("d@example.com");
    // The first attempt of each has been made and deferred.
    node.awaitLog(toNet + ": to=<c@example.net>, .*status=deferred", Duration.ofSeconds(30));
    node.awaitLog(toCom + ": to=<d@example.com>, .*status=deferred", Duration.ofSeconds(30));
    // The queue takes the reports in just after outbound logs them: wait until it has.
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (listJson().getJsonObject("counts").getInteger("deferred") < 2) {
      assertTrue(System.nanoTime() < deadline, "both messages deferred within 30s");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  private static String send(String rcpts) throws Exception {
    byte[] msg = ("From: a@example.org\r\nTo: " + rcpts + "\r\nSubject: held back\r\n\r\nhello\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    Clients.Result r = Clients.smtplib(work, smtpPort, "a@example.org", rcpts, msg, true);
    Matcher m = QUEUED.matcher(r.output());
    assertTrue(r.exitCode() == 0 && m.find(), r.output());
    return m.group(1);
  }

  /** {@code deploy/postern queue ARGS --admin ... --data-dir ...}, as a process. */
  private static Run queue(String... args) throws IOException, InterruptedException {
    return QueueCli.queue(work, adminPort, work.resolve("data"), args);
  }

  private static Run run(List<String> cmd) throws IOException, InterruptedException {
    return QueueCli.run(work, cmd);
  }

  private static JsonObject listJson() throws Exception {
    Run r = queue("list", "--json");
    assertEquals(0, r.exit(), r.stderr());
    return new JsonObject(r.stdout());
  }

  private static JsonObject entry(JsonObject list, String id) {
    for (Object o : list.getJsonArray("messages")) {
      if (((JsonObject) o).getString("queueId").equals(id)) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError(id + " not listed: " + list.encodePrettily());
  }

  /** Waits until {@code n} lines of the node's log match {@code regex}. */
  private static void awaitLogCount(String regex, int n, Duration timeout) throws InterruptedException {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + timeout.toNanos();
    Object lock = new Object();
    while (node.log().lines().filter(l -> p.matcher(l).find()).count() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(n + " log lines matching /" + regex + "/ expected within " + timeout + "; log:\n"
            + node.log());
      }
      synchronized (lock) {
        lock.wait(100);
      }
    }
  }

  private static void assertOneLineNoTrace(Run r) {
    assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    assertTrue(!r.stderr().contains("Exception") && !r.stderr().contains("\tat "), "no stack trace: " + r.stderr());
  }

  @Test
  @Order(1)
  void listJsonShowsTheQueuedMailWithCountsPerStateAndDestination() throws Exception {
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(work.resolve("data/admin.token"))), "the token is the owner's only");
    JsonObject list = listJson();
    JsonObject counts = list.getJsonObject("counts");
    assertEquals(new JsonObject().put("total", 2).put("active", 0).put("deferred", 2).put("held", 0)
        .put("octets", entry(list, toNet).getLong("size") + entry(list, toCom).getLong("size")), counts);
    assertEquals(new JsonObject()
            .put("example.com", new JsonObject().put("messages", 1).put("recipients", 1))
            .put("example.net", new JsonObject().put("messages", 1).put("recipients", 2)),
        list.getJsonObject("destinations"));
    JsonObject net = entry(list, toNet);
    assertEquals("a@example.org", net.getString("sender"));
    assertEquals("deferred", net.getString("state"));
    assertEquals(1, net.getInteger("attempts"));
    assertTrue(net.getLong("size") > 100, net.encode());
    JsonArray rcpts = net.getJsonArray("recipients");
    assertEquals(List.of("b@example.net", "c@example.net"),
        rcpts.stream().map(o -> ((JsonObject) o).getString("address")).toList());
    assertTrue(rcpts.getJsonObject(0).getString("lastReply").startsWith("451 4.4.1 connect to 127.0.0.1[127.0.0.1]:9 failed"),
        rcpts.encode());
  }

  @Test
  @Order(2)
  void shapeCountsMessagesByDestinationAndAge() throws Exception {
    // Both messages arrived moments ago: all in the first bucket (less than 5 minutes).
    Run shape = queue("shape");
    assertEquals(0, shape.exit(), shape.stderr());
    List<String> lines = shape.stdout().lines().toList();
    assertEquals(List.of("            T 5 10 20 40 80 160 320 640 1280 1280+",
        "      TOTAL 2 2  0  0  0  0   0   0   0    0     0",
        "example.com 1 1  0  0  0  0   0   0   0    0     0",
        "example.net 1 1  0  0  0  0   0   0   0    0     0"), lines, shape.stdout());

    Run json = queue("shape", "--json");
    assertEquals(0, json.exit(), json.stderr());
    JsonObject j = new JsonObject(json.stdout());
    assertEquals(new JsonArray(List.of(5, 10, 20, 40, 80, 160, 320, 640, 1280)), j.getJsonArray("bucketMinutes"));
    assertEquals(new JsonArray(List.of(2, 0, 0, 0, 0, 0, 0, 0, 0, 0)), j.getJsonArray("total"));
    assertEquals(new JsonObject().put("destination", "example.com").put("total", 1)
        .put("counts", new JsonArray(List.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0))), j.getJsonArray("destinations").getJsonObject(0));

    Run held = queue("shape", "--state", "held");
    assertEquals(0, held.exit(), held.stderr());
    assertEquals(2, held.stdout().lines().count(), "only TOTAL, all zero: " + held.stdout());
    Run bad = queue("shape", "--state", "incoming");
    assertEquals(2, bad.exit());
    assertEquals("postern queue shape: --state must be active, deferred or held, got 'incoming'", bad.stderr().strip());
  }

  @Test
  @Order(3)
  void holdMarksTheMessageInTheListAndReleaseClearsIt() throws Exception {
    Run hold = queue("hold", toNet);
    assertEquals(0, hold.exit(), hold.stderr());
    assertEquals(toNet + ": placed on hold\nhold " + toNet + ": 1 message placed on hold\n", hold.stdout());
    node.awaitLog(toNet + ": placed on hold by operator", Duration.ofSeconds(10));
    assertTrue(journalHas("[\"H\",\"" + toNet + "\"]"), "the hold is in the spool's journal");

    Run list = queue("list");
    assertEquals(0, list.exit(), list.stderr());
    List<String> lines = list.stdout().lines().toList();
    assertTrue(lines.get(0).startsWith("-Queue ID-"), list.stdout());
    assertTrue(lines.stream().anyMatch(l -> l.matches(toNet + "! +\\d+ \\w{3} \\w{3} \\d\\d \\d\\d:\\d\\d:\\d\\d  a@example\\.org")),
        "held: '!' after the id\n" + list.stdout());
    assertTrue(lines.stream().anyMatch(l -> l.matches(toCom + "  +\\d+ .*a@example\\.org")), "deferred: a space\n" + list.stdout());
    assertTrue(lines.stream().anyMatch(l -> l.matches(" {48}\\(451 4\\.4\\.1 connect to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:9 failed.*\\)")),
        "the last reply, in parentheses\n" + list.stdout());
    assertTrue(lines.stream().anyMatch(l -> l.equals(" ".repeat(48) + "c@example.net")), list.stdout());
    assertTrue(lines.get(lines.size() - 1).matches(
            "-- \\d+ Kbytes in 2 Requests \\(0 active, 1 deferred, 1 held\\); destinations: example\\.com 1, example\\.net 1\\."),
        list.stdout());

    Run release = queue("release", toNet);
    assertEquals(0, release.exit(), release.stderr());
    assertEquals(toNet + ": released from hold\nrelease " + toNet + ": 1 message released from hold\n", release.stdout());
    node.awaitLog(toNet + ": released from hold by operator", Duration.ofSeconds(10));
    // Released means attempted now: a second deferral follows at once (the back-off is 300s).
    awaitLogCount(toNet + ": to=<b@example.net>, .*status=deferred", 2, Duration.ofSeconds(30));
    JsonObject net = entry(listJson(), toNet);
    assertTrue(!net.getString("state").equals("held"), net.encode());
    assertTrue(journalHas("[\"U\",\"" + toNet + "\"]"), "the release is in the spool's journal");
  }

  @Test
  @Order(4)
  void deleteByDomainRemovesTheMessageWithoutABounce() throws Exception {
    Run delete = queue("delete", "@example.com");
    assertEquals(0, delete.exit(), delete.stderr());
    assertEquals(toCom + ": removed\ndelete @example.com: 1 message removed\n", delete.stdout());
    node.awaitLog(toCom + ": removed by operator", Duration.ofSeconds(10));
    JsonObject list = listJson();
    assertEquals(1, list.getJsonObject("counts").getInteger("total"), list.encodePrettily());
    assertEquals(toNet, list.getJsonArray("messages").getJsonObject(0).getString("queueId"));
    assertTrue(!Files.exists(work.resolve("data/spool/active/" + toCom + ".msg")));
    assertTrue(!node.log().contains("non-delivery notification"), "no bounce:\n" + node.log());
  }

  @Test
  @Order(5)
  void errorsAreOneLineAndNonZero() throws Exception {
    Run unknown = queue("show", "0123456789ABCDEF");
    assertEquals(1, unknown.exit());
    assertEquals("postern queue show: no message with queue id 0123456789ABCDEF in the queue", unknown.stderr().strip());

    Run badTarget = queue("hold", "example.net");
    assertEquals(2, badTarget.exit());
    assertOneLineNoTrace(badTarget);
    assertTrue(badTarget.stderr().contains("(for a domain, write @example.net)"), badTarget.stderr());

    Path otherDir = Files.createDirectories(work.resolve("other"));
    Files.writeString(otherDir.resolve("admin.token"), "0".repeat(64) + "\n");
    Run badToken = run(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString(), "queue", "list",
        "--admin", "127.0.0.1:" + adminPort, "--data-dir", otherDir.toString()));
    assertEquals(1, badToken.exit());
    assertOneLineNoTrace(badToken);
    assertTrue(badToken.stderr().startsWith("postern queue list: the node on 127.0.0.1:" + adminPort
        + " refused the token in " + otherDir.resolve("admin.token")), badToken.stderr());

    int closed = FreePorts.loopback();
    Run notRunning = run(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString(), "queue", "list",
        "--admin", "127.0.0.1:" + closed, "--data-dir", work.resolve("data").toString()));
    assertEquals(1, notRunning.exit());
    assertOneLineNoTrace(notRunning);
    assertTrue(notRunning.stderr().startsWith("postern queue list: no node is answering on 127.0.0.1:" + closed),
        notRunning.stderr());

    // Without --admin and --data-dir, the node's own configuration file says where it is.
    Path conf = Files.writeString(work.resolve("node.conf"), "node.admin_listen = 127.0.0.1:" + adminPort
        + "\nnode.data_dir = " + work.resolve("data") + "\n");
    Run byConfig = run(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString(), "queue", "list",
        "--json", "--config", conf.toString()));
    assertEquals(0, byConfig.exit(), byConfig.stderr());
    assertEquals(1, new JsonObject(byConfig.stdout()).getJsonObject("counts").getInteger("total"), byConfig.stdout());
    Files.writeString(conf, "node.admin_listen =\n");
    Run off = run(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString(), "queue", "shape",
        "--config", conf.toString()));
    assertEquals(2, off.exit());
    assertEquals("postern queue shape: node.admin_listen is empty in " + conf + ": that node has no admin API (give"
        + " --admin HOST:PORT if it listens elsewhere)", off.stderr().strip());

    Run noToken = run(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString(), "queue", "list",
        "--admin", "127.0.0.1:" + adminPort, "--data-dir", work.resolve("nowhere").toString()));
    assertEquals(1, noToken.exit());
    assertOneLineNoTrace(noToken);
  }

  /** Whether a record appears in the spool's journal (its segments are JSON records with a binary frame). */
  private boolean journalHas(String record) throws Exception {
    try (var segments = Files.list(work.resolve("data/spool/journal"))) {
      for (Path p : segments.toList()) {
        if (new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1).contains(record)) {
          return true;
        }
      }
    }
    return false;
  }
}

package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.TestCa;

/**
 * Issue 8, "no mail lost when a node dies", with real processes: A runs inbound and policy, B and C
 * run queue, outbound and policy with {@code queue.replicas = 1}. Deliveries are deferred
 * ({@code queue.defer_deliveries}) so that mail is sure to sit in C's spool when C is killed with
 * SIGKILL in the middle of a load. B takes over C's replicas after {@code queue.takeover_delay};
 * a flush on B then delivers everything that was acknowledged. C comes back with its old spool,
 * deliveries no longer deferred: it cedes what B took over, drops the replicas of B's mail that B
 * finished meanwhile, and nothing reaches the sink twice.
 */
class ReplicaTakeoverIT {

  private static final Duration START = Duration.ofSeconds(150);
  private static final Pattern ID = Pattern.compile("Message-ID: <([^>]+)>");

  @TempDir
  Path work;

  Path clusterFile;
  TestCa ca;
  SmtpSink sink;
  final int[] hazelcast = new int[3];
  final int[] bus = new int[3];
  final int[] admin = new int[3];

  @Test
  void everyAcknowledgedMessageIsDeliveredOnceAfterTheQueueNodeHoldingItIsKilled() throws Exception {
    ca = TestCa.create(Files.createDirectories(work.resolve("ca")), "Postern test node CA");
    int smtpA = FreePorts.loopback();
    for (int i = 0; i < 3; i++) {
      hazelcast[i] = FreePorts.loopback();
      bus[i] = FreePorts.loopback();
      admin[i] = FreePorts.loopback();
    }
    clusterFile = work.resolve("cluster.conf");
    Files.writeString(clusterFile, "cluster.name = postern-replica-it\n"
        + "cluster.members = 127.0.0.1:" + hazelcast[0] + ", 127.0.0.1:" + hazelcast[1] + ", 127.0.0.1:"
        + hazelcast[2] + "\n"
        + "cluster.interface = 127.0.0.1\n"
        + "cluster.bus_ca_file = " + ca.certificatePath() + "\n");
    TestCa.Issued certC = ca.issueNode("node-c");
    sink = SmtpSink.start(SmtpSink.Options.starttls(false));
    try (NodeProcess a = node("a", 0, ca.issueNode("node-a"), "inbound,policy",
            List.of("inbound.listeners=127.0.0.1:" + smtpA + " none", "node.admin_listen=", "inbound.queue_timeout=15s"));
        NodeProcess b = node("b", 1, ca.issueNode("node-b"), "queue,outbound,policy", List.of("queue.defer_deliveries=yes"))) {
      NodeProcess c = node("c", 2, certC, "queue,outbound,policy", List.of("queue.defer_deliveries=yes"));
      LoadClient load;
      int acknowledgedAtKill;
      try {
        for (NodeProcess n : List.of(a, b, c)) {
          n.awaitLog("node started with roles", START);
          n.awaitLog("cluster: .*; members 3 \\[", START);
        }
        String nodeC = c.awaitLog("queue replicas: this queue node is ", START).replaceAll(".*this queue node is (\\S+) .*", "$1");
        b.awaitLog("queue replicas: this queue node is .*live queue nodes \\[.*,.*\\]|live queue nodes", START);

        // The load: 200 messages, 4 sessions at a time; C is killed once 80 are acknowledged.
        load = new LoadClient(smtpA, 200, 4, 80);
        assertTrue(load.awaitMilestone(90), "80 messages acknowledged before the kill");
        c.kill();
        acknowledgedAtKill = load.acknowledged.size();
        assertTrue(load.awaitEnd(150), "the load ends");
        assertTrue(count(c.log(), ": from=<load@postern.test>") > 0, "C held mail when it was killed");

        // B notices through Hazelcast that C left, waits queue.takeover_delay, then takes its replicas over.
        b.awaitLog("queue node " + nodeC + " is not in the cluster", Duration.ofSeconds(60));
        String takeover = b.awaitLog("takeover from " + nodeC + ": \\d+ message", Duration.ofSeconds(60));
        int takenOver = Integer.parseInt(takeover.replaceAll(".*: (\\d+) message.*", "$1"));
        assertTrue(takenOver > 0, takeover);

        Launcher.Run flush = Launcher.run(work, "", "queue", "flush", "--admin", "127.0.0.1:" + admin[1],
            "--data-dir", work.resolve("b/data").toString());
        assertEquals(0, flush.exit(), flush.stderr());

        awaitAll(load, Duration.ofSeconds(90));
        // B may hold one message more than the client saw acknowledged (its replica reached B, C died
        // before its 250); it is delivered too, perhaps after the last acknowledged one. Count the
        // sink only once B's queue is empty, so that a late delivery of B's is not taken for C's.
        awaitEmptyQueue(admin[1], work.resolve("b/data"), Duration.ofSeconds(60));
        Map<String, Integer> seen = tally(sink.received());
        int delivered = seen.size();
        int duplicates = seen.values().stream().mapToInt(n -> n - 1).sum();
        int refused = Math.min(200, load.attempted.get()) - load.acknowledged.size();
        System.err.printf("replica takeover: sent 200, acknowledged %d (%d before the kill, %d refused with 4xx),"
            + " taken over by B %d, delivered %d distinct, duplicates %d%n", load.acknowledged.size(), acknowledgedAtKill,
            refused, takenOver, delivered, duplicates);
        assertTrue(seen.keySet().containsAll(load.acknowledged), "every acknowledged message was delivered");
        assertEquals(0, duplicates, "deliveries were deferred until the flush: nothing could be delivered twice");

        // C comes back with its old spool and replicas, delivering at once if it thought anything its own.
        try (NodeProcess back = node("c", 2, certC, "queue,outbound,policy", List.of())) {
          back.awaitLog("node started with roles", START);
          int ceded = count(back.log(), ": ceded to ");
          // B may have taken over one more: a message whose replica reached B while C died before its
          // own reply, which no client saw acknowledged (it may be delivered; the client sends it again).
          assertTrue(ceded > 0 && ceded <= takenOver, "C cedes what B took over: " + ceded + " of " + takenOver);
          assertTrue(!back.log().contains("recovered "), "C keeps nothing of its old spool:\n" + back.log());
          String reconcile = back.awaitLog("replicas for \\S+: \\d+ still queued there, \\d+ finished while this node"
              + " was away", Duration.ofSeconds(30));
          // No new delivery comes from C: its spool held only what B took over.
          org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class,
              () -> sink.awaitMessages(delivered + duplicates + 1, Duration.ofSeconds(5)), "no delivery after the rejoin");
          List<SmtpSink.ReceivedMessage> after = sink.received();
          Map<String, Integer> again = tally(after);
          int duplicatesAfter = again.values().stream().mapToInt(n -> n - 1).sum();
          System.err.printf("rejoin: C ceded %d, %s; deliveries after the rejoin %d, duplicates %d%n", ceded,
              reconcile.replaceAll(".*(replicas for .*)", "$1"), after.size(), duplicatesAfter);
          assertEquals(0, duplicatesAfter, "nothing delivered twice after C's return");
          assertEquals(0, count(back.log(), "relay=127.0.0.1"), "C delivered nothing");
        }
      } finally {
        c.close();
        sink.close();
      }
    }
  }

  private NodeProcess node(String name, int i, TestCa.Issued cert, String roles, List<String> extra) throws IOException {
    Path dir = Files.createDirectories(work.resolve(name));
    List<String> sets = new ArrayList<>(List.of(
        "cluster.port=" + hazelcast[i], "cluster.bus_port=" + bus[i],
        "cluster.bus_cert_chain=" + cert.chain(), "cluster.bus_key=" + cert.key(),
        "node.hostname=node-" + name + ".postern.test", "node.data_dir=" + dir.resolve("data"),
        "node.admin_listen=127.0.0.1:" + admin[i], "queue.spool_dir=" + dir.resolve("spool"),
        "queue.takeover_delay=2s", "queue.min_backoff=1s", "outbound.transport=*=[127.0.0.1]:" + sink.port()));
    sets.addAll(extra);
    return NodeProcess.run(dir, List.of("--cluster", "--cluster-config", clusterFile.toString(), "--roles", roles), sets);
  }

  private static int count(String log, String text) {
    int n = 0;
    for (int at = log.indexOf(text); at >= 0; at = log.indexOf(text, at + 1)) {
      n++;
    }
    return n;
  }

  private static Map<String, Integer> tally(List<SmtpSink.ReceivedMessage> got) {
    Map<String, Integer> seen = new HashMap<>();
    for (SmtpSink.ReceivedMessage msg : got) {
      Matcher id = ID.matcher(new String(msg.content(), StandardCharsets.US_ASCII));
      assertTrue(id.find(), "a delivered message lost its Message-ID");
      seen.merge(id.group(1), 1, Integer::sum);
    }
    return seen;
  }

  /** Waits until every acknowledged message has arrived; returns deliveries per Message-ID. */
  private void awaitEmptyQueue(int adminPort, Path dataDir, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      Launcher.Run list = Launcher.run(work, "", "queue", "list", "--json", "--admin", "127.0.0.1:" + adminPort,
          "--data-dir", dataDir.toString());
      last = list.stdout() + list.stderr();
      // The exit status may say 1 while C is away (not every queue node answered); B's own answer counts.
      if (list.stdout().trim().startsWith("{")
          && new io.vertx.core.json.JsonObject(list.stdout()).getJsonArray("messages").isEmpty()) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("B's queue still holds mail after " + timeout + ":\n" + last);
  }

  private Map<String, Integer> awaitAll(LoadClient load, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int n = Math.max(1, load.acknowledged.size());
    while (true) {
      List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(n, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      Map<String, Integer> seen = tally(got);
      if (seen.keySet().containsAll(load.acknowledged)) {
        return seen;
      }
      n = got.size() + 1;
    }
  }
}

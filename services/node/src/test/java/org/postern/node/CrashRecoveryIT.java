package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * RFC 5321 §6.1 under a kill -9: a real node process is killed with SIGKILL in the middle of a
 * load; after a restart every message it acknowledged reaches the real sink, none arrives
 * half-written, and duplicates are no more than the deliveries the queue reports as interrupted.
 */
class CrashRecoveryIT {

  static final Pattern ID = Pattern.compile("Message-ID: <([^>]+)>");
  static final Pattern SUM = Pattern.compile("X-Checksum: ([0-9a-f]{64})");

  @TempDir
  Path work;

  @Test
  void everyAcknowledgedMessageSurvivesAKill9() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(false))) {
      int port = FreePorts.loopback();
      List<String> sets = List.of(
          "inbound.listeners=127.0.0.1:" + port + " may",
          "outbound.transport=*=[127.0.0.1]:" + sink.port(),
          "node.hostname=mx.postern.test",
          "node.data_dir=" + work.resolve("data"),
          "queue.spool_dir=" + work.resolve("data/spool"),
          "queue.min_backoff=1s");

      LoadClient load;
      int acknowledgedAtKill;
      try (NodeProcess first = NodeProcess.start(work, sets)) {
        first.awaitLog("node started", Duration.ofSeconds(90));
        load = new LoadClient(port, 400, 8, 120);
        assertTrue(load.awaitMilestone(60), "120 messages acknowledged before the kill");
        acknowledgedAtKill = load.acknowledged.size();
        first.kill();
        assertTrue(load.awaitEnd(60), "the load stops once the node is gone");
      }
      assertTrue(acknowledgedAtKill >= 120, "the load ran before the kill: " + acknowledgedAtKill);
      assertTrue(load.attempted.get() < 400, "the kill happened mid-load, not after it");

      try (NodeProcess second = NodeProcess.start(work, sets)) {
        String recovered = second.awaitLog("recovered \\d+ queued message|node started", Duration.ofSeconds(90));
        int interrupted = 0;
        Matcher m = Pattern.compile("(\\d+) were being delivered").matcher(second.log());
        if (m.find()) {
          interrupted = Integer.parseInt(m.group(1));
        }
        Map<String, Integer> seen = awaitAll(sink, load.acknowledged, Duration.ofSeconds(120));
        int duplicates = seen.values().stream().mapToInt(c -> c - 1).sum();
        System.err.printf("kill -9 after %d acknowledged of %d attempted; recovery: %s; duplicates: %d; "
            + "interrupted deliveries reported: %d%n", load.acknowledged.size(), Math.min(400, load.attempted.get()),
            recovered, duplicates, interrupted);
        assertTrue(duplicates <= interrupted,
            "duplicates (" + duplicates + ") exceed the interrupted deliveries the queue counted (" + interrupted + ")");
      }
    }
  }

  /** Waits until every acknowledged message has arrived; checks each arrival is whole. */
  static Map<String, Integer> awaitAll(SmtpSink sink, java.util.Set<String> acknowledged, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int n = 1;
    while (true) {
      List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(n, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      Map<String, Integer> seen = new HashMap<>();
      for (SmtpSink.ReceivedMessage msg : got) {
        String text = new String(msg.content(), StandardCharsets.US_ASCII);
        Matcher id = ID.matcher(text);
        Matcher sum = SUM.matcher(text);
        assertTrue(id.find() && sum.find(), "a delivered message lost its headers: " + text);
        String body = text.substring(text.indexOf("\r\n\r\n") + 4);
        assertEquals(sum.group(1), LoadClient.checksum(body), id.group(1) + " arrived half-written or altered");
        seen.merge(id.group(1), 1, Integer::sum);
      }
      if (seen.keySet().containsAll(acknowledged)) {
        return seen;
      }
      n = got.size() + 1;
    }
  }
}

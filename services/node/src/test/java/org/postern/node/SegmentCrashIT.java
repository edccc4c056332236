package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * The spool's message segments under kill -9: with {@code queue.segment_size} at its least, every
 * few store rounds roll the segment, and a tenth of the mail goes to a next hop that is down, so
 * that rolled segments keep a few deferred messages and are copied forward while the node accepts
 * and delivers. The node is killed with SIGKILL twice in the middle of that; then the next hop
 * comes up, and every message the node acknowledged reaches the real sink whole, the deferred ones
 * included, with no more duplicates than the deliveries the queue reports as interrupted.
 */
class SegmentCrashIT {

  @TempDir
  Path work;

  @Test
  void noAcknowledgedMessageIsLostToAKillDuringAppendsOrCopiesForward() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(false))) {
      int port = FreePorts.loopback();
      int down = FreePorts.loopback();
      List<String> common = List.of(
          "inbound.listeners=127.0.0.1:" + port + " may",
          "node.hostname=mx.postern.test",
          "node.data_dir=" + work.resolve("data"),
          "queue.spool_dir=" + work.resolve("data/spool"),
          "queue.segment_size=4096",
          "queue.min_backoff=1s");
      List<String> sets = new java.util.ArrayList<>(common);
      sets.add("outbound.transport=deferred.test=[127.0.0.1]:" + down + ",*=[127.0.0.1]:" + sink.port());

      java.util.Set<String> acknowledged = new java.util.HashSet<>();
      int interrupted = 0;
      for (int life = 1; life <= 2; life++) {
        try (NodeProcess node = NodeProcess.start(work, sets)) {
          node.awaitLog("node started", Duration.ofSeconds(90));
          interrupted += interruptedIn(node.log());
          LoadClient load = new LoadClient(port, 8000, 8, 200, "life" + life + "-", 10);
          assertTrue(load.awaitMilestone(60), "200 messages acknowledged before the kill");
          // Segments holding deferred mail were copied forward during this life's load: the kill
          // lands among appends, rolls and copies.
          node.awaitLog("copied forward", Duration.ofSeconds(60));
          node.kill();
          assertTrue(load.awaitEnd(60), "the load stops once the node is gone");
          assertTrue(load.attempted.get() < 8000, "the kill happened mid-load, not after it");
          acknowledged.addAll(load.acknowledged);
        }
      }
      List<String> up = new java.util.ArrayList<>(common);
      up.add("outbound.transport=*=[127.0.0.1]:" + sink.port());
      try (NodeProcess last = NodeProcess.start(work, up)) {
        last.awaitLog("node started", Duration.ofSeconds(90));
        interrupted += interruptedIn(last.log());
        Map<String, Integer> seen = CrashRecoveryIT.awaitAll(sink, acknowledged, Duration.ofSeconds(180));
        int duplicates = seen.values().stream().mapToInt(c -> c - 1).sum();
        long deferred = acknowledged.stream().filter(id -> Integer.parseInt(id.replaceAll("^life\\d-(\\d+)@.*", "$1")) % 10 == 0)
            .count();
        System.err.printf("two kills -9 with segments rolling and copied forward: %d acknowledged (%d of them deferred"
            + " until the last life), all delivered; duplicates: %d; interrupted deliveries reported: %d%n",
            acknowledged.size(), deferred, duplicates, interrupted);
        assertTrue(deferred > 0, "some acknowledged mail waited in rolled segments");
        assertTrue(duplicates <= interrupted,
            "duplicates (" + duplicates + ") exceed the interrupted deliveries the queue counted (" + interrupted + ")");
      }
    }
  }

  private static int interruptedIn(String log) {
    Matcher m = Pattern.compile("(\\d+) were being delivered").matcher(log);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }
}

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
 * The spool's journal under kill -9: with {@code queue.journal_compact_size} at its least, the node
 * appends state records and rewrites its journal every few rounds while it accepts and delivers,
 * and is killed with SIGKILL twice in the middle of that. After each restart every message it
 * acknowledged reaches the real sink whole, and duplicates are no more than the deliveries the
 * queue reports as interrupted.
 */
class JournalCrashIT {

  @TempDir
  Path work;

  @Test
  void noAcknowledgedMessageIsLostToAKillDuringAppendsOrCompaction() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(false))) {
      int port = FreePorts.loopback();
      List<String> sets = List.of(
          "inbound.listeners=127.0.0.1:" + port + " may",
          "outbound.transport=*=[127.0.0.1]:" + sink.port(),
          "node.hostname=mx.postern.test",
          "node.data_dir=" + work.resolve("data"),
          "queue.spool_dir=" + work.resolve("data/spool"),
          "queue.journal_compact_size=1024",
          "queue.min_backoff=1s");

      java.util.Set<String> acknowledged = new java.util.HashSet<>();
      int interrupted = 0;
      for (int life = 1; life <= 2; life++) {
        try (NodeProcess node = NodeProcess.start(work, sets)) {
          node.awaitLog("node started", Duration.ofSeconds(90));
          interrupted += interruptedIn(node.log());
          LoadClient load = new LoadClient(port, 400, 8, 120, "life" + life + "-");
          assertTrue(load.awaitMilestone(60), "120 messages acknowledged before the kill");
          // Compactions ran during this life's load: the kill lands among appends and rewrites.
          node.awaitLog("journal compacted", Duration.ofSeconds(30));
          node.kill();
          assertTrue(load.awaitEnd(60), "the load stops once the node is gone");
          assertTrue(load.attempted.get() < 400, "the kill happened mid-load, not after it");
          acknowledged.addAll(load.acknowledged);
        }
      }
      try (NodeProcess last = NodeProcess.start(work, sets)) {
        last.awaitLog("node started", Duration.ofSeconds(90));
        interrupted += interruptedIn(last.log());
        Map<String, Integer> seen = CrashRecoveryIT.awaitAll(sink, acknowledged, Duration.ofSeconds(120));
        int duplicates = seen.values().stream().mapToInt(c -> c - 1).sum();
        System.err.printf("two kills -9 with the journal compacting every few rounds: %d acknowledged, all"
            + " delivered; duplicates: %d; interrupted deliveries reported: %d%n", acknowledged.size(), duplicates,
            interrupted);
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

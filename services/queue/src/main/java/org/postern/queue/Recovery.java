package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;
import org.postern.config.QueueConfig;

/**
 * Start-up: the spool is opened and its journal replayed, and what it still holds goes back into
 * the index and the schedule, each message due at once (the scheduler holds them until the node's
 * every role listens). Deliveries that were under way when the node stopped are counted and logged
 * as possible duplicates: their next hop may have taken them.
 *
 * <p>Threading: {@link #open} runs the replay on a worker; {@link #resume} runs on the queue
 * verticle's event loop.
 */
final class Recovery {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  /** The spool, open, and the messages its journal says are still queued. */
  record Opened(Spool spool, List<Spool.Loaded> loaded) {}

  private Recovery() {}

  static Future<Opened> open(Vertx vertx, QueueConfig config) {
    return vertx.executeBlocking(() -> {
      Spool s = new Spool(Path.of(config.spoolDir()), config.journalCompactSize(), config.segmentSize(),
          Spool.MOVE_AFTER_NANOS, Journal.Steps.NONE);
      return new Opened(s, s.recover());
    }, false);
  }

  /**
   * The recovered messages this node still owns (after replication ceded what another node took
   * over meanwhile) into the index and the schedule.
   *
   * @param replication null without replication
   */
  static void resume(List<Spool.Loaded> loaded, Spool spool, String spoolDir, QueueIndex index, Scheduler scheduler,
      Replication replication, Replication.Counts counts) {
    for (Spool.Loaded l : loaded) {
      Scheduled s = Scheduled.recovered(l);
      index.put(s);
      scheduler.schedule(s, Duration.ZERO);
    }
    if (replication != null) {
      replication.recovered();
    }
    if (!loaded.isEmpty()) {
      long interrupted = loaded.stream().filter(Spool.Loaded::wasInFlight).count();
      long held = loaded.stream().filter(Spool.Loaded::held).count();
      counts.possibleDuplicates.add(interrupted);
      LOG.info("recovered " + loaded.size() + " queued message(s) from " + spoolDir
          + " (" + files(spool, loaded) + "); " + interrupted + " were being delivered when the node stopped (possible duplicates)"
          + (held == 0 ? "" : "; " + held + " on hold"));
      loaded.stream().filter(Spool.Loaded::wasInFlight).forEach(l ->
          LOG.info(() -> l.message().queueId() + ": possible duplicate: delivery was interrupted"));
    }
  }

  /** Which spool files the recovered messages came from, by file, for the recovery log line. */
  private static String files(Spool spool, List<Spool.Loaded> loaded) {
    Map<String, Integer> byFile = new TreeMap<>();
    for (Spool.Loaded l : loaded) {
      String f = spool.fileOf(l.message().queueId());
      byFile.merge(f == null ? "?" : f, 1, Integer::sum);
    }
    long segments = byFile.keySet().stream().filter(f -> f.endsWith(Segments.SUFFIX)).count();
    long batches = byFile.keySet().stream().filter(f -> f.endsWith(".batch")).count();
    List<String> named = byFile.entrySet().stream().limit(10).map(e -> e.getKey() + ": " + e.getValue()).toList();
    return segments + " segment(s), " + batches + " batch file(s), " + (byFile.size() - batches - segments)
        + " single message file(s): "
        + String.join(", ", named) + (byFile.size() > 10 ? ", ..." : "");
  }
}

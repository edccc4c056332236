package org.postern.queue;

import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The queue's figures: counters of replication, takeover and chunked intake, the queue's size per
 * state, and the group-commit log line every 5 s while mail flows (the benchmark reads it).
 *
 * <p>Threading: the counters are {@code LongAdder}s, bumped on any thread; the size is counted on
 * the queue verticle's event loop every 5 s (the index may not be read elsewhere) and published
 * through an {@code AtomicLongArray}. The suppliers this hands out are read by the metrics
 * registry from any thread.
 */
final class QueueMetrics {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  final Replication.Counts replication = new Replication.Counts();
  final ChunkedIntake.Counts intake = new ChunkedIntake.Counts();
  /** {@link #takeCensus}'s last count: per state, then octets. */
  private final AtomicLongArray census = new AtomicLongArray(Scheduled.State.values().length + 1);
  private final long startedNanos = System.nanoTime();
  /** Set at start; null without replication. Read from any thread. */
  private volatile Replication replicator;
  private GroupCommitter committer;
  private Spool spool;

  /** From the queue verticle's start, on its event loop: the periodic census and commit figures. */
  void start(Vertx vertx, QueueIndex index, GroupCommitter committer, Spool spool) {
    this.committer = committer;
    this.spool = spool;
    long[] logged = {0};
    vertx.setPeriodic(5000, t -> {
      takeCensus(index);
      if (committer.messages() != logged[0]) {
        logged[0] = committer.messages();
        logCommitFigures();
      }
    });
  }

  void replicating(Replication replication) {
    this.replicator = replication;
  }

  /** At stop: the last commit figures, if any mail was committed at all. */
  void stop() {
    if (committer != null && committer.messages() > 0) {
      logCommitFigures();
    }
  }

  /** Counters of replication, takeover and rejoin, by name. */
  Map<String, LongSupplier> replicationCounters() {
    Replication.Counts counts = replication;
    Map<String, LongSupplier> out = new LinkedHashMap<>();
    out.put("replicated", counts.replicated::sum);
    out.put("refused_no_replica", counts.refusedNoReplica::sum);
    out.put("taken_over", counts.takenOver::sum);
    out.put("ceded", counts.ceded::sum);
    out.put("possible_duplicates", counts.possibleDuplicates::sum);
    out.put("replicas_dropped", counts.replicasDropped::sum);
    out.put("replicas_replaced", counts.replacedReplicas::sum);
    out.put("unacknowledged_discarded", counts.unacknowledgedDiscarded::sum);
    out.put("replicas_stored", counts.replicasStored::sum);
    out.put("replicas_uncommitted_dropped", counts.uncommittedDropped::sum);
    out.put("replica_directory_syncs", () -> {
      Replication r = replicator;
      return r == null ? 0 : r.replicaDirectorySyncs();
    });
    return out;
  }

  /** Messages per state ({@code active}, {@code deferred}, {@code held}) and {@code octets}. */
  Map<String, LongSupplier> sizeGauges() {
    Map<String, LongSupplier> out = new LinkedHashMap<>();
    for (Scheduled.State st : Scheduled.State.values()) {
      out.put(st.name().toLowerCase(Locale.ROOT), () -> census.get(st.ordinal()));
    }
    out.put("octets", () -> census.get(Scheduled.State.values().length));
    return out;
  }

  /** Counters of bodies taken in chunks from inbound on other nodes, by name. */
  Map<String, LongSupplier> intakeCounters() {
    return Map.of(
        "chunked_bodies", intake.bodies::sum,
        "chunked_body_chunks", intake.chunks::sum,
        "chunked_bodies_abandoned", intake.abandoned::sum,
        "inline_bodies", intake.inline::sum);
  }

  /** Counts the messages per state and their octets, for {@link #sizeGauges}. */
  private void takeCensus(QueueIndex index) {
    long[] n = new long[Scheduled.State.values().length + 1];
    for (Scheduled s : index.all()) {
      n[s.state().ordinal()]++;
      n[n.length - 1] += s.size;
    }
    for (int i = 0; i < n.length; i++) {
      census.set(i, n[i]);
    }
  }

  /** How many messages shared each round of fsyncs, and the share of time spent in fsync. */
  private void logCommitFigures() {
    LOG.info(String.format("group commit: %d messages in %d batches (%.1f per batch), %.0f ms in fsync over %.0f s;"
            + " %d commit rounds, %d journal syncs, %d segments created",
        committer.messages(), committer.batches(), committer.averageBatch(), spool.syncNanos() / 1e6,
        (System.nanoTime() - startedNanos) / 1e9, committer.rounds(), spool.journalSyncs(),
        spool.segmentsCreated()));
  }
}

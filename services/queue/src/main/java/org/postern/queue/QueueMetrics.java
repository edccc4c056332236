package org.postern.queue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import org.postern.bus.DeliveryReport;
import org.postern.smtp.Path;

/**
 * The queue's figures: counters of replication, takeover and chunked intake, the queue's size and its oldest
 * message's age per state, the deliveries' outcomes and delays, and the group-commit log line every 5 s while mail flows (the benchmark reads it).
 *
 * <p>Threading: the counters are {@code LongAdder}s, bumped on any thread; the size is counted on
 * the queue verticle's event loop every 5 s (the index may not be read elsewhere) and published
 * through an {@code AtomicLongArray}. The suppliers this hands out are read by the metrics
 * registry from any thread. The outcome counters and the delay histogram are bound once, here: a
 * recipient's outcome costs a counter increment (and, delivered, a histogram record), no lookup.
 */
final class QueueMetrics {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  final Replication.Counts replication = new Replication.Counts();
  final ChunkedIntake.Counts intake = new ChunkedIntake.Counts();
  /** {@link #takeCensus}'s last count: per state, then octets. */
  private final AtomicLongArray census = new AtomicLongArray(Scheduled.State.values().length + 1);
  /** {@link #takeCensus}'s oldest arrival per state, in epoch ms; {@link Long#MAX_VALUE} for none. */
  private final AtomicLongArray oldest = new AtomicLongArray(Scheduled.State.values().length);
  private final Clock clock;
  private final Counter delivered;
  private final Counter deferred;
  private final Counter bounced;
  private final Counter expired;
  private final Timer delay;
  private final long startedNanos = System.nanoTime();
  /** Set at start; null without replication. Read from any thread. */
  private volatile Replication replicator;
  private GroupCommitter committer;
  private Spool spool;

  QueueMetrics(MeterRegistry registry, Clock clock) {
    this.clock = clock;
    delivered = outcome(registry, "delivered");
    deferred = outcome(registry, "deferred");
    bounced = outcome(registry, "bounced");
    expired = outcome(registry, "expired");
    delay = Timer.builder("postern_queue_delivery_delay")
        .description("from a message's arrival to its delivery to a recipient's next hop (Postfix's delay=)")
        .serviceLevelObjectives(Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
            Duration.ofHours(1), Duration.ofHours(4), Duration.ofDays(1), Duration.ofDays(5))
        .register(registry);
    for (Scheduled.State st : Scheduled.State.values()) {
      oldest.set(st.ordinal(), Long.MAX_VALUE);
      Gauge.builder("postern_queue_oldest_message_age", this, m -> m.oldestAge(st))
          .baseUnit("seconds").tag("state", st.name().toLowerCase(Locale.ROOT))
          .description("age of the oldest queued message by state (0 when none), as counted at most 5 s ago")
          .register(registry);
    }
  }

  private static Counter outcome(MeterRegistry registry, String result) {
    return Counter.builder("postern_queue_deliveries").tag("result", result)
        .description("recipients' delivery outcomes: delivered, deferred (per attempt), bounced, expired")
        .register(registry);
  }

  /** Outbound's answer for the recipients {@code rcpts} of a message that arrived at {@code arrival}. */
  void delivered(DeliveryReport report, List<Path> rcpts, Instant arrival) {
    long sinceArrival = -1;
    for (DeliveryReport.RecipientResult r : report.results()) {
      if (!rcpts.contains(r.recipient())) {
        continue; // not asked about: Dispatcher.record ignores it too
      }
      switch (r.status()) {
        case SENT -> {
          delivered.increment();
          if (sinceArrival < 0) {
            sinceArrival = Math.max(0, clock.millis() - arrival.toEpochMilli());
          }
          delay.record(sinceArrival, TimeUnit.MILLISECONDS);
        }
        case BOUNCED -> bounced.increment();
        case DEFERRED -> deferred.increment();
      }
    }
  }

  /** {@code recipients} failed because the message outlived {@code queue.max_lifetime}. */
  void expired(int recipients) {
    expired.increment(recipients);
  }

  /** Seconds since the oldest message in {@code state} arrived, as of the last census. */
  private double oldestAge(Scheduled.State state) {
    long at = oldest.get(state.ordinal());
    return at == Long.MAX_VALUE ? 0 : Math.max(0, clock.millis() - at) / 1000.0;
  }

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
    long[] first = new long[Scheduled.State.values().length];
    Arrays.fill(first, Long.MAX_VALUE);
    for (Scheduled s : index.all()) {
      int st = s.state().ordinal();
      n[st]++;
      n[n.length - 1] += s.size;
      first[st] = Math.min(first[st], s.message.arrival().toEpochMilli());
    }
    for (int i = 0; i < n.length; i++) {
      census.set(i, n[i]);
    }
    for (int i = 0; i < first.length; i++) {
      oldest.set(i, first[i]);
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

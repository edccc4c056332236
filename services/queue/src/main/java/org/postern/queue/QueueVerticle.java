package org.postern.queue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;
import org.postern.bus.BodyTransfer;
import org.postern.bus.EnqueueReceipt;
import org.postern.config.QueueConfig;

/**
 * The queue role: wires its parts together at start and closes the spool at stop. Each part has
 * one job: {@link Recovery} (the spool replayed at start), {@link QueueIntake} (acceptance, durable
 * before the receipt), {@link Scheduler} (the scheduled side: timers and back-off) and
 * {@link Dispatcher} (the ready side: per-destination {@link ReadyQueues}, hand-off to outbound,
 * outcomes and expiry), {@link Notices} (DSNs to the sender), {@link ReplicaUpkeep} (this node's
 * replicas elsewhere, with {@link Replication}), {@link QueueAdmin} (operator commands) and
 * {@link QueueMetrics}. They share the {@link QueueIndex}.
 *
 * <p><b>Trust.</b> Everything it takes from the event bus is checked as if it came from outside:
 * the bus is shared by every service of every node in the cluster, so a bug or a confused peer
 * there must not make the queue write outside its spool, take a body it did not agree to, or act
 * on a request of the wrong type. A consumer checks the body's type before it uses it (the generic
 * type is not checked at run time), the contracts validate sizes, syntax and enums as they are
 * decoded, and a queue id becomes a file name only after {@link org.postern.bus.QueueIds#check}. {@link org.postern.bus.EnqueueRequest} (the body by
 * reference) and {@link org.postern.bus.QueueAdminRequest} are consumed locally only, so only
 * this node's inbound can hand over a body without copying it, and a node's admin API administers
 * that node's spool; inbound on other nodes goes through {@link ChunkedIntake}, which takes a body
 * only after its offer and only at the length offered; replicas come only through
 * {@link Replication}'s offers. Outbound's reports are taken only for the recipients it was asked
 * about. See the package comment.
 *
 * <p>Threading: every part runs on this verticle's event loop, where the index lives; spool I/O
 * and every fsync run on workers and report back there. The public methods may be called from any
 * thread and hop to that loop.
 */
public final class QueueVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private final QueueConfig config;
  private final String hostname;
  private final Clock clock;
  private final Backoff backoff;
  /** Null on a standalone node. */
  private final ClusterView cluster;
  private final QueueMetrics metrics;
  private final QueueIndex index = new QueueIndex();
  /** Set by {@link #holdDeliveries} before deployment. */
  private boolean holdUntilStarted;
  private Spool spool;
  private GroupCommitter committer;
  private Scheduler scheduler;
  private Dispatcher dispatcher;
  private ReplicaUpkeep replicas;

  public QueueVerticle(QueueConfig config, String hostname, Clock clock) {
    this(config, hostname, clock, null);
  }

  /**
   * A queue in a cluster: with {@code queue.replicas = 1} every message is also stored on another
   * queue node before it is acknowledged; {@code cluster} null is a standalone node.
   */
  public QueueVerticle(QueueConfig config, String hostname, Clock clock, ClusterView cluster) {
    this(config, hostname, clock, cluster, new SimpleMeterRegistry());
  }

  /** As {@link #QueueVerticle(QueueConfig, String, Clock, ClusterView)}, counting its deliveries in {@code meters}. */
  public QueueVerticle(QueueConfig config, String hostname, Clock clock, ClusterView cluster, MeterRegistry meters) {
    this.metrics = new QueueMetrics(meters, clock);
    this.cluster = cluster;
    this.config = config;
    this.hostname = hostname;
    this.clock = clock;
    this.backoff = new Backoff(config.minBackoff(), config.maxBackoff(), RandomGenerator.getDefault());
  }

  @Override
  public Future<?> start() {
    return Recovery.open(vertx, config).compose(opened -> {
      spool = opened.spool();
      committer = new GroupCommitter(vertx, spool, config.maxCommitBatch());
      SpoolSpace space = new SpoolSpace(vertx, spool, config, clock);
      space.start();
      metrics.start(vertx, index, committer, spool);
      Replication replication = cluster == null || config.replicas() == 0 ? null
          : new Replication(vertx, config, cluster, spool, clock, new Replication.Local() {
            @Override
            public boolean holds(String queueId) {
              return index.holds(queueId);
            }

            @Override
            public void adopted(Spool.Loaded loaded) {
              replicas.adopt(loaded);
            }
          }, metrics.replication);
      metrics.replicating(replication);
      scheduler = new Scheduler(vertx, clock, backoff, config.deferDeliveries(), holdUntilStarted,
          s -> dispatcher.attempt(s));
      Notices notices = new Notices(vertx, config, hostname, clock, spool, index, scheduler);
      replicas = new ReplicaUpkeep(vertx, spool, replication, index, scheduler, metrics.replication);
      dispatcher = new Dispatcher(vertx, config, clock, spool, committer, index, scheduler, notices, replicas,
          metrics);
      QueueIntake intake = new QueueIntake(vertx, config, clock, spool, committer, space, replication, index,
          scheduler);
      QueueAdmin admin = new QueueAdmin(vertx, config, spool, index, scheduler, replicas);
      return ours(replication, opened.loaded()).compose(loaded -> {
        Recovery.resume(loaded, spool, config.spoolDir(), index, scheduler, replication, metrics.replication);
        // Whole bodies are taken from this node's inbound only (by reference); inbound on another
        // node sends them in chunks through the intake, so no event-bus message carries one whole.
        // The admin address is consumed locally: a node's admin API administers that node's spool.
        Future<Void> chunked = cluster == null ? Future.succeededFuture()
            : new ChunkedIntake(vertx, cluster.nodeId(), spool.tmpDir(), intake::store, index::contains,
                BodyTransfer.Options.defaults(), metrics.intake).start();
        return chunked.compose(v -> space.listen()).compose(v -> intake.listen()).compose(v -> admin.listen());
      });
    });
  }

  /**
   * Of the recovered messages, those still this node's: before anything is scheduled, what another
   * node took over while we were away is not ours.
   */
  private Future<List<Spool.Loaded>> ours(Replication replication, List<Spool.Loaded> recovered) {
    if (replication == null) {
      LOG.info(cluster == null ? "queue.replicas has no effect on a standalone node: this spool is the only copy"
          : "queue.replicas = 0: this spool is the only copy of the mail it accepts; nothing is taken over");
      return Future.succeededFuture(recovered);
    }
    vertx.setPeriodic(5000, t -> replicas.replaceLost());
    return replication.start(Path.of(config.spoolDir())).compose(v -> replication.cede(recovered));
  }

  /**
   * Before deployment: no delivery starts until {@link #startDeliveries}, so that the mail
   * recovered at start is not handed to an outbound that is not listening yet.
   */
  public void holdDeliveries() {
    holdUntilStarted = true;
  }

  /** Every role of the node listens: the deliveries held back since start go now. From any thread. */
  public Future<Void> startDeliveries() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      scheduler.startDeliveries();
      done.complete();
    });
    return done.future();
  }

  /**
   * The node is stopping: no new delivery attempt starts, and the returned future completes, with
   * how many attempts were in flight, once each has recorded its outcome in the spool (finished
   * recipients, or the message removed), so that a restart does not send again what a next hop
   * took. Messages being stored finish too. From any thread; the caller bounds the wait.
   */
  public Future<Integer> drain() {
    Promise<Integer> done = Promise.promise();
    context.runOnContext(v -> {
      scheduler.stop();
      int inFlight = dispatcher.underWay();
      Future<Void> idle = dispatcher.idle();
      Future.join(index.writesUnderWay()).transform(ar -> idle).onComplete(ar -> done.complete(inFlight));
    });
    return done.future();
  }

  /** Replies with the receipt, or fails the request with the refusal's code and text ({@link ChunkedIntake}'s too). */
  static void answer(Message<?> m, Future<EnqueueReceipt> receipt) {
    QueueIntake.answer(m, receipt);
  }

  /**
   * Counters of replication, takeover and rejoin, by name, for the metrics registry (they may be
   * read from any thread).
   */
  public Map<String, LongSupplier> replicationCounters() {
    return metrics.replicationCounters();
  }

  /**
   * The queue's size for the metrics registry, by name: messages per state ({@code active},
   * {@code deferred}, {@code held}) and {@code octets}, as counted at most 5 s ago on the queue's
   * own event loop (they may be read from any thread; the index may not).
   */
  public Map<String, LongSupplier> sizeGauges() {
    return metrics.sizeGauges();
  }

  /**
   * Counters of bodies taken in chunks from inbound on other nodes, by name, for the metrics
   * registry (they may be read from any thread).
   */
  public Map<String, LongSupplier> intakeCounters() {
    return metrics.intakeCounters();
  }

  @Override
  public Future<?> stop() {
    metrics.stop();
    // The journal's open segment would keep the spool's file system busy (an unmount, a test's).
    // The round under way finishes first; a change after the close fails (it is retried at the
    // next start, from the state the journal has).
    return spool == null ? Future.succeededFuture() : committer.idle().compose(v -> vertx.executeBlocking(() -> {
      spool.close();
      return null;
    }, false));
  }
}

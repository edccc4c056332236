package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;
import org.postern.bus.BodyTransfer;
import org.postern.bus.ClientInfo;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.MessageBody;
import org.postern.bus.QueueAdminReply;
import org.postern.bus.QueueAdminRequest;
import org.postern.bus.QueueIds;
import org.postern.config.QueueConfig;
import org.postern.smtp.Dsn;
import org.postern.smtp.Envelope;
import org.postern.smtp.Reply;

/**
 * Accepts messages durably and drives their delivery; see the package comment for its trust.
 *
 * <p>State lives on this verticle's event loop: the in-memory schedule of every message, rebuilt
 * from the spool at start. Spool I/O runs on workers and reports back here.
 */
public final class QueueVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private final QueueConfig config;
  private final String hostname;
  private final Clock clock;
  private final Backoff backoff;
  private final Map<String, Scheduled> messages = new HashMap<>();
  /** {@link #takeCensus}'s last count: per state, then octets. */
  private final java.util.concurrent.atomic.AtomicLongArray census =
      new java.util.concurrent.atomic.AtomicLongArray(Scheduled.State.values().length + 1);
  /** Writes in progress, so that a retried request joins the first write instead of racing it. */
  private final Map<String, Future<Void>> storing = new HashMap<>();
  private Spool spool;
  private final long startedNanos = System.nanoTime();
  private GroupCommitter committer;
  private ReadyQueues ready;
  /** queue.min_free_space: free space and reservations. */
  private SpoolSpace space;
  /** Null on a standalone node, or with queue.replicas = 0. */
  private final ClusterView cluster;
  private Replication replication;
  private final Replication.Counts counts = new Replication.Counts();
  private final ChunkedIntake.Counts intakeCounts = new ChunkedIntake.Counts();
  /** Set by {@link #holdDeliveries} until {@link #startDeliveries}: attempts due meanwhile wait here. */
  private boolean deliveriesHeld;
  private final List<Scheduled> waitingForStart = new ArrayList<>();
  /** Set by {@link #drain}: no new delivery attempt starts. Event-loop only. */
  private boolean stopping;
  /** Attempts started and not yet recorded in the spool; {@link #drain} waits for none. */
  private int attemptsInFlight;
  private Promise<Void> drained;

  public QueueVerticle(QueueConfig config, String hostname, Clock clock) {
    this(config, hostname, clock, null);
  }

  /**
   * A queue in a cluster: with {@code queue.replicas = 1} every message is also stored on another
   * queue node before it is acknowledged; {@code cluster} null is a standalone node.
   */
  public QueueVerticle(QueueConfig config, String hostname, Clock clock, ClusterView cluster) {
    this.cluster = cluster;
    this.config = config;
    this.hostname = hostname;
    this.clock = clock;
    this.backoff = new Backoff(config.minBackoff(), config.maxBackoff(), RandomGenerator.getDefault());
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      Spool s = new Spool(Path.of(config.spoolDir()), config.journalCompactSize(), Journal.Steps.NONE);
      return new Object[] {s, s.recover()};
    }, false).compose(r -> {
      spool = (Spool) r[0];
      committer = new GroupCommitter(vertx, spool, config.maxCommitBatch());
      ready = new ReadyQueues(config.destinationConcurrency());
      space = new SpoolSpace(vertx, spool, config, clock);
      space.start();
      // Group-commit figures every 5 s while mail flows (the benchmark reads these lines).
      long[] logged = {0};
      vertx.setPeriodic(5000, t -> {
        takeCensus();
        if (committer.messages() != logged[0]) {
          logged[0] = committer.messages();
          logCommitFigures();
        }
      });
      @SuppressWarnings("unchecked")
      List<Spool.Loaded> recovered = (List<Spool.Loaded>) r[1];
      if (cluster == null || config.replicas() == 0) {
        LOG.info(cluster == null ? "queue.replicas has no effect on a standalone node: this spool is the only copy"
            : "queue.replicas = 0: this spool is the only copy of the mail it accepts; nothing is taken over");
        return Future.succeededFuture(recovered);
      }
      replication = new Replication(vertx, config, cluster, spool, clock, new Replication.Local() {
        @Override
        public boolean holds(String queueId) {
          return messages.containsKey(queueId) || storing.containsKey(queueId);
        }

        @Override
        public void adopted(Spool.Loaded loaded) {
          adopt(loaded);
        }
      }, counts);
      vertx.setPeriodic(5000, t -> replaceLostReplicas());
      // Before anything is scheduled: what another node took over while we were away is not ours.
      return replication.start(Path.of(config.spoolDir())).compose(v -> replication.cede(recovered));
    }).compose(loaded -> {
      for (Spool.Loaded l : loaded) {
        Scheduled s = new Scheduled(l.message(), l.size());
        s.done.addAll(l.doneRecipients());
        s.held = l.held();
        messages.put(l.message().queueId(), s);
        schedule(s, Duration.ZERO);
      }
      if (replication != null) {
        replication.recovered();
      }
      if (!loaded.isEmpty()) {
        long interrupted = loaded.stream().filter(Spool.Loaded::wasInFlight).count();
        long held = loaded.stream().filter(Spool.Loaded::held).count();
        counts.possibleDuplicates.add(interrupted);
        LOG.info("recovered " + loaded.size() + " queued message(s) from " + config.spoolDir()
            + " (" + recoveredFiles(loaded) + "); " + interrupted + " were being delivered when the node stopped (possible duplicates)"
            + (held == 0 ? "" : "; " + held + " on hold"));
        loaded.stream().filter(Spool.Loaded::wasInFlight).forEach(l ->
            LOG.info(() -> l.message().queueId() + ": possible duplicate: delivery was interrupted"));
      }
      // Whole bodies are taken from this node's inbound only (by reference); inbound on another
      // node sends them in chunks through the intake, so no event-bus message carries one whole.
      // The admin address is consumed locally: a node's admin API administers that node's spool.
      Future<Void> intake = cluster == null ? Future.succeededFuture()
          : new ChunkedIntake(vertx, cluster.nodeId(), spool.tmpDir(), this::store, messages::containsKey,
              BodyTransfer.Options.defaults(), intakeCounts).start();
      return intake.compose(v -> space.listen())
          .compose(v -> vertx.eventBus().<EnqueueRequest>localConsumer(EnqueueRequest.ADDRESS, this::enqueue)
          .completion())
          .compose(v -> vertx.eventBus().<QueueAdminRequest>localConsumer(QueueAdminRequest.ADDRESS, this::admin)
              .completion());
    });
  }

  /** Which spool files the recovered messages came from, by file, for the recovery log line. */
  private String recoveredFiles(List<Spool.Loaded> loaded) {
    Map<String, Integer> byFile = new java.util.TreeMap<>();
    for (Spool.Loaded l : loaded) {
      String f = spool.fileOf(l.message().queueId());
      byFile.merge(f == null ? "?" : f, 1, Integer::sum);
    }
    long batches = byFile.keySet().stream().filter(f -> f.endsWith(".batch")).count();
    List<String> named = byFile.entrySet().stream().limit(10).map(e -> e.getKey() + ": " + e.getValue()).toList();
    return batches + " batch file(s), " + (byFile.size() - batches) + " single message file(s): "
        + String.join(", ", named) + (byFile.size() > 10 ? ", ..." : "");
  }

  /**
   * Before deployment: no delivery starts until {@link #startDeliveries}, so that the mail
   * recovered at start is not handed to an outbound that is not listening yet.
   */
  public void holdDeliveries() {
    deliveriesHeld = true;
  }

  /** Every role of the node listens: the deliveries held back since start go now. From any thread. */
  public Future<Void> startDeliveries() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      deliveriesHeld = false;
      if (!waitingForStart.isEmpty()) {
        LOG.info("delivery starts: " + waitingForStart.size() + " message(s) were waiting for the node to start");
      }
      List<Scheduled> due = List.copyOf(waitingForStart);
      waitingForStart.clear();
      due.forEach(this::attempt);
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
      stopping = true;
      int inFlight = attemptsInFlight;
      if (drained == null) {
        drained = Promise.promise();
      }
      if (attemptsInFlight == 0) {
        drained.tryComplete();
      }
      Future.join(List.copyOf(storing.values())).transform(ar -> drained.future())
          .onComplete(ar -> done.complete(inFlight));
    });
    return done.future();
  }

  private void enqueue(Message<EnqueueRequest> m) {
    // The generic type is not checked at run time: a message of another type can arrive here.
    Object body = m.body();
    if (!(body instanceof EnqueueRequest)) {
      m.fail(400, "expected EnqueueRequest");
      return;
    }
    answer(m, store((EnqueueRequest) body));
  }

  /** Replies with the receipt, or fails the request with the refusal's code and text. */
  static void answer(Message<?> m, Future<EnqueueReceipt> receipt) {
    receipt.onSuccess(m::reply).onFailure(e -> {
      if (e instanceof ReplyException r) {
        m.fail(r.failureCode(), r.getMessage());
      } else {
        m.fail(451, "4.3.0 Error: queue file write error");
      }
    });
  }

  private static Future<EnqueueReceipt> refuse(int code, String text) {
    return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, text));
  }

  /**
   * Stores a message durably (and its replica) and completes with the receipt; a refusal fails
   * with the code and text inbound passes on. Idempotent on the queue id.
   */
  private Future<EnqueueReceipt> store(EnqueueRequest req) {
    if (messages.containsKey(req.queueId())) {
      // A retried request for a message we hold: it was durable before the first receipt.
      return Future.succeededFuture(new EnqueueReceipt(req.queueId()));
    }
    Future<Void> inProgress = storing.get(req.queueId());
    if (inProgress != null) {
      return inProgress.map(v -> new EnqueueReceipt(req.queueId()))
          .recover(e -> refuse(451, "4.3.0 Error: queue file write error"));
    }
    if (!space.admits(req.body().length())) {
      LOG.warning(() -> req.queueId() + ": refused: " + space.free() + " octets free in " + config.spoolDir()
          + ", too few for " + req.body().length() + " more above queue.min_free_space " + config.minFreeSpace());
      return refuse(452, "4.3.1 Insufficient system storage");
    }
    SpooledMessage sm = SpooledMessage.of(req, clock.instant());
    space.stored(req.body().length());
    Future<Void> local = committer.store(sm, req.body());
    Future<String> replica = replication == null ? Future.succeededFuture(null) : replication.replicate(sm, req.body());
    // Both copies durable: the replica is committed, and only then may the message be acknowledged
    // (a replica never committed is never taken over: see Replication).
    Future<Void> committed = Future.join(local, replica).compose(v -> replica.result() == null
        ? Future.<Void>succeededFuture() : replication.commit(sm.queueId(), replica.result()));
    Future<Void> write = committed.recover(e -> undoHalf(sm.queueId(), local, replica,
            local.failed() ? local.cause() : replica.failed() ? replica.cause() : e))
        .eventually(() -> {
          storing.remove(sm.queueId());
          return Future.succeededFuture();
        });
    storing.put(sm.queueId(), write);
    return write.map(v -> {
      Scheduled s = messages.computeIfAbsent(sm.queueId(), id -> new Scheduled(sm, req.body().length()));
      s.replicaHolder = replica.result();
      LOG.info(() -> sm.queueId() + ": from=" + sm.envelope().sender() + ", size=" + req.body().length()
          + ", nrcpt=" + sm.envelope().recipients().size() + " (queue active)");
      schedule(s, Duration.ZERO);
      return new EnqueueReceipt(sm.queueId());
    }).recover(e -> {
      if (e instanceof Replication.NoReplicaHolder) {
        LOG.warning(() -> sm.queueId() + ": refused with 451 4.3.0: " + e.getMessage());
        return refuse(451, "4.3.0 Error: no queue replica available, try again later");
      } else if (replica.failed() || (local.succeeded() && replica.succeeded())) {
        LOG.warning(() -> sm.queueId() + ": refused with 451 4.3.0: replica not " + (replica.failed() ? "stored" : "committed")
            + ": " + e.getMessage());
        return refuse(451, "4.3.0 Error: queue replica write error");
      }
      LOG.severe(() -> sm.queueId() + ": cannot store message: " + e);
      return refuse(451, "4.3.0 Error: queue file write error");
    });
  }

  /**
   * One of the two copies failed, or the replica could not be committed, so the client gets 451
   * and will send again: the copy that did get stored is removed, or it would be delivered as well
   * (a duplicate).
   */
  private Future<Void> undoHalf(String id, Future<Void> local, Future<String> replica, Throwable why) {
    Future<Void> undo = Future.succeededFuture();
    if (local.succeeded()) {
      undo = vertx.executeBlocking(() -> {
        spool.delete(id);
        return null;
      }, false);
    }
    if (replica.succeeded() && replica.result() != null) {
      undo = undo.compose(v -> replication.finished(id, replica.result()));
    }
    return undo.transform(ar -> Future.failedFuture(why));
  }

  /** The owner finished {@code s}: its replicas go, wherever they may be. */
  private Future<Void> dropReplicas(Scheduled s) {
    if (replication == null) {
      return Future.succeededFuture();
    }
    String id = s.message.queueId();
    Future<Void> holder = replication.finished(id, s.replicaHolder);
    // null publishes the drop to every queue node: the holder that left may have come back.
    return s.replicatedAgain ? holder.compose(v -> replication.finished(id, null)) : holder;
  }

  /**
   * Mail whose replica holder left the cluster for good has one copy left, ours: it gets a new
   * replica on another live queue node, so a second failure loses nothing either.
   */
  private void replaceLostReplicas() {
    for (Scheduled s : messages.values()) {
      if (s.replicaHolder == null || s.replicating || !replication.goneForGood(s.replicaHolder)) {
        continue;
      }
      String id = s.message.queueId();
      String lost = s.replicaHolder;
      s.replicating = true;
      vertx.executeBlocking(() -> spool.body(id), false)
          .compose(body -> replication.replicateCommitted(s.message, body))
          .onComplete(ar -> {
            s.replicating = false;
            if (ar.succeeded() && messages.get(id) == s) {
              s.replicaHolder = ar.result();
              s.replicatedAgain = true;
              counts.replacedReplicas.increment();
              reportProgress(s);
              LOG.info(() -> id + ": replica holder " + lost + " left the cluster; replicated again on " + ar.result());
            } else if (ar.failed()) {
              LOG.warning(() -> id + ": replica holder " + lost + " left the cluster and no new replica could be made ("
                  + ar.cause().getMessage() + "); this node has the only copy, will retry");
            }
          });
    }
  }

  /** A replica this node took over: its message now, scheduled and replicated again when it can be. */
  private void adopt(Spool.Loaded l) {
    Scheduled s = new Scheduled(l.message(), l.size());
    // The recipients the dead owner reported finished are not delivered again.
    s.done.addAll(l.doneRecipients());
    s.held = l.held();
    messages.put(l.message().queueId(), s);
    schedule(s, Duration.ZERO);
    String id = l.message().queueId();
    vertx.executeBlocking(() -> spool.body(id), false)
        .compose(body -> replication.replicateCommitted(l.message(), body))
        .onSuccess(holder -> {
          s.replicaHolder = holder;
          LOG.info(() -> id + ": replicated again on " + holder);
          reportProgress(s);
        })
        .onFailure(e -> LOG.warning(() -> id + ": taken over without a replica: " + e.getMessage()));
  }

  /**
   * Counters of replication, takeover and rejoin, by name, for the metrics registry (they may be
   * read from any thread).
   */
  public Map<String, java.util.function.LongSupplier> replicationCounters() {
    Map<String, java.util.function.LongSupplier> out = new LinkedHashMap<>();
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
    out.put("replica_directory_syncs", () -> replication == null ? 0 : replication.replicaDirectorySyncs());
    return out;
  }

  /**
   * The queue's size for the metrics registry, by name: messages per state ({@code active},
   * {@code deferred}, {@code held}) and {@code octets}, as counted at most 5 s ago on the queue's
   * own event loop (they may be read from any thread; the message table may not).
   */
  public Map<String, java.util.function.LongSupplier> sizeGauges() {
    Map<String, java.util.function.LongSupplier> out = new java.util.LinkedHashMap<>();
    for (Scheduled.State st : Scheduled.State.values()) {
      out.put(st.name().toLowerCase(java.util.Locale.ROOT), () -> census.get(st.ordinal()));
    }
    out.put("octets", () -> census.get(Scheduled.State.values().length));
    return out;
  }

  /** Counts the messages per state and their octets, for {@link #sizeGauges}. */
  private void takeCensus() {
    long[] n = new long[Scheduled.State.values().length + 1];
    for (Scheduled s : messages.values()) {
      n[s.state().ordinal()]++;
      n[n.length - 1] += s.size;
    }
    for (int i = 0; i < n.length; i++) {
      census.set(i, n[i]);
    }
  }

  /**
   * Counters of bodies taken in chunks from inbound on other nodes, by name, for the metrics
   * registry (they may be read from any thread).
   */
  public Map<String, java.util.function.LongSupplier> intakeCounters() {
    return Map.of(
        "chunked_bodies", intakeCounts.bodies::sum,
        "chunked_body_chunks", intakeCounts.chunks::sum,
        "chunked_bodies_abandoned", intakeCounts.abandoned::sum,
        "inline_bodies", intakeCounts.inline::sum);
  }

  @Override
  public Future<?> stop() {
    if (committer != null && committer.messages() > 0) {
      logCommitFigures();
    }
    // The journal's open segment would keep the spool's file system busy (an unmount, a test's).
    // The round under way finishes first; a change after the close fails (it is retried at the
    // next start, from the state the journal has).
    return spool == null ? Future.succeededFuture() : committer.idle().compose(v -> vertx.executeBlocking(() -> {
      spool.close();
      return null;
    }, false));
  }

  /** How many messages shared each round of fsyncs, and the share of time spent in fsync. */
  private void logCommitFigures() {
    LOG.info(String.format("group commit: %d messages in %d batches (%.1f per batch), %.0f ms in fsync over %.0f s;"
            + " %d commit rounds, %d journal syncs",
        committer.messages(), committer.batches(), committer.averageBatch(), spool.syncNanos() / 1e6,
        (System.nanoTime() - startedNanos) / 1e9, committer.rounds(), spool.journalSyncs()));
  }

  private void schedule(Scheduled s, Duration delay) {
    cancelTimer(s);
    if (s.held || s.deleted) {
      return; // an operator's release (or nothing, after a delete) schedules it again
    }
    if (config.deferDeliveries() && !s.flushed) {
      return; // queue.defer_deliveries: only an operator's flush sends it
    }
    s.flushed = false;
    if (delay.isZero() || delay.isNegative()) {
      // Due now (a new message, a release, a flush): the next turn of the loop, not a 1 ms timer
      // per message. attempt() checks hold, delete and in-flight again when it runs.
      vertx.runOnContext(v -> attempt(s));
      return;
    }
    s.nextAttempt = clock.instant().plus(delay);
    s.timer = vertx.setTimer(Math.max(1, delay.toMillis()), t -> {
      s.timer = Scheduled.NO_TIMER;
      s.nextAttempt = null;
      attempt(s);
    });
  }

  private void cancelTimer(Scheduled s) {
    if (s.timer != Scheduled.NO_TIMER) {
      vertx.cancelTimer(s.timer);
      s.timer = Scheduled.NO_TIMER;
    }
    s.nextAttempt = null;
  }

  /** One delivery attempt: a request per recipient domain still pending, all in parallel. */
  private void attempt(Scheduled s) {
    if (s.inFlight || s.held || s.deleted || stopping) {
      return; // stopping: it stays in the spool and is delivered after the restart
    }
    if (deliveriesHeld) {
      if (!waitingForStart.contains(s)) {
        waitingForStart.add(s);
      }
      return;
    }
    s.inFlight = true;
    s.attempts++;
    attemptsInFlight++;
    Map<String, List<org.postern.smtp.Path>> byDomain = new LinkedHashMap<>();
    for (org.postern.smtp.Path r : s.message.envelope().recipients()) {
      if (!s.done.contains(r.mailbox())) {
        byDomain.computeIfAbsent(r.domainKey(), d -> new ArrayList<>()).add(r);
      }
    }
    String id = s.message.queueId();
    // The in-flight mark (a journal record) is written when the first of the attempt's deliveries
    // leaves its ready queue, not when the attempt is due: a message waiting behind
    // queue.destination_concurrency has not reached any next hop, so a restart cannot make it a
    // duplicate.
    HandOff handOff = new HandOff(id);
    // The index in memory knows where the body is: no hand-off to a worker to learn it.
    MessageBody found = spool.deliverable(vertx, id);
    (found == null ? Future.<MessageBody>failedFuture(new java.nio.file.NoSuchFileException(id + " is no longer in the spool"))
        : Future.succeededFuture(found))
        .compose(body -> Future.join(byDomain.entrySet().stream()
            .map(e -> ready.submit(e.getKey(), () -> handOff.marked().compose(v -> deliver(s, e.getValue(), body))))
            .toList()))
        .eventually(() -> {
          s.inFlight = false;
          return finishAttempt(s).eventually(handOff::unmark).eventually(() -> {
            if (--attemptsInFlight == 0 && drained != null) {
              drained.tryComplete();
            }
            return Future.succeededFuture();
          });
        });
  }

  /**
   * The in-flight mark of one attempt: a journal record written once, in the next commit round,
   * before its first delivery starts.
   */
  private final class HandOff {
    private final String id;
    private Future<Void> marker;

    HandOff(String id) {
      this.id = id;
    }

    /** Completes once the mark is in the journal (or could not be written: it is advisory). */
    Future<Void> marked() {
      if (marker == null) {
        marker = committer.mark(new Spool.InFlight(id, true)).recover(e -> {
          LOG.warning(() -> id + ": cannot mark the delivery as under way: " + e.getMessage());
          return Future.succeededFuture();
        });
      }
      return marker;
    }

    /**
     * Ends the mark, if a delivery started at all and the message is still queued (a finished
     * message's record ends it already). Nobody waits for it to be synced.
     */
    Future<Void> unmark() {
      if (marker == null) {
        return Future.succeededFuture();
      }
      return marker.compose(v -> {
        if (!messages.containsKey(id)) {
          return Future.succeededFuture();
        }
        return committer.mark(new Spool.InFlight(id, false)).recover(e -> Future.succeededFuture());
      });
    }
  }

  private Future<Void> deliver(Scheduled s, List<org.postern.smtp.Path> rcpts, MessageBody body) {
    Envelope env = s.message.envelope();
    DeliveryRequest req = new DeliveryRequest(s.message.queueId(), env.sender(), rcpts,
        rcpts.stream().map(env::paramsOf).toList(), env.mailParams(), body, s.attempts);
    // The body goes by reference to this node's outbound, never across the network: in a cluster a
    // queue node runs the outbound role too (the node refuses to start otherwise).
    return Contracts.requestLocal(vertx, DeliveryRequest.ADDRESS, req, config.deliveryTimeout(), DeliveryReport.class)
        .recover(e -> {
          Reply why = Reply.of(451, "4.3.0", "delivery service unavailable: " + e.getMessage());
          List<DeliveryReport.RecipientResult> results = rcpts.stream()
              .map(r -> new DeliveryReport.RecipientResult(r, DeliveryReport.Status.DEFERRED, why, "none"))
              .toList();
          return Future.succeededFuture(new DeliveryReport(s.message.queueId(), results));
        })
        .map(report -> {
          for (DeliveryReport.RecipientResult r : report.results()) {
            if (!rcpts.contains(r.recipient())) {
              continue; // outbound answered for a recipient it was not asked about: ignore it
            }
            Map<String, String> params = env.paramsOf(r.recipient());
            switch (r.status()) {
              case SENT -> {
                s.done.add(r.recipient().mailbox());
                // RFC 3461 §4.1: with NOTIFY=SUCCESS and a next hop that cannot report, we report "relayed".
                if (!r.dsnPassedOn() && Dsn.wants(params, "SUCCESS")) {
                  s.relayed.add(new Bounce.Failure(r.recipient(), r.reply(), r.relay(), params));
                }
              }
              case BOUNCED -> {
                s.done.add(r.recipient().mailbox());
                s.failures.add(new Bounce.Failure(r.recipient(), r.reply(), r.relay(), params));
              }
              case DEFERRED -> s.lastDeferral.put(r.recipient().mailbox(), r);
            }
          }
          return null;
        });
  }

  private Future<Void> finishAttempt(Scheduled s) {
    String id = s.message.queueId();
    if (s.deleted) {
      LOG.info(() -> id + ": delivery attempt ended after the message was removed by the operator");
      return Future.succeededFuture();
    }
    List<org.postern.smtp.Path> pending = s.message.envelope().recipients().stream()
        .filter(r -> !s.done.contains(r.mailbox())).toList();
    boolean expired = Duration.between(s.message.arrival(), clock.instant()).compareTo(config.maxLifetime()) >= 0;
    if (!pending.isEmpty() && expired) {
      for (org.postern.smtp.Path r : pending) {
        DeliveryReport.RecipientResult last = s.lastDeferral.get(r.mailbox());
        Reply why = last == null ? Reply.of(451, "4.4.7", "message expired") : last.reply();
        s.failures.add(new Bounce.Failure(r, why, last == null ? "none" : last.relay(), s.message.envelope().paramsOf(r)));
        s.done.add(r.mailbox());
      }
      LOG.info(() -> id + ": message expired after " + config.maxLifetime().toSeconds() + "s in the queue");
      pending = List.of();
    }
    Future<Void> notices = notice(s, Bounce.Kind.RELAYED, drain(s.relayed));
    if (!pending.isEmpty() && !s.delayWarned && !config.delayWarningTime().isZero()
        && Duration.between(s.message.arrival(), clock.instant()).compareTo(config.delayWarningTime()) >= 0) {
      s.delayWarned = true;
      List<Bounce.Failure> late = new ArrayList<>();
      for (org.postern.smtp.Path r : pending) {
        DeliveryReport.RecipientResult last = s.lastDeferral.get(r.mailbox());
        Map<String, String> params = s.message.envelope().paramsOf(r);
        if (last != null && Dsn.wants(params, "DELAY")) {
          late.add(new Bounce.Failure(r, last.reply(), last.relay(), params));
        }
      }
      notices = notices.compose(v -> notice(s, Bounce.Kind.DELAYED, late));
    }
    if (pending.isEmpty()) {
      // The replica goes before the spool file: a crash in between leaves our own copy, which is
      // delivered again at restart and counted, rather than a lone replica taken over unnoticed.
      return notices.compose(v -> bounceIfNeeded(s))
          .compose(v -> dropReplicas(s))
          .compose(v -> committer.mark(new Spool.Finished(id))).<Void>mapEmpty().onSuccess(v -> {
        messages.remove(id);
        LOG.info(() -> id + ": removed");
      }).onFailure(e -> {
        LOG.severe(() -> id + ": cannot finish: " + e + "; will retry");
        schedule(s, config.minBackoff());
      });
    }
    Duration delay = backoff.after(s.attempts - s.backoffBase);
    java.util.Set<String> done = java.util.Set.copyOf(s.done);
    return notices.compose(v -> s.deleted ? Future.succeededFuture() : committer.mark(new Spool.Done(id, done)))
        .<Void>mapEmpty().onSuccess(v -> reportProgress(s)).onComplete(ar -> schedule(s, delay));
  }

  /**
   * Tells the replica holder which recipients of {@code s} are finished, so that a takeover does
   * not deliver to them again; best effort, and scheduling does not wait for it.
   */
  private void reportProgress(Scheduled s) {
    if (replication == null || s.replicaHolder == null || s.done.isEmpty() || s.deleted) {
      return;
    }
    List<org.postern.smtp.Path> done = s.message.envelope().recipients().stream()
        .filter(r -> s.done.contains(r.mailbox())).toList();
    if (!done.isEmpty()) {
      replication.progress(s.message.queueId(), s.replicaHolder, done);
    }
  }

  private Future<Void> bounceIfNeeded(Scheduled s) {
    SpooledMessage m = s.message;
    // RFC 3461 §4.1: a recipient with NOTIFY=NEVER or without FAILURE gets no failure report.
    List<Bounce.Failure> wanted = s.failures.stream().filter(f -> Dsn.wants(f.rcptParams(), "FAILURE")).toList();
    if (wanted.size() < s.failures.size()) {
      LOG.info(() -> m.queueId() + ": " + (s.failures.size() - wanted.size())
          + " failed recipient(s) asked for no failure notice (NOTIFY)");
    }
    return notice(s, Bounce.Kind.FAILED, wanted);
  }

  private static List<Bounce.Failure> drain(List<Bounce.Failure> list) {
    List<Bounce.Failure> out = List.copyOf(list);
    list.clear();
    return out;
  }

  /** Queues a delivery status notification to the sender, from the null sender. */
  private Future<Void> notice(Scheduled s, Bounce.Kind kind, List<Bounce.Failure> about) {
    SpooledMessage m = s.message;
    if (about.isEmpty()) {
      return Future.succeededFuture();
    }
    if (m.envelope().sender().isNull()) {
      // RFC 5321 §6.1: a notification is never sent about a notification.
      LOG.info(() -> m.queueId() + ": no " + kind.name().toLowerCase() + " notice for a message with a null sender");
      return Future.succeededFuture();
    }
    String noticeId = QueueIds.next();
    java.time.ZonedDateTime until = Bounce.utc(m.arrival().plus(config.maxLifetime()));
    return vertx.executeBlocking(() -> {
      byte[] original = spool.body(m.queueId()).getBytes();
      Bounce.Report report = new Bounce.Report(kind, hostname, m.queueId(), m.envelope().sender(),
          Bounce.utc(m.arrival()), until, about, m.envelope().mailParams(), original, config.bounceSizeLimit());
      byte[] text = Bounce.build(report, Bounce.utc(clock.instant()), noticeId);
      Envelope env = new Envelope(org.postern.smtp.Path.NULL, List.of(m.envelope().sender()), Map.of());
      SpooledMessage notice = new SpooledMessage(noticeId, env,
          new ClientInfo("127.0.0.1", hostname, "SMTP", null), clock.instant());
      spool.store(notice, Buffer.buffer(text));
      return new Scheduled(notice, text.length);
    }, false).map(b -> {
      LOG.info(() -> m.queueId() + ": sender " + switch (kind) {
        case FAILED -> "non-delivery notification";
        case DELAYED -> "delay notification";
        case RELAYED -> "delivery status notification (relayed)";
      } + ": " + noticeId);
      messages.put(noticeId, b);
      schedule(b, Duration.ZERO);
      return null;
    });
  }

  // ---- operator requests: postern queue list|show|flush|hold|release|delete|requeue ----------

  /** Largest header section {@code show} returns; the rest is cut and flagged. */
  static final int SHOW_HEADER_LIMIT = 64 * 1024;

  private void admin(Message<QueueAdminRequest> m) {
    Object body = m.body();
    if (!(body instanceof QueueAdminRequest)) {
      m.fail(400, "expected QueueAdminRequest");
      return;
    }
    QueueAdminRequest req = (QueueAdminRequest) body;
    List<Scheduled> targets;
    if (req.isQueueId()) {
      Scheduled s = messages.get(req.target());
      if (s == null || s.deleted) {
        m.fail(404, "no message with queue id " + req.target() + " in the queue");
        return;
      }
      targets = List.of(s);
    } else {
      String domain = req.domain();
      targets = AdminViews.sorted(messages.values().stream()
          .filter(s -> !s.deleted && (domain == null || s.pendingIn(domain))).toList());
    }
    Future<JsonObject> result = switch (req.action()) {
      case LIST -> Future.succeededFuture(AdminViews.list(targets));
      case SHOW -> show(targets.get(0));
      case HOLD -> hold(targets);
      case RELEASE -> release(targets);
      case DELETE -> delete(targets);
      case FLUSH, REQUEUE -> requeue(targets);
    };
    String what = req.action().name().toLowerCase(Locale.ROOT) + " " + req.target();
    result.onSuccess(r -> {
      if (req.action() == QueueAdminRequest.Action.LIST || req.action() == QueueAdminRequest.Action.SHOW) {
        LOG.fine(() -> "operator: " + what);
      } else {
        LOG.info(() -> "operator: " + what + ": " + r.getJsonArray("changed").size() + " message(s) changed, "
            + r.getJsonArray("skipped").size() + " skipped");
      }
      m.reply(new QueueAdminReply(r.put("action", req.action().name().toLowerCase(Locale.ROOT))
          .put("target", req.target())));
    }).onFailure(e -> {
      LOG.severe(() -> "operator: " + what + ": failed: " + e.getMessage());
      m.fail(500, what + " failed: " + e.getMessage());
    });
  }

  private Future<JsonObject> show(Scheduled s) {
    String id = s.message.queueId();
    return vertx.executeBlocking(() -> spool.headerSection(id, SHOW_HEADER_LIMIT), false).map(h -> {
      JsonObject envelope = s.message.toJson();
      return new JsonObject().put("message", AdminViews.entry(s, true)
          .put("envelope", envelope)
          .put("headers", h.text())
          .put("headersTruncated", h.truncated()));
    });
  }

  /** {@code {"changed": [ids], "skipped": [{"queueId", "reason"}]}}. */
  private static JsonObject outcome(List<Scheduled> changed, Map<String, String> skipped) {
    JsonArray c = new JsonArray();
    changed.forEach(s -> c.add(s.message.queueId()));
    JsonArray k = new JsonArray();
    skipped.forEach((id, why) -> k.add(new JsonObject().put("queueId", id).put("reason", why)));
    return new JsonObject().put("changed", c).put("skipped", k);
  }

  /**
   * Postfix's {@code postsuper -h}: no attempt starts until released. The hold takes effect at
   * once in memory (an attempt already under way finishes) and is durable before the answer.
   */
  private Future<JsonObject> hold(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (Scheduled s : targets) {
      if (s.held) {
        skipped.put(s.message.queueId(), "already on hold");
        continue;
      }
      s.held = true;
      cancelTimer(s);
      changed.add(s);
    }
    List<String> ids = changed.stream().map(s -> s.message.queueId()).toList();
    return blocking(ids, () -> spool.setHeld(ids, true)).map(v -> {
      changed.forEach(s -> LOG.info(() -> s.message.queueId() + ": placed on hold by operator"
          + (s.inFlight ? " (the delivery attempt under way goes on)" : "")));
      return outcome(changed, skipped);
    });
  }

  /** Postfix's {@code postsuper -H}: the hold record is ended, then an attempt is scheduled now. */
  private Future<JsonObject> release(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (Scheduled s : targets) {
      if (s.held) {
        changed.add(s);
      } else {
        skipped.put(s.message.queueId(), "not on hold");
      }
    }
    List<String> ids = changed.stream().map(s -> s.message.queueId()).toList();
    return blocking(ids, () -> spool.setHeld(ids, false)).map(v -> {
      for (Scheduled s : changed) {
        s.held = false;
        s.backoffBase = s.attempts;
        if (!s.deleted && messages.containsKey(s.message.queueId())) {
          schedule(s, Duration.ZERO);
        }
        LOG.info(() -> s.message.queueId() + ": released from hold by operator");
      }
      return outcome(changed, skipped);
    });
  }

  /**
   * Postfix's {@code postsuper -d}: the message goes without a bounce. An attempt already under
   * way ends without effect (its next hop may still have taken the mail).
   */
  private Future<JsonObject> delete(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>(targets);
    for (Scheduled s : changed) {
      s.deleted = true;
      cancelTimer(s);
    }
    List<String> ids = changed.stream().map(s -> s.message.queueId()).toList();
    return blocking(ids, () -> spool.deleteAll(ids)).map(v -> {
      for (Scheduled s : changed) {
        messages.remove(s.message.queueId());
        dropReplicas(s);
        LOG.info(() -> s.message.queueId() + ": removed by operator"
            + (s.inFlight ? " (a delivery attempt was under way)" : ""));
      }
      return outcome(changed, Map.of());
    }).onFailure(e -> {
      // Still on disk, so still queued: back to the schedule.
      for (Scheduled s : changed) {
        s.deleted = false;
        schedule(s, config.minBackoff());
      }
    });
  }

  /**
   * Postfix's {@code postqueue -f} and {@code postsuper -r}: an attempt now, with the back-off
   * starting again from {@code queue.min_backoff}. Held messages stay held (release them), and a
   * message being delivered is left to its attempt.
   */
  private Future<JsonObject> requeue(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (Scheduled s : targets) {
      if (s.held) {
        skipped.put(s.message.queueId(), "on hold (release it instead)");
      } else if (s.inFlight) {
        skipped.put(s.message.queueId(), "a delivery attempt is under way");
      } else {
        s.backoffBase = s.attempts;
        s.flushed = true;
        schedule(s, Duration.ZERO);
        changed.add(s);
        LOG.info(() -> s.message.queueId() + ": requeued by operator");
      }
    }
    return Future.succeededFuture(outcome(changed, skipped));
  }

  /** Runs spool I/O for {@code ids} on a worker; nothing to do for none. */
  private Future<Void> blocking(List<String> ids, SpoolTask task) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      task.run();
      return null;
    }, false);
  }

  @FunctionalInterface
  private interface SpoolTask {
    void run() throws java.io.IOException;
  }

}

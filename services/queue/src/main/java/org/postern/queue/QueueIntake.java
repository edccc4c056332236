package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Clock;
import java.time.Duration;
import java.util.logging.Logger;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.config.QueueConfig;

/**
 * Acceptance: a message becomes the queue's only once it is durable here (and, with
 * {@code queue.replicas = 1}, committed on its replica holder), and only then does the receipt go
 * back, so that inbound's 250 is a promise the queue can keep. A refusal carries the code and text
 * inbound passes on (452 4.3.1 when {@code queue.min_free_space} would be crossed, 451 4.3.0 when
 * a copy cannot be written). Idempotent on the queue id: a retried request joins the write under
 * way, or gets the receipt again for a message already held.
 *
 * <p>Bodies come by reference from this node's inbound ({@link EnqueueRequest}, consumed locally)
 * or, from inbound on other nodes, in chunks through {@link ChunkedIntake}, which ends here too.
 *
 * <p>Threading: the queue verticle's event loop; the writes are group-committed on a worker.
 */
final class QueueIntake {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private final Vertx vertx;
  private final QueueConfig config;
  private final Clock clock;
  private final Spool spool;
  private final GroupCommitter committer;
  private final SpoolSpace space;
  /** Null without replication. */
  private final Replication replication;
  private final QueueIndex index;
  private final Scheduler scheduler;

  QueueIntake(Vertx vertx, QueueConfig config, Clock clock, Spool spool, GroupCommitter committer, SpoolSpace space,
      Replication replication, QueueIndex index, Scheduler scheduler) {
    this.vertx = vertx;
    this.config = config;
    this.clock = clock;
    this.spool = spool;
    this.committer = committer;
    this.space = space;
    this.replication = replication;
    this.index = index;
    this.scheduler = scheduler;
  }

  /** Consumes {@link EnqueueRequest#ADDRESS}, from this node's inbound only. */
  Future<Void> listen() {
    return vertx.eventBus().<EnqueueRequest>localConsumer(EnqueueRequest.ADDRESS, this::enqueue).completion();
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
  Future<EnqueueReceipt> store(EnqueueRequest req) {
    if (index.contains(req.queueId())) {
      // A retried request for a message we hold: it was durable before the first receipt.
      return Future.succeededFuture(new EnqueueReceipt(req.queueId()));
    }
    Future<Void> inProgress = index.storing(req.queueId());
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
          index.stored(sm.queueId());
          return Future.succeededFuture();
        });
    index.storing(sm.queueId(), write);
    return write.map(v -> {
      Scheduled s = index.putIfAbsent(sm.queueId(), id -> new Scheduled(sm, req.body().length()));
      s.replicaHolder = replica.result();
      LOG.info(() -> sm.queueId() + ": from=" + sm.envelope().sender() + ", size=" + req.body().length()
          + ", nrcpt=" + sm.envelope().recipients().size() + " (queue active)");
      scheduler.schedule(s, Duration.ZERO);
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
}

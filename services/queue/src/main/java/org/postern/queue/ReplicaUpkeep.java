package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;
import org.postern.smtp.Path;

/**
 * The owner's side of the replicas of its messages ({@link Replication} does the talking): tells
 * the holder which recipients are finished, drops the replicas when a message ends, makes a new
 * replica when its holder left the cluster for good, and takes a replica this node took over into
 * its own schedule. Without replication (a standalone node, or {@code queue.replicas = 0}) every
 * step is a no-op.
 *
 * <p>Threading: the queue verticle's event loop; bodies are read on a worker.
 */
final class ReplicaUpkeep {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private final Vertx vertx;
  private final Spool spool;
  /** Null without replication. */
  private final Replication replication;
  private final QueueIndex index;
  private final Scheduler scheduler;
  private final Replication.Counts counts;

  ReplicaUpkeep(Vertx vertx, Spool spool, Replication replication, QueueIndex index, Scheduler scheduler,
      Replication.Counts counts) {
    this.vertx = vertx;
    this.spool = spool;
    this.replication = replication;
    this.index = index;
    this.scheduler = scheduler;
    this.counts = counts;
  }

  /**
   * Tells the replica holder which recipients of {@code s} are finished, so that a takeover does
   * not deliver to them again; best effort, and scheduling does not wait for it.
   */
  void progress(Scheduled s) {
    if (replication == null || s.replicaHolder == null || s.done.isEmpty() || s.deleted) {
      return;
    }
    List<Path> done = s.message.envelope().recipients().stream()
        .filter(r -> s.done.contains(r.mailbox())).toList();
    if (!done.isEmpty()) {
      replication.progress(s.message.queueId(), s.replicaHolder, done);
    }
  }

  /** The owner finished {@code s}: its replicas go, wherever they may be. */
  Future<Void> drop(Scheduled s) {
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
   * replica on another live queue node, so a second failure loses nothing either. Periodic.
   */
  void replaceLost() {
    for (Scheduled s : index.all()) {
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
            if (ar.succeeded() && index.get(id) == s) {
              s.replicaHolder = ar.result();
              s.replicatedAgain = true;
              counts.replacedReplicas.increment();
              progress(s);
              LOG.info(() -> id + ": replica holder " + lost + " left the cluster; replicated again on " + ar.result());
            } else if (ar.failed()) {
              LOG.warning(() -> id + ": replica holder " + lost + " left the cluster and no new replica could be made ("
                  + ar.cause().getMessage() + "); this node has the only copy, will retry");
            }
          });
    }
  }

  /** A replica this node took over: its message now, scheduled and replicated again when it can be. */
  void adopt(Spool.Loaded l) {
    // The recipients the dead owner reported finished are not delivered again.
    Scheduled s = Scheduled.recovered(l);
    index.put(s);
    scheduler.schedule(s, Duration.ZERO);
    String id = l.message().queueId();
    vertx.executeBlocking(() -> spool.body(id), false)
        .compose(body -> replication.replicateCommitted(l.message(), body))
        .onSuccess(holder -> {
          s.replicaHolder = holder;
          LOG.info(() -> id + ": replicated again on " + holder);
          progress(s);
        })
        .onFailure(e -> LOG.warning(() -> id + ": taken over without a replica: " + e.getMessage()));
  }
}

package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Group commit for the spool: while one round is being written and fsync'd on a worker, new
 * messages and state changes ({@link Spool.Mark}: recipients done, finished, in flight) wait and
 * then go together in the next round, so concurrent sessions and deliveries share syncs, and a
 * round is one blocking task however many messages and marks it carries. No timer is involved: a
 * lone message is written at once, and batching happens only when work arrives while the disk is
 * busy.
 *
 * <p>Used from one event loop only (the queue verticle's), so it needs no locks.
 */
final class GroupCommitter {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private record Pending(Spool.Write write, Promise<Void> done) {}

  private record PendingMark(Spool.Mark mark, Promise<Void> done) {}

  private final Vertx vertx;
  private final Spool spool;
  private final int maxBatch;
  private final List<Pending> waiting = new ArrayList<>();
  private final List<PendingMark> marks = new ArrayList<>();
  private final List<PendingMark> advisory = new ArrayList<>();
  private boolean marking;
  private boolean writing;
  private boolean compacting;
  private long batches;
  private long messages;
  private long rounds;
  private final List<Promise<Void>> idleWaiters = new ArrayList<>();

  /**
   * @param maxBatch most messages per batch; 1 turns group commit off (one sync per message)
   */
  GroupCommitter(Vertx vertx, Spool spool, int maxBatch) {
    this.vertx = vertx;
    this.spool = spool;
    this.maxBatch = maxBatch;
  }

  /** Completes once the message is on stable storage. */
  Future<Void> store(SpooledMessage m, io.vertx.core.buffer.Buffer body) {
    Promise<Void> p = Promise.promise();
    waiting.add(new Pending(new Spool.Write(m, body), p));
    drain();
    return p.future();
  }

  /**
   * Completes once the state change is in the journal (synced, if it is {@link Spool.Mark#durable}).
   * A change that needs no sync of its own (a delivery under way, or ended) does not wait for the
   * round being synced: such changes go together in a short task of their own, one write.
   */
  Future<Void> mark(Spool.Mark mark) {
    Promise<Void> p = Promise.promise();
    if (mark.durable()) {
      marks.add(new PendingMark(mark, p));
      drain();
    } else {
      advisory.add(new PendingMark(mark, p));
      drainAdvisory();
    }
    return p.future();
  }

  private void drainAdvisory() {
    if (marking || advisory.isEmpty()) {
      tellIfIdle();
      return;
    }
    marking = true;
    List<PendingMark> changes = new ArrayList<>(advisory);
    advisory.clear();
    List<Spool.Mark> records = changes.stream().map(PendingMark::mark).toList();
    vertx.executeBlocking(() -> spool.commit(List.of(), records), false).onComplete(ar -> {
      Throwable failure = ar.failed() ? ar.cause() : ar.result().marks();
      settle(changes, failure);
      marking = false;
      drainAdvisory();
    });
  }

  /** Tells each state change of a round its outcome: the round's failure, or none. */
  private static void settle(List<PendingMark> changes, Throwable failure) {
    for (PendingMark m : changes) {
      if (failure == null) {
        m.done().complete();
      } else {
        m.done().fail(failure);
      }
    }
  }

  /** Completes once no round is being written and nothing waits for one. */
  Future<Void> idle() {
    if (isIdle()) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    idleWaiters.add(p);
    return p.future();
  }

  private boolean isIdle() {
    return !writing && !marking && waiting.isEmpty() && marks.isEmpty() && advisory.isEmpty();
  }

  private void tellIfIdle() {
    if (isIdle() && !idleWaiters.isEmpty()) {
      List<Promise<Void>> all = new ArrayList<>(idleWaiters);
      idleWaiters.clear();
      all.forEach(Promise::tryComplete);
    }
  }

  private void drain() {
    if (writing || (waiting.isEmpty() && marks.isEmpty())) {
      tellIfIdle();
      return;
    }
    writing = true;
    List<Pending> batch = new ArrayList<>(waiting.subList(0, Math.min(maxBatch, waiting.size())));
    waiting.subList(0, batch.size()).clear();
    List<PendingMark> changes = new ArrayList<>(marks);
    marks.clear();
    List<Spool.Write> writes = batch.stream().map(Pending::write).toList();
    List<Spool.Mark> records = changes.stream().map(PendingMark::mark).toList();
    vertx.executeBlocking(() -> spool.commit(writes, records), false).onComplete(ar -> {
      rounds++;
      if (!batch.isEmpty()) {
        batches++;
        messages += batch.size();
      }
      for (int i = 0; i < batch.size(); i++) {
        Throwable failure = ar.failed() ? ar.cause() : ar.result().writes().get(i);
        if (failure == null) {
          batch.get(i).done().complete();
        } else {
          batch.get(i).done().fail(failure);
        }
      }
      Throwable failure = ar.failed() ? ar.cause() : ar.result().marks();
      settle(changes, failure);
      writing = false;
      compactIfLarge();
      drain();
    });
  }

  /**
   * Compacts the journal beside the rounds, on a worker of its own, when it has grown large: a
   * round that comes meanwhile waits only for the short step that rewrites the live state.
   */
  private void compactIfLarge() {
    if (compacting || spool.journalSize() < spool.compactAt()) {
      return;
    }
    compacting = true;
    vertx.executeBlocking(spool::compactIfLarge, false).onComplete(ar -> {
      compacting = false;
      if (ar.failed()) {
        LOG.warning(() -> "journal compaction failed (retried after the next round): " + ar.cause());
      }
    });
  }

  long batches() {
    return batches;
  }

  long messages() {
    return messages;
  }

  /** Commit rounds so far: each one blocking task, with at most one journal fdatasync. */
  long rounds() {
    return rounds;
  }

  /** Average messages per sync so far: 1.0 means no sharing happened. */
  double averageBatch() {
    return batches == 0 ? 0 : (double) messages / batches;
  }
}

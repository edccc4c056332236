package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Group commit for the spool: while one round is being written and fsync'd on a worker, new
 * messages and state changes ({@link Spool.Mark}: recipients done, finished, in flight) wait and
 * then go together in the next round, so concurrent sessions and deliveries share syncs, and a
 * round is one blocking task however many messages and marks it carries. No timer is involved: a
 * lone message is written at once, and batching happens only when work arrives while the disk is
 * busy.
 *
 * <p>Messages and state changes take turns in two lanes of their own, side by side: a message's
 * round is its queue file's fsync and the directory's, a change's round the journal's fdatasync.
 * Rounds that carried both made every message wait for the journal too, and a message that came
 * just after such a round had begun waited for all three syncs of it before its own round (on the
 * disk measured, deploy/README.md "What the answer to the final dot waits for", the largest part
 * of the time from the final dot to the 250). A change never concerns a message whose round is
 * still running (the queue learns of a message only from its round's end), but should one, it
 * waits for that round, so that it is never applied before the message is stored.
 *
 * <p>Used from one event loop only (the queue verticle's), so it needs no locks.
 */
final class GroupCommitter {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private record Pending(Spool.Write write, Promise<Void> done) {}

  private record PendingMark(Spool.Mark mark, Promise<Void> done) {}

  /** What carries out the rounds: the {@link Spool} (blocking; called on workers), or a test's stand-in. */
  interface Rounds {
    Spool.Round commit(List<Spool.Write> writes, List<? extends Spool.Mark> marks);

    long journalSize();

    long compactAt();

    boolean compactIfLarge() throws IOException;

    /** Whether the store's files need looking after (a spare segment, old segments to remove or copy forward). */
    default boolean upkeepDue() {
      return false;
    }

    /** Looks after the store's files, beside the rounds (blocking). */
    default void upkeep() throws IOException {}
  }

  private final Vertx vertx;
  private final Rounds disk;
  private final int maxBatch;
  private final List<Pending> waiting = new ArrayList<>();
  private final List<PendingMark> marks = new ArrayList<>();
  private final List<PendingMark> advisory = new ArrayList<>();
  private boolean marking;
  private boolean writing;
  private boolean syncingMarks;
  /** The messages of the running store round: a change about one waits for that round. */
  private final Set<String> beingStored = new HashSet<>();
  private boolean compacting;
  private long batches;
  private long messages;
  private long rounds;
  private final List<Promise<Void>> idleWaiters = new ArrayList<>();

  /**
   * @param maxBatch most messages per batch; 1 turns group commit off (one sync per message)
   */
  GroupCommitter(Vertx vertx, Rounds rounds, int maxBatch) {
    this.vertx = vertx;
    this.disk = rounds;
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
      drainMarks();
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
    vertx.executeBlocking(() -> disk.commit(List.of(), records), false).onComplete(ar -> {
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
    return !writing && !syncingMarks && !marking && waiting.isEmpty() && marks.isEmpty() && advisory.isEmpty();
  }

  private void tellIfIdle() {
    if (isIdle() && !idleWaiters.isEmpty()) {
      List<Promise<Void>> all = new ArrayList<>(idleWaiters);
      idleWaiters.clear();
      all.forEach(Promise::tryComplete);
    }
  }

  /** Starts a store round if none is running and messages wait. */
  private void drain() {
    if (writing || waiting.isEmpty()) {
      tellIfIdle();
      return;
    }
    writing = true;
    List<Pending> batch = new ArrayList<>(waiting.subList(0, Math.min(maxBatch, waiting.size())));
    waiting.subList(0, batch.size()).clear();
    List<Spool.Write> writes = batch.stream().map(Pending::write).toList();
    writes.forEach(w -> beingStored.add(w.message().queueId()));
    vertx.executeBlocking(() -> disk.commit(writes, List.of()), false).onComplete(ar -> {
      rounds++;
      batches++;
      messages += batch.size();
      for (int i = 0; i < batch.size(); i++) {
        Throwable failure = ar.failed() ? ar.cause() : ar.result().writes().get(i);
        if (failure == null) {
          batch.get(i).done().complete();
        } else {
          batch.get(i).done().fail(failure);
        }
      }
      beingStored.clear();
      writing = false;
      compactIfLarge();
      drainMarks(); // a change held back for one of these messages
      drain();
    });
  }

  /** Starts a round of durable state changes if none is running and changes wait. */
  private void drainMarks() {
    if (syncingMarks || marks.isEmpty()
        || marks.stream().anyMatch(m -> beingStored.contains(m.mark().queueId()))) {
      tellIfIdle();
      return;
    }
    syncingMarks = true;
    List<PendingMark> changes = new ArrayList<>(marks);
    marks.clear();
    List<Spool.Mark> records = changes.stream().map(PendingMark::mark).toList();
    vertx.executeBlocking(() -> disk.commit(List.of(), records), false).onComplete(ar -> {
      rounds++;
      settle(changes, ar.failed() ? ar.cause() : ar.result().marks());
      syncingMarks = false;
      compactIfLarge();
      drainMarks();
    });
  }

  /**
   * Compacts the journal when it has grown large, and looks after the segments (a new spare, old
   * ones removed or copied forward), beside the rounds, on a worker of its own: a round that comes
   * meanwhile waits at most for one short step (the journal's rewrite of the live state, or a copy's
   * append to the segment).
   */
  private void compactIfLarge() {
    boolean upkeep = disk.upkeepDue();
    if (compacting || (!upkeep && disk.journalSize() < disk.compactAt())) {
      return;
    }
    compacting = true;
    vertx.executeBlocking(() -> {
      if (upkeep) {
        disk.upkeep();
      }
      return disk.compactIfLarge();
    }, false).onComplete(ar -> {
      compacting = false;
      if (ar.failed()) {
        LOG.warning(() -> "spool upkeep failed (retried after the next round): " + ar.cause());
      }
    });
  }

  long batches() {
    return batches;
  }

  long messages() {
    return messages;
  }

  /** Commit rounds so far (of messages and of changes): each one blocking task. */
  long rounds() {
    return rounds;
  }

  /** Average messages per sync so far: 1.0 means no sharing happened. */
  double averageBatch() {
    return batches == 0 ? 0 : (double) messages / batches;
  }
}

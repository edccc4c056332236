package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * Group commit for the spool: while one batch is being written and fsync'd on a worker, new
 * messages wait and then go together in the next batch, so concurrent sessions share syncs and
 * throughput grows with concurrency. No timer is involved: a lone message is written at once, and
 * batching happens only when messages arrive while the disk is busy.
 *
 * <p>Used from one event loop only (the queue verticle's), so it needs no locks.
 */
final class GroupCommitter {

  private record Pending(Spool.Write write, Promise<Void> done) {}

  private final Vertx vertx;
  private final Spool spool;
  private final int maxBatch;
  private final List<Pending> waiting = new ArrayList<>();
  private boolean writing;
  private long batches;
  private long messages;

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

  private void drain() {
    if (writing || waiting.isEmpty()) {
      return;
    }
    writing = true;
    List<Pending> batch = new ArrayList<>(waiting.subList(0, Math.min(maxBatch, waiting.size())));
    waiting.subList(0, batch.size()).clear();
    List<Spool.Write> writes = batch.stream().map(Pending::write).toList();
    vertx.executeBlocking(() -> spool.storeAll(writes), false).onComplete(ar -> {
      batches++;
      messages += batch.size();
      for (int i = 0; i < batch.size(); i++) {
        Throwable failure = ar.failed() ? ar.cause() : ar.result().get(i);
        if (failure == null) {
          batch.get(i).done().complete();
        } else {
          batch.get(i).done().fail(failure);
        }
      }
      writing = false;
      drain();
    });
  }

  long batches() {
    return batches;
  }

  long messages() {
    return messages;
  }

  /** Average messages per sync so far: 1.0 means no sharing happened. */
  double averageBatch() {
    return batches == 0 ? 0 : (double) messages / batches;
  }
}

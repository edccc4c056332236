package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postern.bus.QueueIds;

/**
 * Group commit's two lanes: a message's round does not wait for a round of state changes being
 * synced, and a change about a message whose round is running is applied only after that round.
 * The spool is a stand-in whose rounds block until the test lets them go.
 */
class GroupCommitterTest {

  private Vertx vertx;
  private Context context;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A spool whose message rounds and change rounds each block until released. */
  private static final class HeldRounds implements GroupCommitter.Rounds {
    final CountDownLatch storeStarted = new CountDownLatch(1);
    final CountDownLatch releaseStores = new CountDownLatch(1);
    final CountDownLatch marksStarted = new CountDownLatch(1);
    final CountDownLatch releaseMarks = new CountDownLatch(1);
    final List<String> stored = Collections.synchronizedList(new ArrayList<>());
    /** Changes applied to a message not stored yet: what the spool would skip, and so lose. */
    final List<String> tooEarly = Collections.synchronizedList(new ArrayList<>());

    @Override
    public Spool.Round commit(List<Spool.Write> writes, List<? extends Spool.Mark> marks) {
      try {
        if (!writes.isEmpty()) {
          storeStarted.countDown();
          releaseStores.await(30, TimeUnit.SECONDS);
          writes.forEach(w -> stored.add(w.message().queueId()));
        }
        if (!marks.isEmpty()) {
          marks.stream().map(Spool.Mark::queueId).filter(id -> !stored.contains(id)).forEach(tooEarly::add);
          marksStarted.countDown();
          releaseMarks.await(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      List<java.io.IOException> ok = new ArrayList<>(Collections.nCopies(writes.size(), null));
      return new Spool.Round(ok, null);
    }

    @Override
    public long journalSize() {
      return 0;
    }

    @Override
    public long compactAt() {
      return Long.MAX_VALUE;
    }

    @Override
    public boolean compactIfLarge() {
      return false;
    }
  }

  /** Runs {@code call} on the committer's event loop and hands back the future it returns. */
  private <T> CompletableFuture<T> on(Supplier<Future<T>> call) {
    CompletableFuture<T> out = new CompletableFuture<>();
    context.runOnContext(v -> call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        out.complete(ar.result());
      } else {
        out.completeExceptionally(ar.cause());
      }
    }));
    return out;
  }

  private static Spool.Write write(String id) {
    return new Spool.Write(SpoolTest.message(id), Buffer.buffer("Subject: t\r\n\r\nbody\r\n"));
  }

  @Test
  void aMessageIsStoredWhileARoundOfChangesIsSyncing() throws Exception {
    HeldRounds disk = new HeldRounds();
    disk.releaseStores.countDown();
    GroupCommitter committer = new GroupCommitter(vertx, disk, 256);
    String earlier = QueueIds.next();
    disk.stored.add(earlier);
    CompletableFuture<Void> change = on(() -> committer.mark(new Spool.Finished(earlier)));
    assertTrue(disk.marksStarted.await(10, TimeUnit.SECONDS), "the round of changes began");

    Spool.Write w = write(QueueIds.next());
    on(() -> committer.store(w.message(), w.body())).get(10, TimeUnit.SECONDS);
    assertFalse(change.isDone(), "the change's round is still syncing");
    assertTrue(disk.stored.contains(w.message().queueId()));

    disk.releaseMarks.countDown();
    change.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aChangeAboutAMessageBeingStoredWaitsForItsRound() throws Exception {
    HeldRounds disk = new HeldRounds();
    disk.releaseMarks.countDown();
    GroupCommitter committer = new GroupCommitter(vertx, disk, 256);
    Spool.Write w = write(QueueIds.next());
    CompletableFuture<Void> stored = on(() -> committer.store(w.message(), w.body()));
    assertTrue(disk.storeStarted.await(10, TimeUnit.SECONDS), "the message's round began");
    CompletableFuture<Void> change = on(() -> committer.mark(new Spool.Finished(w.message().queueId())));
    // Queued behind the running round on the same event loop: once this runs, mark() has run too.
    on(() -> Future.succeededFuture()).get(10, TimeUnit.SECONDS);

    disk.releaseStores.countDown();
    stored.get(10, TimeUnit.SECONDS);
    change.get(10, TimeUnit.SECONDS);
    assertEquals(List.of(), disk.tooEarly, "changes applied before their message was stored");
    on(committer::idle).get(10, TimeUnit.SECONDS);
  }
}

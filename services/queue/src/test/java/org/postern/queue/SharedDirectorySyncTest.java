package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directory syncs shared by the threads that ask for one while another is running. */
class SharedDirectorySyncTest {

  @TempDir
  Path dir;

  private static void awaitRequested(SharedDirectorySync s, Path dir, long n) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (s.requested(dir) < n) {
      assertTrue(System.currentTimeMillis() < deadline, "requests: " + s.requested(dir));
      Thread.sleep(5);
    }
  }

  /**
   * A syncer whose first call signals {@code firstStarted} and then waits for {@code release}
   * before doing {@code first}; later calls do {@code then}. Counts calls in {@code calls}.
   */
  private static SharedDirectorySync.Syncer firstCallHeld(CountDownLatch firstStarted, CountDownLatch release,
      AtomicInteger calls, SharedDirectorySync.Syncer first, SharedDirectorySync.Syncer then) {
    return d -> {
      if (calls.incrementAndGet() > 1) {
        then.sync(d);
        return;
      }
      firstStarted.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      first.sync(d);
    };
  }

  @Test
  void requestsMadeDuringASyncShareTheNextOne() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger real = new AtomicInteger();
    SharedDirectorySync s = new SharedDirectorySync(
        firstCallHeld(firstStarted, release, real, Spool::syncDirectory, Spool::syncDirectory));
    ExecutorService pool = Executors.newFixedThreadPool(5);
    try {
      List<Future<?>> done = new ArrayList<>();
      done.add(pool.submit(() -> {
        s.sync(dir);
        return null;
      }));
      assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
      for (int i = 0; i < 4; i++) {
        done.add(pool.submit(() -> {
          s.sync(dir);
          return null;
        }));
      }
      awaitRequested(s, dir, 5);
      release.countDown();
      for (Future<?> f : done) {
        f.get(10, TimeUnit.SECONDS);
      }
      assertEquals(2, s.syncs(), "the first sync, then one for the four that asked while it ran");
      assertEquals(2, real.get());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailedSyncFailsItsCallerAndTheOthersSyncAgain() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    SharedDirectorySync s = new SharedDirectorySync(firstCallHeld(firstStarted, release, calls, d -> {
      throw new IOException("EIO");
    }, d -> { }));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<?> first = pool.submit(() -> {
        s.sync(dir);
        return null;
      });
      assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
      Future<?> second = pool.submit(() -> {
        s.sync(dir);
        return null;
      });
      awaitRequested(s, dir, 2);
      release.countDown();
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> first.get(10, TimeUnit.SECONDS));
      assertInstanceOf(IOException.class, e.getCause());
      second.get(10, TimeUnit.SECONDS);
      assertEquals(2, calls.get(), "the waiting caller synced again itself");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aRealReplicaCommitUsesIt() throws Exception {
    Spool spool = new Spool(dir);
    ReplicaArea area = new ReplicaArea(dir, spool.tmpDir());
    String id = org.postern.bus.QueueIds.next();
    io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer("Subject: r\r\n\r\nx\r\n");
    ReplicaArea.Incoming in = area.begin("node-a", SpoolTest.message(id), body.length());
    area.append(in, body);
    area.commit(in);
    assertTrue(Files.exists(area.file("node-a", id)));
    assertEquals(1, area.directorySyncs());
  }
}

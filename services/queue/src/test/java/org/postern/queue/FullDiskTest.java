package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ClientInfo;
import org.postern.bus.Contracts;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.QueueIds;
import org.postern.bus.SpaceReservation;
import org.postern.config.ConfigLoader;
import org.postern.smtp.Envelope;
import org.postern.smtp.Reply;

/**
 * The spool on a real, small file system (a 2 MiB tmpfs mounted for the test; needs root, which CI
 * has): new mail is refused with 452 4.3.1 below the threshold, a truly full disk fails the write
 * with 451 and leaves nothing half-written, and mail already queued survives both.
 */
class FullDiskTest {

  @TempDir
  Path mountPoint;

  private Vertx vertx;

  @BeforeEach
  void mount() throws Exception {
    run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.toString());
    vertx = Vertx.vertx();
  }

  @AfterEach
  void unmount() throws Exception {
    // The queue holds the spool open until its Vert.x instance is gone.
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    run("umount", mountPoint.toString());
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed (the test needs root): " + out);
  }

  private static EnqueueRequest message(int size) {
    Envelope env = new Envelope(org.postern.smtp.Path.parseMailbox("a@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("b@example.net")), Map.of());
    return new EnqueueRequest(QueueIds.next(), env, new ClientInfo("127.0.0.1", "c.test", "ESMTP", null),
        Buffer.buffer(new byte[size]));
  }

  /** Enqueues until refused; returns the refusal as an SMTP reply. */
  private Reply fill(String minFree, int size, List<String> accepted) throws Exception {
    var cfg = ConfigLoader.load(null, List.of("queue.spool_dir=" + mountPoint.resolve("spool"),
        "queue.min_free_space=" + minFree)).queue();
    Contracts.register(vertx);
    vertx.deployVerticle(new QueueVerticle(cfg, "mx.test", Clock.systemUTC())).toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    for (int i = 0; i < 100; i++) {
      EnqueueRequest req = message(size);
      try {
        Contracts.request(vertx, EnqueueRequest.ADDRESS, req, Duration.ofSeconds(10), EnqueueReceipt.class)
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        accepted.add(req.queueId());
        // The free-space figure is refreshed every second; wait for a fresh one before the next.
        vertx.timer(1100).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        return Contracts.replyOf(e.getCause(), null);
      }
    }
    throw new AssertionError("never refused");
  }

  @Test
  void belowTheThresholdNewMailGets452AndQueuedMailIsKept() throws Exception {
    List<String> accepted = new java.util.ArrayList<>();
    Reply refusal = fill("1m", 300 * 1024, accepted);
    assertEquals(Reply.of(452, "4.3.1", "Insufficient system storage"), refusal);
    assertTrue(accepted.size() >= 2, "some mail fit before the threshold: " + accepted);
    List<Spool.Loaded> kept = new Spool(mountPoint.resolve("spool")).recover();
    assertEquals(accepted.size(), kept.size(), "every acknowledged message is intact on disk");
  }

  private QueueVerticle deploy(String minFree) throws Exception {
    var cfg = ConfigLoader.load(null, List.of("queue.spool_dir=" + mountPoint.resolve("spool"),
        "queue.min_free_space=" + minFree)).queue();
    Contracts.register(vertx);
    QueueVerticle q = new QueueVerticle(cfg, "mx.test", Clock.systemUTC());
    vertx.deployVerticle(q).await(10, TimeUnit.SECONDS);
    return q;
  }

  private long usable() throws Exception {
    return Files.getFileStore(mountPoint).getUsableSpace();
  }

  @Test
  void aBurstOfStoresCannotPassTheThreshold() throws Exception {
    deploy("1m");
    // 40 at once, well within the second in which the free-space figure is not read again.
    List<io.vertx.core.Future<EnqueueReceipt>> all = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add(Contracts.request(vertx, EnqueueRequest.ADDRESS, message(100 * 1024), Duration.ofSeconds(10),
          EnqueueReceipt.class));
    }
    io.vertx.core.Future.join(all).otherwiseEmpty().await(20, TimeUnit.SECONDS);
    long accepted = all.stream().filter(io.vertx.core.Future::succeeded).count();
    assertTrue(accepted >= 1, "some fit");
    for (var f : all) {
      if (f.failed()) {
        assertEquals(Reply.of(452, "4.3.1", "Insufficient system storage"), Contracts.replyOf(f.cause(), null));
      }
    }
    assertTrue(usable() >= 1024 * 1024, "still above queue.min_free_space: " + usable() + " free after "
        + accepted + " accepted");
  }

  private io.vertx.core.Future<SpaceReservation> reserve(long octets) {
    return Contracts.requestLocal(vertx, SpaceReservation.ADDRESS, new SpaceReservation(SpaceReservation.Kind.RESERVE,
        java.util.UUID.randomUUID().toString(), octets), Duration.ofSeconds(5), SpaceReservation.class);
  }

  @Test
  void reservationsAtMailShareTheRoomAboveTheThresholdAndReleasesGiveItBack() throws Exception {
    deploy("1m");
    long room = usable() - 1024 * 1024;
    List<io.vertx.core.Future<SpaceReservation>> asked = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      asked.add(reserve(100 * 1024));
    }
    io.vertx.core.Future.join(asked).otherwiseEmpty().await(10, TimeUnit.SECONDS);
    List<SpaceReservation> granted = asked.stream().filter(io.vertx.core.Future::succeeded)
        .map(io.vertx.core.Future::result).toList();
    assertTrue(!granted.isEmpty() && granted.size() < 40, granted.size() + " of 40 granted");
    assertTrue(granted.size() * (100 * 1024 + SpoolSpace.OVERHEAD) <= room, "the granted fit in " + room);
    for (var f : asked) {
      if (f.failed()) {
        assertEquals(Reply.of(452, "4.3.1", "Insufficient system storage"), Contracts.replyOf(f.cause(), null));
      }
    }
    assertTrue(waitFailed(reserve(100 * 1024)), "no room left");
    vertx.eventBus().publish(SpaceReservation.RELEASE_ADDRESS,
        new SpaceReservation(SpaceReservation.Kind.RELEASE, granted.get(0).id(), 0));
    assertEquals(100 * 1024, reserve(100 * 1024).await(5, TimeUnit.SECONDS).octets(), "a release gives the room back");
  }

  private static boolean waitFailed(io.vertx.core.Future<?> f) throws Exception {
    try {
      f.await(5, TimeUnit.SECONDS);
      return false;
    } catch (Exception e) {
      return true;
    }
  }

  @Test
  void aSpoolFileSystemSmallerThanTheThresholdIsReportedAtStart() throws Exception {
    List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        if (r.getLevel() == java.util.logging.Level.WARNING) {
          warnings.add(r.getMessage());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("postern.queue");
    log.addHandler(h);
    try {
      deploy("3m");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (warnings.stream().noneMatch(w -> w.contains("queue.min_free_space")) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(warnings.stream().anyMatch(w -> w.contains("the file system of queue.spool_dir " + mountPoint.resolve("spool")
          + " holds 2097152 octets in all, less than queue.min_free_space 3145728")), warnings.toString());
    } finally {
      log.removeHandler(h);
    }
  }

  @Test
  void aFullDiskFailsTheWriteWith451AndLeavesNoPartialFile() throws Exception {
    List<String> accepted = new java.util.ArrayList<>();
    Reply refusal = fill("0", 700 * 1024, accepted);
    assertEquals(Reply.of(451, "4.3.0", "Error: queue file write error"), refusal, "a failed write is temporary");
    List<Spool.Loaded> kept = new Spool(mountPoint.resolve("spool")).recover();
    assertEquals(accepted.size(), kept.size(), "only acknowledged messages exist, all whole");
    try (var tmp = Files.list(mountPoint.resolve("spool/tmp"))) {
      assertEquals(0, tmp.count());
    }
  }
}

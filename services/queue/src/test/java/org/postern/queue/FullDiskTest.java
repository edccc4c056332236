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

package org.postern.bus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bodies cross a real event bus in bounded, ordered, acknowledged chunks; a gap or a repeat is caught. */
class BodyTransferTest {

  Vertx vertx;
  /** Every chunk that went out on the bus, as the outbound interceptor saw it. */
  final List<BodyChunk> wire = java.util.Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Contracts.register(vertx);
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().body() instanceof BodyChunk c) {
        wire.add(c);
      }
      ctx.next();
    });
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A sink that keeps what it is given, counts overlapping writes, and records how it ended. */
  static final class Collecting implements BodyTransfer.Sink {
    final Buffer got = Buffer.buffer();
    final AtomicReference<String> outcome = new AtomicReference<>();
    /** Completes with the outcome when the transfer ends either way. */
    final java.util.concurrent.CompletableFuture<String> finished = new java.util.concurrent.CompletableFuture<>();
    final MessageDigest sha;
    final boolean keep;
    final Vertx vertx;

    Collecting(Vertx vertx, boolean keep) throws Exception {
      this.vertx = vertx;
      this.keep = keep;
      this.sha = MessageDigest.getInstance("SHA-256");
    }

    @Override
    public Future<Void> write(Buffer data) {
      if (outcome.get() != null) {
        return Future.failedFuture("write after " + outcome.get());
      }
      if (keep) {
        got.appendBuffer(data);
      }
      sha.update(data.getBytes());
      // Completes on a later turn of the loop, as a disk write would: the sender must wait for it.
      Promise<Void> p = Promise.promise();
      vertx.setTimer(1, t -> p.complete());
      return p.future();
    }

    @Override
    public Future<Void> end() {
      outcome.set("ended");
      finished.complete("ended");
      return Future.succeededFuture();
    }

    @Override
    public void abort(String reason) {
      outcome.set("aborted: " + reason);
      finished.complete(outcome.get());
    }
  }

  private Collecting receive(String address, BodyTransfer.Options options, boolean keep) throws Exception {
    Collecting sink = new Collecting(vertx, keep);
    BodyTransfer.receive(vertx, address, (id, total) -> Future.succeededFuture(sink), options)
        .await(10, TimeUnit.SECONDS);
    return sink;
  }

  @Test
  void aBodyArrivesWholeInOrderedChunksNoneLargerThanTheBound() throws Exception {
    BodyTransfer.Options options = BodyTransfer.Options.defaults().withChunkSize(64 * 1024).withWindow(3);
    Collecting sink = receive("test.body", options, true);
    byte[] body = new byte[1024 * 1024 + 17];
    new Random(1).nextBytes(body);
    BodyTransfer.send(vertx, "test.body", "A1", Buffer.buffer(body), options).await(30, TimeUnit.SECONDS);

    assertArrayEquals(body, sink.got.getBytes());
    assertEquals("ended", sink.outcome.get());
    assertEquals(17, wire.size(), "16 full chunks and one of 17 octets");
    long offset = 0;
    for (BodyChunk c : wire) {
      assertTrue(c.data().length() <= 64 * 1024, "chunk of " + c.data().length());
      assertEquals(offset, c.offset(), "chunks go out in order");
      offset = c.end();
    }
  }

  @Test
  void anEmptyBodyIsOneEmptyChunk() throws Exception {
    Collecting sink = receive("test.empty", BodyTransfer.Options.defaults(), true);
    BodyTransfer.send(vertx, "test.empty", "E", Buffer.buffer(), BodyTransfer.Options.defaults())
        .await(10, TimeUnit.SECONDS);
    assertEquals(1, wire.size());
    assertEquals("ended", sink.outcome.get());
    assertEquals(0, sink.got.length());
  }

  @Test
  void fiftyMegabytesCrossWithNeverMoreThanTheWindowInFlight() throws Exception {
    BodyTransfer.Options options = BodyTransfer.Options.defaults();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    // Sent and not yet acknowledged, measured where chunks leave and where acknowledgements arrive.
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().body() instanceof BodyChunk) {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      } else if (ctx.message().body() instanceof BodyChunkAck) {
        inFlight.decrementAndGet();
      }
      ctx.next();
    });
    Collecting sink = receive("test.big", options, false);
    byte[] body = new byte[50 * 1024 * 1024];
    new Random(2).nextBytes(body);
    BodyTransfer.send(vertx, "test.big", "BIG", Buffer.buffer(body), options).await(120, TimeUnit.SECONDS);

    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(body), sink.sha.digest());
    assertEquals(200, wire.size(), "50 MiB in 256 KiB chunks");
    assertTrue(wire.stream().allMatch(c -> c.data().length() <= BodyChunk.MAX_CHUNK));
    assertTrue(maxInFlight.get() <= options.window(), "in flight at most the window: " + maxInFlight.get());
    assertTrue(maxInFlight.get() > 1, "the window was used: " + maxInFlight.get());
  }

  private ReplyException refusal(BodyChunk chunk) {
    Throwable t = assertThrows(Exception.class, () -> Contracts.request(vertx, "test.raw", chunk, Duration.ofSeconds(10),
        BodyChunkAck.class).await(10, TimeUnit.SECONDS));
    while (!(t instanceof ReplyException) && t.getCause() != null) {
      t = t.getCause();
    }
    return (ReplyException) t;
  }

  private static BodyChunk chunk(String id, int offset, int length, int total) {
    return new BodyChunk(id, offset, total, Buffer.buffer(new byte[length]));
  }

  @Test
  void aLostChunkIsDetectedAndTheTransferAborted() throws Exception {
    Collecting sink = receive("test.raw", BodyTransfer.Options.defaults(), true);
    assertEquals(10, Contracts.request(vertx, "test.raw", chunk("L", 0, 10, 30), Duration.ofSeconds(10),
        BodyChunkAck.class).await(10, TimeUnit.SECONDS).received());
    ReplyException e = refusal(chunk("L", 20, 10, 30)); // [10, 20) never came
    assertEquals(409, e.failureCode());
    assertTrue(e.getMessage().contains("expected offset 10"), e.getMessage());
    assertTrue(sink.outcome.get().startsWith("aborted: "), sink.outcome.get());
    // What follows the gap finds no open transfer.
    assertTrue(refusal(chunk("L", 20, 10, 30)).getMessage().contains("is not open"));
  }

  @Test
  void aRepeatedChunkIsDetected() throws Exception {
    Collecting sink = receive("test.raw", BodyTransfer.Options.defaults(), true);
    Contracts.request(vertx, "test.raw", chunk("D", 0, 10, 30), Duration.ofSeconds(10), BodyChunkAck.class)
        .await(10, TimeUnit.SECONDS);
    ReplyException e = refusal(chunk("D", 0, 10, 30));
    assertEquals(409, e.failureCode());
    assertTrue(e.getMessage().contains("lost, repeated or reordered"), e.getMessage());
    assertTrue(sink.outcome.get().startsWith("aborted: "), sink.outcome.get());
  }

  @Test
  void aTransferLeftIdleIsAborted() throws Exception {
    BodyTransfer.Options options = new BodyTransfer.Options(1024, 1, Duration.ofSeconds(5), Duration.ofMillis(200));
    Collecting sink = receive("test.raw", options, true);
    Contracts.request(vertx, "test.raw", chunk("I", 0, 10, 30), Duration.ofSeconds(10), BodyChunkAck.class)
        .await(10, TimeUnit.SECONDS);
    String outcome = sink.finished.get(10, TimeUnit.SECONDS);
    assertTrue(outcome.contains("no chunk for 200 ms"), outcome);
  }

  @Test
  void aRefusedTransferFailsTheSender() throws Exception {
    BodyTransfer.receive(vertx, "test.refuse", (id, total) -> Future.failedFuture("no offer for " + id),
        BodyTransfer.Options.defaults()).await(10, TimeUnit.SECONDS);
    Exception e = assertThrows(Exception.class, () -> BodyTransfer.send(vertx, "test.refuse", "R",
        Buffer.buffer("x".repeat(1000)), BodyTransfer.Options.defaults()).await(10, TimeUnit.SECONDS));
    assertTrue(String.valueOf(e.getMessage()).contains("no offer for R"), String.valueOf(e.getMessage()));
  }

  @Test
  void chunksAreValidatedAndSurviveTheWire() {
    BodyChunk c = new BodyChunk("Q1", 5, 9, Buffer.buffer("abcd"));
    Buffer wireBytes = Buffer.buffer();
    BodyChunk.CODEC.encodeToWire(wireBytes, c);
    BodyChunk back = BodyChunk.CODEC.decodeFromWire(0, wireBytes);
    assertEquals(c.transferId(), back.transferId());
    assertEquals(c.offset(), back.offset());
    assertEquals(c.total(), back.total());
    assertEquals("abcd", back.data().toString());
    assertTrue(back.last());
    assertThrows(IllegalArgumentException.class, () -> new BodyChunk("Q1", 0, 1 << 20,
        Buffer.buffer(new byte[BodyChunk.MAX_CHUNK + 1])));
    assertThrows(IllegalArgumentException.class, () -> new BodyChunk("../etc", 0, 1, Buffer.buffer("a")));
    assertThrows(IllegalArgumentException.class, () -> new BodyChunk("Q1", 8, 9, Buffer.buffer("ab")));
    assertThrows(IllegalArgumentException.class, () -> new BodyChunk("Q1", 0, 9, Buffer.buffer()));
    assertThrows(IllegalArgumentException.class, () -> new BodyTransfer.Options(BodyChunk.MAX_CHUNK + 1, 1,
        Duration.ofSeconds(1), Duration.ofSeconds(1)));
    // A wire frame that claims more data than the bound is refused before any allocation.
    Buffer hostile = Buffer.buffer().appendInt(2).appendString("Q1").appendLong(0).appendLong(1 << 20)
        .appendInt(BodyChunk.MAX_CHUNK + 1);
    assertThrows(IllegalArgumentException.class, () -> BodyChunk.CODEC.decodeFromWire(0, hostile));
  }
}

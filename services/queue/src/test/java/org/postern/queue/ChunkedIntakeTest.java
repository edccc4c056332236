package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.BodyChunk;
import org.postern.bus.BodyChunkAck;
import org.postern.bus.EnqueueInline;
import org.postern.bus.BodyTransfer;
import org.postern.bus.ClientInfo;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.EnqueueCommit;
import org.postern.bus.EnqueueOffer;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.EnqueueTarget;
import org.postern.bus.JsonCodec;
import org.postern.bus.QueueHandoff;
import org.postern.bus.QueueIds;
import org.postern.config.ConfigLoader;
import org.postern.smtp.Envelope;
import org.postern.smtp.Reply;
import org.postern.testkit.FreePorts;
import org.postern.testkit.LoopbackCluster;

/**
 * Two real clustered Vert.x instances (Hazelcast on loopback): A has no queue, B runs one. A body
 * handed over on A crosses to B in chunks, every event-bus message A sends is bounded, and B stores
 * and hands the very same octets to its own outbound; a broken transfer leaves neither message nor
 * file; a local handoff passes the record by reference.
 */
class ChunkedIntakeTest {

  @TempDir
  static Path dir;
  static Vertx a;
  static Vertx b;
  static QueueVerticle queue;
  /** What A put on the bus: each message's type and size as encoded for the wire. */
  static final List<Map.Entry<String, Integer>> sentByA = new CopyOnWriteArrayList<>();
  static final List<DeliveryRequest> delivered = new CopyOnWriteArrayList<>();

  record View(String nodeId, String memberId, Set<String> liveMembers) implements ClusterView {}

  @BeforeAll
  static void cluster() throws Exception {
    int[] ports = {FreePorts.loopback(), FreePorts.loopback()};
    String name = "postern-chunks-" + UUID.randomUUID();
    a = join(name, ports[0], ports);
    b = join(name, ports[1], ports);
    a.eventBus().addOutboundInterceptor(ctx -> {
      Object body = ctx.body();
      sentByA.add(Map.entry(body == null ? "null" : body.getClass().getSimpleName(), wireSize(body)));
      ctx.next();
    });
    // B's outbound: records what the queue hands it, and reports a temporary failure, so the message
    // stays in B's spool (a report of "sent" would let the queue delete it before the test looks).
    b.eventBus().<DeliveryRequest>localConsumer(DeliveryRequest.ADDRESS, m -> {
      delivered.add(m.body());
      m.reply(new DeliveryReport(m.body().queueId(), m.body().recipients().stream()
          .map(r -> new RecipientResult(r, DeliveryReport.Status.DEFERRED, Reply.of(451, "4.3.0", "later"),
              "sink[127.0.0.1]:25"))
          .toList()));
    });
    queue = new QueueVerticle(ConfigLoader.load(null, List.of("queue.spool_dir=" + dir.resolve("b"),
        "queue.replicas=0")).queue(), "mx.test", Clock.systemUTC(), new View("node-b", "m-b", Set.of("m-a", "m-b")));
    b.deployVerticle(queue).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void leave() throws Exception {
    for (Vertx v : new Vertx[] {a, b}) {
      if (v != null) {
        v.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  /** The size of a message as the codec puts it on the wire. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int wireSize(Object body) {
    Buffer wire = Buffer.buffer();
    if (body instanceof BodyChunk c) {
      BodyChunk.CODEC.encodeToWire(wire, c);
      return wire.length();
    }
    for (JsonCodec codec : Contracts.CODECS) {
      if (codec.type().isInstance(body)) {
        codec.encodeToWire(wire, body);
        return wire.length();
      }
    }
    return -1;
  }

  private static EnqueueRequest request(String id, Buffer body) {
    Envelope env = new Envelope(org.postern.smtp.Path.parseMailbox("a@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("b@example.net")), Map.of());
    return new EnqueueRequest(id, env, new ClientInfo("127.0.0.1", "client.test", "ESMTP", null), body);
  }

  @Test
  void aBodyCrossesInBoundedChunksAndReachesTheQueuesOwnOutboundWhole() throws Exception {
    // 3 MB of varied octets: 12 chunks of 256 KiB, the last one shorter.
    byte[] octets = new byte[3_000_000];
    new java.util.Random(8).nextBytes(octets);
    Buffer body = Buffer.buffer("Subject: big\r\n\r\n").appendBytes(octets);
    String id = QueueIds.next();
    sentByA.clear();
    EnqueueReceipt receipt = QueueHandoff.remote(a, Duration.ofSeconds(30), BodyTransfer.Options.defaults())
        .enqueue(request(id, body)).await(60, TimeUnit.SECONDS);
    assertEquals(id, receipt.queueId());
    assertTrue(OnDisk.holds(dir.resolve("b"), id), "durable on B before the receipt");

    long chunks = sentByA.stream().filter(e -> e.getKey().equals("BodyChunk")).count();
    assertEquals(QueueHandoff.chunks(body.length(), BodyChunk.MAX_CHUNK), chunks, sentByA.toString());
    assertTrue(chunks > 10, "chunks: " + chunks);
    assertEquals(List.of("BodyChunk", "EnqueueCommit", "EnqueueOffer"),
        sentByA.stream().map(Map.Entry::getKey).distinct().sorted().toList(), "A sent no EnqueueRequest");
    int largest = sentByA.stream().mapToInt(Map.Entry::getValue).max().orElseThrow();
    assertTrue(largest > 0 && largest <= BodyChunk.MAX_CHUNK + 200, "largest message A sent: " + largest);
    assertEquals(chunks, queue.intakeCounters().get("chunked_body_chunks").getAsLong());

    DeliveryRequest d = awaitDelivery(id);
    assertArrayEquals(body.getBytes(), d.body().read(0, (int) d.body().length()).await(10, TimeUnit.SECONDS).getBytes(),
        "the outbound got the octets inbound had");
    assertNull(d.body().inMemory(), "the outbound reads the body from the spool, not from memory");
    try (Stream<Path> left = Files.list(dir.resolve("b/tmp"))) {
      assertEquals(List.of(), left.toList(), "no temporary file is left");
    }
  }

  @Test
  void aSmallBodyCrossesWholeInOneRequestAndOneOctetMoreGoesInChunks() throws Exception {
    byte[] filler = new byte[EnqueueInline.MAX_BODY - 20];
    java.util.Arrays.fill(filler, (byte) 'z');
    Buffer small = Buffer.buffer("Subject: s\r\n\r\n").appendBytes(filler);
    small.appendString("x".repeat(EnqueueInline.MAX_BODY - small.length()));
    assertEquals(EnqueueInline.MAX_BODY, small.length());
    long inlineBefore = queue.intakeCounters().get("inline_bodies").getAsLong();
    long chunkedBefore = queue.intakeCounters().get("chunked_bodies").getAsLong();

    String id = QueueIds.next();
    sentByA.clear();
    QueueHandoff remote = QueueHandoff.remote(a, Duration.ofSeconds(30), BodyTransfer.Options.defaults());
    assertEquals(id, remote.enqueue(request(id, small)).await(30, TimeUnit.SECONDS).queueId());
    assertEquals(List.of("EnqueueInline"), sentByA.stream().map(Map.Entry::getKey).toList(), "one request, nothing else");
    assertTrue(sentByA.get(0).getValue() < BodyChunk.MAX_CHUNK, "bounded: " + sentByA.get(0).getValue());
    assertEquals(inlineBefore + 1, queue.intakeCounters().get("inline_bodies").getAsLong());
    DeliveryRequest d = awaitDelivery(id);
    assertArrayEquals(small.getBytes(), d.body().read(0, (int) d.body().length()).await(10, TimeUnit.SECONDS).getBytes());

    String bigger = QueueIds.next();
    sentByA.clear();
    Buffer oneMore = small.copy().appendString("y");
    assertEquals(bigger, remote.enqueue(request(bigger, oneMore)).await(30, TimeUnit.SECONDS).queueId());
    assertEquals(List.of("EnqueueOffer", "BodyChunk", "EnqueueCommit"), sentByA.stream().map(Map.Entry::getKey).toList());
    assertEquals(chunkedBefore + 1, queue.intakeCounters().get("chunked_bodies").getAsLong());
    assertEquals(inlineBefore + 1, queue.intakeCounters().get("inline_bodies").getAsLong());
    DeliveryRequest e = awaitDelivery(bigger);
    assertArrayEquals(oneMore.getBytes(), e.body().read(0, (int) e.body().length()).await(10, TimeUnit.SECONDS).getBytes());
  }

  @Test
  void anInlineBodyOverTheLimitCannotBeMade() {
    assertThrows(IllegalArgumentException.class, () -> new EnqueueInline(request(QueueIds.next(),
        Buffer.buffer(new byte[EnqueueInline.MAX_BODY + 1]))));
  }

  @Test
  void aBrokenTransferLeavesNoMessageAndNoFile() throws Exception {
    String id = QueueIds.next();
    long total = 3L * BodyChunk.MAX_CHUNK;
    EnqueueTarget target = Contracts.request(a, EnqueueOffer.ADDRESS, new EnqueueOffer(id, total),
        Duration.ofSeconds(10), EnqueueTarget.class).await(10, TimeUnit.SECONDS);
    assertEquals("node-b", target.node());
    Buffer piece = Buffer.buffer(new byte[BodyChunk.MAX_CHUNK]);
    Contracts.request(a, target.bodyAddress(), new BodyChunk(id, 0, total, piece), Duration.ofSeconds(10),
        BodyChunkAck.class).await(10, TimeUnit.SECONDS);
    assertTrue(Files.exists(dir.resolve("b/tmp/" + id + ".incoming")), "the body is written as it arrives");
    // The third chunk where the second was due: the receiver aborts the transfer.
    ReplyException skipped = failure(() -> Contracts.request(a, target.bodyAddress(),
        new BodyChunk(id, 2L * BodyChunk.MAX_CHUNK, total, piece), Duration.ofSeconds(10), BodyChunkAck.class)
        .await(10, TimeUnit.SECONDS));
    assertEquals(409, skipped.failureCode());
    ReplyException commit = failure(() -> Contracts.request(a, target.commitAddress(),
        new EnqueueCommit(id, request(id, Buffer.buffer()).envelope(), request(id, Buffer.buffer()).client(), total),
        Duration.ofSeconds(10), EnqueueReceipt.class).await(10, TimeUnit.SECONDS));
    assertEquals(451, commit.failureCode());
    assertEquals("4.3.0 Error: message body not received", commit.getMessage());
    awaitGone(dir.resolve("b/tmp/" + id + ".incoming"));
    assertFalse(OnDisk.holds(dir.resolve("b"), id));
    // A body nobody offered is refused at its first chunk.
    String unoffered = QueueIds.next();
    ReplyException refused = failure(() -> Contracts.request(a, target.bodyAddress(),
        new BodyChunk(unoffered, 0, 10, Buffer.buffer("0123456789")), Duration.ofSeconds(10), BodyChunkAck.class)
        .await(10, TimeUnit.SECONDS));
    assertTrue(refused.getMessage().contains("no enqueue offer for " + unoffered), refused.getMessage());
  }

  @Test
  void aLocalHandoffStaysOnItsNodeAndPassesTheBodyByReference() throws Exception {
    // Both nodes consume the address cluster-wide: a plain send would reach B some of the time.
    List<EnqueueRequest> seenOnA = new CopyOnWriteArrayList<>();
    List<EnqueueRequest> seenOnB = new CopyOnWriteArrayList<>();
    String address = "postern.test.enqueue." + UUID.randomUUID();
    a.eventBus().<EnqueueRequest>consumer(address, m -> {
      seenOnA.add(m.body());
      m.reply(new EnqueueReceipt(m.body().queueId()));
    }).completion().await(10, TimeUnit.SECONDS);
    b.eventBus().<EnqueueRequest>consumer(address, m -> {
      seenOnB.add(m.body());
      m.reply(new EnqueueReceipt(m.body().queueId()));
    }).completion().await(10, TimeUnit.SECONDS);
    List<EnqueueRequest> sent = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      EnqueueRequest r = request(QueueIds.next(), Buffer.buffer("Subject: local " + i + "\r\n\r\nbody\r\n"));
      sent.add(r);
      Contracts.requestLocal(a, address, r, Duration.ofSeconds(10), EnqueueReceipt.class).await(10, TimeUnit.SECONDS);
    }
    assertEquals(List.of(), seenOnB, "nothing left node A");
    assertEquals(6, seenOnA.size());
    for (int i = 0; i < 6; i++) {
      assertSame(sent.get(i), seenOnA.get(i), "the record itself, not a decoded copy");
      assertSame(sent.get(i).body(), seenOnA.get(i).body(), "the body's buffer itself");
    }
    // And the local handoff fails at once where this node has no queue (B's is local to B).
    ReplyException none = failure(() -> QueueHandoff.local(a, Duration.ofSeconds(5))
        .enqueue(request(QueueIds.next(), Buffer.buffer("x"))).await(10, TimeUnit.SECONDS));
    assertEquals(io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS, none.failureType());
  }

  private interface Call {
    void run() throws Exception;
  }

  private static ReplyException failure(Call call) {
    Exception e = assertThrows(Exception.class, call::run);
    Throwable t = e;
    while (t != null && !(t instanceof ReplyException)) {
      t = t.getCause();
    }
    assertTrue(t instanceof ReplyException, "not a ReplyException: " + e);
    return (ReplyException) t;
  }

  private static DeliveryRequest awaitDelivery(String id) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Object lock = new Object();
    while (true) {
      for (DeliveryRequest d : delivered) {
        if (d.queueId().equals(id)) {
          return d;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(id + " was not handed to the outbound within 30 s");
      }
      synchronized (lock) {
        lock.wait(50);
      }
    }
  }

  private static void awaitGone(Path file) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Object lock = new Object();
    while (Files.exists(file)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(file + " is still there");
      }
      synchronized (lock) {
        lock.wait(50);
      }
    }
  }

  /** A clustered Vert.x on loopback with the contracts' codecs. */
  private static Vertx join(String cluster, int port, int[] members) throws Exception {
    Vertx vertx = LoopbackCluster.join(cluster, port, members);
    Contracts.register(vertx);
    return vertx;
  }

}

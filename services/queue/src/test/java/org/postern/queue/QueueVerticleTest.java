package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ClientInfo;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.QueueIds;
import org.postern.config.ConfigLoader;
import org.postern.config.QueueConfig;
import org.postern.smtp.Envelope;
import org.postern.smtp.Reply;

/**
 * The queue against the delivery contract: the consumer on the outbound address below plays the
 * next hop's answers, so the schedule (retry, bounce, idempotence) can be observed exactly.
 */
@ExtendWith(VertxExtension.class)
class QueueVerticleTest {

  @TempDir
  Path dir;

  private final List<DeliveryRequest> requests = new CopyOnWriteArrayList<>();
  private final Map<DeliveryRequest, String> texts = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeEach
  void codecs(Vertx vertx) {
    Contracts.register(vertx);
  }

  private QueueConfig config() throws Exception {
    return ConfigLoader.load(null, List.of("queue.spool_dir=" + dir, "queue.min_backoff=1s", "queue.max_backoff=2s"))
        .queue();
  }

  private static EnqueueRequest request(String id, String sender, String... rcpts) {
    Envelope env = new Envelope(org.postern.smtp.Path.parseMailbox(sender),
        java.util.Arrays.stream(rcpts).map(org.postern.smtp.Path::parseMailbox).toList(), Map.of());
    return new EnqueueRequest(id, env, new ClientInfo("127.0.0.1", "client.test", "ESMTP", null),
        Buffer.buffer("Subject: queued\r\nMessage-ID: <" + id + "@test>\r\n\r\nbody\r\n"));
  }

  /**
   * Answers deliveries: each message's first {@code deferrals} attempts defer and later ones
   * succeed; "bounce" local parts bounce; notices (null sender) are always delivered.
   */
  private void outbound(Vertx vertx, int deferrals) {
    vertx.eventBus().<DeliveryRequest>consumer(DeliveryRequest.ADDRESS, m -> {
      DeliveryRequest r = m.body();
      // Outbound reads the body from the spool before it answers, as this stand-in does.
      r.body().read(0, (int) r.body().length()).onSuccess(text -> {
        texts.put(r, text.toString());
        requests.add(r);
        reply(m, r, deferrals);
      }).onFailure(e -> m.fail(500, "cannot read the body: " + e));
    });
  }

  private static void reply(io.vertx.core.eventbus.Message<DeliveryRequest> m, DeliveryRequest r, int deferrals) {
    boolean defer = !r.sender().isNull() && r.attempt() <= deferrals;
    List<RecipientResult> results = r.recipients().stream().map(p -> p.localPart().startsWith("bounce")
        ? new RecipientResult(p, Status.BOUNCED, Reply.of(550, "5.1.1", "no such user"), "sink[127.0.0.1]:25")
        : defer ? new RecipientResult(p, Status.DEFERRED, Reply.of(451, "4.3.0", "try later"), "sink[127.0.0.1]:25")
        : new RecipientResult(p, Status.SENT, Reply.of(250, "2.0.0", "ok"), "sink[127.0.0.1]:25")).toList();
    m.reply(new DeliveryReport(r.queueId(), results));
  }

  /** The body a request carried, as the stand-in read it. */
  private String text(DeliveryRequest r) {
    return texts.get(r);
  }

  @Test
  void deferredThenDeliveredAndRemoved(Vertx vertx, VertxTestContext ctx) throws Exception {
    outbound(vertx, 1);
    String id = QueueIds.next();
    vertx.deployVerticle(new QueueVerticle(config(), "mx.test", Clock.systemUTC()))
        .compose(d -> Contracts.request(vertx, EnqueueRequest.ADDRESS, request(id, "a@example.org", "b@example.net"),
            java.time.Duration.ofSeconds(10), EnqueueReceipt.class))
        .onComplete(ctx.succeeding(receipt -> ctx.verify(() -> {
          assertEquals(id, receipt.queueId());
          assertTrue(OnDisk.holds(dir, id), "durable before the receipt");
        })));
    awaitCondition(ctx, () -> requests.size() >= 2 && !OnDisk.holds(dir, id), 20);
    ctx.verify(() -> {
      assertEquals(2, requests.size(), "one deferral, one success, no third attempt");
      assertEquals(1, requests.get(0).attempt());
      assertEquals(2, requests.get(1).attempt());
    });
    ctx.completeNow();
  }

  @Test
  void duplicateEnqueueIsAcknowledgedButDeliveredOnce(Vertx vertx, VertxTestContext ctx) throws Exception {
    outbound(vertx, 0);
    String id = QueueIds.next();
    EnqueueRequest req = request(id, "a@example.org", "b@example.net");
    vertx.deployVerticle(new QueueVerticle(config(), "mx.test", Clock.systemUTC()))
        .compose(d -> io.vertx.core.Future.all(
            Contracts.request(vertx, EnqueueRequest.ADDRESS, req, java.time.Duration.ofSeconds(10), EnqueueReceipt.class),
            Contracts.request(vertx, EnqueueRequest.ADDRESS, req, java.time.Duration.ofSeconds(10), EnqueueReceipt.class)))
        .onComplete(ctx.succeedingThenComplete());
    awaitCondition(ctx, () -> !requests.isEmpty() && !OnDisk.holds(dir, id), 20);
    ctx.verify(() -> assertEquals(1, requests.size(), "a retried enqueue must not duplicate mail"));
  }

  @Test
  void permanentFailureBouncesToTheSenderWithANullSender(Vertx vertx, VertxTestContext ctx) throws Exception {
    outbound(vertx, 0);
    String id = QueueIds.next();
    vertx.deployVerticle(new QueueVerticle(config(), "mx.test", Clock.systemUTC()))
        .compose(d -> Contracts.request(vertx, EnqueueRequest.ADDRESS,
            request(id, "sender@example.org", "ok@example.net", "bounce1@example.net"),
            java.time.Duration.ofSeconds(10), EnqueueReceipt.class))
        .onComplete(ctx.succeedingThenComplete());
    awaitCondition(ctx, () -> requests.stream().anyMatch(r -> r.sender().isNull()), 20);
    DeliveryRequest bounce = requests.stream().filter(r -> r.sender().isNull()).findFirst().orElseThrow();
    String text = text(bounce);
    ctx.verify(() -> {
      assertEquals(List.of(org.postern.smtp.Path.parseMailbox("sender@example.org")), bounce.recipients());
      assertTrue(text.contains("Content-Type: multipart/report; report-type=delivery-status;"), text);
      assertTrue(text.contains("Final-Recipient: rfc822; bounce1@example.net\r\nAction: failed\r\nStatus: 5.1.1"), text);
      assertTrue(text.contains("Diagnostic-Code: smtp; 550 5.1.1 no such user"), text);
      assertTrue(text.contains("Message-ID: <" + id + "@test>"), "the original headers are quoted: " + text);
      assertTrue(!text.contains("Final-Recipient: rfc822; ok@example.net"), "delivered recipients are not reported");
    });
  }

  @Test
  void notifyNeverSuppressesTheBounce(Vertx vertx, VertxTestContext ctx) throws Exception {
    outbound(vertx, 0);
    String id = QueueIds.next();
    EnqueueRequest plain = request(id, "sender@example.org", "bounce1@example.net", "bounce2@example.net");
    Envelope env = new Envelope(plain.envelope().sender(), plain.envelope().recipients(),
        List.of(Map.of("NOTIFY", "NEVER"), Map.of("NOTIFY", "SUCCESS")), Map.of());
    EnqueueRequest req = new EnqueueRequest(id, env, plain.client(), plain.body());
    vertx.deployVerticle(new QueueVerticle(config(), "mx.test", Clock.systemUTC()))
        .compose(d -> Contracts.request(vertx, EnqueueRequest.ADDRESS, req, java.time.Duration.ofSeconds(10),
            EnqueueReceipt.class))
        .onComplete(ctx.succeedingThenComplete());
    awaitCondition(ctx, () -> !requests.isEmpty() && !OnDisk.holds(dir, id), 20);
    java.util.Set<String> queued = OnDisk.queued(dir);
    ctx.verify(() -> assertEquals(java.util.Set.of(), queued, "no bounce was queued"));
    ctx.verify(() -> assertTrue(requests.stream().noneMatch(r -> r.sender().isNull())));
  }

  @Test
  void notifySuccessToANextHopWithoutDsnGetsARelayedNotice(Vertx vertx, VertxTestContext ctx) throws Exception {
    outbound(vertx, 0);
    String id = QueueIds.next();
    EnqueueRequest plain = request(id, "sender@example.org", "ok@example.net");
    Envelope env = new Envelope(plain.envelope().sender(), plain.envelope().recipients(),
        List.of(Map.of("NOTIFY", "SUCCESS")), Map.of());
    vertx.deployVerticle(new QueueVerticle(config(), "mx.test", Clock.systemUTC()))
        .compose(d -> Contracts.request(vertx, EnqueueRequest.ADDRESS, new EnqueueRequest(id, env, plain.client(),
            plain.body()), java.time.Duration.ofSeconds(10), EnqueueReceipt.class))
        .onComplete(ctx.succeedingThenComplete());
    awaitCondition(ctx, () -> requests.stream().anyMatch(r -> r.sender().isNull()), 20);
    String text = text(requests.stream().filter(r -> r.sender().isNull()).findFirst().orElseThrow());
    ctx.verify(() -> {
      assertTrue(text.contains("Subject: Successful Mail Delivery Report"), text);
      assertTrue(text.contains("Action: relayed"), text);
    });
  }

  @Test
  void aDelayWarningIsSentOnceWhenAsked(Vertx vertx, VertxTestContext ctx) throws Exception {
    outbound(vertx, 3);
    String id = QueueIds.next();
    QueueConfig cfg = ConfigLoader.load(null, List.of("queue.spool_dir=" + dir, "queue.min_backoff=1s",
        "queue.max_backoff=1s", "queue.delay_warning_time=1s")).queue();
    vertx.deployVerticle(new QueueVerticle(cfg, "mx.test", Clock.systemUTC()))
        .compose(d -> Contracts.request(vertx, EnqueueRequest.ADDRESS, request(id, "sender@example.org", "b@example.net"),
            java.time.Duration.ofSeconds(10), EnqueueReceipt.class))
        .onComplete(ctx.succeedingThenComplete());
    // Three deferrals, then success; the warning goes out once the message is a second old.
    awaitCondition(ctx, () -> requests.stream().filter(r -> r.queueId().equals(id)).count() >= 4
        && !OnDisk.holds(dir, id), 20);
    List<DeliveryRequest> notices = requests.stream().filter(r -> r.sender().isNull()).toList();
    ctx.verify(() -> {
      assertEquals(1, notices.size(), "exactly one delay warning");
      assertTrue(text(notices.get(0)).contains("Action: delayed"));
    });
  }

  @Test
  void aSlowDestinationHoldsUpOnlyItself(Vertx vertx, VertxTestContext ctx) throws Exception {
    // The next hop for slow.example takes a second per delivery; fast.example answers at once.
    List<String> arrivals = new CopyOnWriteArrayList<>();
    vertx.eventBus().<DeliveryRequest>consumer(DeliveryRequest.ADDRESS, m -> {
      DeliveryRequest r = m.body();
      arrivals.add(r.domain());
      DeliveryReport report = new DeliveryReport(r.queueId(), r.recipients().stream().map(p ->
          new RecipientResult(p, Status.SENT, Reply.of(250, "2.0.0", "ok"), "sink[127.0.0.1]:25")).toList());
      if (r.domain().equals("slow.example")) {
        vertx.setTimer(1000, t -> m.reply(report));
      } else {
        m.reply(report);
      }
    });
    QueueConfig cfg = ConfigLoader.load(null, List.of("queue.spool_dir=" + dir, "queue.destination_concurrency=1"))
        .queue();
    vertx.deployVerticle(new QueueVerticle(cfg, "mx.test", Clock.systemUTC()))
        .compose(d -> io.vertx.core.Future.all(List.of(
            enqueue(vertx, request(QueueIds.next(), "a@example.org", "x@slow.example")),
            enqueue(vertx, request(QueueIds.next(), "a@example.org", "y@slow.example")),
            enqueue(vertx, request(QueueIds.next(), "a@example.org", "z@slow.example")))))
        .compose(v -> enqueue(vertx, request(QueueIds.next(), "a@example.org", "w@fast.example")))
        .onComplete(ctx.succeedingThenComplete());
    awaitCondition(ctx, () -> arrivals.contains("fast.example"), 20);
    ctx.verify(() -> assertEquals(List.of("slow.example", "fast.example"), arrivals,
        "fast.example went out while slow.example's first delivery was still under way, and no second"
            + " slow.example delivery started before the first finished"));
  }

  @Test
  void onlyDeliveriesHandedToOutboundAreMarkedAsUnderWay(Vertx vertx, VertxTestContext ctx) throws Exception {
    // The next hop never answers, so two deliveries stay under way (queue.destination_concurrency)
    // and the other eight wait in the ready queue: a restart now may duplicate two, not ten.
    vertx.eventBus().<DeliveryRequest>consumer(DeliveryRequest.ADDRESS, m -> requests.add(m.body()));
    QueueConfig cfg = ConfigLoader.load(null, List.of("queue.spool_dir=" + dir, "queue.destination_concurrency=2",
        "queue.delivery_timeout=10m")).queue();
    vertx.deployVerticle(new QueueVerticle(cfg, "mx.test", Clock.systemUTC()))
        .compose(d -> io.vertx.core.Future.all(java.util.stream.IntStream.range(0, 10)
            .mapToObj(i -> enqueue(vertx, request(QueueIds.next(), "a@example.org", "r" + i + "@example.net")))
            .toList()))
        .onComplete(ctx.succeedingThenComplete());
    awaitCondition(ctx, () -> requests.size() == 2, 20);
    // What a crash now would leave: a copy of the spool as it is, recovered as a restart would.
    Path copy = Files.createDirectories(dir.resolve("crashed-copy"));
    for (String part : List.of("active", "journal")) {
      try (var files = Files.list(dir.resolve(part))) {
        Files.createDirectories(copy.resolve(part));
        for (Path f : files.toList()) {
          Files.copy(f, copy.resolve(part).resolve(f.getFileName()));
        }
      }
    }
    List<Spool.Loaded> recovered = new Spool(copy).recover();
    assertEquals(10, recovered.size());
    assertEquals(java.util.Set.copyOf(requests.stream().map(DeliveryRequest::queueId).toList()),
        recovered.stream().filter(Spool.Loaded::wasInFlight).map(l -> l.message().queueId())
            .collect(java.util.stream.Collectors.toSet()),
        "possible duplicates are the deliveries that had started, and only those");
  }

  private static io.vertx.core.Future<EnqueueReceipt> enqueue(Vertx vertx, EnqueueRequest r) {
    return Contracts.request(vertx, EnqueueRequest.ADDRESS, r, java.time.Duration.ofSeconds(10), EnqueueReceipt.class);
  }

  @Test
  void undeliveredMailSurvivesARestart(Vertx vertx, VertxTestContext ctx) throws Exception {
    String id = QueueIds.next();
    // First life: no outbound answers, so the message stays queued.
    Vertx first = Vertx.vertx();
    Contracts.register(first);
    first.deployVerticle(new QueueVerticle(config(), "mx.test", Clock.systemUTC()))
        .compose(d -> Contracts.request(first, EnqueueRequest.ADDRESS, request(id, "a@example.org", "b@example.net"),
            java.time.Duration.ofSeconds(10), EnqueueReceipt.class))
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    // Not composed: a callback on the closing instance's context would never run.
    first.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    // Second life: recovery schedules it, and it is delivered.
    outbound(vertx, 0);
    vertx.deployVerticle(new QueueVerticle(config(), "mx.test", Clock.systemUTC())).onComplete(ctx.succeedingThenComplete());
    awaitCondition(ctx, () -> requests.stream().anyMatch(r -> r.queueId().equals(id))
        && !OnDisk.holds(dir, id), 20);
  }

  /** Waits for a condition driven by the queue's own timers, checking it as the event loop runs. */
  private static void awaitCondition(VertxTestContext ctx, java.util.function.BooleanSupplier done, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Object lock = new Object();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within " + seconds + "s");
      }
      synchronized (lock) {
        lock.wait(50);
      }
    }
    ctx.awaitCompletion(seconds, TimeUnit.SECONDS);
  }
}

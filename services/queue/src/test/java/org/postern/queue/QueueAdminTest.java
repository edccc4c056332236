package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
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
import org.postern.bus.QueueAdminReply;
import org.postern.bus.QueueAdminRequest;
import org.postern.bus.QueueAdminRequest.Action;
import org.postern.bus.QueueIds;
import org.postern.config.ConfigLoader;
import org.postern.config.QueueConfig;
import org.postern.smtp.Envelope;
import org.postern.smtp.Reply;

/**
 * The operator's requests against a real queue on a real spool: the consumer on the outbound
 * address plays the next hop (deferring, or accepting), and the admin address is driven as the
 * node's admin API drives it.
 */
@ExtendWith(VertxExtension.class)
class QueueAdminTest {

  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private final List<DeliveryRequest> requests = new CopyOnWriteArrayList<>();
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      log.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void setUp(Vertx vertx) {
    Contracts.register(vertx);
    Logger.getLogger("postern.queue").addHandler(capture);
  }

  @AfterEach
  void tearDown() {
    Logger.getLogger("postern.queue").removeHandler(capture);
  }

  private QueueConfig config(String minBackoff, String maxBackoff) throws Exception {
    return ConfigLoader.load(null, List.of("queue.spool_dir=" + dir, "queue.min_backoff=" + minBackoff,
        "queue.max_backoff=" + maxBackoff)).queue();
  }

  /** A queue whose retries are an hour apart: whatever is deferred stays put unless an operator acts. */
  private void deployQueue(Vertx vertx) throws Exception {
    get(vertx.deployVerticle(new QueueVerticle(config("1h", "2h"), "mx.test", Clock.systemUTC())));
  }

  private static EnqueueRequest request(String id, String sender, String... rcpts) {
    Envelope env = new Envelope(org.postern.smtp.Path.parseMailbox(sender),
        java.util.Arrays.stream(rcpts).map(org.postern.smtp.Path::parseMailbox).toList(), Map.of());
    return new EnqueueRequest(id, env, new ClientInfo("127.0.0.1", "client.test", "ESMTP", null),
        Buffer.buffer("Subject: queued\r\nMessage-ID: <" + id + "@test>\r\n\r\nthe body\r\n"));
  }

  private static String enqueue(Vertx vertx, String sender, String... rcpts) throws Exception {
    String id = QueueIds.next();
    get(Contracts.request(vertx, EnqueueRequest.ADDRESS, request(id, sender, rcpts), DEADLINE, EnqueueReceipt.class));
    return id;
  }

  /** The next hop: every recipient deferred with 451 when {@code accept} is false, else accepted. */
  private void outbound(Vertx vertx, boolean accept) {
    vertx.eventBus().<DeliveryRequest>consumer(DeliveryRequest.ADDRESS, m -> {
      DeliveryRequest r = m.body();
      requests.add(r);
      m.reply(new DeliveryReport(r.queueId(), r.recipients().stream().map(p -> accept
          ? new RecipientResult(p, Status.SENT, Reply.of(250, "2.0.0", "ok"), "sink[127.0.0.1]:25")
          : new RecipientResult(p, Status.DEFERRED, Reply.of(451, "4.3.0", "try later"), "sink[127.0.0.1]:25"))
          .toList()));
    });
  }

  private static JsonObject admin(Vertx vertx, Action action, String target) throws Exception {
    return get(Contracts.request(vertx, QueueAdminRequest.ADDRESS, new QueueAdminRequest(action, target), DEADLINE,
        QueueAdminReply.class)).result();
  }

  private static JsonObject entry(JsonObject list, String id) {
    for (Object o : list.getJsonArray("messages")) {
      JsonObject m = (JsonObject) o;
      if (m.getString("queueId").equals(id)) {
        return m;
      }
    }
    return null;
  }

  /** Delivery attempts seen for a message (an attempt sends one request per recipient domain). */
  private long attemptsFor(String id) {
    return requests.stream().filter(r -> r.queueId().equals(id)).mapToInt(DeliveryRequest::attempt).max().orElse(0);
  }

  /** Waits until each message has been tried and is waiting for its next (hour-away) attempt. */
  private static void awaitDeferred(Vertx vertx, String... ids) throws Exception {
    awaitCondition(() -> {
      JsonObject list = admin(vertx, Action.LIST, QueueAdminRequest.ALL);
      for (String id : ids) {
        JsonObject e = entry(list, id);
        if (e == null || !e.getString("state").equals("deferred") || e.getString("nextAttempt") == null) {
          return false;
        }
      }
      return true;
    });
  }

  private static List<String> ids(JsonArray a) {
    return a.stream().map(String.class::cast).sorted().toList();
  }

  /**
   * queue.defer_deliveries: accepted mail stays queued, with no attempt, until a flush. The
   * witness is a second queue (without the setting) on the same bus: once it has made its attempt,
   * the deferring queue, which received its message first, would have made one too.
   */
  @Test
  void deferredDeliveriesWaitForAFlush(Vertx vertx) throws Exception {
    outbound(vertx, true);
    QueueConfig deferring = ConfigLoader.load(null, List.of("queue.spool_dir=" + dir, "queue.min_backoff=1h",
        "queue.max_backoff=2h", "queue.defer_deliveries=yes")).queue();
    get(vertx.deployVerticle(new QueueVerticle(deferring, "mx.test", Clock.systemUTC())));
    String kept = enqueue(vertx, "a@example.org", "x@a.example");
    assertEquals(kept, get(Contracts.request(vertx, QueueAdminRequest.ADDRESS,
        new QueueAdminRequest(Action.LIST, QueueAdminRequest.ALL), DEADLINE, QueueAdminReply.class)).result()
        .getJsonArray("messages").getJsonObject(0).getString("queueId"));
    Thread.sleep(1000); // a bounded look for an attempt that must not come
    assertEquals(0, attemptsFor(kept), "no attempt before the flush");
    JsonObject r = admin(vertx, Action.FLUSH, QueueAdminRequest.ALL);
    assertEquals(List.of(kept), ids(r.getJsonArray("changed")));
    awaitCondition(() -> attemptsFor(kept) == 1 && !OnDisk.holds(dir, kept));
  }

  @Test
  void listShowsEveryMessageWithCountsPerStateAndPerDestination(Vertx vertx) throws Exception {
    outbound(vertx, false);
    deployQueue(vertx);
    String first = enqueue(vertx, "a@example.org", "b@example.net", "c@example.com");
    String second = enqueue(vertx, "e@example.org", "d@example.net");
    awaitDeferred(vertx, first, second);
    admin(vertx, Action.HOLD, second);

    JsonObject list = admin(vertx, Action.LIST, QueueAdminRequest.ALL);
    assertEquals(new JsonObject().put("total", 2).put("active", 0).put("deferred", 1).put("held", 1)
        .put("octets", 2 * request(first, "a@b.c", "d@e.f").body().length()), list.getJsonObject("counts"));
    assertEquals(new JsonObject()
            .put("example.com", new JsonObject().put("messages", 1).put("recipients", 1))
            .put("example.net", new JsonObject().put("messages", 2).put("recipients", 2)),
        list.getJsonObject("destinations"));

    JsonObject e = entry(list, first);
    assertEquals("a@example.org", e.getString("sender"));
    assertEquals("deferred", e.getString("state"));
    assertEquals(1, e.getInteger("attempts"));
    assertEquals(request(first, "a@b.c", "d@e.f").body().length(), e.getLong("size"));
    Instant arrival = Instant.parse(e.getString("arrival"));
    assertTrue(Duration.between(arrival, Instant.now()).abs().compareTo(Duration.ofMinutes(1)) < 0, e.encode());
    Instant next = Instant.parse(e.getString("nextAttempt"));
    assertTrue(next.isAfter(Instant.now().plus(Duration.ofMinutes(50))), "an hour's back-off: " + next);
    JsonArray rcpts = e.getJsonArray("recipients");
    assertEquals(2, rcpts.size());
    assertEquals("b@example.net", rcpts.getJsonObject(0).getString("address"));
    assertEquals("451 4.3.0 try later", rcpts.getJsonObject(0).getString("lastReply"));
    assertEquals("sink[127.0.0.1]:25", rcpts.getJsonObject(0).getString("relay"));

    JsonObject held = entry(list, second);
    assertEquals("held", held.getString("state"));
    assertNull(held.getString("nextAttempt"), "a held message has no next attempt");

    JsonObject byDomain = admin(vertx, Action.LIST, "@example.com");
    assertEquals(1, byDomain.getJsonArray("messages").size(), "a domain target lists only its messages");
    assertEquals(first, byDomain.getJsonArray("messages").getJsonObject(0).getString("queueId"));
  }

  @Test
  void showGivesTheEnvelopeAndTheHeaderSection(Vertx vertx) throws Exception {
    outbound(vertx, false);
    deployQueue(vertx);
    String id = enqueue(vertx, "a@example.org", "b@example.net");
    awaitDeferred(vertx, id);

    JsonObject m = admin(vertx, Action.SHOW, id).getJsonObject("message");
    assertEquals(id, m.getString("queueId"));
    assertEquals("Subject: queued\r\nMessage-ID: <" + id + "@test>\r\n", m.getString("headers"));
    assertFalse(m.getBoolean("headersTruncated"));
    JsonObject env = m.getJsonObject("envelope");
    assertEquals("a@example.org", env.getString("sender"));
    assertEquals(new JsonArray().add("b@example.net"), env.getJsonArray("recipients"));
    assertEquals("client.test", env.getJsonObject("client").getString("helo"));
    assertEquals("pending", m.getJsonArray("recipients").getJsonObject(0).getString("status"));

    String unknown = QueueIds.next();
    ExecutionException e = assertThrows(ExecutionException.class, () -> admin(vertx, Action.SHOW, unknown));
    ReplyException re = (ReplyException) e.getCause();
    assertEquals(404, re.failureCode());
    assertEquals("no message with queue id " + unknown + " in the queue", re.getMessage());
  }

  @Test
  void showGivesEachAttemptWithItsRelayTlsAndReplies(Vertx vertx) throws Exception {
    org.postern.smtp.TlsFacts tls = new org.postern.smtp.TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256,
        org.postern.smtp.Verify.FAIL, "CN=sink.test", "CN=sink.test", "sink.test", "sink.test");
    vertx.eventBus().<DeliveryRequest>consumer(DeliveryRequest.ADDRESS, m -> m.reply(new DeliveryReport(
        m.body().queueId(), m.body().recipients().stream().map(p -> new RecipientResult(p, Status.DEFERRED,
            Reply.of(451, "4.3.0", "try later"), "sink.test[127.0.0.1]:2525")).toList(), tls)));
    deployQueue(vertx);
    String id = enqueue(vertx, "a@example.org", "b@example.net");
    awaitDeferred(vertx, id);

    JsonArray history = admin(vertx, Action.SHOW, id).getJsonObject("message").getJsonArray("history");
    assertEquals(1, history.size(), history.encode());
    JsonObject attempt = history.getJsonObject(0);
    assertEquals("sink.test[127.0.0.1]:2525", attempt.getString("relay"));
    assertEquals(new JsonObject().put("version", "TLSv1.3").put("cipher", "TLS_AES_256_GCM_SHA384").put("bits", 256)
        .put("verify", "FAIL").put("peerSubject", "CN=sink.test").put("peerIssuer", "CN=sink.test"),
        attempt.getJsonObject("tls"));
    JsonObject result = attempt.getJsonArray("results").getJsonObject(0);
    assertEquals("b@example.net", result.getString("recipient"));
    assertEquals("deferred", result.getString("status"));
    assertTrue(result.getString("reply").startsWith("451 4.3.0 try later"), result.encode());
    assertFalse(admin(vertx, Action.LIST, id).getJsonArray("messages").getJsonObject(0).containsKey("history"),
        "list stays short");
  }

  @Test
  void aHoldSurvivesARestartAndReleaseDeliversAtOnce(Vertx vertx) throws Exception {
    // First life: the next hop defers everything.
    Vertx first = Vertx.vertx();
    String held;
    String witness;
    try {
      Contracts.register(first);
      first.eventBus().<DeliveryRequest>consumer(DeliveryRequest.ADDRESS, m -> m.reply(new DeliveryReport(
          m.body().queueId(), m.body().recipients().stream().map(p -> new RecipientResult(p, Status.DEFERRED,
              Reply.of(451, "4.3.0", "try later"), "none")).toList())));
      get(first.deployVerticle(new QueueVerticle(config("1h", "2h"), "mx.test", Clock.systemUTC())));
      held = enqueue(first, "a@example.org", "b@example.net");
      witness = enqueue(first, "a@example.org", "c@example.net");
      awaitDeferred(first, held, witness);
      JsonObject r = admin(first, Action.HOLD, held);
      assertEquals(List.of(held), ids(r.getJsonArray("changed")));
      assertTrue(JournalTest.held(dir, held), "the hold is on disk before the answer");
    } finally {
      first.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    // Second life: the next hop accepts; recovery tries everything at once, except the held message.
    outbound(vertx, true);
    deployQueue(vertx);
    awaitCondition(() -> attemptsFor(witness) == 1 && !OnDisk.holds(dir, witness));
    assertTrue(log.stream().anyMatch(l -> l.matches("recovered 2 queued message\\(s\\) from .*; 1 on hold")), log.toString());
    JsonObject list = admin(vertx, Action.LIST, QueueAdminRequest.ALL);
    assertEquals("held", entry(list, held).getString("state"), list.encodePrettily());
    assertEquals(0, attemptsFor(held), "no delivery attempt for a held message");

    JsonObject r = admin(vertx, Action.RELEASE, held);
    assertEquals(List.of(held), ids(r.getJsonArray("changed")));
    awaitCondition(() -> attemptsFor(held) == 1 && !OnDisk.holds(dir, held));
    assertFalse(JournalTest.held(dir, held), "released in the journal");
    assertTrue(log.contains(held + ": placed on hold by operator"), log.toString());
    assertTrue(log.contains(held + ": released from hold by operator"), log.toString());
  }

  @Test
  void deleteRemovesAMessageWithoutABounce(Vertx vertx) throws Exception {
    outbound(vertx, false);
    deployQueue(vertx);
    String id = enqueue(vertx, "sender@example.org", "b@example.net");
    String heldOne = enqueue(vertx, "sender@example.org", "c@example.net");
    awaitDeferred(vertx, id, heldOne);
    admin(vertx, Action.HOLD, heldOne);

    JsonObject r = admin(vertx, Action.DELETE, QueueAdminRequest.ALL);
    assertEquals(ids(new JsonArray().add(id).add(heldOne)), ids(r.getJsonArray("changed")));
    assertEquals("delete", r.getString("action"));
    assertEquals(java.util.Set.of(), OnDisk.queued(dir), "message and hold are gone, and no bounce was queued");
    try (var files = Files.list(dir.resolve("active"))) {
      assertTrue(files.noneMatch(f -> f.toString().matches(".*\\.(rcpt|hold|done|inflight)$")), "no marker files");
    }
    assertEquals(0, admin(vertx, Action.LIST, QueueAdminRequest.ALL).getJsonObject("counts").getInteger("total"));
    assertTrue(log.contains(id + ": removed by operator"), log.toString());
    assertTrue(log.contains(heldOne + ": removed by operator"), log.toString());
    assertTrue(requests.stream().noneMatch(q -> q.sender().isNull()), "no notice to the sender");
    ExecutionException e = assertThrows(ExecutionException.class, () -> admin(vertx, Action.DELETE, id));
    assertEquals(404, ((ReplyException) e.getCause()).failureCode(), "a deleted message is gone");
  }

  @Test
  void requeueAttemptsAtOnceEvenAfterALongBackoffAndRestartsTheBackoff(Vertx vertx) throws Exception {
    outbound(vertx, false);
    deployQueue(vertx);
    String id = enqueue(vertx, "a@example.org", "b@example.net");
    awaitDeferred(vertx, id);
    assertEquals(1, attemptsFor(id));
    // A second deferral through a requeue, then a third: back-off would now be two hours without the reset.
    admin(vertx, Action.REQUEUE, id);
    awaitCondition(() -> attemptsFor(id) == 2);
    awaitDeferred(vertx, id);

    JsonObject r = admin(vertx, Action.REQUEUE, id);
    assertEquals(List.of(id), ids(r.getJsonArray("changed")));
    awaitCondition(() -> attemptsFor(id) == 3);
    awaitDeferred(vertx, id);
    JsonObject e = entry(admin(vertx, Action.LIST, QueueAdminRequest.ALL), id);
    assertEquals(3, e.getInteger("attempts"));
    Duration wait = Duration.between(Instant.now(), Instant.parse(e.getString("nextAttempt")));
    assertTrue(wait.compareTo(Duration.ofMinutes(50)) > 0 && wait.compareTo(Duration.ofMinutes(70)) < 0,
        "the back-off starts again from queue.min_backoff (1h), not 2h: " + wait);
    assertEquals(3, requests.get(2).attempt(), "the attempt number still counts every attempt");
    assertTrue(log.contains(id + ": requeued by operator"), log.toString());
  }

  @Test
  void domainAndAllTargetsApplyToEveryMessageWithAPendingRecipientThere(Vertx vertx) throws Exception {
    outbound(vertx, false);
    deployQueue(vertx);
    String onlyA = enqueue(vertx, "s@example.org", "x@a.example");
    String onlyB = enqueue(vertx, "s@example.org", "y@b.example");
    String both = enqueue(vertx, "s@example.org", "z@A.example", "w@b.example");
    awaitDeferred(vertx, onlyA, onlyB, both);

    JsonObject r = admin(vertx, Action.HOLD, "@A.EXAMPLE");
    assertEquals("@a.example", r.getString("target"), "domain targets are case-insensitive");
    assertEquals(ids(new JsonArray().add(onlyA).add(both)), ids(r.getJsonArray("changed")));
    assertEquals("deferred", entry(admin(vertx, Action.LIST, QueueAdminRequest.ALL), onlyB).getString("state"));
    assertTrue(JournalTest.held(dir, onlyA) && JournalTest.held(dir, both));

    // A flush of everything leaves held mail alone.
    r = admin(vertx, Action.FLUSH, QueueAdminRequest.ALL);
    assertEquals(List.of(onlyB), ids(r.getJsonArray("changed")));
    assertEquals(2, r.getJsonArray("skipped").size());
    awaitCondition(() -> attemptsFor(onlyB) == 2);
    assertEquals(1, attemptsFor(onlyA));

    r = admin(vertx, Action.RELEASE, QueueAdminRequest.ALL);
    assertEquals(ids(new JsonArray().add(onlyA).add(both)), ids(r.getJsonArray("changed")));
    assertEquals(new JsonArray().add(new JsonObject().put("queueId", onlyB).put("reason", "not on hold")),
        r.getJsonArray("skipped"));
    awaitCondition(() -> attemptsFor(onlyA) == 2 && attemptsFor(both) == 2);
    awaitDeferred(vertx, onlyA, onlyB, both);

    r = admin(vertx, Action.DELETE, "@b.example");
    assertEquals(ids(new JsonArray().add(onlyB).add(both)), ids(r.getJsonArray("changed")));
    JsonObject list = admin(vertx, Action.LIST, QueueAdminRequest.ALL);
    assertEquals(1, list.getJsonObject("counts").getInteger("total"));
    assertNotNull(entry(list, onlyA));
    assertEquals(new JsonObject().put("a.example", new JsonObject().put("messages", 1).put("recipients", 1)),
        list.getJsonObject("destinations"));

    r = admin(vertx, Action.HOLD, "@nowhere.example");
    assertEquals(new JsonArray(), r.getJsonArray("changed"), "a domain with no mail matches nothing");
  }

  @Test
  void theRequestContractRefusesWhatIsNotATarget() {
    QueueAdminRequest ok = new QueueAdminRequest(Action.HOLD, "@Example.NET");
    assertEquals("@example.net", ok.target());
    assertEquals(ok, QueueAdminRequest.CODEC.roundTrip(ok));
    assertEquals(new QueueAdminReply(new JsonObject().put("a", 1)),
        QueueAdminReply.CODEC.roundTrip(new QueueAdminReply(new JsonObject().put("a", 1))));
    assertEquals(Action.RELEASE,
        QueueAdminRequest.fromJson(new JsonObject().put("action", "release").put("target", "ALL")).action());
    for (String bad : List.of("", "../../etc/passwd", "0123456789abcdef", "@", "@.example.net", "@exa mple", "all")) {
      assertThrows(IllegalArgumentException.class, () -> new QueueAdminRequest(Action.DELETE, bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> new QueueAdminRequest(Action.SHOW, QueueAdminRequest.ALL),
        "show takes one message");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> QueueAdminRequest.fromJson(new JsonObject().put("action", "purge").put("target", "ALL")));
    assertEquals("unknown action 'purge' (list, show, flush, hold, release, delete or requeue)", e.getMessage());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
  }

  @FunctionalInterface
  private interface Check {
    boolean done() throws Exception;
  }

  /** Polls a condition driven by the queue's own timers, for at most 20 seconds. */
  private static void awaitCondition(Check check) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    Object lock = new Object();
    while (!check.done()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within " + DEADLINE);
      }
      synchronized (lock) {
        lock.wait(50);
      }
    }
  }
}

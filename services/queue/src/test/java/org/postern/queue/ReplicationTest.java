package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ClientInfo;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.Contracts;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.QueueIds;
import org.postern.bus.ReplicaIds;
import org.postern.bus.ReplicaOffer;
import org.postern.config.ConfigLoader;
import org.postern.config.QueueConfig;
import org.postern.smtp.Envelope;
import org.postern.smtp.Reply;

/**
 * Replication inside one Vert.x (the cluster map and the bus behave as a cluster's do, on one
 * JVM): the receipt waits for a replica on the other queue node, no other node means 451, and a
 * node that returns cedes what another node claimed while it was away.
 */
class ReplicationTest {

  @TempDir
  Path dir;
  Vertx vertx;

  record View(String nodeId, String memberId, Set<String> liveMembers) implements ClusterView {}

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Contracts.register(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private QueueConfig config(Path spool) throws Exception {
    return ConfigLoader.load(null, List.of("queue.spool_dir=" + spool, "queue.defer_deliveries=yes")).queue();
  }

  private static EnqueueRequest request(String id) {
    Envelope env = new Envelope(org.postern.smtp.Path.parseMailbox("a@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("b@example.net")), Map.of());
    return new EnqueueRequest(id, env, new ClientInfo("127.0.0.1", "client.test", "ESMTP", null),
        Buffer.buffer("Subject: replicated\r\n\r\n" + "x".repeat(600_000) + "\r\n"));
  }

  private QueueVerticle deploy(String node, String member, Set<String> live) throws Exception {
    QueueVerticle q = new QueueVerticle(config(dir.resolve(node)), "mx.test", Clock.systemUTC(),
        new View(node, member, live));
    vertx.deployVerticle(q).await(20, TimeUnit.SECONDS);
    return q;
  }

  @Test
  void theReceiptWaitsForAReplicaOnTheOtherQueueNode() throws Exception {
    Set<String> live = Set.of("m-b", "m-c");
    QueueVerticle b = deploy("node-b", "m-b", live);
    QueueVerticle c = deploy("node-c", "m-c", live);
    for (int i = 0; i < 6; i++) {
      String id = QueueIds.next();
      assertEquals(id, Contracts.request(vertx, EnqueueRequest.ADDRESS, request(id), Duration.ofSeconds(20),
          EnqueueReceipt.class).await(20, TimeUnit.SECONDS).queueId());
      // Whichever node took it, the other holds the replica, whole, filed under the owner.
      boolean onB = OnDisk.holds(dir.resolve("node-b"), id);
      String owner = onB ? "node-b" : "node-c";
      String holder = onB ? "node-c" : "node-b";
      assertTrue(OnDisk.holds(dir.resolve(owner), id));
      Path replica = dir.resolve(holder + "/replica/" + owner + "/" + id + ".msg");
      assertTrue(Files.exists(replica), "replica of " + id + " on " + holder);
      assertEquals(Files.size(dir.resolve(owner + "/active/" + id + ".msg")), Files.size(replica));
      assertFalse(OnDisk.holds(dir.resolve(holder), id), "the holder does not own it");
    }
    assertEquals(6, b.replicationCounters().get("replicated").getAsLong()
        + c.replicationCounters().get("replicated").getAsLong());
  }

  @Test
  void aSmallMessagesReplicaComesWithItsOfferInOneRoundTrip() throws Exception {
    Set<String> live = Set.of("m-b", "m-c");
    QueueVerticle b = deploy("node-b", "m-b", live);
    QueueVerticle c = deploy("node-c", "m-c", live);
    List<String> replicaTraffic = new java.util.concurrent.CopyOnWriteArrayList<>();
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      String to = ctx.message().address();
      if (to.startsWith(org.postern.bus.ReplicaOffer.ADDRESS_PREFIX) || to.startsWith("postern.queue.replica-body.")) {
        replicaTraffic.add(!to.startsWith(org.postern.bus.ReplicaOffer.ADDRESS_PREFIX) ? "body"
            : ctx.message().body() instanceof ReplicaIds ids ? ids.kind().name().toLowerCase() : "offer");
      }
      ctx.next();
    });
    String id = QueueIds.next();
    Buffer body = Buffer.buffer("Subject: small\r\n\r\nhello\r\n");
    EnqueueRequest small = new EnqueueRequest(id, request(id).envelope(), request(id).client(), body);
    assertEquals(id, Contracts.request(vertx, EnqueueRequest.ADDRESS, small, Duration.ofSeconds(20),
        EnqueueReceipt.class).await(20, TimeUnit.SECONDS).queueId());
    assertEquals(List.of("offer", "commit"), replicaTraffic, "the body came with the offer; the commit follows"
        + " once both copies are durable");
    List<Path> replicas = new java.util.ArrayList<>();
    for (String holder : List.of("node-b", "node-c")) {
      for (String owner : List.of("node-b", "node-c")) {
        Path r = dir.resolve(holder + "/replica/" + owner + "/" + id + ".msg");
        if (Files.exists(r)) {
          replicas.add(r);
        }
      }
    }
    assertEquals(1, replicas.size(), "one replica, on the node that does not own it: " + replicas);
    byte[] stored = Files.readAllBytes(replicas.get(0));
    assertEquals("Subject: small\r\n\r\nhello\r\n",
        new String(stored, stored.length - body.length(), body.length(), java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(1, b.replicationCounters().get("replicated").getAsLong()
        + c.replicationCounters().get("replicated").getAsLong());
  }

  @Test
  void withNoOtherQueueNodeLiveTheClientGetsA451AndNothingIsKept() throws Exception {
    QueueVerticle b = deploy("node-b", "m-b", Set.of("m-b"));
    String id = QueueIds.next();
    Exception e = assertThrows(Exception.class, () -> Contracts.request(vertx, EnqueueRequest.ADDRESS, request(id),
        Duration.ofSeconds(20), EnqueueReceipt.class).await(20, TimeUnit.SECONDS));
    ReplyException re = (ReplyException) (e instanceof ReplyException ? e : e.getCause());
    assertEquals(451, re.failureCode());
    assertEquals("4.3.0 Error: no queue replica available, try again later", re.getMessage());
    assertFalse(OnDisk.holds(dir.resolve("node-b"), id), "the lone copy is removed");
    assertEquals(1, b.replicationCounters().get("refused_no_replica").getAsLong());
  }

  @Test
  void aReturningNodeCedesWhatAnotherNodeClaimedAndKeepsTheRest() throws Exception {
    Spool old = new Spool(dir.resolve("node-c"));
    String taken = QueueIds.next();
    String kept = QueueIds.next();
    for (String id : List.of(taken, kept)) {
      old.store(SpooledMessage.of(request(id), Instant.now()), request(id).body());
    }
    // While C was away, B (live) claimed one of them.
    vertx.sharedData().<String, String>getAsyncMap(Claims.MAP).await(5, TimeUnit.SECONDS)
        .put(taken, "node-b m-b").await(5, TimeUnit.SECONDS);
    QueueVerticle c = deploy("node-c", "m-c2", Set.of("m-b", "m-c2"));
    assertFalse(OnDisk.holds(dir.resolve("node-c"), taken), "ceded");
    assertTrue(OnDisk.holds(dir.resolve("node-c"), kept), "still C's own");
    assertEquals(1, c.replicationCounters().get("ceded").getAsLong());
    assertEquals("node-c m-c2", vertx.sharedData().<String, String>getAsyncMap(Claims.MAP).await(5, TimeUnit.SECONDS)
        .get(kept).await(5, TimeUnit.SECONDS), "C claimed what it keeps before scheduling it");
  }

  @Test
  void aReturningOwnerDropsWhatNoNodeHoldsAReplicaOfAndKeepsTheRest() throws Exception {
    // C stored both; only one reached B as a replica before C died, so only that one was
    // acknowledged (the receipt waits for the replica), and the other's client was told 4xx.
    Spool old = new Spool(dir.resolve("node-c"));
    String replicated = QueueIds.next();
    String unreplicated = QueueIds.next();
    String finishedByB = QueueIds.next();
    for (String id : List.of(replicated, unreplicated, finishedByB)) {
      old.store(SpooledMessage.of(request(id), Instant.now()), request(id).body());
    }
    // B took this one over while C was away and has delivered it: no replica left, but a claim.
    vertx.sharedData().<String, String>getAsyncMap(Claims.MAP).await(5, TimeUnit.SECONDS)
        .put(finishedByB, "node-b m-b").await(5, TimeUnit.SECONDS);
    ReplicaArea area = new ReplicaArea(dir.resolve("node-b"), new Spool(dir.resolve("node-b")).tmpDir());
    Buffer body = request(replicated).body();
    ReplicaArea.Incoming in = area.begin("node-c", SpooledMessage.of(request(replicated), Instant.now()), body.length());
    area.append(in, body);
    area.commit(in);
    Path replica = dir.resolve("node-b/replica/node-c/" + replicated + ".msg");
    assertTrue(Files.exists(replica));

    Set<String> live = Set.of("m-b", "m-c2");
    deploy("node-b", "m-b", live);
    QueueVerticle c = deploy("node-c", "m-c2", live);
    assertTrue(OnDisk.holds(dir.resolve("node-c"), replicated), "acknowledged: kept");
    assertFalse(OnDisk.holds(dir.resolve("node-c"), unreplicated), "never acknowledged: dropped");
    assertFalse(OnDisk.holds(dir.resolve("node-c"), finishedByB), "taken over by B: ceded");
    assertEquals(1, c.replicationCounters().get("unacknowledged_discarded").getAsLong());
    assertEquals(1, c.replicationCounters().get("ceded").getAsLong());
    // B, restarted too, asks C which replicas it still needs once C is live: C still has it.
    Thread.sleep(3000);
    assertTrue(Files.exists(replica), "B keeps the replica of what C still holds");
  }

  @Test
  void aReturningOwnerKeepsEverythingWhenAQueueNodeThatMightHoldReplicasIsAway() throws Exception {
    Spool old = new Spool(dir.resolve("node-c"));
    String id = QueueIds.next();
    old.store(SpooledMessage.of(request(id), Instant.now()), request(id).body());
    // node-d registered once and is not live: it may hold the replica, so nothing is dropped.
    vertx.sharedData().<String, String>getAsyncMap(Replication.NODES).await(5, TimeUnit.SECONDS)
        .put("node-d", "m-d").await(5, TimeUnit.SECONDS);
    Set<String> live = Set.of("m-b", "m-c2");
    deploy("node-b", "m-b", live);
    QueueVerticle c = deploy("node-c", "m-c2", live);
    assertTrue(OnDisk.holds(dir.resolve("node-c"), id), "kept: node-d could not answer");
    assertEquals(0, c.replicationCounters().get("unacknowledged_discarded").getAsLong());
  }

  /**
   * Plays a run of node-c ({@code member}) that stored {@code id} and had its replica durable on
   * node-b, then died before committing it: the client never had the 250.
   */
  private void offerAndNeverCommit(String id, String member) throws Exception {
    EnqueueRequest r = request(id);
    Buffer small = Buffer.buffer("Subject: never acknowledged\r\n\r\nhello\r\n");
    ReplicaIds answer = Contracts.request(vertx, ReplicaOffer.address("node-b"), new ReplicaOffer(id, "node-c", member,
        r.envelope(), r.client(), Instant.now(), small.length(), small), Duration.ofSeconds(20), ReplicaIds.class)
        .await(20, TimeUnit.SECONDS);
    assertEquals(List.of(id), answer.queueIds(), "node-b holds the replica, fsync'd");
  }

  private static void await(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aReplicaItsOwnerNeverCommittedIsDroppedWhenTheOwnerDiesNotTakenOver() throws Exception {
    Set<String> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    live.addAll(Set.of("m-b", "m-c"));
    vertx.sharedData().<String, String>getAsyncMap(Replication.NODES).await(5, TimeUnit.SECONDS)
        .put("node-c", "m-c").await(5, TimeUnit.SECONDS);
    QueueVerticle b = new QueueVerticle(ConfigLoader.load(null, List.of("queue.spool_dir=" + dir.resolve("node-b"),
        "queue.defer_deliveries=yes", "queue.takeover_delay=1s")).queue(), "mx.test", Clock.systemUTC(),
        new LiveView("node-b", "m-b", live));
    vertx.deployVerticle(b).await(20, TimeUnit.SECONDS);
    String id = QueueIds.next();
    offerAndNeverCommit(id, "m-c");
    Path replica = dir.resolve("node-b/replica/node-c/" + id + ".msg");
    assertTrue(Files.exists(replica));
    // node-c is killed and stays away past the takeover delay.
    live.remove("m-c");
    await(() -> b.replicationCounters().get("replicas_uncommitted_dropped").getAsLong() == 1,
        "the uncommitted replica is dropped");
    assertFalse(Files.exists(replica));
    assertEquals(0, b.replicationCounters().get("taken_over").getAsLong(), "never acknowledged, never delivered");
    assertFalse(OnDisk.holds(dir.resolve("node-b"), id));
  }

  @Test
  void anOwnerKilledWhileStoringAndBackWithinTheTakeoverDelayLeavesNoReplicaToTakeOverLater() throws Exception {
    Set<String> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    live.addAll(Set.of("m-b", "m-c"));
    vertx.sharedData().<String, String>getAsyncMap(Replication.NODES).await(5, TimeUnit.SECONDS)
        .put("node-c", "m-c").await(5, TimeUnit.SECONDS);
    QueueVerticle b = new QueueVerticle(ConfigLoader.load(null, List.of("queue.spool_dir=" + dir.resolve("node-b"),
        "queue.defer_deliveries=yes", "queue.takeover_delay=30s")).queue(), "mx.test", Clock.systemUTC(),
        new LiveView("node-b", "m-b", live));
    vertx.deployVerticle(b).await(20, TimeUnit.SECONDS);
    // node-c's first run had both copies durable, and was killed before it committed: no 250.
    String id = QueueIds.next();
    new Spool(dir.resolve("node-c")).store(SpooledMessage.of(request(id), Instant.now()), request(id).body());
    offerAndNeverCommit(id, "m-c");
    Path replica = dir.resolve("node-b/replica/node-c/" + id + ".msg");
    // It comes back at once, as a new member, well within the takeover delay.
    live.remove("m-c");
    live.add("m-c2");
    QueueVerticle c = new QueueVerticle(ConfigLoader.load(null, List.of("queue.spool_dir=" + dir.resolve("node-c"),
        "queue.defer_deliveries=yes", "queue.takeover_delay=30s")).queue(), "mx.test", Clock.systemUTC(),
        new LiveView("node-c", "m-c2", live));
    String cDeployment = vertx.deployVerticle(c).await(20, TimeUnit.SECONDS);
    assertFalse(OnDisk.holds(dir.resolve("node-c"), id),
        "node-c discards its copy: the only replica was never committed, so the 250 was never sent");
    assertEquals(1, c.replicationCounters().get("unacknowledged_discarded").getAsLong());
    await(() -> b.replicationCounters().get("replicas_uncommitted_dropped").getAsLong() == 1,
        "node-b drops the replica the first run of node-c never committed");
    assertFalse(Files.exists(replica));
    // node-c's next loss finds nothing of that message anywhere to take over and deliver.
    vertx.undeploy(cDeployment).await(10, TimeUnit.SECONDS);
    live.remove("m-c2");
    try (var files = Files.list(dir.resolve("node-b/replica"))) {
      for (Path owner : files.toList()) {
        try (var held = Files.list(owner)) {
          assertEquals(List.of(), held.toList(), "no replica left on node-b");
        }
      }
    }
    assertFalse(OnDisk.holds(dir.resolve("node-b"), id));
  }

  /** A view whose live members the test changes, as Hazelcast's change when a member leaves. */
  record LiveView(String nodeId, String memberId, Set<String> live) implements ClusterView {
    @Override
    public Set<String> liveMembers() {
      return Set.copyOf(live);
    }
  }

  @Test
  void whenTheReplicaHolderLeavesTheOwnerMakesANewReplicaElsewhere() throws Exception {
    Set<String> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    live.addAll(Set.of("m-b", "m-c", "m-d"));
    Map<String, String> deployments = new java.util.HashMap<>();
    Map<String, QueueVerticle> queues = new java.util.HashMap<>();
    for (String n : List.of("b", "c", "d")) {
      QueueVerticle q = new QueueVerticle(ConfigLoader.load(null, List.of("queue.spool_dir=" + dir.resolve("node-" + n),
          "queue.defer_deliveries=yes", "queue.takeover_delay=1s")).queue(), "mx.test", Clock.systemUTC(),
          new LiveView("node-" + n, "m-" + n, live));
      deployments.put(n, vertx.deployVerticle(q).await(20, TimeUnit.SECONDS));
      queues.put(n, q);
    }
    String id = QueueIds.next();
    Contracts.request(vertx, EnqueueRequest.ADDRESS, request(id), Duration.ofSeconds(20), EnqueueReceipt.class)
        .await(20, TimeUnit.SECONDS);
    String owner = null;
    String holder = null;
    for (String n : List.of("b", "c", "d")) {
      if (OnDisk.holds(dir.resolve("node-" + n), id)) {
        owner = n;
      }
    }
    for (String n : List.of("b", "c", "d")) {
      if (Files.exists(dir.resolve("node-" + n + "/replica/node-" + owner + "/" + id + ".msg"))) {
        holder = n;
      }
    }
    assertTrue(owner != null && holder != null, "owner " + owner + ", holder " + holder);
    List<String> taken = List.of(owner, holder);
    String third = List.of("b", "c", "d").stream().filter(n -> !taken.contains(n)).findFirst().orElseThrow();
    Path newReplica = dir.resolve("node-" + third + "/replica/node-" + owner + "/" + id + ".msg");
    assertFalse(Files.exists(newReplica));
    // The holder dies: its verticle goes and Hazelcast no longer lists its member.
    vertx.undeploy(deployments.get(holder)).await(10, TimeUnit.SECONDS);
    live.remove("m-" + holder);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(newReplica) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertTrue(Files.exists(newReplica), "a new replica on node-" + third);
    assertEquals(Files.size(dir.resolve("node-" + owner + "/active/" + id + ".msg")), Files.size(newReplica));
    // The file appears when the new holder has written it; the owner counts the replacement when
    // that holder's answer reaches its own event loop, a moment later.
    QueueVerticle ownerQueue = queues.get(owner);
    while (ownerQueue.replicationCounters().get("replicas_replaced").getAsLong() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(1, ownerQueue.replicationCounters().get("replicas_replaced").getAsLong());
    assertFalse(OnDisk.holds(dir.resolve("node-" + third), id), "the owner keeps it");
  }

  @Test
  void aTakeoverDeliversOnlyToTheRecipientsTheDeadOwnerHadNotFinished() throws Exception {
    // One outbound for both queues (they share this Vert.x): sent.example takes the mail,
    // slow.example defers it; every request is counted per recipient.
    Map<String, java.util.concurrent.atomic.AtomicInteger> asked = new java.util.concurrent.ConcurrentHashMap<>();
    vertx.eventBus().<DeliveryRequest>localConsumer(DeliveryRequest.ADDRESS, m -> {
      DeliveryRequest r = m.body();
      r.recipients().forEach(p -> asked.computeIfAbsent(p.mailbox(), k -> new java.util.concurrent.atomic.AtomicInteger())
          .incrementAndGet());
      m.reply(new DeliveryReport(r.queueId(), r.recipients().stream().map(p -> p.domain().equals("sent.example")
          ? new RecipientResult(p, Status.SENT, Reply.of(250, "2.0.0", "ok"), "sink[127.0.0.1]:25")
          : new RecipientResult(p, Status.DEFERRED, Reply.of(451, "4.3.0", "try later"), "sink[127.0.0.1]:25")).toList()));
    }).completion().await(5, TimeUnit.SECONDS);
    Set<String> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    live.addAll(Set.of("m-b", "m-c"));
    Map<String, String> deployments = new java.util.HashMap<>();
    Map<String, QueueVerticle> queues = new java.util.HashMap<>();
    for (String n : List.of("b", "c")) {
      QueueVerticle q = new QueueVerticle(ConfigLoader.load(null, List.of("queue.spool_dir=" + dir.resolve("node-" + n),
          "queue.takeover_delay=1s")).queue(), "mx.test", Clock.systemUTC(), new LiveView("node-" + n, "m-" + n, live));
      deployments.put(n, vertx.deployVerticle(q).await(20, TimeUnit.SECONDS));
      queues.put(n, q);
    }
    String id = QueueIds.next();
    Envelope env = new Envelope(org.postern.smtp.Path.parseMailbox("a@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("one@sent.example"), org.postern.smtp.Path.parseMailbox("two@slow.example")),
        Map.of());
    Contracts.request(vertx, EnqueueRequest.ADDRESS, new EnqueueRequest(id, env,
        new ClientInfo("127.0.0.1", "client.test", "ESMTP", null), Buffer.buffer("Subject: two\r\n\r\nhello\r\n")),
        Duration.ofSeconds(20), EnqueueReceipt.class).await(20, TimeUnit.SECONDS);
    String owner = OnDisk.holds(dir.resolve("node-b"), id) ? "b" : "c";
    String holder = owner.equals("b") ? "c" : "b";
    // The first attempt finishes one@sent.example; the holder hears of it and keeps it durably.
    Path progress = dir.resolve("node-" + holder + "/replica/node-" + owner + "/" + id + ".rcpt");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.exists(progress) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(Files.exists(progress), "the holder records the finished recipients");
    assertTrue(Files.readString(progress).contains("one@sent.example"), Files.readString(progress));
    assertFalse(Files.readString(progress).contains("two@slow.example"), Files.readString(progress));
    assertEquals(1, asked.get("one@sent.example").get());

    // The owner dies; the holder takes the message over and tries the recipient still pending only.
    vertx.undeploy(deployments.get(owner)).await(10, TimeUnit.SECONDS);
    live.remove("m-" + owner);
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (asked.get("two@slow.example").get() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(1, queues.get(holder).replicationCounters().get("taken_over").getAsLong());
    assertEquals(2, asked.get("two@slow.example").get(), "the pending recipient is tried again by the new owner");
    assertEquals(1, asked.get("one@sent.example").get(), "the finished recipient does not get it twice");
    assertFalse(Files.exists(progress), "the list came along into the new owner's journal");
  }
}

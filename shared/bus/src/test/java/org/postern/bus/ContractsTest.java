package org.postern.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postern.smtp.Envelope;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;

/** Every contract survives the wire, and nothing malformed gets past decoding. */
@ExtendWith(VertxExtension.class)
class ContractsTest {

  static final TlsFacts TLS = new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, Verify.OK,
      "CN=client,O=Example", "CN=CA,O=Example", "client", "CA");
  static final String ID = QueueIds.next();

  static EnqueueRequest enqueue() {
    Envelope env = new Envelope(Path.parseMailbox("j\u00f6rg@example.org"),
        List.of(Path.parseMailbox("b@example.net"), Path.parseMailbox("c@example.net")),
        List.of(Map.of("NOTIFY", "SUCCESS", "ORCPT", "rfc822;b@example.net"), Map.of()),
        Map.of("SMTPUTF8", "", "RET", "HDRS"));
    return new EnqueueRequest(ID, env, new ClientInfo("::1", "client.test", "UTF8ESMTPSA", TLS),
        Buffer.buffer(new byte[] {'a', 0, (byte) 0xff, '\r', '\n'}));
  }

  /** An answer from a node that predates Srv_Features has no such fields: the listener's defaults. */
  @Test
  void aSessionPolicyWithoutFeaturesMeansTheDefaults() {
    SessionPolicy old = SessionPolicy.fromJson(new io.vertx.core.json.JsonObject(
        "{\"decision\":\"ACCEPT\",\"reply\":null,\"requireTls\":true,\"rule\":\"access:1\"}"));
    assertEquals(new SessionPolicy(Decision.ACCEPT, null, true, "access:1", true, true, null), old);
  }

  @Test
  void everyContractRoundTripsThroughTheWireFormat() {
    List<Object> samples = List.of(
        new SessionCheck("192.0.2.1", "desktop.example.net", true),
        new SessionCheck("192.0.2.1", null, false),
        new MailCheck("192.0.2.1", "desktop.example.net", "client.test", TLS, null, Path.NULL),
        new SenderVerdict(Decision.REJECT, Reply.of(553, "5.7.1", "<a@example.org>: Sender address rejected: Access denied"), "access:4"),
        new SessionPolicy(Decision.TEMPFAIL, Reply.of(421, "4.3.0", "later"), false, "test:1"),
        new SessionPolicy(Decision.ACCEPT, null, false, "default", false, false, "access:2 Srv_Features:192.0.2 S V"),
        new RelayCheck("2001:db8::1", null, "client.test", TLS, "alice", Path.NULL, Path.parseMailbox("b@example.net")),
        new RelayVerdict(Decision.REJECT, Reply.of(554, "5.7.1", "<b@example.net>: Relay access denied"), "default"),
        new ClientTlsCheck("192.0.2.1", "laptop.example.net", TLS),
        new TlsVerdict(Decision.REJECT, Reply.of(503, "5.7.0", "encryption too weak 128 less than 256"), "access:3"),
        new DestinationTlsCheck("example.net"),
        new DestinationTls(TlsLevel.VERIFY, "test"),
        new DestinationTls(TlsLevel.SECURE, "tls_policy:3", List.of("nexthop", ".example.net", "mx.example.org")),
        new ServerTlsCheck("example.net", "relay.example.org", "192.0.2.25", 25, TLS, null, List.of("relay.example.org"),
            List.of(Path.parseMailbox("b@example.net")), "relay.example.org"),
        new ServerTlsCheck("example.net", "relay.example.org", "192.0.2.25", 25, null, null, List.of(),
            List.of(Path.parseMailbox("b@example.net")), null, org.postern.smtp.Verify.TEMP),
        new EnqueueReceipt(ID),
        new ReplicaIds(ReplicaIds.Kind.DROP, "0f3c9a4e-node-b", List.of(ID)),
        new ReplicaIds(ReplicaIds.Kind.COMMIT, "0f3c9a4e-node-b", List.of(ID)),
        new SpaceReservation(SpaceReservation.Kind.RESERVE, "5c1d3e0a-2b4f-4c6d-8e9f-0a1b2c3d4e5f", 2_000_000),
        new SpaceReservation(SpaceReservation.Kind.RELEASE, "5c1d3e0a-2b4f-4c6d-8e9f-0a1b2c3d4e5f", 0),
        new BodyChunkAck("T-1", 42),
        new MetricsScrape(),
        new ReplicaProgress("0f3c9a4e-node-b", ID, List.of(Path.parseMailbox("b@example.net"))),
        new MetricsText("node-a.example.net", "# TYPE x gauge\nx 1\n"),
        new DeliveryReport(ID, List.of(new DeliveryReport.RecipientResult(Path.parseMailbox("b@example.net"),
            DeliveryReport.Status.DEFERRED, Reply.of(451, "4.4.1", "no route"), "none"))),
        new DeliveryReport(ID, List.of(new DeliveryReport.RecipientResult(Path.parseMailbox("b@example.net"),
            DeliveryReport.Status.DEFERRED, Reply.of(451, "4.3.0", "try later"), "mx.example.net[192.0.2.1]:25")),
            TLS));
    for (Object sample : samples) {
      assertEquals(sample, roundTrip(sample), sample.getClass().getSimpleName());
    }
    EnqueueRequest e = enqueue();
    EnqueueRequest back = EnqueueRequest.CODEC.roundTrip(e);
    assertEquals(e.envelope(), back.envelope());
    assertEquals(e.client(), back.client());
    assertEquals(e.body(), back.body(), "bodies are binary-safe");
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) {
    for (JsonCodec<?> c : Contracts.CODECS) {
      if (c.type() == value.getClass()) {
        return ((JsonCodec<T>) c).roundTrip(value);
      }
    }
    throw new AssertionError("no codec for " + value.getClass());
  }

  @Test
  void hostileOrMalformedInputIsRefusedWhenDecoded() {
    JsonObject ok = enqueue().toJson();
    assertThrows(IllegalArgumentException.class,
        () -> EnqueueRequest.fromJson(ok.copy().put("queueId", "../../etc/passwd")), "queue ids become file names");
    assertThrows(IllegalArgumentException.class,
        () -> EnqueueRequest.fromJson(ok.copy().put("recipients", List.of())));
    assertThrows(IllegalArgumentException.class,
        () -> EnqueueRequest.fromJson(ok.copy().put("recipients", List.of("not an address"))));
    assertThrows(IllegalArgumentException.class,
        () -> EnqueueRequest.fromJson(ok.copy().put("client", ok.getJsonObject("client").copy().put("ip", "mail.example"))),
        "only IP literals: no DNS lookup hides in a decoder");
    JsonObject session = new SessionCheck("192.0.2.1", "desktop.example.net", false).toJson();
    assertThrows(IllegalArgumentException.class, () -> SessionCheck.fromJson(session.copy().put("clientName", "a b")),
        "a client name is a host name");
    assertThrows(IllegalArgumentException.class, () -> SessionCheck.fromJson(session.copy().put("clientName", "unknown")),
        "an unknown name is absent, not the word unknown");
    assertThrows(IllegalArgumentException.class, () -> ClientTlsCheck.fromJson(
        new ClientTlsCheck("192.0.2.1", null, TLS).toJson().put("clientName", "x".repeat(256))));
    assertThrows(IllegalArgumentException.class, () -> MailCheck.fromJson(
        new MailCheck("192.0.2.1", null, "client.test", null, null, Path.NULL).toJson().put("sender", "no address")));
    assertThrows(IllegalArgumentException.class, () -> RelayVerdict.fromJson(new JsonObject()
        .put("decision", "ACCEPT").put("reply", new JsonObject().put("code", 554).put("enhanced", "5.7.1")
            .put("lines", List.of("x"))).put("rule", "r")), "an accept cannot carry a refusal");
    assertThrows(IllegalArgumentException.class, () -> RelayVerdict.fromJson(new JsonObject()
        .put("decision", "REJECT").put("reply", new JsonObject().put("code", 451).put("enhanced", "4.3.0")
            .put("lines", List.of("x"))).put("rule", "r")), "a reject needs a 5xx");
    assertThrows(IllegalArgumentException.class, () -> DestinationTls.fromJson(new JsonObject().put("level", "SUPER")
        .put("rule", "r")));
    assertThrows(IllegalArgumentException.class, () -> DestinationTlsCheck.fromJson(new JsonObject().put("domain", 42)));
    JsonObject offer = new ReplicaOffer(ID, "node-b", "5c1d3e0a-2b4f-4c6d-8e9f-0a1b2c3d4e5f", enqueue().envelope(),
        enqueue().client(), java.time.Instant.parse("2026-01-02T03:04:05Z"), 5).toJson();
    assertEquals(offer, ReplicaOffer.CODEC.roundTrip(ReplicaOffer.fromJson(offer)).toJson());
    assertFalse(offer.containsKey("body"), "a chunked replica's offer carries no body");
    JsonObject inlineOffer = offer.copy().put("body", java.util.Base64.getEncoder().encodeToString("12345".getBytes()));
    assertEquals(Buffer.buffer("12345"), ReplicaOffer.CODEC.roundTrip(ReplicaOffer.fromJson(inlineOffer)).body());
    assertThrows(IllegalArgumentException.class, () -> ReplicaOffer.fromJson(inlineOffer.copy().put("bodyLength", 6)),
        "an inline body must have the length announced");
    assertThrows(IllegalArgumentException.class, () -> ReplicaOffer.fromJson(inlineOffer.copy().put("body", "%%")));
    assertThrows(IllegalArgumentException.class, () -> ReplicaOffer.fromJson(offer.copy().put("owner", "../b")),
        "node ids become directory names");
    assertThrows(IllegalArgumentException.class, () -> ReplicaOffer.fromJson(offer.copy().put("ownerMember", "a b")));
    assertThrows(IllegalArgumentException.class, () -> ReplicaOffer.fromJson(offer.copy().putNull("ownerMember")),
        "the holder must know which run of the owner can commit the replica");
    assertThrows(IllegalArgumentException.class, () -> ReplicaOffer.fromJson(offer.copy().put("bodyLength", -1)));
    assertThrows(IllegalArgumentException.class, () -> ReplicaIds.fromJson(new JsonObject().put("kind", "drop")
        .put("node", "node-b").put("queueIds", List.of("x/y"))));
    assertThrows(IllegalArgumentException.class, () -> ReplicaIds.fromJson(new JsonObject().put("kind", "erase")
        .put("node", "node-b").put("queueIds", List.of())));
    JsonObject commit = new EnqueueCommit(ID, enqueue().envelope(), enqueue().client(), 5).toJson();
    assertEquals(commit, EnqueueCommit.CODEC.roundTrip(EnqueueCommit.fromJson(commit)).toJson());
    assertFalse(commit.containsKey("body"), "the envelope of a chunked enqueue carries no body");
    assertThrows(IllegalArgumentException.class, () -> EnqueueCommit.fromJson(commit.copy().put("bodyLength", -1)));
    assertThrows(IllegalArgumentException.class, () -> EnqueueCommit.fromJson(commit).withBody(Buffer.buffer("1234")),
        "the body that arrived must have the length announced");
    EnqueueInline inline = EnqueueInline.CODEC.roundTrip(new EnqueueInline(enqueue()));
    assertEquals(enqueue().envelope(), inline.request().envelope());
    assertEquals(enqueue().body(), inline.request().body());
    JsonObject tooBig = enqueue().toJson().put("body",
        java.util.Base64.getEncoder().encodeToString(new byte[EnqueueInline.MAX_BODY + 1]));
    assertThrows(IllegalArgumentException.class, () -> EnqueueInline.fromJson(tooBig),
        "a larger body must come in chunks");
    assertEquals(new EnqueueOffer(ID, 7), EnqueueOffer.CODEC.roundTrip(new EnqueueOffer(ID, 7)));
    assertThrows(IllegalArgumentException.class, () -> EnqueueOffer.fromJson(new JsonObject().put("queueId", ID)
        .put("bodyLength", (long) EnqueueRequest.MAX_BODY + 1)));
    assertEquals("postern.queue.enqueue-body.v1.node-b", new EnqueueTarget(ID, "node-b").bodyAddress());
    assertThrows(IllegalArgumentException.class, () -> EnqueueTarget.fromJson(new JsonObject().put("queueId", ID)
        .put("node", "b.x/../y")), "node ids become addresses");
    assertThrows(IllegalArgumentException.class, () -> ReplicaProgress.fromJson(new JsonObject().put("owner", "node-b")
        .put("queueId", ID).put("done", List.of())), "progress names at least one recipient");
    assertThrows(IllegalArgumentException.class, () -> ReplicaProgress.fromJson(new JsonObject().put("owner", "../b")
        .put("queueId", ID).put("done", List.of("b@example.net"))), "node ids become directory names");
    JsonObject reserve = new SpaceReservation(SpaceReservation.Kind.RESERVE, "r-1", 1000).toJson();
    assertThrows(IllegalArgumentException.class, () -> SpaceReservation.fromJson(reserve.copy().put("octets", -1)));
    assertThrows(IllegalArgumentException.class, () -> SpaceReservation.fromJson(reserve.copy().put("octets",
        (long) EnqueueRequest.MAX_BODY + 1)), "no reservation beyond the largest message");
    assertThrows(IllegalArgumentException.class, () -> SpaceReservation.fromJson(reserve.copy().put("id", "a b")));
    assertThrows(IllegalArgumentException.class, () -> SpaceReservation.fromJson(reserve.copy().put("kind", "grab")));
    assertEquals("postern.node.metrics.v1.0f3c9a4e-node-b", MetricsScrape.nodeAddress("0f3c9a4e-node-b"));
    assertThrows(IllegalArgumentException.class, () -> MetricsScrape.nodeAddress("a.b"), "node ids become addresses");
    assertThrows(IllegalArgumentException.class, () -> MetricsText.fromJson(new JsonObject().put("node", "a b").put("text", "")));
    assertThrows(IllegalArgumentException.class, () -> MetricsText.fromJson(new JsonObject().put("node", "a")
        .put("text", "x".repeat(MetricsText.MAX_TEXT + 1))), "a metrics page is bounded");
    Buffer truncated = Buffer.buffer().appendInt(1000).appendString("{}");
    assertThrows(IllegalArgumentException.class, () -> EnqueueReceipt.CODEC.decodeFromWire(0, truncated));
  }

  @Test
  void aDeliveryRequestCarriesOneDomainOnly() {
    assertThrows(IllegalArgumentException.class, () -> new DeliveryRequest(ID, Path.NULL,
        List.of(Path.parseMailbox("a@one.example"), Path.parseMailbox("b@two.example")), Map.of(),
        MessageBody.of(Buffer.buffer("x")), 1));
  }

  @Test
  void aDeliveryRequestWithABodyInMemoryRoundTripsAndASpoolBackedOneStaysLocal() {
    DeliveryRequest r = new DeliveryRequest(ID, Path.NULL, List.of(Path.parseMailbox("a@one.example")), Map.of(),
        MessageBody.of(Buffer.buffer(new byte[] {'a', (byte) 0xe9, '\r', '\n'})), 1);
    DeliveryRequest back = DeliveryRequest.fromJson(r.toJson());
    assertEquals(r.body().inMemory(), back.body().inMemory());
    assertTrue(back.body().eightBit() && back.body().endsWithCrlf());
    MessageBody onDisk = new MessageBody() {
      @Override
      public long length() {
        return 1;
      }

      @Override
      public boolean eightBit() {
        return false;
      }

      @Override
      public boolean endsWithCrlf() {
        return false;
      }

      @Override
      public io.vertx.core.Future<Buffer> read(long position, int max) {
        return io.vertx.core.Future.succeededFuture(Buffer.buffer("x"));
      }
    };
    DeliveryRequest local = new DeliveryRequest(ID, Path.NULL, List.of(Path.parseMailbox("a@one.example")), Map.of(),
        onDisk, 1);
    assertThrows(IllegalStateException.class, local::toJson);
  }

  @Test
  void anInMemoryBodyReadsInPiecesAndKnowsItsLastLine() {
    MessageBody b = MessageBody.of(Buffer.buffer("abc\r\ndef"));
    assertEquals("abc", b.read(0, 3).result().toString());
    assertEquals("\r\ndef", b.read(3, 100).result().toString());
    assertEquals(0, b.read(8, 100).result().length());
    assertFalse(b.endsWithCrlf());
    assertFalse(b.eightBit());
  }

  @Test
  void queueIdsAreUniqueAndOrdered() {
    String a = QueueIds.next();
    String b = QueueIds.next();
    assertTrue(a.compareTo(b) < 0, a + " < " + b);
    assertEquals(a, QueueIds.check(a));
  }

  @Test
  void queueIdsKeepTheirFormat() {
    for (long id : new long[] {0, 1, 0xabcdefL, (System.currentTimeMillis() << 16) | 0xffff, Long.MAX_VALUE, -1}) {
      assertEquals(String.format("%016X", id), QueueIds.hex(id));
    }
  }

  @Test
  void reservationIdsAreDistinctAndWellFormed() {
    String a = ReservationIds.next();
    String b = ReservationIds.next();
    assertFalse(a.equals(b), a + " twice");
    assertEquals(a, new SpaceReservation(SpaceReservation.Kind.RESERVE, a, 1).id());
    assertTrue(a.length() <= 64, a);
  }

  @Test
  void anAnswerOfTheWrongTypeFailsTheRequest(Vertx vertx, VertxTestContext ctx) {
    Contracts.register(vertx);
    vertx.eventBus().consumer(DestinationTlsCheck.ADDRESS, m -> m.reply(new EnqueueReceipt(ID)));
    Contracts.request(vertx, DestinationTlsCheck.ADDRESS, new DestinationTlsCheck("example.net"), Duration.ofSeconds(5),
        DestinationTls.class).onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertTrue(e.getMessage().contains("answered EnqueueReceipt instead of DestinationTls"), e.getMessage());
          ctx.completeNow();
        })));
  }

  @Test
  void noAnswerWithinTheDeadlineFailsTheRequest(Vertx vertx, VertxTestContext ctx) {
    Contracts.register(vertx);
    vertx.eventBus().consumer(DestinationTlsCheck.ADDRESS, m -> { /* never answers */ });
    Contracts.request(vertx, DestinationTlsCheck.ADDRESS, new DestinationTlsCheck("example.net"),
        Duration.ofMillis(200), DestinationTls.class).onComplete(ctx.failingThenComplete());
  }
}

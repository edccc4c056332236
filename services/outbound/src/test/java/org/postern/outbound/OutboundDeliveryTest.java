package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.QueueIds;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.smtp.Path;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.SmtpSink.Options;
import org.postern.testkit.SmtpSink.ReceivedMessage;
import org.postern.tls.TlsEngine;

/**
 * The verticle against a real SMTP server (aiosmtpd) on loopback, routed there by the transport
 * table, with a stand-in for policy's destination-TLS answer.
 */
@ExtendWith(VertxExtension.class)
class OutboundDeliveryTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Path SENDER = Path.parseMailbox("sender@example.org");

  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      log.add(record.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final List<String> policyAsked = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void setUp(Vertx vertx) {
    Contracts.register(vertx);
    Logger.getLogger(OutboundVerticle.LOGGER).addHandler(capture);
  }

  @AfterEach
  void tearDown() {
    Logger.getLogger(OutboundVerticle.LOGGER).removeHandler(capture);
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void deliversOverStarttlsByteExact(String engine, Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.starttls(true))) {
      start(vertx, sink.port(), engine, TlsLevel.MAY);
      byte[] body = ("Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nnot.leading\r\nlast line\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      DeliveryReport report = deliver(vertx, request(Buffer.buffer(body), "ok@example.net"));

      RecipientResult r = only(report);
      assertEquals(Status.SENT, r.status(), r.toString());
      assertEquals(250, r.reply().code());
      assertEquals("127.0.0.1[127.0.0.1]:" + sink.port(), r.relay());

      ReceivedMessage m = only(sink.awaitMessages(1, WAIT));
      assertTrue(m.tls(), "the sink saw plaintext");
      assertTrue(List.of("TLSv1.2", "TLSv1.3").contains(m.tlsVersion()), m.tlsVersion());
      assertArrayEquals(body, m.content(), () -> "received:\n" + m.contentAsString());
      assertEquals("sender@example.org", m.mailFrom());
      assertEquals(List.of("ok@example.net"), m.rcptTos());

      // A self-signed certificate cannot verify against the JDK's CAs: verify=FAIL, yet sent (may).
      assertTrue(log.stream().anyMatch(l -> l.startsWith("STARTTLS=client, relay=127.0.0.1[127.0.0.1]:" + sink.port() + ", version="
          + m.tlsVersion() + ", verify=FAIL, cipher=")), () -> String.join("\n", log));
      assertTrue(log.stream().anyMatch(l -> l.matches(
          "[0-9A-F]{16}: to=<ok@example.net>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + sink.port()
              + ", delay=\\d+\\.\\d\\d, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\\.0\\.0, status=sent \\(250 .*\\)"
              + ", tls=TLSv1\\.[23]/\\S+/\\d+/FAIL")),
          () -> String.join("\n", log));
      assertEquals(List.of("example.net"), policyAsked);
    }
  }

  @Test
  void aLargeStoredBodyIsReadInPiecesAndArrivesByteExact(Vertx vertx, @org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    // 3 MB of lines, some starting with dots, the last without its CRLF: every piece boundary of
    // 1000 octets falls somewhere else in a line, and some between a CR and its LF.
    StringBuilder sb = new StringBuilder("Subject: big\r\n\r\n");
    for (int i = 0; sb.length() < 3_000_000; i++) {
      sb.append(i % 7 == 0 ? "." : "").append(i % 11 == 0 ? ".." : "").append("line ").append(i)
          .append(" ".repeat(i % 97)).append("\r\n");
    }
    sb.append("no final newline");
    byte[] bytes = sb.toString().getBytes(StandardCharsets.US_ASCII);
    java.nio.file.Path file = java.nio.file.Files.write(dir.resolve("body"), bytes);
    PiecewiseBody body = new PiecewiseBody(vertx, file, 1000);
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      start(vertx, sink.port(), "openssl", TlsLevel.MAY);
      DeliveryRequest req = new DeliveryRequest(QueueIds.next(), SENDER, List.of(Path.parseMailbox("ok@example.net")),
          Map.of(), body, 1);
      assertEquals(Status.SENT, only(deliver(vertx, req)).status());
      ReceivedMessage m = only(sink.awaitMessages(1, WAIT));
      byte[] expected = java.util.Arrays.copyOf(bytes, bytes.length + 2);
      expected[bytes.length] = '\r';
      expected[bytes.length + 1] = '\n';
      assertArrayEquals(expected, m.content(), "the sink got what was stored, the last line completed");
      assertTrue(body.reads.get() >= bytes.length / 1000, "read in pieces: " + body.reads.get() + " reads");
      assertTrue(body.largestAsked.get() <= 64 * 1024, "never more than a piece at a time: " + body.largestAsked.get());
    }
  }

  @Test
  void deliversInPlaintextWhenStarttlsIsNotOfferedAtLevelMay(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      start(vertx, sink.port(), "openssl", TlsLevel.MAY);
      // No final CRLF: the client must complete the line before the terminating dot.
      DeliveryReport report = deliver(vertx, request(Buffer.buffer("Subject: plain\r\n\r\nno final newline"),
          "ok@example.net"));

      assertEquals(Status.SENT, only(report).status(), report.toString());
      ReceivedMessage m = only(sink.awaitMessages(1, WAIT));
      assertFalse(m.tls());
      assertEquals("Subject: plain\r\n\r\nno final newline\r\n", m.contentAsString());
      assertTrue(log.stream().anyMatch(l -> l.contains("dsn=2.0.0, status=sent (250") && l.endsWith("), tls=none")), () -> String.join("\n", log));
    }
  }

  @Test
  void defersWithoutSendingWhenEncryptIsRequiredButNotOffered(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      start(vertx, sink.port(), "openssl", TlsLevel.ENCRYPT);
      DeliveryReport report = deliver(vertx, request(Buffer.buffer("x\r\n"), "ok@example.net"));

      RecipientResult r = only(report);
      assertEquals(Status.DEFERRED, r.status());
      assertEquals(450, r.reply().code());
      assertTrue(r.reply().enhanced().startsWith("4.7."), r.reply().toString());
      assertTrue(r.reply().text().contains("TLS is required, but was not offered by host 127.0.0.1[127.0.0.1]:"),
          r.reply().toString());
      assertEquals(List.of(), sink.received());
    }
  }

  @Test
  void defersWithoutSendingWhenVerifyFailsAtLevelVerify(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.starttls(true))) {
      start(vertx, sink.port(), "openssl", TlsLevel.VERIFY);
      DeliveryReport report = deliver(vertx, request(Buffer.buffer("x\r\n"), "ok@example.net"));

      RecipientResult r = only(report);
      assertEquals(Status.DEFERRED, r.status());
      assertEquals("4.7.5", r.reply().enhanced(), r.reply().toString());
      assertEquals(List.of(), sink.received());
      assertTrue(log.stream().anyMatch(l -> l.startsWith("STARTTLS=client,") && l.contains("verify=FAIL")));
    }
  }

  @Test
  void reportsEachRecipientsOwnFate(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.starttls(true))) {
      start(vertx, sink.port(), "openssl", TlsLevel.MAY);
      DeliveryReport report = deliver(vertx,
          request(Buffer.buffer("x\r\n"), "defer1@example.net", "reject1@example.net", "ok@example.net"));

      assertEquals(3, report.results().size());
      RecipientResult deferred = report.results().get(0);
      RecipientResult bounced = report.results().get(1);
      RecipientResult sent = report.results().get(2);
      assertEquals("defer1@example.net", deferred.recipient().mailbox());
      assertEquals(Status.DEFERRED, deferred.status());
      assertEquals(451, deferred.reply().code());
      assertEquals("4.3.0", deferred.reply().enhanced());
      assertEquals(Status.BOUNCED, bounced.status());
      assertEquals(550, bounced.reply().code());
      assertEquals("5.1.1", bounced.reply().enhanced());
      assertEquals(Status.SENT, sent.status());

      assertEquals(List.of("ok@example.net"), only(sink.awaitMessages(1, WAIT)).rcptTos());
      assertTrue(log.stream().anyMatch(l -> l.contains("to=<defer1@example.net>") && l.contains("status=deferred")));
      assertTrue(log.stream().anyMatch(l -> l.contains("to=<reject1@example.net>") && l.contains("status=bounced")));
    }
  }

  @Test
  void defersAcceptedRecipientsWhenDataIsRefusedTemporarily(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults().withTempfailData(true))) {
      start(vertx, sink.port(), "openssl", TlsLevel.MAY);
      DeliveryReport report = deliver(vertx, request(Buffer.buffer("x\r\n"), "ok@example.net", "reject2@example.net"));

      assertEquals(Status.DEFERRED, report.results().get(0).status());
      assertEquals(451, report.results().get(0).reply().code());
      assertEquals(Status.BOUNCED, report.results().get(1).status());
      assertEquals(List.of(), sink.received());
    }
  }

  @Test
  void defersWith441WhenNothingListens(Vertx vertx) throws Exception {
    int port = FreePorts.loopback();
    start(vertx, port, "openssl", TlsLevel.MAY);
    DeliveryReport report = deliver(vertx, request(Buffer.buffer("x\r\n"), "ok@example.net"));

    RecipientResult r = only(report);
    assertEquals(Status.DEFERRED, r.status());
    assertEquals(451, r.reply().code());
    assertEquals("4.4.1", r.reply().enhanced());
    assertTrue(r.reply().text().startsWith("connect to 127.0.0.1[127.0.0.1]:" + port + " failed: Connection refused"), r.reply().text());
    assertTrue(r.reply().text().contains("refused"), r.reply().text());
    assertEquals("none", r.relay());
  }

  @Test
  void defersWith430WhenPolicyDoesNotAnswer(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      deploy(vertx, sink.port(), "openssl");
      DeliveryReport report = deliver(vertx, request(Buffer.buffer("x\r\n"), "ok@example.net"));

      RecipientResult r = only(report);
      assertEquals(Status.DEFERRED, r.status());
      assertEquals(451, r.reply().code());
      assertEquals("4.3.0", r.reply().enhanced());
      assertEquals("TLS policy unavailable", r.reply().text());
      assertEquals(List.of(), sink.received());
    }
  }

  private void start(Vertx vertx, int port, String engine, TlsLevel level) throws Exception {
    vertx.eventBus().<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS, m -> {
      policyAsked.add(m.body().domain());
      m.reply(new DestinationTls(level, "test"));
    }).completion().await(10, TimeUnit.SECONDS);
    TlsPolicyStandIn.answer(vertx, level);
    deploy(vertx, port, engine);
  }

  private static void deploy(Vertx vertx, int port, String engine) throws Exception {
    PosternConfig config = ConfigLoader.load(null, List.of(
        "outbound.transport=*=[127.0.0.1]:" + port,
        "outbound.connect_timeout=5s",
        "outbound.command_timeout=10s",
        "outbound.starttls_timeout=10s",
        "tls.engine=" + engine));
    TlsEngine tlsEngine = TlsEngine.choose(config.tls().engine());
    assertFalse(tlsEngine.fellBack(), tlsEngine.description());
    vertx.deployVerticle(new OutboundVerticle(config.outbound(), config.tls(), "postern.test", tlsEngine))
        .await(20, TimeUnit.SECONDS);
  }

  private static DeliveryRequest request(Buffer body, String... recipients) {
    List<Path> rcpts = new ArrayList<>();
    for (String r : recipients) {
      rcpts.add(Path.parseMailbox(r));
    }
    return new DeliveryRequest(QueueIds.next(), SENDER, rcpts, Map.of("BODY", "8BITMIME"),
        org.postern.bus.MessageBody.of(body), 1);
  }

  private static DeliveryReport deliver(Vertx vertx, DeliveryRequest request) throws Exception {
    DeliveryReport report = Contracts.request(vertx, DeliveryRequest.ADDRESS, request, WAIT, DeliveryReport.class)
        .await(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    assertNotNull(report);
    assertEquals(request.queueId(), report.queueId());
    assertEquals(request.recipients(), report.results().stream().map(RecipientResult::recipient).toList());
    return report;
  }

  private static <T> T only(List<T> list) {
    assertEquals(1, list.size(), list.toString());
    return list.get(0);
  }

  private static RecipientResult only(DeliveryReport report) {
    return only(report.results());
  }
}

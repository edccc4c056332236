package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
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
import org.postern.tls.TlsEngine;

/**
 * Several next-hop addresses, and peers that misbehave. MX answers are fixed here, as the subject
 * is what happens per address (DnsRoutingTest routes through a real DNS server); the peers are
 * real servers on 127.0.0.1 and 127.0.0.2 (both loopback).
 */
@ExtendWith(VertxExtension.class)
class RoutingDeliveryTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    Contracts.register(vertx);
    vertx.eventBus().<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS,
        m -> m.reply(new DestinationTls(TlsLevel.MAY, "test"))).completion().await(10, TimeUnit.SECONDS);
    TlsPolicyStandIn.answer(vertx, TlsLevel.MAY);
  }

  @Test
  void triesTheNextMxWhenTheFirstRefusesTheConnection(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      // Nothing listens on 127.0.0.2 at the sink's port: the preferred MX refuses.
      deploy(vertx, sink.port(), Map.of("first.test", "127.0.0.2", "second.test", "127.0.0.1"));
      RecipientResult r = deliverOne(vertx);

      assertEquals(Status.SENT, r.status(), r.toString());
      assertEquals("second.test[127.0.0.1]:" + sink.port(), r.relay());
      assertEquals(1, sink.awaitMessages(1, WAIT).size());
    }
  }

  @Test
  void triesTheNextMxAfterA5xxGreeting(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      ScriptedSmtpServer refuser = ScriptedSmtpServer.start(vertx, "127.0.0.2", sink.port(),
          new ScriptedSmtpServer.Script("554 5.7.1 go away", "")).await(10, TimeUnit.SECONDS);
      deploy(vertx, sink.port(), Map.of("first.test", "127.0.0.2", "second.test", "127.0.0.1"));
      RecipientResult r = deliverOne(vertx);

      assertEquals(Status.SENT, r.status(), r.toString());
      assertEquals("second.test[127.0.0.1]:" + sink.port(), r.relay());
      assertEquals(1, sink.awaitMessages(1, WAIT).size());
      assertEquals(List.of(), refuser.commands().stream().filter(c -> !c.equals("QUIT")).toList());
    }
  }

  @Test
  void defersWithTheLastReasonSoftenedWhenEveryMxFails(Vertx vertx) throws Exception {
    int port = FreePorts.loopback();
    ScriptedSmtpServer.start(vertx, "127.0.0.1", port, new ScriptedSmtpServer.Script("554 5.7.1 go away", ""))
        .await(10, TimeUnit.SECONDS);
    // The preferred MX refuses the connection, the last one greets with 554.
    deploy(vertx, port, Map.of("first.test", "127.0.0.2", "second.test", "127.0.0.1"));
    RecipientResult r = deliverOne(vertx);

    assertEquals(Status.DEFERRED, r.status());
    // A 5xx from one host is no verdict on the recipient: deferred with a 4xx.
    assertEquals(454, r.reply().code());
    assertEquals("4.7.1", r.reply().enhanced());
    assertEquals("go away", r.reply().text());
    assertEquals("second.test[127.0.0.1]:" + port, r.relay());
  }

  @Test
  void discardsRepliesInjectedBeforeTheTlsHandshake(Vertx vertx) throws Exception {
    int port = FreePorts.loopback();
    // A man in the middle appends a forged reply to the plaintext 220: if the client read it after
    // the handshake, every later reply would be off by one and the delivery would go wrong.
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", port,
        new ScriptedSmtpServer.Script("220 scripted.test ESMTP", "250 2.0.0 injected\r\n250 2.0.0 injected\r\n"))
        .await(10, TimeUnit.SECONDS);
    deploy(vertx, port, Map.of("first.test", "127.0.0.1"));
    RecipientResult r = deliverOne(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals("accepted", r.reply().text());
    List<String> commands = server.commands();
    assertEquals(List.of("EHLO postern.test", "STARTTLS", "EHLO postern.test", "MAIL FROM:<sender@example.org> BODY=8BITMIME",
        "RCPT TO:<ok@example.net>", "DATA"), commands.subList(0, Math.min(6, commands.size())), commands.toString());
  }

  /** Routes example.net via the MX records first.test (10) and second.test (20) to the given IPs. */
  private static void deploy(Vertx vertx, int port, Map<String, String> hosts) throws Exception {
    PosternConfig config = ConfigLoader.load(null, List.of(
        "outbound.transport=example.net=mx.test:" + port,
        "outbound.connect_timeout=5s",
        "outbound.command_timeout=10s",
        "outbound.starttls_timeout=10s"));
    Dns dns = new FixedDns(Map.of("mx.test", List.of(new Mx(20, "second.test"), new Mx(10, "first.test"))), hosts);
    vertx.deployVerticle(new OutboundVerticle(config.outbound(), config.tls(), "postern.test",
        TlsEngine.choose(config.tls().engine()), v -> dns)).await(20, TimeUnit.SECONDS);
  }

  private static RecipientResult deliverOne(Vertx vertx) throws Exception {
    DeliveryRequest request = new DeliveryRequest(QueueIds.next(), Path.parseMailbox("sender@example.org"),
        List.of(Path.parseMailbox("ok@example.net")), Map.of("BODY", "8BITMIME"), org.postern.bus.MessageBody.of(Buffer.buffer("x\r\n")), 1);
    DeliveryReport report = Contracts.request(vertx, DeliveryRequest.ADDRESS, request, WAIT, DeliveryReport.class)
        .await(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    assertTrue(report.results().size() == 1, report.toString());
    return report.results().get(0);
  }
}

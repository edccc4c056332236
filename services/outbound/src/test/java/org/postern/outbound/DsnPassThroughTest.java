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
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.QueueIds;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.smtp.Path;
import org.postern.smtp.TlsLevel;
import org.postern.tls.TlsEngine;

/** RFC 3461 §5: DSN parameters go on to a next hop that advertises DSN, and only to one. */
@ExtendWith(VertxExtension.class)
class DsnPassThroughTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  @BeforeEach
  void policy(Vertx vertx) throws Exception {
    Contracts.register(vertx);
    vertx.eventBus().<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS,
        m -> m.reply(new DestinationTls(TlsLevel.MAY, "test"))).completion().await(10, TimeUnit.SECONDS);
    TlsPolicyStandIn.answer(vertx, TlsLevel.MAY);
  }

  private DeliveryReport.RecipientResult deliver(Vertx vertx, ScriptedSmtpServer server) throws Exception {
    PosternConfig c = ConfigLoader.load(null, List.of("outbound.transport=*=[127.0.0.1]:" + server.port()));
    vertx.deployVerticle(new OutboundVerticle(c.outbound(), c.tls(), "mx.postern.test", TlsEngine.choose("openssl")))
        .await(10, TimeUnit.SECONDS);
    DeliveryRequest req = new DeliveryRequest(QueueIds.next(), Path.parseMailbox("a@example.org"),
        List.of(Path.parseMailbox("b@example.net")), List.of(Map.of("NOTIFY", "SUCCESS,FAILURE",
            "ORCPT", "rfc822;b@example.net")), Map.of("RET", "HDRS", "ENVID", "env+2B1"), org.postern.bus.MessageBody.of(Buffer.buffer("x\r\n")), 1);
    return Contracts.request(vertx, DeliveryRequest.ADDRESS, req, WAIT, DeliveryReport.class)
        .await(WAIT.toSeconds(), TimeUnit.SECONDS).results().get(0);
  }

  @Test
  void aDsnCapableNextHopGetsTheParametersAndTheResponsibility(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", 0,
        new ScriptedSmtpServer.Script("220 scripted.test", "", List.of("DSN"))).await(10, TimeUnit.SECONDS);
    DeliveryReport.RecipientResult r = deliver(vertx, server);
    assertEquals(DeliveryReport.Status.SENT, r.status());
    assertTrue(r.dsnPassedOn(), "the next hop now reports success or failure itself");
    List<String> commands = server.commands();
    assertTrue(commands.contains("MAIL FROM:<a@example.org> RET=HDRS ENVID=env+2B1"), commands.toString());
    assertTrue(commands.contains("RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net"),
        commands.toString());
  }

  @Test
  void aNextHopWithoutDsnGetsNoParametersAndWeKeepTheResponsibility(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", 0,
        new ScriptedSmtpServer.Script("220 scripted.test", "")).await(10, TimeUnit.SECONDS);
    DeliveryReport.RecipientResult r = deliver(vertx, server);
    assertEquals(DeliveryReport.Status.SENT, r.status());
    assertTrue(!r.dsnPassedOn());
    assertTrue(server.commands().contains("MAIL FROM:<a@example.org>"), server.commands().toString());
    assertTrue(server.commands().contains("RCPT TO:<b@example.net>"), server.commands().toString());
  }
}

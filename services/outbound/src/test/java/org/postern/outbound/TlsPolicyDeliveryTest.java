package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.QueueIds;
import org.postern.bus.TargetTlsCheck;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.policy.PolicyVerticle;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.SmtpSink.Options;
import org.postern.tls.TlsEngine;

/**
 * Delivery under the real policy service's TLS rules: TLS_Rcpt when the primary MX is down and
 * the backup MX has no TLS, Try_TLS NO, TLS_Srv, and a policy that does not answer in time.
 */
@ExtendWith(VertxExtension.class)
class TlsPolicyDeliveryTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @BeforeEach
  void codecs(Vertx vertx) {
    Contracts.register(vertx);
  }

  @Test
  void tlsRcptDefersOrBouncesOnlyItsRecipientsWhenTheBackupMxLacksTls(Vertx vertx) throws Exception {
    try (SmtpSink backup = SmtpSink.start(Options.starttls(false))) {
      policy(vertx, "TLS_Rcpt:boss@example.net ENCR:128\nTLS_Rcpt:ceo@example.net PERM+VERIFY\n");
      // The primary MX (127.0.0.2) refuses connections: the backup, without STARTTLS, gets the mail.
      deploy(vertx, backup.port());
      List<RecipientResult> results = deliver(vertx, "boss@example.net", "ok@example.net", "ceo@example.net");

      assertEquals(Status.DEFERRED, results.get(0).status(), results.toString());
      assertEquals("403 4.7.0 encryption too weak 0 less than 128", results.get(0).reply().toString());
      assertEquals(Status.SENT, results.get(1).status(), results.toString());
      assertEquals(Status.BOUNCED, results.get(2).status(), results.toString());
      assertEquals("503 5.7.0 other side does not support STARTTLS", results.get(2).reply().toString());
      List<SmtpSink.ReceivedMessage> got = backup.awaitMessages(1, WAIT);
      assertEquals(List.of("ok@example.net"), got.get(0).rcptTos(), "only the unrestricted recipient was sent");
      assertFalse(got.get(0).tls());
    }
  }

  @Test
  void askedInProcessTheSameRulesHoldAndNoQuestionCrossesTheBus(Vertx vertx) throws Exception {
    List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    vertx.eventBus().addOutboundInterceptor(dc -> {
      if (dc.message().address().startsWith("postern.policy.")) {
        asked.add(dc.message().address());
      }
      dc.next();
    });
    try (SmtpSink backup = SmtpSink.start(Options.starttls(false))) {
      PolicyVerticle policy = policy(vertx, "TLS_Rcpt:boss@example.net ENCR:128\nTLS_Rcpt:ceo@example.net PERM+VERIFY\n");
      deploy(vertx, backup.port(), policy.inProcess());
      List<RecipientResult> results = deliver(vertx, "boss@example.net", "ok@example.net", "ceo@example.net");

      assertEquals("403 4.7.0 encryption too weak 0 less than 128", results.get(0).reply().toString());
      assertEquals(Status.SENT, results.get(1).status(), results.toString());
      assertEquals("503 5.7.0 other side does not support STARTTLS", results.get(2).reply().toString());
      assertEquals(List.of("ok@example.net"), backup.awaitMessages(1, WAIT).get(0).rcptTos());
      assertEquals(List.of(), asked, "questions sent on the bus");
    }
  }

  @Test
  void tlsRcptIsMetOverTls(Vertx vertx) throws Exception {
    try (SmtpSink backup = SmtpSink.start(Options.starttls(true))) {
      policy(vertx, "TLS_Rcpt:example.net ENCR:128\n");
      deploy(vertx, backup.port());
      List<RecipientResult> results = deliver(vertx, "boss@example.net");
      assertEquals(Status.SENT, results.get(0).status(), results.toString());
      assertTrue(backup.awaitMessages(1, WAIT).get(0).tls());
    }
  }

  @Test
  void tryTlsNoMeansNoStartTls(Vertx vertx) throws Exception {
    try (SmtpSink backup = SmtpSink.start(Options.starttls(true))) {
      policy(vertx, "Try_TLS:second.test NO\n");
      deploy(vertx, backup.port());
      assertEquals(Status.SENT, deliver(vertx, "ok@example.net").get(0).status());
      assertFalse(backup.awaitMessages(1, WAIT).get(0).tls(), "STARTTLS was offered but not used");
    }
  }

  @Test
  void tlsSrvRefusesAServerWithoutStartTlsAndNothingIsSent(Vertx vertx) throws Exception {
    try (SmtpSink backup = SmtpSink.start(Options.starttls(false))) {
      policy(vertx, "TLS_Srv:second.test ENCR:128\n");
      deploy(vertx, backup.port());
      RecipientResult r = deliver(vertx, "ok@example.net").get(0);
      assertEquals(Status.DEFERRED, r.status(), r.toString());
      assertEquals("403 4.7.0 encryption too weak 0 less than 128", r.reply().toString());
      assertEquals(List.of(), backup.received());
    }
  }

  @Test
  void aPolicyThatDoesNotAnswerDefersWith451(Vertx vertx) throws Exception {
    try (SmtpSink backup = SmtpSink.start(Options.starttls(false))) {
      // A slow policy: it knows the destination's level but never answers for an address.
      vertx.eventBus().<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS,
          m -> m.reply(new DestinationTls(TlsLevel.MAY, "test"))).completion().await(10, TimeUnit.SECONDS);
      vertx.eventBus().<TargetTlsCheck>consumer(TargetTlsCheck.ADDRESS, m -> { })
          .completion().await(10, TimeUnit.SECONDS);
      deploy(vertx, backup.port());
      RecipientResult r = deliver(vertx, "ok@example.net").get(0);
      assertEquals(Status.DEFERRED, r.status());
      assertEquals("451 4.3.0 TLS policy unavailable", r.reply().toString());
      assertEquals(List.of(), backup.received());
    }
  }

  private PolicyVerticle policy(Vertx vertx, String accessMap) throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, accessMap);
    PosternConfig cfg = ConfigLoader.load(null, List.of("policy.access_map=" + access));
    PolicyVerticle policy = new PolicyVerticle(cfg.policy());
    vertx.deployVerticle(policy).await(20, TimeUnit.SECONDS);
    return policy;
  }

  /** Routes example.net to first.test (MX 10, 127.0.0.2: nothing listens) and second.test (MX 20, 127.0.0.1). */
  private static void deploy(Vertx vertx, int port) throws Exception {
    deploy(vertx, port, null);
  }

  /** As above, asking {@code inProcess} (a node's own policy) instead of the bus when not null. */
  private static void deploy(Vertx vertx, int port, org.postern.bus.PolicyQuestions inProcess) throws Exception {
    PosternConfig config = ConfigLoader.load(null, List.of(
        "outbound.transport=example.net=mx.test:" + port,
        "outbound.connect_timeout=5s",
        "outbound.command_timeout=10s",
        "outbound.starttls_timeout=10s"));
    Map<String, String> hosts = Map.of("first.test", "127.0.0.2", "second.test", "127.0.0.1");
    Dns dns = new FixedDns(Map.of("mx.test", List.of(new Mx(20, "second.test"), new Mx(10, "first.test"))), hosts);
    OutboundVerticle outbound = new OutboundVerticle(config.outbound(), config.tls(), "postern.test",
        TlsEngine.choose(config.tls().engine()), v -> dns);
    if (inProcess != null) {
      outbound.policyInProcess(inProcess);
    }
    vertx.deployVerticle(outbound).await(20, TimeUnit.SECONDS);
  }

  private static List<RecipientResult> deliver(Vertx vertx, String... rcpts) throws Exception {
    List<org.postern.smtp.Path> to = new ArrayList<>();
    for (String r : rcpts) {
      to.add(org.postern.smtp.Path.parseMailbox(r));
    }
    DeliveryRequest request = new DeliveryRequest(QueueIds.next(),
        org.postern.smtp.Path.parseMailbox("sender@example.org"), to, Map.of(), org.postern.bus.MessageBody.of(Buffer.buffer("x\r\n")), 1);
    DeliveryReport report = Contracts.request(vertx, DeliveryRequest.ADDRESS, request, WAIT, DeliveryReport.class)
        .await(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    assertEquals(rcpts.length, report.results().size(), report.toString());
    return report.results();
  }
}

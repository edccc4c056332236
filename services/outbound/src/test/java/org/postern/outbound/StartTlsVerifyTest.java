package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.QueueIds;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.policy.PolicyVerticle;
import org.postern.testkit.FreePorts;
import org.postern.testkit.TestCa;
import org.postern.tls.TlsEngine;

/**
 * Seed 004's {@code ${verify}} values for a STARTTLS step that gives no session, against scripted
 * next hops on loopback under the real policy service: a 454 to STARTTLS is TEMP, a 554 PROTOCOL,
 * a broken handshake SOFTWARE. Each shows in the {@code STARTTLS=client} line and is what a
 * TLS_Srv requirement is judged on, with sendmail's replies. And the server certificate's names
 * are logged in the spelling that TLS_Srv's {@code +CS:} and {@code +CI:} take.
 */
@ExtendWith(VertxExtension.class)
class StartTlsVerifyTest {

  private static final String MX = "mx.tls.test";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String TEMPORARY = "454 4.7.0 TLS not available due to temporary reason";

  @TempDir
  Path dir;

  private final LogCapture log = new LogCapture();

  @BeforeEach
  void codecs(Vertx vertx) {
    Contracts.register(vertx);
  }

  @AfterEach
  void closeLog() {
    log.close();
  }

  @Test
  void a454IsVerifyTempAndOpportunisticTlsStillDelivers(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = nextHop(vertx, "", ScriptedSmtpServer.Script.standard().replying("STARTTLS", TEMPORARY));
    RecipientResult r = deliver(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertLogged("STARTTLS=client, relay=" + relay(server) + ", verify=TEMP, reply=" + TEMPORARY);
  }

  @Test
  void aVerifyRequirementWithVerifyTempIsSendmailsTemporaryFailure(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = nextHop(vertx, "TLS_Srv:" + MX + " VERIFY\n",
        ScriptedSmtpServer.Script.standard().replying("STARTTLS", TEMPORARY));
    RecipientResult r = deliver(vertx);

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("403 4.7.0 authentication failure TEMP", r.reply().toString());
    assertNothingSent(server);
    assertLogged("verify=TEMP");
  }

  @Test
  void a554IsVerifyProtocolAndStarttlsFailedUnderARequirement(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = nextHop(vertx, "TLS_Srv:" + MX + " PERM+ENCR:128\n",
        ScriptedSmtpServer.Script.standard().replying("STARTTLS", "554 5.7.3 TLS not for you"));
    RecipientResult r = deliver(vertx);

    assertEquals(Status.BOUNCED, r.status(), r.toString());
    assertEquals("503 5.7.0 STARTTLS failed.", r.reply().toString());
    assertNothingSent(server);
    assertLogged("STARTTLS=client, relay=" + relay(server) + ", verify=PROTOCOL, reply=554 5.7.3 TLS not for you");
  }

  @Test
  void aBrokenHandshakeIsVerifySoftwareAndTlsHandshakeFailedUnderARequirement(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = nextHop(vertx, "TLS_Srv:" + MX + " ENCR:128\n",
        ScriptedSmtpServer.Script.standard().withBrokenTls());
    RecipientResult r = deliver(vertx);

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("403 4.7.0 TLS handshake failed.", r.reply().toString());
    assertNothingSent(server);
    assertLogged("STARTTLS=client, relay=" + relay(server) + ", verify=SOFTWARE, error=");

    // The next delivery skips STARTTLS with the remembered broken peer, and is judged the same.
    RecipientResult again = deliver(vertx);
    assertEquals("403 4.7.0 TLS handshake failed.", again.reply().toString());
    assertNothingSent(server);
  }

  @Test
  void aBrokenHandshakeWithoutARequirementIsRetriedInPlaintextAndLoggedAsSoftware(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = nextHop(vertx, "", ScriptedSmtpServer.Script.standard().withBrokenTls());
    RecipientResult r = deliver(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(1, server.messages().size());
    assertLogged("STARTTLS=client, relay=" + relay(server) + ", verify=SOFTWARE, error=");
  }

  @Test
  void theServerCertificatesNamesAreLoggedAsTlsSrvTakesThem(Vertx vertx) throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"), "Outbound test CA");
    TestCa.Issued cert = ca.issueServer(MX, MX);
    ScriptedSmtpServer.Script script = ScriptedSmtpServer.Script.standard()
        .withCertificate(cert.chain().toString(), cert.key().toString());
    ScriptedSmtpServer server = nextHop(vertx, "", script);
    assertEquals(Status.SENT, deliver(vertx).status());
    String line = log.lines().stream().filter(l -> l.startsWith("STARTTLS=client, cert-subject=")).findFirst()
        .orElseThrow(() -> new AssertionError("no certificate line in:\n" + log.text()));
    assertEquals("STARTTLS=client, cert-subject=/O=Postern+20tests/CN=" + MX
        + ", cert-issuer=/O=Postern+20tests/CN=Outbound+20test+20CA", line);
    assertEquals(1, server.messages().size());

    // Pasted into TLS_Srv requirements, the names are met; another subject is not.
    String subject = line.substring(line.indexOf("cert-subject=") + 13, line.indexOf(", cert-issuer="));
    String issuer = line.substring(line.indexOf("cert-issuer=") + 12);
    undeployAll(vertx);
    nextHop(vertx, "TLS_Srv:" + MX + " ENCR:128+CS:" + subject + "+CI:" + issuer + "\n", script);
    assertEquals(Status.SENT, deliver(vertx).status(), log.text());
    undeployAll(vertx);
    nextHop(vertx, "TLS_Srv:" + MX + " ENCR:128+CS:/O=Postern+20tests/CN=other.test\n", script);
    RecipientResult r = deliver(vertx);
    assertEquals(Status.DEFERRED, r.status());
    assertTrue(r.reply().text().startsWith("Cert Subject "), r.toString());
  }

  private void assertLogged(String fragment) {
    assertTrue(log.lines().stream().anyMatch(l -> l.contains(fragment)), () -> "no '" + fragment + "' in:\n"
        + log.text());
  }

  private static void assertNothingSent(ScriptedSmtpServer server) {
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  private static String relay(ScriptedSmtpServer server) {
    return MX + "[127.0.0.1]:" + server.port();
  }

  private static void undeployAll(Vertx vertx) throws Exception {
    for (String id : List.copyOf(vertx.deploymentIDs())) {
      vertx.undeploy(id).await(20, TimeUnit.SECONDS);
    }
  }

  /** The scripted next hop, the real policy service with {@code accessMap}, and outbound routing to the hop. */
  private ScriptedSmtpServer nextHop(Vertx vertx, String accessMap, ScriptedSmtpServer.Script script)
      throws Exception {
    int port = FreePorts.loopback();
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", port, script)
        .await(10, TimeUnit.SECONDS);
    Path access = Files.createTempFile(dir, "access", "");
    Files.writeString(access, accessMap);
    PosternConfig cfg = ConfigLoader.load(null, List.of("policy.access_map=" + access,
        "outbound.transport=*=[" + MX + "]:" + port, "outbound.connect_timeout=5s", "outbound.command_timeout=10s",
        "outbound.starttls_timeout=10s"));
    vertx.deployVerticle(new PolicyVerticle(cfg.policy())).await(20, TimeUnit.SECONDS);
    vertx.deployVerticle(new OutboundVerticle(cfg.outbound(), cfg.tls(), "postern.test",
        TlsEngine.choose(cfg.tls().engine()), v -> new FixedDns(Map.of(MX, "127.0.0.1"))))
        .await(20, TimeUnit.SECONDS);
    return server;
  }

  private static RecipientResult deliver(Vertx vertx) throws Exception {
    DeliveryRequest request = new DeliveryRequest(QueueIds.next(),
        org.postern.smtp.Path.parseMailbox("sender@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("ok@example.net")), Map.of(),
        org.postern.bus.MessageBody.of(Buffer.buffer("Subject: t\r\n\r\nx\r\n")), 1);
    DeliveryReport report = Contracts.request(vertx, DeliveryRequest.ADDRESS, request, WAIT, DeliveryReport.class)
        .await(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    return report.results().get(0);
  }
}

package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
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
 * Levels secure and verify with the real policy service and real TLS handshakes: the server's
 * certificate, from a test CA, must satisfy the policy entry's {@code match=} patterns, or the
 * level's default (Postfix: secure {@code nexthop:dot-nexthop}, verify {@code hostname}). Mail for
 * example.net goes to its MX host mx.hosting.test (127.0.0.1), so the host name and the next-hop
 * domain differ, as they do on the Internet.
 */
@ExtendWith(VertxExtension.class)
class CertificateMatchTest {

  private static final String MX = "mx.hosting.test";

  @TempDir
  Path dir;

  private TestCa ca;
  private LogCapture log;

  @BeforeEach
  void setUp(Vertx vertx) {
    Contracts.register(vertx);
    ca = TestCa.create(dir, "Outbound match test CA");
    log = new LogCapture();
  }

  @AfterEach
  void tearDown() {
    log.close();
  }

  @Test
  void secureWithoutMatchAcceptsANameBelowTheNextHop(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = setUp(vertx, "example.net secure\n", "mail.example.net");
    RecipientResult r = deliver(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(1, server.messages().size());
  }

  @Test
  void secureWithoutMatchRefusesACertificateForTheMxHostOnly(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = setUp(vertx, "example.net secure\n", MX);
    RecipientResult r = deliver(vertx);

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("4.7.5", r.reply().enhanced(), r.toString());
    assertEquals("Server certificate of host " + MX + "[127.0.0.1]:" + server.port()
        + " does not match nexthop:dot-nexthop (nexthop example.net)", r.reply().text());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
    // The handshake completed before the refusal: the log says what it negotiated.
    String relay = MX + "[127.0.0.1]:" + server.port();
    assertTrue(log.lines().stream().anyMatch(l -> l.matches("[0-9A-F]+: to=<ok@example.net>, relay=" + Pattern.quote(relay)
        + ", delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=4\\.7\\.5, status=deferred \\(.*\\), tls=TLSv1\\.[23]/\\S+/\\d+/OK")), log.text());
  }

  @Test
  void aSessionThatPolicyRefusesAfterTheHandshakeIsLoggedWithItsTls(Vertx vertx) throws Exception {
    // Policy's own check on the finished session: a pin the certificate does not have.
    ScriptedSmtpServer server = setUp(vertx, "example.net fingerprint match=" + "AB".repeat(32) + "\n", MX);
    RecipientResult r = deliver(vertx);

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertTrue(r.reply().text().contains("fingerprint does not match"), r.toString());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
    String relay = MX + "[127.0.0.1]:" + server.port();
    assertTrue(log.lines().stream().anyMatch(l -> l.matches("[0-9A-F]+: to=<ok@example.net>, relay=" + Pattern.quote(relay)
        + ", delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=4\\.7\\.5, status=deferred \\(.*\\), tls=TLSv1\\.[23]/\\S+/\\d+/OK")), log.text());
  }

  @Test
  void secureMatchNamesAHostOutsideTheDestination(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = setUp(vertx, "example.net secure match=relay.partner.test\n", "relay.partner.test");
    RecipientResult r = deliver(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(1, server.messages().size());
  }

  @Test
  void secureMatchDotDomainAcceptsNamesBelowIt(Vertx vertx) throws Exception {
    setUp(vertx, "example.net secure match=.partner.test\n", "x.partner.test");
    RecipientResult r = deliver(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
  }

  @Test
  void secureMatchReplacesTheDefault(Vertx vertx) throws Exception {
    // Without match= this certificate would do (dot-nexthop); the pattern given replaces the default.
    ScriptedSmtpServer server = setUp(vertx, "example.net secure match=relay.partner.test\n", "mail.example.net");
    RecipientResult r = deliver(vertx);

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertTrue(r.reply().text().endsWith("does not match relay.partner.test"), r.toString());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void secureMatchHostnameTrustsTheMxName(Vertx vertx) throws Exception {
    setUp(vertx, "example.net secure match=hostname\n", MX);
    assertEquals(Status.SENT, deliver(vertx).status());
  }

  @Test
  void behindATransportRouteTheNextHopIsTheRoutesHostForOutboundAndPolicyAlike(Vertx vertx) throws Exception {
    // Postfix: with example.net routed to [relay.partner.test], that host is the next hop.
    deployPolicy(vertx, "example.net secure\n");
    ScriptedSmtpServer server = startServer(vertx, "relay.partner.test");
    PosternConfig config = ConfigLoader.load(null, List.of(
        "outbound.transport=example.net=[relay.partner.test]:" + server.port(),
        "outbound.tls_ca_file=" + ca.certificatePath()));
    Dns dns = new FixedDns(Map.of("relay.partner.test", "127.0.0.1"));
    vertx.deployVerticle(new OutboundVerticle(config.outbound(), config.tls(), "postern.test",
        TlsEngine.choose(config.tls().engine()), v -> dns)).await(20, TimeUnit.SECONDS);
    RecipientResult r = deliver(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(1, server.messages().size());
  }

  @Test
  void theDefaultLevelSecureUsesTheSameDefaultPatterns(Vertx vertx) throws Exception {
    deployPolicy(vertx, "", "policy.destination_tls_level=secure");
    ScriptedSmtpServer server = startServer(vertx, "mail.example.net");
    deployOutbound(vertx, server.port());
    RecipientResult r = deliver(vertx);

    assertEquals(Status.SENT, r.status(), r.toString());
  }

  @Test
  void verifyWithoutMatchWantsTheHostName(Vertx vertx) throws Exception {
    ScriptedSmtpServer server = setUp(vertx, "example.net verify\n", "mail.example.net");
    RecipientResult r = deliver(vertx);

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("Server certificate of host " + MX + "[127.0.0.1]:" + server.port()
        + " does not match hostname (hostname " + MX + ")", r.reply().text());
  }

  private ScriptedSmtpServer setUp(Vertx vertx, String tlsPolicy, String certName) throws Exception {
    deployPolicy(vertx, tlsPolicy);
    ScriptedSmtpServer server = startServer(vertx, certName);
    deployOutbound(vertx, server.port());
    return server;
  }

  private void deployPolicy(Vertx vertx, String tlsPolicy, String... settings) throws Exception {
    Path map = Files.writeString(dir.resolve("tls_policy"), tlsPolicy);
    List<String> all = new ArrayList<>(List.of("policy.tls_policy_map=" + map));
    all.addAll(List.of(settings));
    PosternConfig cfg = ConfigLoader.load(null, all);
    vertx.deployVerticle(new PolicyVerticle(cfg.policy())).await(20, TimeUnit.SECONDS);
  }

  private ScriptedSmtpServer startServer(Vertx vertx, String certName) throws Exception {
    TestCa.Issued cert = ca.issueServer(certName, certName);
    return ScriptedSmtpServer.start(vertx, "127.0.0.1", FreePorts.loopback(), ScriptedSmtpServer.Script.standard()
        .withCertificate(cert.chain().toString(), cert.key().toString())).await(10, TimeUnit.SECONDS);
  }

  /** example.net by MX lookup (with the server's port) to mx.hosting.test at 127.0.0.1. */
  private void deployOutbound(Vertx vertx, int port) throws Exception {
    PosternConfig config = ConfigLoader.load(null, List.of(
        "outbound.transport=example.net=example.net:" + port,
        "outbound.tls_ca_file=" + ca.certificatePath(),
        "outbound.connect_timeout=5s",
        "outbound.command_timeout=10s",
        "outbound.starttls_timeout=10s"));
    Dns dns = new FixedDns(Map.of("example.net", List.of(new Mx(10, MX))), Map.of(MX, "127.0.0.1"));
    vertx.deployVerticle(new OutboundVerticle(config.outbound(), config.tls(), "postern.test",
        TlsEngine.choose(config.tls().engine()), v -> dns)).await(20, TimeUnit.SECONDS);
  }

  private static RecipientResult deliver(Vertx vertx) throws Exception {
    DeliveryRequest request = new DeliveryRequest(QueueIds.next(),
        org.postern.smtp.Path.parseMailbox("sender@example.org"), List.of(org.postern.smtp.Path.parseMailbox(
            "ok@example.net")), Map.of(), org.postern.bus.MessageBody.of(Buffer.buffer("x\r\n")), 1);
    DeliveryReport report = Contracts.request(vertx, DeliveryRequest.ADDRESS, request, Harness.WAIT,
        DeliveryReport.class).await(Harness.WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    return report.results().get(0);
  }
}

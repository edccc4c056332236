package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.SmtpSink.Options;
import org.postern.testkit.TestCa;

/**
 * STARTTLS as the client does it, against real TLS peers on loopback: a handshake that breaks,
 * certificates from a test CA that do or do not verify or match, a client certificate, and TLS
 * session resumption.
 */
@ExtendWith(VertxExtension.class)
class TlsDeliveryTest {

  private static final String MX = "mx.tls.test";

  @TempDir
  Path dir;

  private Harness harness;

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void aBrokenHandshakeAtLevelMayIsRetriedInPlaintextAndRemembered(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withBrokenTls(),
        "outbound.connection_reuse_limit=1");
    RecipientResult first = harness.deliverOne("example.net");

    assertEquals(Status.SENT, first.status(), first.toString());
    assertEquals(2, server.connections());
    assertTrue(harness.logged("TLS handshake with " + MX + "[127.0.0.1]:" + server.port() + " failed"),
        harness.logText());
    assertTrue(harness.logged("retrying in plaintext at level may (TLS handshake failures so far: 1)"),
        harness.logText());
    assertTrue(harness.loggedMatching(".*dsn=2\\.0\\.0, status=sent \\(.*\\), tls=none"), harness.logText());

    // Remembered: the next delivery does not try STARTTLS at all.
    RecipientResult second = harness.deliverOne("example.net");
    assertEquals(Status.SENT, second.status(), second.toString());
    assertEquals(3, server.connections());
    assertEquals(1, server.commands().stream().filter(c -> c.equals("STARTTLS")).count(), server.commands().toString());
    assertTrue(harness.logged("failed a TLS handshake recently"), harness.logText());
  }

  @Test
  void aBrokenHandshakeIsNeverRetriedInPlaintextWhenPolicyDemandsTls(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.ENCRYPT);
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withBrokenTls());
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("4.7.5", r.reply().enhanced(), r.toString());
    assertEquals(1, server.connections());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void aServerThatNeverAnswersStarttlsIsGivenUpAfterTheStarttlsTimeoutNotTheCommandTimeout(Vertx vertx)
      throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
    // The command timeout is far beyond the harness's wait: only the STARTTLS timeout can end this.
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard()
        .replying("STARTTLS", ScriptedSmtpServer.SILENCE),
        "outbound.command_timeout=600s", "outbound.starttls_timeout=1s");
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("4.4.2", r.reply().enhanced(), r.toString());
    assertTrue(r.reply().text().contains("timed out while waiting for the reply to STARTTLS"), r.toString());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void aBrokenHandshakeIsToldInWordsAndEveryLineNamesTheRelayAlike(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.ENCRYPT);
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard().withBrokenTls());
    RecipientResult r = harness.deliverOne("example.net");

    String relay = MX + "[127.0.0.1]:" + server.port();
    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals(relay, r.relay());
    assertTrue(r.reply().text().startsWith("TLS handshake with " + relay + " failed: the "), r.toString());
    List<String> lines = harness.log();
    assertTrue(lines.stream().anyMatch(l -> l.contains("to=<ok@example.net>, relay=" + relay + ", ")), lines.toString());
    for (String line : lines) {
      assertFalse(line.matches("(?s).*[A-Za-z]+(Exception|Error)\\b.*"), "a Java class name in the log: " + line);
      if (line.contains("127.0.0.1")) {
        assertTrue(line.replace(relay, "").indexOf("127.0.0.1") < 0, "the relay named otherwise: " + line);
      }
    }
  }

  @Test
  void theHandshakeLineNamesTheRelayAsTheDeliveryLineDoes(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard());
    assertEquals(Status.SENT, harness.deliverOne("example.net").status());

    String relay = MX + "[127.0.0.1]:" + server.port();
    assertTrue(harness.log().stream().anyMatch(l -> l.startsWith("STARTTLS=client, relay=" + relay + ", version=")),
        harness.logText());
    assertTrue(harness.log().stream().anyMatch(l -> l.contains("to=<ok@example.net>, relay=" + relay + ", ")),
        harness.logText());
  }

  @Test
  void notesAStarttlsOfferThatLevelNoneLeavesUnused(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.NONE);
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard());
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.SENT, r.status(), r.toString());
    assertFalse(server.commands().contains("STARTTLS"));
    assertTrue(harness.logged("host " + MX + "[127.0.0.1]:" + server.port()
        + " offered STARTTLS, unused at TLS level none"), () -> "port " + server.port() + " log:\n" + harness.logText());
  }

  /** Postfix's words for the session: Verified when the name was checked too, Trusted when only the chain was. */
  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({"VERIFY, Verified", "ENCRYPT, Trusted"})
  void aChainThatVerifiesAgainstTheConfiguredCaDeliversAndIsLoggedInPostfixsWords(TlsLevel level, String trust,
      Vertx vertx) throws Exception {
    harness = new Harness(vertx, level);
    TestCa ca = TestCa.create(dir, "Outbound test CA");
    TestCa.Issued cert = ca.issueServer(MX, MX);
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard()
        .withCertificate(cert.chain().toString(), cert.key().toString()),
        "outbound.tls_ca_file=" + ca.certificatePath());
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(1, server.messages().size());
    assertTrue(harness.loggedMatching(".*dsn=2\\.0\\.0, status=sent \\(.*\\), tls=\\S+/OK"), harness.logText());
    assertTrue(harness.logged(trust + " TLS connection established to " + MX + "[127.0.0.1]:" + server.port()
        + ": TLSv1.3 with cipher "), harness.logText());
  }

  @Test
  void levelVerifyDefersWhenTheChainDoesNotVerify(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.VERIFY);
    TestCa ca = TestCa.create(dir, "Outbound test CA");
    TestCa.Issued cert = ca.issueServer(MX, MX);
    // The CA is not configured: the JDK's CAs do not know it.
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard()
        .withCertificate(cert.chain().toString(), cert.key().toString()));
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("4.7.5", r.reply().enhanced());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void levelSecureDefersWhenTheCertificateIsForAnotherName(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.SECURE);
    TestCa ca = TestCa.create(dir, "Outbound test CA");
    TestCa.Issued cert = ca.issueServer("other.test", "other.test");
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard()
        .withCertificate(cert.chain().toString(), cert.key().toString()),
        "outbound.tls_ca_file=" + ca.certificatePath());
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.DEFERRED, r.status(), r.toString());
    assertEquals("4.7.5", r.reply().enhanced());
    assertTrue(r.reply().text().contains("does not match nexthop:dot-nexthop (nexthop " + MX + ")"), r.reply().text());
    assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
  }

  @Test
  void levelSecureDeliversWhenTheCertificateNamesTheNextHop(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.SECURE);
    TestCa ca = TestCa.create(dir, "Outbound test CA");
    TestCa.Issued cert = ca.issueServer(MX, MX);
    start(vertx, ScriptedSmtpServer.Script.standard().withCertificate(cert.chain().toString(), cert.key().toString()),
        "outbound.tls_ca_file=" + ca.certificatePath());
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.SENT, r.status(), r.toString());
  }

  @Test
  void presentsTheConfiguredClientCertificate(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
    TestCa ca = TestCa.create(dir, "Outbound test CA");
    TestCa.Issued client = ca.issueClient("postern.test");
    ScriptedSmtpServer server = start(vertx, ScriptedSmtpServer.Script.standard()
        .requestingClientCertificates(ca.certificatePath().toString()),
        "outbound.tls_cert_chain=" + client.chain(), "outbound.tls_key=" + client.key());
    RecipientResult r = harness.deliverOne("example.net");

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals(1, server.clientCertificates().size(), server.clientCertificates().toString());
    assertTrue(server.clientCertificates().get(0).contains("CN=postern.test"), server.clientCertificates().toString());
  }

  @Test
  void resumesTheTlsSessionOnTheNextConnectionWithOpenssl(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
    try (SmtpSink sink = SmtpSink.start(Options.starttls(true))) {
      harness.deploy(v -> new FixedDns(Map.of(MX, "127.0.0.1")), "outbound.transport=*=[" + MX + "]:" + sink.port(),
          "outbound.connection_reuse_limit=1", "tls.engine=openssl");
      assertEquals(Status.SENT, harness.deliverOne("example.net").status());
      assertEquals(Status.SENT, harness.deliverOne("example.net").status());

      List<String> handshakes = harness.log().stream().filter(l -> l.startsWith("STARTTLS=client, relay=")).toList();
      assertEquals(2, handshakes.size(), harness.logText());
      assertFalse(handshakes.get(0).contains("resumed=yes"), handshakes.toString());
      assertTrue(handshakes.get(1).endsWith(", resumed=yes"), handshakes.toString());
      // The server agrees: the second session was resumed, the first was not.
      List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(2, Harness.WAIT);
      assertEquals(List.of(false, true), got.stream().map(SmtpSink.ReceivedMessage::tlsResumed).toList());
    }
  }

  private ScriptedSmtpServer start(Vertx vertx, ScriptedSmtpServer.Script script, String... settings)
      throws Exception {
    int port = FreePorts.loopback();
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "127.0.0.1", port, script)
        .await(10, TimeUnit.SECONDS);
    String[] all = new String[settings.length + 1];
    all[0] = "outbound.transport=*=[" + MX + "]:" + port;
    System.arraycopy(settings, 0, all, 1, settings.length);
    harness.deploy(v -> new FixedDns(Map.of(MX, "127.0.0.1")), all);
    return server;
  }
}

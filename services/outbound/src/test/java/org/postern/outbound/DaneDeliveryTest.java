package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.SignedDns;
import org.postern.testkit.SignedDns.Signing;
import org.postern.testkit.SignedDns.Zone;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.SmtpSink.Options;
import org.postern.testkit.TestCa;

/**
 * Levels dane and dane-only against real DNSSEC: zones signed with ldns-signzone and served by
 * NSD, validated by unbound on loopback (the resolver outbound trusts with
 * outbound.dns_support_level = dnssec), TLSA records computed from the test PKI's certificates,
 * and a real SMTP server (aiosmtpd) with STARTTLS presenting them. MX records carry no port, so
 * the transport table sends each domain to its MX lookup with the sink's port, and the TLSA
 * records sit at {@code _PORT._tcp}.
 */
@ExtendWith(VertxExtension.class)
class DaneDeliveryTest {

  private static SmtpSink sink;
  private static SignedDns dns;
  private static String transport;

  private Harness harness;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    TestCa ca = TestCa.create(dir, "DANE test CA");
    // The server's certificate names one MX host only: DANE-TA must check names, DANE-EE must not.
    TestCa.Issued server = ca.issueServer("mx-ta.dane.test");
    TestCa.Issued other = ca.issueServer("other.dane.test");
    sink = SmtpSink.startWithCertificate(Options.defaults(), server.chain(), server.key());
    int port = sink.port();
    String ee = "TLSA 3 1 1 " + hex(TlsaMatch.associationData(server.certificate(), 1, 1));
    String wrongEe = "TLSA 3 1 1 " + hex(TlsaMatch.associationData(other.certificate(), 1, 1));
    String ta = "TLSA 2 0 1 " + hex(TlsaMatch.associationData(ca.certificate(), 0, 1));
    String tlsa = "_" + port + "._tcp.";
    dns = SignedDns.start(List.of(
        new Zone("dane.test", Signing.SIGNED, List.of(
            "ee MX 10 mx-ee", "mx-ee A 127.0.0.1", tlsa + "mx-ee " + ee,
            "bad MX 10 mx-bad", "mx-bad A 127.0.0.1", tlsa + "mx-bad " + wrongEe,
            "ta MX 10 mx-ta", "mx-ta A 127.0.0.1", tlsa + "mx-ta " + ta,
            "taname MX 10 mx-taname", "mx-taname A 127.0.0.1", tlsa + "mx-taname " + ta,
            "alias MX 10 mx-alias", "mx-alias CNAME mx-ta",
            "cached MX 10 mx-cached", "mx-cached A 127.0.0.1", tlsa + "mx-cached " + ee,
            "notlsa MX 10 mx-notlsa", "mx-notlsa A 127.0.0.1",
            "strip MX 10 mx-strip", "mx-strip A 127.0.0.2", tlsa + "mx-strip " + ee,
            "forged MX 10 mx-forged", "mx-forged A 127.0.0.1", tlsa + "mx-forged " + ee),
            List.of(tlsa + "mx-forged")),
        // Not signed: a TLSA record here that would fail must be ignored.
        new Zone("insecure.test", Signing.UNSIGNED, List.of("@ MX 10 mx", "mx A 127.0.0.1", tlsa + "mx " + wrongEe)),
        new Zone("expired.test", Signing.EXPIRED, List.of("@ MX 10 mx", "mx A 127.0.0.1", tlsa + "mx " + ee))));
    transport = Stream.of("ee.dane.test", "bad.dane.test", "ta.dane.test", "taname.dane.test", "alias.dane.test", "cached.dane.test", "notlsa.dane.test",
        "strip.dane.test", "forged.dane.test", "insecure.test", "expired.test")
        .map(d -> d + "=" + d + ":" + port).collect(Collectors.joining(","));
  }

  @AfterAll
  static void stop() {
    if (sink != null) {
      sink.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  private RecipientResult deliver(Vertx vertx, TlsLevel level, String domain) throws Exception {
    harness = new Harness(vertx, level);
    harness.deploy("outbound.dns_servers=" + dns.resolver(), "outbound.dns_support_level=dnssec",
        "outbound.transport=" + transport);
    return harness.deliverOne(domain);
  }

  private String context() {
    return "\n" + harness.logText() + "\n" + dns.log();
  }

  @Test
  void daneEeMatchDeliversOverVerifiedTls(Vertx vertx) throws Exception {
    int before = sink.received().size();
    RecipientResult r = deliver(vertx, TlsLevel.DANE, "ee.dane.test");

    assertEquals(Status.SENT, r.status(), r + context());
    assertEquals(before + 1, sink.awaitMessages(before + 1, Harness.WAIT).size());
    assertTrue(harness.logged("Verified TLS connection established to mx-ee.dane.test[127.0.0.1]:" + sink.port()),
        context());
    assertTrue(harness.logged("matched TLSA record 3 1 1 "), context());
    assertTrue(harness.logged("(DANE-EE) at depth 0"), context());
    // The session's ${verify} is OK: DANE authenticated the server.
    assertTrue(harness.logged("verify=OK"), context());
  }

  @Test
  void tlsaAnswersAreCachedForTheirTtl(Vertx vertx) throws Exception {
    String name = "_" + sink.port() + "._tcp.mx-cached.dane.test.";
    assertEquals(Status.SENT, deliver(vertx, TlsLevel.DANE, "cached.dane.test").status(), context());
    assertEquals(1, dns.queries(name, "TLSA"), context());

    // The zone's TTL is 60 s: the second delivery asks nobody.
    assertEquals(Status.SENT, harness.deliverOne("cached.dane.test").status(), context());
    assertEquals(1, dns.queries(name, "TLSA"), context());
    assertTrue(harness.log().stream().filter(l -> l.contains("matched TLSA record 3 1 1")).count() >= 1, context());
  }

  @Test
  void aTlsaMismatchDefersAndSendsNothing(Vertx vertx) throws Exception {
    assertDeferred(vertx, TlsLevel.DANE, "bad.dane.test", "450 4.7.5", "no TLSA record matched");
    assertFalse(harness.logged("TLS connection established"), context());
  }

  @Test
  void daneTaMatchesTheCaThatIssuedACertificateForTheMxName(Vertx vertx) throws Exception {
    assertSent(vertx, TlsLevel.DANE_ONLY, "ta.dane.test", "(DANE-TA) at depth 1",
        "Verified TLS connection established to mx-ta.dane.test");
  }

  @Test
  void anMxHostBehindASecureCnameUsesTheTlsaRecordsAndNameOfTheCnamesEnd(Vertx vertx) throws Exception {
    // mx-alias has no TLSA records of its own; mx-ta, where its CNAME leads, has, and the
    // certificate names mx-ta only: RFC 7672 §2.2.2 and §3.2.2's TLSA base domain.
    assertSent(vertx, TlsLevel.DANE_ONLY, "alias.dane.test", "Verified TLS connection established to mx-alias.dane.test");
  }

  @Test
  void daneTaRefusesACertificateForAnotherName(Vertx vertx) throws Exception {
    assertDeferred(vertx, TlsLevel.DANE, "taname.dane.test", "450 4.7.5", "not for mx-taname.dane.test");
  }

  @Test
  void anInsecureZoneGetsNoDaneAndDaneFallsBackToMay(Vertx vertx) throws Exception {
    assertSent(vertx, TlsLevel.DANE, "insecure.test",
        "no DANE: the MX records of insecure.test are not DNSSEC-signed; level may",
        "Untrusted TLS connection established to mx.insecure.test");
  }

  @Test
  void daneOnlyDefersAnInsecureZone(Vertx vertx) throws Exception {
    assertDeferred(vertx, TlsLevel.DANE_ONLY, "insecure.test", "451 4.7.5", "not DNSSEC-signed (level dane-only)");
  }

  @Test
  void aForgedTlsaSignatureDefers(Vertx vertx) throws Exception {
    // unbound finds the signature bogus and answers SERVFAIL.
    assertDeferred(vertx, TlsLevel.DANE, "forged.dane.test", "451 4.7.5", "SERVFAIL");
  }

  @Test
  void expiredSignaturesOnTheMxDefer(Vertx vertx) throws Exception {
    // Routing asks the same validating resolver, and finds no MX to deliver to.
    assertDeferred(vertx, TlsLevel.DANE, "expired.test", "451 4.4.3", "SERVFAIL");
  }

  @Test
  void daneWithoutTlsaFallsBackToMay(Vertx vertx) throws Exception {
    assertSent(vertx, TlsLevel.DANE, "notlsa.dane.test",
        "no DANE: no TLSA records at _" + sink.port() + "._tcp.mx-notlsa.dane.test");
  }

  @Test
  void daneOnlyWithoutTlsaDefers(Vertx vertx) throws Exception {
    assertDeferred(vertx, TlsLevel.DANE_ONLY, "notlsa.dane.test", "451 4.7.5", "no TLSA records");
  }

  @Test
  void starttlsStrippedByTheNextHopWithUsableTlsaDefers(Vertx vertx) throws Exception {
    ScriptedSmtpServer stripped = ScriptedSmtpServer.start(vertx, "127.0.0.2", sink.port(),
        ScriptedSmtpServer.Script.standard().withoutStarttls()).await(10, TimeUnit.SECONDS);
    assertDeferred(vertx, TlsLevel.DANE, "strip.dane.test", "450 4.7.4", "was not offered");
    assertTrue(stripped.commands().stream().noneMatch(c -> c.startsWith("MAIL")), stripped.commands().toString());
  }

  /** Delivers, and checks that the sink got it and that the log has each of {@code logged}. */
  private void assertSent(Vertx vertx, TlsLevel level, String domain, String... logged) throws Exception {
    int before = sink.received().size();
    RecipientResult r = deliver(vertx, level, domain);

    assertEquals(Status.SENT, r.status(), r + context());
    assertEquals(before + 1, sink.awaitMessages(before + 1, Harness.WAIT).size());
    for (String line : logged) {
      assertTrue(harness.logged(line), line + " not logged:" + context());
    }
  }

  /** Delivers, and checks the deferral's reply and that the sink got nothing. */
  private void assertDeferred(Vertx vertx, TlsLevel level, String domain, String code, String text) throws Exception {
    int before = sink.received().size();
    RecipientResult r = deliver(vertx, level, domain);

    assertEquals(Status.DEFERRED, r.status(), r + context());
    assertTrue(r.reply().toString().startsWith(code + " ") && r.reply().text().contains(text), r.toString());
    assertEquals(before, sink.received().size());
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}

package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.PostfixServer;
import org.postern.testkit.SignedDns;
import org.postern.testkit.SignedDns.Signing;
import org.postern.testkit.SignedDns.Zone;
import org.postern.testkit.TestCa;

/**
 * Levels dane and dane-only towards a real Postfix as the receiving MX (issue 18): Postfix's smtpd
 * presents a certificate from the test PKI, a signed zone publishes a DANE-EE 3 1 1 TLSA record
 * for it (and, for another MX name on the same Postfix, one for a different key). One Postfix and
 * one DNS set-up for the class.
 */
@ExtendWith(VertxExtension.class)
class DaneDeliveryPostfixTest {

  private static PostfixServer postfix;
  private static SignedDns dns;
  private static String transport;
  private static String matching;

  private Harness harness;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    // CI runs as root, so this never skips there.
    assumeTrue("root".equals(System.getProperty("user.name")),
        "a private Postfix needs root (its master starts as root and drops to 'postfix')");
    TestCa ca = TestCa.create(dir, "DANE Postfix test CA");
    TestCa.Issued server = ca.issueServer("mx-pf.dane.test");
    TestCa.Issued other = ca.issueServer("other.dane.test");
    List<String> domains = List.of("pf.dane.test", "pfonly.dane.test", "pfbad.dane.test");
    postfix = PostfixServer.start(server.chain(), server.key(), domains);
    int port = postfix.port();
    matching = "3 1 1 " + hex(TlsaMatch.associationData(server.certificate(), 1, 1));
    String wrong = "3 1 1 " + hex(TlsaMatch.associationData(other.certificate(), 1, 1));
    String tlsa = "_" + port + "._tcp.";
    dns = SignedDns.start(List.of(new Zone("dane.test", Signing.SIGNED, List.of(
        "pf MX 10 mx-pf", "pfonly MX 10 mx-pf", "mx-pf A 127.0.0.1", tlsa + "mx-pf TLSA " + matching,
        "pfbad MX 10 mx-pfbad", "mx-pfbad A 127.0.0.1", tlsa + "mx-pfbad TLSA " + wrong))));
    transport = domains.stream().map(d -> d + "=" + d + ":" + port).collect(Collectors.joining(","));
  }

  @AfterAll
  static void stop() {
    if (postfix != null) {
      postfix.close();
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

  @Test
  void daneDeliversToPostfixOverVerifiedTls(Vertx vertx) throws Exception {
    assertVerifiedDelivery(vertx, TlsLevel.DANE, "pf.dane.test");
  }

  @Test
  void daneOnlyDeliversToPostfixOverVerifiedTls(Vertx vertx) throws Exception {
    assertVerifiedDelivery(vertx, TlsLevel.DANE_ONLY, "pfonly.dane.test");
  }

  @Test
  void aTlsaRecordForAnotherKeyDefersAndPostfixGetsNothing(Vertx vertx) throws Exception {
    long queuedBefore = postfix.queued();
    long disconnectsBefore = postfix.maillog().stream().filter(DaneDeliveryPostfixTest::disconnect).count();
    RecipientResult r = deliver(vertx, TlsLevel.DANE, "pfbad.dane.test");

    assertEquals(Status.DEFERRED, r.status(), r + context());
    assertTrue(r.reply().toString().startsWith("450 4.7.5 ") && r.reply().text().contains("no TLSA record matched"),
        r.toString());
    // Once Postfix has seen the session end, nothing of it can still be on its way to the log.
    postfix.awaitLogged(DaneDeliveryPostfixTest::disconnect, disconnectsBefore + 1, Harness.WAIT);
    assertEquals(queuedBefore, postfix.queued(), context());
    assertFalse(postfix.maillog().stream().anyMatch(l -> l.contains("pfbad.dane.test")), context());
    assertFalse(harness.logged("TLS connection established"), context());
  }

  private void assertVerifiedDelivery(Vertx vertx, TlsLevel level, String domain) throws Exception {
    RecipientResult r = deliver(vertx, level, domain);

    assertEquals(Status.SENT, r.status(), r + context());
    assertTrue(harness.logged("Verified TLS connection established to mx-pf.dane.test[127.0.0.1]:" + postfix.port()),
        context());
    // The log abbreviates the data to its first 8 octets, in capitals.
    assertTrue(harness.logged("matched TLSA record " + matching.substring(0, 22).toUpperCase() + "..."), context());
    assertTrue(harness.logged("(DANE-EE) at depth 0"), context());
    PostfixServer.Received got = postfix.awaitDiscarded("ok@" + domain, Harness.WAIT);
    assertTrue(got.tls().isPresent() && got.tls().get().contains("TLS connection established from"),
        "Postfix queued " + got.queueId() + " without TLS:" + context());
  }

  private RecipientResult deliver(Vertx vertx, TlsLevel level, String domain) throws Exception {
    harness = new Harness(vertx, level);
    harness.deploy("outbound.dns_servers=" + dns.resolver(), "outbound.dns_support_level=dnssec",
        "outbound.transport=" + transport);
    return harness.deliverOne(domain);
  }

  private static boolean disconnect(String line) {
    return line.contains("postfix/smtpd[") && line.contains(": disconnect from ");
  }

  private String context() {
    return "\n" + harness.logText() + "\n--- Postfix\n" + postfix.maillogTail() + "\n" + dns.log();
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}

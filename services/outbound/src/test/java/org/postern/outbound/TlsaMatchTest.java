package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postern.testkit.TestCa;

/** TLSA matching on its own (RFC 6698, RFC 7671, RFC 7672 §3.1): certificates, records, a verdict. */
class TlsaMatchTest {

  private static TestCa ca;
  private static TestCa otherCa;
  private static X509Certificate[] mxChain;
  private static X509Certificate stranger;
  private static final List<String> MX = List.of("mx.dane.test");

  @BeforeAll
  static void pki(@TempDir Path dir) {
    ca = TestCa.create(dir, "DANE test CA");
    otherCa = TestCa.create(dir, "Other CA");
    TestCa.Issued mx = ca.issueServer("mx.dane.test");
    mxChain = new X509Certificate[] {mx.certificate(), ca.certificate()};
    stranger = otherCa.issueServer("mx.dane.test").certificate();
  }

  private static Tlsa record(int usage, int selector, int matching, X509Certificate cert) throws Exception {
    return new Tlsa(usage, selector, matching, TlsaMatch.associationData(cert, selector, matching));
  }

  @ParameterizedTest(name = "3 {0} {1} matches the leaf")
  @CsvSource({"0, 0", "0, 1", "0, 2", "1, 0", "1, 1", "1, 2"})
  void daneEeMatchesTheLeafWithEverySelectorAndMatchingType(int selector, int matching) throws Exception {
    Tlsa t = record(3, selector, matching, mxChain[0]);
    TlsaMatch.Result r = TlsaMatch.check(List.of(t), mxChain, MX, new Date());
    assertTrue(r.matched(), r.problem());
    assertEquals(0, r.depth());
    assertEquals(t, r.record());
  }

  @Test
  void daneEeIgnoresNamesAndDates() throws Exception {
    Tlsa t = record(3, 1, 1, mxChain[0]);
    Date longAfter = new Date(System.currentTimeMillis() + 400L * 24 * 3600 * 1000);
    assertTrue(TlsaMatch.check(List.of(t), mxChain, List.of("elsewhere.test"), longAfter).matched());
  }

  @Test
  void anotherCertificateDoesNotMatch() throws Exception {
    TlsaMatch.Result r = TlsaMatch.check(List.of(record(3, 1, 1, stranger)), mxChain, MX, new Date());
    assertFalse(r.matched());
    assertEquals("no TLSA record matched the certificate chain", r.problem());
  }

  @Test
  void daneTaMatchesTheIssuerPresentedInTheChainAndChecksTheName() throws Exception {
    Tlsa ta = record(2, 0, 1, ca.certificate());
    TlsaMatch.Result r = TlsaMatch.check(List.of(ta), mxChain, MX, new Date());
    assertTrue(r.matched(), r.problem());
    assertEquals(1, r.depth());

    TlsaMatch.Result wrongName = TlsaMatch.check(List.of(ta), mxChain, List.of("other.dane.test"), new Date());
    assertFalse(wrongName.matched());
    assertTrue(wrongName.problem().contains("not for other.dane.test"), wrongName.problem());
  }

  @Test
  void daneTaChecksDatesBelowTheTrustAnchor() throws Exception {
    Date longAfter = new Date(System.currentTimeMillis() + 400L * 24 * 3600 * 1000);
    TlsaMatch.Result r = TlsaMatch.check(List.of(record(2, 1, 1, ca.certificate())), mxChain, MX, longAfter);
    assertFalse(r.matched());
    assertTrue(r.problem().contains("not valid now"), r.problem());
  }

  @Test
  void daneTaNeedsTheChainToHoldUpToTheAnchor() throws Exception {
    // The anchor is presented, but the leaf was issued by another CA.
    X509Certificate[] forged = {stranger, ca.certificate()};
    TlsaMatch.Result r = TlsaMatch.check(List.of(record(2, 0, 1, ca.certificate())), forged, MX, new Date());
    assertFalse(r.matched());
    assertTrue(r.problem().contains("was not issued by"), r.problem());
  }

  @Test
  void daneTaDoesNotMatchAnAnchorTheServerDoesNotPresent() throws Exception {
    X509Certificate[] leafOnly = {mxChain[0]};
    assertFalse(TlsaMatch.check(List.of(record(2, 0, 1, ca.certificate())), leafOnly, MX, new Date()).matched());
  }

  @ParameterizedTest(name = "{0} {1} {2} unusable")
  @CsvSource({"0, 0, 1", "1, 1, 1", "4, 1, 1", "3, 2, 1", "3, 1, 3", "2, 0, 255"})
  void pkixUsagesAndUnknownParametersAreUnusableAndNeverMatch(int usage, int selector, int matching)
      throws Exception {
    // Data that would match the leaf or its issuer if the record were used.
    Tlsa leaf = new Tlsa(usage, selector, matching, TlsaMatch.associationData(mxChain[0], Math.min(selector, 1), 1));
    Tlsa issuer = new Tlsa(usage, selector, matching, TlsaMatch.associationData(ca.certificate(),
        Math.min(selector, 1), 1));
    assertFalse(leaf.usable());
    assertFalse(TlsaMatch.check(List.of(leaf, issuer), mxChain, MX, new Date()).matched());
  }

  @Test
  void aDigestOfTheWrongLengthIsUnusable() {
    assertFalse(new Tlsa(3, 1, 1, new byte[31]).usable());
    assertFalse(new Tlsa(3, 1, 2, new byte[32]).usable());
    assertTrue(new Tlsa(3, 1, 2, new byte[64]).usable());
  }

  @Test
  void oneMatchingRecordAmongOthersIsEnough() throws Exception {
    List<Tlsa> set = List.of(record(3, 1, 1, stranger), new Tlsa(1, 0, 1, new byte[32]), record(3, 1, 2, mxChain[0]));
    TlsaMatch.Result r = TlsaMatch.check(set, mxChain, MX, new Date());
    assertTrue(r.matched());
    assertEquals(set.get(2), r.record());
  }

  @Test
  void noCertificateNoMatch() throws Exception {
    assertFalse(TlsaMatch.check(List.of(record(3, 1, 1, mxChain[0])), new X509Certificate[0], MX, new Date())
        .matched());
  }

  @Test
  void describesARecordAsPostfixLogsIt() {
    byte[] data = new byte[32];
    data[0] = (byte) 0xAB;
    assertEquals("3 1 1 AB00000000000000...", new Tlsa(3, 1, 1, data).describe());
    assertEquals("2 0 0 0102", new Tlsa(2, 0, 0, new byte[] {1, 2}).describe());
  }
}

package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.TestCa;

/** Which names a certificate serves, as SNI selection uses them. */
class CertificateNamesTest {

  @TempDir
  Path dir;

  @Test
  void subjectAltNamesLowerCased() {
    TestCa ca = TestCa.create(dir, "Names CA");
    assertEquals(List.of("mx.a.test", "*.b.test"), CertificateNames.of(ca.issueServer("MX.A.test", "*.B.test").certificate()));
  }

  @Test
  void commonNameWhenThereIsNoSubjectAltName() {
    TestCa ca = TestCa.create(dir, "Names CA");
    assertEquals(List.of("alice"), CertificateNames.of(ca.issueClient("Alice").certificate()));
  }

  @Test
  void wildcardCoversExactlyOneLabel() {
    List<String> names = List.of("*.b.test");
    assertTrue(CertificateNames.covers(names, "mx.b.test"));
    assertTrue(CertificateNames.covers(names, "MX.B.TEST."));
    assertFalse(CertificateNames.covers(names, "b.test"));
    assertFalse(CertificateNames.covers(names, "a.mx.b.test"));
    assertFalse(CertificateNames.covers(names, "mxb.test"));
    assertTrue(CertificateNames.covers(List.of("a.test"), "A.test"));
    assertFalse(CertificateNames.covers(List.of("a.test"), "b.test"));
  }

  @Test
  void belowMeansAStrictSubdomainAndAWildcardIsBelowItsOwnDomain() {
    assertTrue(CertificateNames.below(List.of("mail.example.net"), "example.net"));
    assertTrue(CertificateNames.below(List.of("a.b.example.net"), "EXAMPLE.NET."));
    assertFalse(CertificateNames.below(List.of("example.net"), "example.net"));
    assertFalse(CertificateNames.below(List.of("badexample.net"), "example.net"));
    assertTrue(CertificateNames.below(List.of("*.example.net"), "example.net"));
    assertTrue(CertificateNames.below(List.of("*.mx.example.net"), "example.net"));
    assertFalse(CertificateNames.below(List.of("*.net"), "example.net"));
  }

  @Test
  void postfixMatchPatterns() {
    TestCa ca = TestCa.create(dir, "Names CA");
    var cert = ca.issueServer("mail.example.net", "mail.example.net").certificate();
    String host = "mx.hosting.test";
    assertTrue(PeerVerification.certificateMatches(cert, List.of("nexthop", "dot-nexthop"), host, "example.net"));
    assertFalse(PeerVerification.certificateMatches(cert, List.of("nexthop"), host, "example.net"));
    assertFalse(PeerVerification.certificateMatches(cert, List.of("hostname"), host, "example.net"));
    assertTrue(PeerVerification.certificateMatches(cert, List.of("hostname"), "mail.example.net", "example.net"));
    assertTrue(PeerVerification.certificateMatches(cert, List.of("other.test", ".example.net"), host, "x.test"));
    assertTrue(PeerVerification.certificateMatches(cert, List.of("MAIL.example.net"), host, "x.test"));
    assertFalse(PeerVerification.certificateMatches(cert, List.of(".mail.example.net", "example.net"), host, "x.test"));
  }
}

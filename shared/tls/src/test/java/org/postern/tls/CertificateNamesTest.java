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
}

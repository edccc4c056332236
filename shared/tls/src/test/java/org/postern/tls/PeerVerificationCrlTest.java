package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.smtp.Verify;
import org.postern.testkit.TestCa;

/**
 * tls.crl_file judges next hops too (sendmail's CRLFile, both ways): a next hop whose certificate
 * the CRL of its issuer lists is FAIL with the reason; others are untouched, including a next hop
 * of another CA, which the file's CRL does not cover.
 */
class PeerVerificationCrlTest {

  @TempDir
  Path dir;

  @Test
  void aRevokedNextHopIsFailAndAnUnrevokedOneOk() throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"), "Example Mail CA");
    TestCa.Issued good = ca.issueServer("mx.good.example");
    TestCa.Issued bad = ca.issueServer("mx.revoked.example");
    ca.revoke(bad.certificate());
    Path crl = ca.writeCrl();
    TestCa other = TestCa.create(dir.resolve("other"), "Other CA");
    TestCa.Issued foreign = other.issueServer("mx.other.example");

    PeerVerification plain = PeerVerification.trusting(List.of(ca.certificate(), other.certificate()));
    PeerVerification checked = plain.withCrls(crl);
    assertEquals(Verify.OK, plain.verifyServer(chain(bad)), "without the CRL nothing knows");
    assertEquals(Verify.OK, checked.verifyServer(chain(good)));
    assertEquals(Verify.OK, checked.verifyServer(chain(foreign)), "the CRL does not cover another CA");
    PeerVerification.Result r = checked.checkServer(chain(bad));
    assertEquals(Verify.FAIL, r.verify());
    assertTrue(r.reason().startsWith("certificate revoked on "), r.reason());
    assertEquals(Verify.NO, checked.checkServer(new X509Certificate[0]).verify());
  }

  @Test
  void aCrlNotSignedByTheIssuerIsFail() throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"), "Example Mail CA");
    TestCa.Issued good = ca.issueServer("mx.good.example");
    // Another CA of the same name signs a CRL: it must not count for ours.
    TestCa impostor = TestCa.create(dir.resolve("impostor"), "Example Mail CA");
    PeerVerification checked = PeerVerification.trusting(List.of(ca.certificate())).withCrls(impostor.writeCrl());
    PeerVerification.Result r = checked.checkServer(chain(good));
    assertEquals(Verify.FAIL, r.verify());
    assertTrue(r.reason().contains("is not signed by that CA"), r.reason());
  }

  @Test
  void aFileWithoutACrlIsRefusedByName() throws Exception {
    Path notCrl = Files.writeString(dir.resolve("crl.pem"), "nothing here\n");
    IOException e = assertThrows(IOException.class,
        () -> PeerVerification.jdkDefault().withCrls(notCrl));
    assertTrue(e.getMessage().startsWith(notCrl.toString()), e.getMessage());
  }

  private static X509Certificate[] chain(TestCa.Issued i) throws Exception {
    return CaCertificates.certificates(i.chain(), Files.readString(i.chain())).toArray(new X509Certificate[0]);
  }
}

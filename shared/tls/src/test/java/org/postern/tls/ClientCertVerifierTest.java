package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.ConfigLoader;
import org.postern.config.TlsConfig;
import org.postern.smtp.Verify;
import org.postern.testkit.TestCa;

/** Client-certificate verdicts against real chains from a test CA, and loading errors. */
class ClientCertVerifierTest {

  @TempDir
  static Path dir;

  static TestCa ca;
  static TestCa otherCa;

  @BeforeAll
  static void cas() {
    ca = TestCa.create(dir, "Postern Test CA");
    otherCa = TestCa.create(dir, "Some Other CA");
  }

  private static TlsConfig tls(String... settings) throws Exception {
    return ConfigLoader.load(null, List.of(settings)).tls();
  }

  private static ClientCertVerifier withCa(String... more) throws Exception {
    List<String> s = new ArrayList<>(List.of("tls.ca_file=" + ca.certificatePath()));
    s.addAll(List.of(more));
    return ClientCertVerifier.load(tls(s.toArray(new String[0])));
  }

  private static X509Certificate[] chain(TestCa.Issued issued) {
    return new X509Certificate[] {issued.certificate()};
  }

  @Test
  void certificateFromTheCaIsOk() throws Exception {
    ClientCertVerifier v = withCa();
    TestCa.Issued alice = ca.issueClient("alice");
    assertTrue(v.configured());
    assertEquals(new ClientCertVerifier.Result(Verify.OK, ""), v.check(chain(alice)));
    // Clients often send their root too; it must not get in the way.
    assertEquals(Verify.OK, v.verify(new X509Certificate[] {alice.certificate(), ca.certificate()}));
  }

  @Test
  void certificateFromAnotherCaFails() throws Exception {
    ClientCertVerifier.Result r = withCa().check(chain(otherCa.issueClient("mallory")));
    assertEquals(Verify.FAIL, r.verify());
    assertFalse(r.reason().isEmpty());
  }

  @Test
  void revokedCertificateFailsAndOthersFromTheSameCaStayOk() throws Exception {
    TestCa.Issued revoked = ca.issueClient("revoked");
    TestCa.Issued good = ca.issueClient("good");
    ca.revoke(revoked.certificate());
    ClientCertVerifier v = withCa("tls.crl_file=" + ca.writeCrl());
    assertTrue(v.checksRevocation());
    ClientCertVerifier.Result r = v.check(chain(revoked));
    assertEquals(Verify.FAIL, r.verify());
    assertTrue(r.reason().contains("revoked"), r.reason());
    assertEquals(Verify.OK, v.verify(chain(good)));
    // Without the CRL the same certificate verifies: the CRL is what made it fail.
    assertEquals(Verify.OK, withCa().verify(chain(revoked)));
  }

  @Test
  void derCrlIsReadToo() throws Exception {
    TestCa.Issued revoked = ca.issueClient("revoked-der");
    ca.revoke(revoked.certificate());
    Path der = dir.resolve("crl.der");
    Files.write(der, ca.crl().getEncoded());
    assertEquals(Verify.FAIL, withCa("tls.crl_file=" + der).verify(chain(revoked)));
  }

  @Test
  void crlThatDoesNotCoverTheIssuerFails() throws Exception {
    // As with sendmail's CRLFile: revocation status unknown is not a pass.
    ClientCertVerifier v = withCa("tls.crl_file=" + otherCa.writeCrl());
    assertEquals(Verify.FAIL, v.verify(chain(ca.issueClient("uncovered"))));
  }

  @Test
  void expiredCertificateFails() throws Exception {
    Instant now = Instant.now();
    TestCa.Issued old = ca.issueClient("old", now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
    ClientCertVerifier.Result r = withCa().check(chain(old));
    assertEquals(Verify.FAIL, r.verify());
    assertTrue(r.reason().contains("expired"), r.reason());
  }

  @Test
  void serverOnlyCertificateIsNoClientCertificate() throws Exception {
    ClientCertVerifier.Result r = withCa().check(chain(ca.issueServer("mx.example.test")));
    assertEquals(Verify.FAIL, r.verify());
    assertTrue(r.reason().contains("client authentication"), r.reason());
  }

  @Test
  void noCertificateIsNo() throws Exception {
    ClientCertVerifier v = withCa();
    assertEquals(Verify.NO, v.verify(new X509Certificate[0]));
    assertEquals(Verify.NO, v.verify(null));
  }

  @Test
  void withoutCaEveryCertificateFails() throws Exception {
    ClientCertVerifier v = ClientCertVerifier.load(tls());
    assertFalse(v.configured());
    assertEquals(Verify.FAIL, v.verify(chain(ca.issueClient("alice"))));
    assertEquals(Verify.NO, v.verify(new X509Certificate[0]));
  }

  @Test
  void caPathReadsPemAndCrtFilesAndSkipsOthers() throws Exception {
    Path caDir = Files.createDirectories(dir.resolve("capath"));
    Files.copy(ca.certificatePath(), caDir.resolve("test-ca.crt"));
    Files.writeString(caDir.resolve("README"), "not a certificate");
    ClientCertVerifier v = ClientCertVerifier.load(tls("tls.ca_path=" + caDir));
    assertTrue(v.configured());
    assertEquals(Verify.OK, v.verify(chain(ca.issueClient("alice"))));
    assertEquals(Verify.FAIL, v.verify(chain(otherCa.issueClient("mallory"))));
  }

  @Test
  void missingFilesAreNamed() throws Exception {
    Path nope = dir.resolve("nope.pem");
    IOException e = assertThrows(IOException.class, () -> ClientCertVerifier.load(tls("tls.ca_file=" + nope)));
    assertEquals("tls.ca_file file " + nope + " does not exist", e.getMessage());
    e = assertThrows(IOException.class, () -> ClientCertVerifier.load(tls("tls.ca_path=" + nope)));
    assertEquals("tls.ca_path " + nope + " does not exist", e.getMessage());
    e = assertThrows(IOException.class, () -> ClientCertVerifier.load(tls("tls.crl_file=" + nope)));
    assertEquals("tls.crl_file file " + nope + " does not exist", e.getMessage());
  }

  @Test
  void unparsableFilesAreNamed() throws Exception {
    Path junk = dir.resolve("junk.pem");
    Files.writeString(junk, "hello\n");
    IOException e = assertThrows(IOException.class, () -> ClientCertVerifier.load(tls("tls.ca_file=" + junk)));
    assertTrue(e.getMessage().startsWith(junk + ": "), e.getMessage());
    e = assertThrows(IOException.class, () -> ClientCertVerifier.load(tls("tls.crl_file=" + junk)));
    assertTrue(e.getMessage().startsWith(junk + ": "), e.getMessage());
  }
}

package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.config.ConfigLoader;
import org.postern.config.TlsConfig;
import org.postern.testkit.TestCa;

/** The checks a node runs on the TLS pieces of a configuration push, before it writes or swaps anything. */
class PushedTlsCheckTest {

  @TempDir
  Path dir;

  private static TlsConfig tls(String... sets) throws Exception {
    return ConfigLoader.load(null, List.of(sets)).tls();
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p);
  }

  @Test
  void aMatchingChainAndKeyAreCredentialsNamedAfterTheItem() throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"), "Push CA");
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    ServerCredentials c = PushedTlsCheck.credentials("mail.pem", read(mail.chain()), read(mail.key()));
    assertEquals(Fingerprints.sha256(mail.certificate()), c.fingerprint());
    assertEquals("pushed mail.pem", c.source());
  }

  @Test
  void aKeyOfAnotherCertificateIsRefusedNamingTheItemAndTheSubject() throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"), "Push CA");
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    TestCa.Issued other = ca.issueServer("other.postern.test");
    IOException e = assertThrows(IOException.class,
        () -> PushedTlsCheck.credentials("mail.pem", read(mail.chain()), read(other.key())));
    assertEquals("mail.pem: the private key does not belong to the first certificate (CN=mail.postern.test,O=Postern tests)",
        e.getMessage());
  }

  @Test
  void anEncryptedKeyIsRefusedWithTheCommandThatDecryptsIt() throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"), "Push CA");
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    Path encrypted = dir.resolve("enc.key");
    Process p = new ProcessBuilder("openssl", "pkey", "-in", mail.key().toString(), "-out", encrypted.toString(),
        "-aes256", "-passout", "pass:secret").redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    IOException e = assertThrows(IOException.class,
        () -> PushedTlsCheck.credentials("mail.pem", read(mail.chain()), read(encrypted)));
    assertTrue(e.getMessage().startsWith("mail.pem: the private key is encrypted; "), e.getMessage());
  }

  @Test
  void textThatIsNotPemIsRefusedNamingTheItem() throws Exception {
    TestCa ca = TestCa.create(dir.resolve("ca"), "Push CA");
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    IOException chain = assertThrows(IOException.class,
        () -> PushedTlsCheck.credentials("mail.pem", "hello\n", read(mail.key())));
    assertTrue(chain.getMessage().startsWith("mail.pem: "), chain.getMessage());
    IOException key = assertThrows(IOException.class,
        () -> PushedTlsCheck.credentials("mail.pem", read(mail.chain()), read(mail.chain())));
    assertEquals("mail.pem (key): no PEM private key found", key.getMessage());
    IOException cas = assertThrows(IOException.class, () -> PushedTlsCheck.caFile("clients-ca.pem", "nothing"));
    assertTrue(cas.getMessage().startsWith("clients-ca.pem: "), cas.getMessage());
    IOException crl = assertThrows(IOException.class, () -> PushedTlsCheck.crlFile("revoked.crl", read(mail.chain())));
    assertTrue(crl.getMessage().startsWith("revoked.crl: "), crl.getMessage());
    assertEquals(1, PushedTlsCheck.caFile("clients-ca.pem", read(ca.certificatePath())).size());
    PushedTlsCheck.crlFile("revoked.crl", read(ca.writeCrl()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk"})
  void protocolsAndSuitesAreCheckedAgainstTheEngineAndAContextBuilds(String engineName) throws Exception {
    TlsEngine engine = TlsEngine.choose(engineName);
    TestCa ca = TestCa.create(dir.resolve("ca"), "Push CA");
    TestCa.Issued mail = ca.issueServer("mail.postern.test");
    ServerCredentials c = PushedTlsCheck.credentials("mail.pem", read(mail.chain()), read(mail.key()));
    TlsConfig defaults = tls();
    assertEquals(List.of(), PushedTlsCheck.settingsProblems(defaults, engine));
    assertNull(PushedTlsCheck.contextProblem(List.of(c), defaults, engine));
    assertNull(PushedTlsCheck.contextProblem(List.of(c), tls("tls.protocols=TLSv1.3"), engine));

    assertEquals(List.of("tls.ciphers: TLS_NO_SUCH_SUITE_SHA256 is not a cipher suite the " + engine.description()
        + " engine offers"), PushedTlsCheck.settingsProblems(
            tls("tls.ciphers=TLS_AES_128_GCM_SHA256, TLS_NO_SUCH_SUITE_SHA256"), engine));
    assertEquals(List.of("tls.ciphers: no suite in it can be used with tls.protocols TLSv1.2 (TLS 1.3 uses only"
        + " TLS_AES_* and TLS_CHACHA20_*, TLS 1.2 only the others)"),
        PushedTlsCheck.settingsProblems(tls("tls.protocols=TLSv1.2", "tls.ciphers=TLS_AES_128_GCM_SHA256"), engine));
  }
}

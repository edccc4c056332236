package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.ConfigLoader;
import org.postern.config.TlsConfig;
import org.postern.testkit.TestCa;

/** The generated credentials, checked by the JDK and by the openssl command line. */
class CredentialsTest {

  @TempDir
  Path dir;

  private static TlsConfig selfSigned() throws Exception {
    return ConfigLoader.load(null, List.of()).tls();
  }

  @Test
  void firstStartGeneratesAPrivateKeyAndACertificateOpenSslAccepts() throws Exception {
    ServerCredentials c = ServerCredentials.loadOrCreate(selfSigned(), dir, "mx.postern.test");
    Path key = dir.resolve("tls/selfsigned.key");
    Path cert = dir.resolve("tls/selfsigned.crt");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls"))));
    c.leaf().checkValidity();
    c.leaf().verify(c.leaf().getPublicKey());
    assertTrue(c.leaf().getSubjectAlternativeNames().toString().contains("mx.postern.test"));
    assertTrue(c.fingerprint().matches("([0-9A-F]{2}:){31}[0-9A-F]{2}"), c.fingerprint());

    String text = openssl("x509", "-in", cert.toString(), "-noout", "-text", "-fingerprint", "-sha256");
    assertTrue(text.contains("Subject: O = Postern self-signed, CN = mx.postern.test"), text);
    assertTrue(text.contains("DNS:mx.postern.test"), text);
    assertTrue(text.contains("TLS Web Server Authentication"), text);
    assertTrue(text.contains("sha256 Fingerprint=" + c.fingerprint()), text);
    String verify = openssl("verify", "-CAfile", cert.toString(), "-partial_chain", cert.toString());
    assertTrue(verify.contains(": OK"), verify);
    String keyCheck = openssl("pkey", "-in", key.toString(), "-noout", "-text");
    assertTrue(keyCheck.contains("NIST CURVE: P-256"), keyCheck);
  }

  @Test
  void secondStartReusesTheSameCertificate() throws Exception {
    String first = ServerCredentials.loadOrCreate(selfSigned(), dir, "mx.postern.test").fingerprint();
    String second = ServerCredentials.loadOrCreate(selfSigned(), dir, "mx.postern.test").fingerprint();
    assertEquals(first, second);
  }

  @Test
  void keyReadableByOthersIsRefusedWithTheFix() throws Exception {
    ServerCredentials.loadOrCreate(selfSigned(), dir, "mx.postern.test");
    Path key = dir.resolve("tls/selfsigned.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    KeyFiles.InsecureKeyFileException e = assertThrows(KeyFiles.InsecureKeyFileException.class,
        () -> ServerCredentials.load(dir.resolve("tls/selfsigned.crt"), key, "test"));
    assertTrue(e.getMessage().endsWith("fix with: chmod 600 " + key), e.getMessage());
  }

  @Test
  void missingCertificateFileIsNamed() {
    Path nope = dir.resolve("nope.pem");
    Exception e = assertThrows(java.io.IOException.class, () -> ServerCredentials.load(nope, nope, "test"));
    assertEquals("certificate chain file " + nope + " does not exist", e.getMessage());
  }

  @Test
  void loadAllReturnsThePrimaryThenEveryMorePairInOrder() throws Exception {
    TestCa ca = TestCa.create(dir, "Credentials CA");
    TestCa.Issued primary = ca.issueServer("mx.postern.test");
    TestCa.Issued rsa = ca.issueRsaServer("mx.postern.test");
    TestCa.Issued other = ca.issueServer("other.test");
    TlsConfig tls = ConfigLoader.load(null, List.of("tls.cert_chain=" + primary.chain(), "tls.key=" + primary.key(),
        "tls.more_certificates=" + rsa.chain() + "  " + rsa.key() + " ,\t" + other.chain() + " " + other.key() + ","))
        .tls();
    List<ServerCredentials> all = ServerCredentials.loadAll(tls, dir, "unused");
    assertEquals(List.of(primary.certificate(), rsa.certificate(), other.certificate()),
        all.stream().map(ServerCredentials::leaf).toList());
    assertEquals(List.of("EC", "RSA", "EC"), all.stream().map(ServerCredentials::keyAlgorithm).toList());
    assertEquals("tls.more_certificates " + rsa.chain(), all.get(1).source());
    assertFalse(all.get(1).toString().contains("PRIVATE"), "toString must not print key material");
  }

  @Test
  void loadAllWithoutMoreCertificatesIsTheSelfSignedOne() throws Exception {
    List<ServerCredentials> all = ServerCredentials.loadAll(selfSigned(), dir, "mx.postern.test");
    assertEquals(1, all.size());
    assertTrue(all.get(0).source().startsWith("self-signed "), all.get(0).source());
  }

  @Test
  void moreCertificatesKeyReadableByOthersIsRefused() throws Exception {
    TestCa.Issued more = TestCa.create(dir, "Credentials CA").issueServer("other.test");
    Files.setPosixFilePermissions(more.key(), PosixFilePermissions.fromString("rw-r-----"));
    TlsConfig tls = ConfigLoader.load(null, List.of("tls.more_certificates=" + more.chain() + " " + more.key())).tls();
    KeyFiles.InsecureKeyFileException e = assertThrows(KeyFiles.InsecureKeyFileException.class,
        () -> ServerCredentials.loadAll(tls, dir, "mx.postern.test"));
    assertTrue(e.getMessage().contains(more.key().toString()), e.getMessage());
  }

  @Test
  void moreCertificatesEntryWithoutAKeyIsNamed() throws Exception {
    TlsConfig tls = ConfigLoader.load(null, List.of("tls.more_certificates=/etc/only-a-chain.pem")).tls();
    Exception e = assertThrows(java.io.IOException.class, () -> ServerCredentials.loadAll(tls, dir, "mx.postern.test"));
    assertEquals("tls.more_certificates entry '/etc/only-a-chain.pem' must be two paths separated by a space: "
        + "chain.pem key.pem", e.getMessage());
  }

  @Test
  void missingMoreKeyFileIsNamed() throws Exception {
    TestCa.Issued more = TestCa.create(dir, "Credentials CA").issueServer("other.test");
    Path nope = dir.resolve("nope.key");
    TlsConfig tls = ConfigLoader.load(null, List.of("tls.more_certificates=" + more.chain() + " " + nope)).tls();
    Exception e = assertThrows(java.io.IOException.class, () -> ServerCredentials.loadAll(tls, dir, "mx.postern.test"));
    assertEquals("private key file " + nope + " does not exist", e.getMessage());
  }

  @Test
  void keyOfAnotherCertificateIsRefused() throws Exception {
    TestCa ca = TestCa.create(dir, "Credentials CA");
    TestCa.Issued one = ca.issueServer("one.test");
    TestCa.Issued two = ca.issueServer("two.test");
    Exception e = assertThrows(java.io.IOException.class, () -> ServerCredentials.load(one.chain(), two.key(), "test"));
    assertTrue(e.getMessage().startsWith("private key " + two.key() + " does not belong to the first certificate in "
        + one.chain()), e.getMessage());
  }

  @Test
  void traditionalPemKeysAreRead() throws Exception {
    TestCa.Issued rsa = TestCa.create(dir, "Credentials CA").issueRsaServer("mx.postern.test");
    Path traditional = dir.resolve("traditional.key");
    openssl("pkey", "-in", rsa.key().toString(), "-traditional", "-out", traditional.toString());
    Files.setPosixFilePermissions(traditional, PosixFilePermissions.fromString("rw-------"));
    assertTrue(Files.readString(traditional).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    assertEquals("RSA", ServerCredentials.load(rsa.chain(), traditional, "test").keyAlgorithm());
  }

  @Test
  void encryptedKeyIsRefusedWithTheFix() throws Exception {
    TestCa.Issued issued = TestCa.create(dir, "Credentials CA").issueServer("mx.postern.test");
    Path encrypted = dir.resolve("encrypted.key");
    openssl("pkey", "-in", issued.key().toString(), "-aes256", "-passout", "pass:secret", "-out", encrypted.toString());
    Files.setPosixFilePermissions(encrypted, PosixFilePermissions.fromString("rw-------"));
    Exception e = assertThrows(PrivateKeys.EncryptedKeyFileException.class,
        () -> ServerCredentials.load(issued.chain(), encrypted, "t"));
    String fix = "(umask 077; openssl pkey -in " + encrypted + " -out " + encrypted + ".plain)";
    assertEquals(encrypted + ": the private key is encrypted; Postern needs an unencrypted key (the seeds' -nodes:"
        + " a daemon cannot type a passphrase); decrypt it with: " + fix + " and configure " + encrypted
        + ".plain instead", e.getMessage());
    // The fix it names works: a 0600 unencrypted copy that loads (openssl asks for the passphrase
    // on a terminal; here it is given on its command line instead).
    Process p = new ProcessBuilder("bash", "-c", fix.replace(" -out ", " -passin pass:secret -out "))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    Path plain = dir.resolve("encrypted.key.plain");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)));
    assertEquals(Fingerprints.sha256(issued.certificate()),
        ServerCredentials.load(issued.chain(), plain, "t").fingerprint());
  }

  @Test
  void cipherBitsFromSuiteNames() {
    assertEquals(256, SessionFacts.cipherBits("TLS_AES_256_GCM_SHA384"));
    assertEquals(128, SessionFacts.cipherBits("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
    assertEquals(256, SessionFacts.cipherBits("TLS_CHACHA20_POLY1305_SHA256"));
    assertEquals(0, SessionFacts.cipherBits("TLS_SOMETHING_NEW"), "unknown suites fail closed");
  }

  private static String openssl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}

package org.postern.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CA key encrypted with a passphrase: really encrypted (openssl opens it with the passphrase
 * file and not without), usable for every CA operation with the right passphrase, and refused with
 * one precise line with a wrong one, none, or one read from a file others can read.
 */
class EncryptedCaKeyTest {

  private static final String SECRET = "correct horse battery staple";

  @TempDir
  Path tmp;

  Path passFile;
  PkiDirectory dir;

  @BeforeEach
  void encryptedCa() throws Exception {
    passFile = secretFile("ca.pass", SECRET + "\n");
    dir = new PkiDirectory(tmp.resolve("pki"));
    CertificateAuthority.init(dir, DistinguishedNames.parse("/O=Example/CN=Offline CA"), KeySpec.parse("ec:p256"),
        3650, Passphrase.fromFile(passFile));
  }

  private Path secretFile(String name, String text) throws Exception {
    Path f = tmp.resolve(name);
    Files.writeString(f, text);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    return f;
  }

  @Test
  void theKeyIsEncryptedPkcs8ThatOpensslOpensWithThePassphraseFileOnly() throws Exception {
    String pem = Files.readString(dir.caKey());
    assertTrue(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), pem);
    assertTrue(!pem.contains(SECRET));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.caKey())));
    Openssl.run("pkey", "-in", dir.caKey(), "-passin", "file:" + passFile, "-noout").ok();
    assertNotEquals(0, Openssl.run("pkey", "-in", dir.caKey(), "-passin", "pass:wrong", "-noout").exit());
    // The key openssl decrypts is the one the CA certificate vouches for.
    assertEquals(Openssl.run("pkey", "-in", dir.caKey(), "-passin", "file:" + passFile, "-pubout").ok().output(),
        Openssl.run("x509", "-in", dir.caCertificate(), "-noout", "-pubkey").ok().output());
    // PBES2: PBKDF2 with HMAC-SHA256 and 600000 (0x927C0) rounds, then AES-256-CBC.
    String asn1 = Openssl.run("asn1parse", "-in", dir.caKey()).ok().output();
    assertTrue(asn1.contains(":PBES2") && asn1.contains(":PBKDF2") && asn1.contains(":hmacWithSHA256")
        && asn1.contains(":aes-256-cbc"), asn1);
    assertTrue(asn1.contains("INTEGER           :0927C0"), asn1);
    assertTrue(String.join("\n", CertificateReport.describe(dir.caKey(), java.time.Instant.now()))
        .contains("encrypted"));
  }

  @Test
  void everyCaOperationWorksWithTheRightPassphrase() throws Exception {
    CertificateAuthority ca = CertificateAuthority.open(dir, Passphrase.fromFile(passFile));
    Issued server = ca.issue(Profile.SERVER, "mail.example.com", "", KeySpec.parse("ec:p256"), 365);
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslserver", server.certificateFile()).ok();
    JdkChecks.validate(server.certificate(), ca.certificate(), null);
    assertTrue(Files.readString(server.keyFile()).startsWith("-----BEGIN PRIVATE KEY-----"),
        "a server key stays unencrypted: the node cannot type a passphrase");

    Path csr = CertificateRequests.write(new PkiDirectory(tmp.resolve("req")), DistinguishedNames.parse("/CN=relay.example"),
        "", KeySpec.parse("ec:p256"));
    Issued signed = CertificateAuthority.open(dir, Passphrase.fromEnvironment("CA_PASS", Map.of("CA_PASS", SECRET)))
        .sign(csr, Profile.SERVER, 30);
    Openssl.run("verify", "-CAfile", dir.caCertificate(), signed.certificateFile()).ok();

    // A fresh open, as each command does: the database on disk now holds what the other one signed.
    ca = CertificateAuthority.open(dir, Passphrase.fromFile(passFile));
    ca.revoke(signed.certificateFile(), 30);
    ca.writeCrl(7);
    assertTrue(Openssl.run("crl", "-in", dir.crl(), "-CAfile", dir.caCertificate(), "-noout").ok().output()
        .contains("verify OK"));
    assertEquals(2, Openssl.run("verify", "-crl_check", "-CAfile", dir.caCertificate(), "-CRLfile", dir.crl(),
        signed.certificateFile()).exit());
  }

  @Test
  void aWrongPassphraseOrNoneIsNamedInOneLine() throws Exception {
    Path wrong = secretFile("wrong.pass", "not the passphrase\n");
    assertEquals("the CA key " + dir.caKey() + ": wrong passphrase (--passphrase-file " + wrong
            + "), or the key file is damaged",
        assertThrows(PkiException.class, () -> CertificateAuthority.open(dir, Passphrase.fromFile(wrong))).getMessage());
    assertEquals("the CA key " + dir.caKey() + " is encrypted; give its passphrase with --passphrase-file FILE"
        + " or --passphrase-env VAR", assertThrows(PkiException.class, () -> CertificateAuthority.open(dir)).getMessage());
    // Only the first line counts, as for openssl -passin file:.
    CertificateAuthority.open(dir, Passphrase.fromFile(secretFile("two-lines.pass", SECRET + "\nsecond line\n")));
  }

  @Test
  void aPassphraseForAnUnencryptedKeyIsRefusedSoNobodyBelievesItProtected() throws Exception {
    PkiDirectory plain = new PkiDirectory(tmp.resolve("plain"));
    CertificateAuthority.init(plain, DistinguishedNames.parse("/CN=Plain CA"), KeySpec.parse("ec:p256"), 30);
    assertEquals("the CA key " + plain.caKey() + " is not encrypted, yet --passphrase-file " + passFile
            + " was given; drop that option",
        assertThrows(PkiException.class, () -> CertificateAuthority.open(plain, Passphrase.fromFile(passFile)))
            .getMessage());
    CertificateAuthority.open(plain); // and without it, it works as before
  }

  @Test
  void thePassphraseSourceIsCheckedLikeAKey() throws Exception {
    Files.setPosixFilePermissions(passFile, PosixFilePermissions.fromString("rw-r--r--"));
    assertEquals("--passphrase-file " + passFile + ": the passphrase file is accessible by group or others"
        + " (rw-r--r--); fix with: chmod 600 " + passFile,
        assertThrows(PkiException.class, () -> Passphrase.fromFile(passFile)).getMessage());
    Path missing = tmp.resolve("missing.pass");
    assertEquals("--passphrase-file " + missing + ": no such file",
        assertThrows(PkiException.class, () -> Passphrase.fromFile(missing)).getMessage());
    Path empty = secretFile("empty.pass", "\n");
    assertEquals("--passphrase-file " + empty + ": the passphrase is empty",
        assertThrows(PkiException.class, () -> Passphrase.fromFile(empty)).getMessage());
    assertEquals("--passphrase-env CA_PASS: the environment variable CA_PASS is not set",
        assertThrows(PkiException.class, () -> Passphrase.fromEnvironment("CA_PASS", Map.of())).getMessage());
    assertEquals("--passphrase-env CA_PASS: the passphrase is empty",
        assertThrows(PkiException.class, () -> Passphrase.fromEnvironment("CA_PASS", Map.of("CA_PASS", "")))
            .getMessage());
    // Printing a passphrase shows where it came from, never what it is.
    assertEquals("--passphrase-file " + passFile.resolveSibling("short.pass"),
        Passphrase.fromFile(secretFile("short.pass", "abc")).toString());
    PkiException shortOne = assertThrows(PkiException.class, () -> CertificateAuthority.init(
        new PkiDirectory(tmp.resolve("short")), DistinguishedNames.parse("/CN=Short"), KeySpec.parse("ec:p256"), 30,
        Passphrase.fromFile(tmp.resolve("short.pass"))));
    assertEquals("--passphrase-file " + tmp.resolve("short.pass") + ": the passphrase has 3 characters; use at least 8",
        shortOne.getMessage());
    assertTrue(!Files.exists(tmp.resolve("short/private/ca.key")), "nothing is written before the check");
  }

  @Test
  void aKeyEncryptedByOpensslInTheTraditionalFormOpensToo() throws Exception {
    Path plain = tmp.resolve("plain.key");
    Openssl.run("pkey", "-in", dir.caKey(), "-passin", "file:" + passFile, "-out", plain).ok();
    Openssl.run("pkey", "-in", plain, "-traditional", "-aes256", "-passout", "file:" + passFile, "-out", dir.caKey()).ok();
    Files.setPosixFilePermissions(dir.caKey(), PosixFilePermissions.fromString("rw-------"));
    assertTrue(Files.readString(dir.caKey()).contains("Proc-Type: 4,ENCRYPTED"), Files.readString(dir.caKey()));
    CertificateAuthority.open(dir, Passphrase.fromFile(passFile)).writeCrl(30);
    assertTrue(assertThrows(PkiException.class, () -> CertificateAuthority.open(dir,
        Passphrase.fromFile(secretFile("bad.pass", "bad passphrase")))).getMessage().contains(": wrong passphrase ("));
  }
}

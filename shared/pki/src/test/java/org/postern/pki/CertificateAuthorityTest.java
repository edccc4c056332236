package org.postern.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA and what it issues, each file checked twice: by the JDK's PKIX validator and by the real
 * {@code openssl verify}, {@code openssl x509 -text} and {@code openssl crl}.
 */
class CertificateAuthorityTest {

  @TempDir
  Path tmp;

  PkiDirectory dir;
  CertificateAuthority ca;

  @BeforeEach
  void ca() throws Exception {
    dir = new PkiDirectory(tmp.resolve("pki"));
    ca = CertificateAuthority.init(dir, DistinguishedNames.parse("/C=US/O=Example/CN=Example Mail CA"),
        KeySpec.parse("ec:p256"), 3650);
  }

  @Test
  void theCaCertificateIsACaWithKeyIdentifiersAndASecretKey() throws Exception {
    // Older and newer openssl print names differently ("C=US" and "C = US").
    String text = Openssl.run("x509", "-noout", "-text", "-in", dir.caCertificate()).ok().output().replace(" = ", "=");
    assertTrue(text.contains("Subject: C=US, O=Example, CN=Example Mail CA"), text);
    assertTrue(text.matches("(?s).*X509v3 Basic Constraints: critical\\s+CA:TRUE, pathlen:0.*"), text);
    assertTrue(text.matches("(?s).*X509v3 Key Usage: critical\\s+Certificate Sign, CRL Sign.*"), text);
    assertTrue(text.contains("X509v3 Subject Key Identifier") && text.contains("X509v3 Authority Key Identifier"), text);
    // A self-signed CA verifies against itself.
    Openssl.run("verify", "-CAfile", dir.caCertificate(), dir.caCertificate()).ok();
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.caKey())));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.caKey().getParent())));
    assertTrue(Files.readString(dir.caKey()).startsWith("-----BEGIN PRIVATE KEY-----"), "unencrypted PKCS#8");
    // The empty CRL written at creation is signed by the CA.
    assertTrue(Openssl.run("crl", "-in", dir.crl(), "-CAfile", dir.caCertificate(), "-noout").ok().output()
        .contains("verify OK"));
  }

  @Test
  void aServerCertificateVerifiesAsServerAndAsClientAndNamesItsHosts() throws Exception {
    Issued s = ca.issue(Profile.SERVER, "mail.example.com", "mail.example.com,mx2.example.com,192.0.2.7",
        KeySpec.parse("ec:p256"), 365);
    JdkChecks.validate(s.certificate(), ca.certificate(), null);
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslserver", s.certificateFile()).ok();
    // An MTA sends with the certificate it receives with (seed 003).
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslclient", s.certificateFile()).ok();
    String text = Openssl.run("x509", "-noout", "-text", "-in", s.certificateFile()).ok().output();
    assertTrue(text.contains("DNS:mail.example.com, DNS:mx2.example.com, IP Address:192.0.2.7"), text);
    assertTrue(text.matches("(?s).*Basic Constraints: critical\\s+CA:FALSE.*"), text);
    assertTrue(text.matches("(?s).*Key Usage: critical\\s+Digital Signature\\s.*"), text);
    assertTrue(text.matches("(?s).*Extended Key Usage:\\s+TLS Web Server Authentication, TLS Web Client Authentication\\s.*"),
        text);
    // The chain file is the leaf, then the CA.
    List<X509Certificate> chain = Pem.certificates(s.chainFile());
    assertEquals(List.of(s.certificate(), ca.certificate()), chain);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(s.keyFile())));
    // openssl agrees that the key belongs to the certificate.
    assertEquals(Openssl.run("pkey", "-in", s.keyFile(), "-pubout").ok().output(),
        Openssl.run("x509", "-in", s.certificateFile(), "-noout", "-pubkey").ok().output());
  }

  @Test
  void anRsaServerKeyAlsoMayEncipher() throws Exception {
    Issued s = ca.issue(Profile.SERVER, "rsa.example.com", "", KeySpec.parse("rsa:2048"), 30);
    JdkChecks.validate(s.certificate(), ca.certificate(), null);
    String text = Openssl.run("x509", "-noout", "-text", "-in", s.certificateFile()).ok().output();
    assertTrue(text.contains("Public-Key: (2048 bit)"), text);
    assertTrue(text.matches("(?s).*Key Usage: critical\\s+Digital Signature, Key Encipherment.*"), text);
    assertTrue(text.contains("DNS:rsa.example.com"), "the CN is among the names: " + text);
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslserver", s.certificateFile()).ok();
  }

  @Test
  void clientAndNodeCertificatesCarryTheirUsages() throws Exception {
    Issued c = ca.issue(Profile.CLIENT, "desktop.example.net", "", KeySpec.parse("ec:p384"), 365);
    JdkChecks.validate(c.certificate(), ca.certificate(), null);
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslclient", c.certificateFile()).ok();
    assertTrue(Openssl.run("x509", "-noout", "-text", "-in", c.certificateFile()).ok().output()
        .matches("(?s).*Extended Key Usage:\\s+TLS Web Client Authentication\\s.*"));
    Issued n = ca.issue(Profile.NODE, "node1.cluster.example", "", KeySpec.parse("ec:p256"), 365);
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslclient", n.certificateFile()).ok();
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslserver", n.certificateFile()).ok();
  }

  @Test
  void aRevokedCertificateIsInTheCrlAndRefusedByBothCheckers() throws Exception {
    Issued good = ca.issue(Profile.CLIENT, "desktop.example.net", "", KeySpec.parse("ec:p256"), 365);
    Issued stolen = ca.issue(Profile.CLIENT, "stolen-laptop.example.net", "", KeySpec.parse("ec:p256"), 365);
    ca.revoke(stolen.certificateFile(), 7);
    X509CRL crl = Pem.crls(dir.crl()).get(0);
    assertEquals(BasicReason.REVOKED, JdkChecks.refusal(stolen.certificate(), ca.certificate(), crl));
    assertNull(JdkChecks.refusal(good.certificate(), ca.certificate(), crl));

    String text = Openssl.run("crl", "-in", dir.crl(), "-noout", "-text").ok().output();
    assertTrue(text.contains("Serial Number: " + CertificateReport.hex(stolen.certificate().getSerialNumber())), text);
    assertTrue(text.contains("Next Update:") && text.contains("X509v3 CRL Number"), text);
    long days = (crl.getNextUpdate().getTime() - crl.getThisUpdate().getTime()) / 86_400_000L;
    assertEquals(7, days);
    Openssl.Result revoked = Openssl.run("verify", "-crl_check", "-CAfile", dir.caCertificate(), "-CRLfile",
        dir.crl(), stolen.certificateFile());
    assertEquals(2, revoked.exit(), revoked.output());
    assertTrue(revoked.output().contains("certificate revoked"), revoked.output());
    Openssl.run("verify", "-crl_check", "-CAfile", dir.caCertificate(), "-CRLfile", dir.crl(), good.certificateFile())
        .ok();

    PkiException twice = assertThrows(PkiException.class, () -> ca.revoke(stolen.certificateFile(), 7));
    assertTrue(twice.getMessage().contains("already revoked"), twice.getMessage());
  }

  @Test
  void crlNumbersGrowAndTheDatabaseSurvivesReopening() throws Exception {
    Issued c = ca.issue(Profile.CLIENT, "a.example.net", "", KeySpec.parse("ec:p256"), 10);
    CertificateAuthority again = CertificateAuthority.open(dir);
    again.revoke(c.certificateFile(), 30);
    X509CRL first = Pem.crls(dir.crl()).get(0);
    again.writeCrl(30);
    X509CRL second = Pem.crls(dir.crl()).get(0);
    assertTrue(crlNumber(second) > crlNumber(first));
    assertTrue(second.isRevoked(c.certificate()), "a new CRL still lists what was revoked before");
  }

  private static long crlNumber(X509CRL crl) {
    byte[] ext = crl.getExtensionValue("2.5.29.20");
    return org.bouncycastle.asn1.ASN1Integer.getInstance(
        org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets()).getValue().longValueExact();
  }

  @Test
  void aCsrIsSignedAndItsNamesKept() throws Exception {
    PkiDirectory other = new PkiDirectory(tmp.resolve("requester"));
    Path csr = CertificateRequests.write(other, DistinguishedNames.parse("/O=Example/CN=relay.example.org"),
        "relay.example.org,smtp.example.org", KeySpec.parse("ec:p256"));
    assertTrue(Openssl.run("req", "-in", csr, "-noout", "-verify").ok().output().contains("verif"));
    Issued signed = ca.sign(csr, Profile.SERVER, 90);
    assertNull(signed.keyFile());
    Openssl.run("verify", "-CAfile", dir.caCertificate(), "-purpose", "sslserver", signed.certificateFile()).ok();
    String text = Openssl.run("x509", "-noout", "-text", "-in", signed.certificateFile()).ok().output()
        .replace(" = ", "=");
    assertTrue(text.contains("Subject: O=Example, CN=relay.example.org"), text);
    assertTrue(text.contains("DNS:relay.example.org, DNS:smtp.example.org"), text);
    assertEquals(Openssl.run("pkey", "-in", other.key("relay.example.org"), "-pubout").ok().output(),
        Openssl.run("x509", "-in", signed.certificateFile(), "-noout", "-pubkey").ok().output());
  }

  @Test
  void aCsrWithABadSignatureIsRefused() throws Exception {
    Path csr = CertificateRequests.write(new PkiDirectory(tmp.resolve("r")), DistinguishedNames.parse("/CN=x.example"),
        "", KeySpec.parse("ec:p256"));
    byte[] der = Pem.csr(csr).getEncoded();
    der[der.length - 5] ^= 0x01; // inside the signature
    Path bad = tmp.resolve("bad.csr");
    Files.writeString(bad, "-----BEGIN CERTIFICATE REQUEST-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END CERTIFICATE REQUEST-----\n");
    PkiException e = assertThrows(PkiException.class, () -> ca.sign(bad, Profile.SERVER, 30));
    assertTrue(e.getMessage().startsWith(bad + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("signature"), e.getMessage());
  }

  @Test
  void renewalKeepsTheKeyNamesAndProfileWithANewSerialAndValidity() throws Exception {
    Issued first = ca.issue(Profile.CLIENT, "desktop.example.net", "jose@example.net", KeySpec.parse("ec:p256"), 10);
    byte[] key = Files.readAllBytes(first.keyFile());
    Issued renewed = ca.renew(Renewal.read(dir, "desktop.example.net"), 365);
    X509Certificate a = first.certificate();
    X509Certificate b = renewed.certificate();
    assertEquals(a.getPublicKey(), b.getPublicKey());
    assertTrue(!a.getSerialNumber().equals(b.getSerialNumber()));
    assertTrue(b.getNotAfter().after(a.getNotAfter()));
    assertEquals(a.getSubjectX500Principal(), b.getSubjectX500Principal());
    assertEquals(List.copyOf(a.getSubjectAlternativeNames()), List.copyOf(b.getSubjectAlternativeNames()));
    assertEquals(a.getExtendedKeyUsage(), b.getExtendedKeyUsage(), "a client certificate stays one");
    assertTrue(java.util.Arrays.equals(key, Files.readAllBytes(renewed.keyFile())), "the key file is not touched");
    assertEquals(List.of(b, ca.certificate()), Pem.certificates(renewed.chainFile()));
    JdkChecks.validate(b, ca.certificate(), null);

    PkiDirectory ssDir = new PkiDirectory(tmp.resolve("ss"));
    Issued ss = SelfSigned.create(ssDir, "mx.example.org", "", KeySpec.parse("ec:p256"), 30);
    Renewal old = Renewal.read(ssDir, "mx.example.org");
    assertTrue(old.selfSigned());
    Issued ss2 = SelfSigned.renew(ssDir, old, 60);
    assertEquals(ss.certificate().getPublicKey(), ss2.certificate().getPublicKey());
    JdkChecks.validate(ss2.certificate(), ss2.certificate(), null);
    PkiException foreign = assertThrows(PkiException.class, () -> ca.renew(Renewal.read(ssDir, "mx.example.org"), 30));
    assertTrue(foreign.getMessage().contains("not issued by this CA"), foreign.getMessage());
  }

  @Test
  void anExistingNameKeepsItsKeyUnlessForcedAndABadCnIsRefused() throws Exception {
    Issued first = ca.issue(Profile.SERVER, "mail.example.com", "", KeySpec.parse("ec:p256"), 365);
    PkiException again = assertThrows(PkiException.class,
        () -> ca.issue(Profile.SERVER, "mail.example.com", "", KeySpec.parse("ec:p256"), 365));
    assertEquals("mail.example.com exists already (" + first.keyFile() + "); to renew its certificate on the same key:"
        + " postern pki renew mail.example.com; or add --force to replace its key (the live key: TLSA records of it"
        + " stop matching)", again.getMessage());
    assertEquals(first.certificate(), Pem.certificate(first.certificateFile()), "nothing was written");
    Issued forced = ca.issue(Profile.SERVER, "mail.example.com", "", KeySpec.parse("ec:p256"), 365, true);
    assertTrue(!forced.certificate().getPublicKey().equals(first.certificate().getPublicKey()));

    PkiException bad = assertThrows(PkiException.class,
        () -> ca.issue(Profile.SERVER, "bad name!", "", KeySpec.parse("ec:p256"), 365));
    assertTrue(bad.getMessage().startsWith("--cn: 'bad name!' is not a host name"), bad.getMessage());
    assertThrows(PkiException.class, () -> ca.issue(Profile.CLIENT, "bad name!", "", KeySpec.parse("ec:p256"), 365));
    assertThrows(PkiException.class, () -> ca.issue(Profile.SERVER, "x".repeat(65) + ".example", "",
        KeySpec.parse("ec:p256"), 365));
    // A client may be a person or a mailbox.
    ca.issue(Profile.CLIENT, "Jose Smith", "", KeySpec.parse("ec:p256"), 365);
    ca.issue(Profile.CLIENT, "jose@example.net", "", KeySpec.parse("ec:p256"), 365);
    ca.issue(Profile.SERVER, "*.example.org", "", KeySpec.parse("ec:p256"), 365);
  }

  @Test
  void aSelfSignedCertificateVerifiesAgainstItself() throws Exception {
    Issued s = SelfSigned.create(new PkiDirectory(tmp.resolve("ss")), "mx.example.org", "", KeySpec.parse("ec:p256"), 30);
    Openssl.run("verify", "-CAfile", s.certificateFile(), "-purpose", "sslserver", s.certificateFile()).ok();
    JdkChecks.validate(s.certificate(), s.certificate(), null);
  }

  @Test
  void showPrintsWhatOpensslPrints() throws Exception {
    Issued s = ca.issue(Profile.SERVER, "mail.example.com", "mx2.example.com", KeySpec.parse("ec:p256"), 365);
    String report = String.join("\n", CertificateReport.describe(s.chainFile(), java.time.Instant.now()));
    String fp = Openssl.run("x509", "-in", s.certificateFile(), "-noout", "-fingerprint", "-sha256").ok().output();
    assertTrue(report.contains(fp.substring(fp.indexOf('=') + 1).strip()), report + "\n" + fp);
    assertTrue(report.contains("DNS:mail.example.com, DNS:mx2.example.com"), report);
    assertTrue(report.contains("EC P-256") && report.contains("serverAuth") && report.contains("364 days left"), report);
    assertTrue(report.contains("certificate 2 of 2") && report.contains("keyCertSign, cRLSign"), report);
    String crl = String.join("\n", CertificateReport.describe(dir.crl(), java.time.Instant.now()));
    assertTrue(crl.contains("next update:") && crl.contains("revoked:        none"), crl);
  }

  @Test
  void aLeafMayNotOutliveItsCa() throws Exception {
    PkiDirectory shortDir = new PkiDirectory(tmp.resolve("short"));
    CertificateAuthority shortCa = CertificateAuthority.init(shortDir, DistinguishedNames.parse("/CN=Short CA"),
        KeySpec.parse("ec:p256"), 10);
    PkiException e = assertThrows(PkiException.class,
        () -> shortCa.issue(Profile.SERVER, "a.example", "", KeySpec.parse("ec:p256"), 365));
    assertTrue(e.getMessage().startsWith("--days 365 would outlive the CA"), e.getMessage());
  }

  @Test
  void badInputIsNamed() throws Exception {
    assertEquals("--key: unknown key type 'dsa:1024' (use one of " + KeySpec.CHOICES + ")",
        assertThrows(PkiException.class, () -> KeySpec.parse("dsa:1024")).getMessage());
    assertEquals("--subject: 'CN=x' must start with '/', e.g. /C=US/O=Example/CN=Example Mail CA",
        assertThrows(PkiException.class, () -> DistinguishedNames.parse("CN=x")).getMessage());
    assertEquals("--subject: unknown attribute 'XX' in '/XX=1/CN=a' (known: C, ST, L, O, OU, CN, emailAddress, DC,"
        + " serialNumber, street)", assertThrows(PkiException.class, () -> DistinguishedNames.parse("/XX=1/CN=a"))
        .getMessage());
    assertEquals("--subject: C must be a two-letter country code, got 'USA'",
        assertThrows(PkiException.class, () -> DistinguishedNames.parse("/C=USA/CN=a")).getMessage());
    assertEquals("--subject: '/O=Example' has no CN=...",
        assertThrows(PkiException.class, () -> DistinguishedNames.parse("/O=Example")).getMessage());
    assertTrue(assertThrows(PkiException.class, () -> SubjectAltNames.of("a.example", "ok.example,bad name"))
        .getMessage().startsWith("--san: 'bad name' is not a host name"));
    PkiException none = assertThrows(PkiException.class,
        () -> CertificateAuthority.open(new PkiDirectory(tmp.resolve("nothing"))));
    assertTrue(none.getMessage().startsWith("no CA in " + tmp.resolve("nothing")), none.getMessage());
    PkiException exists = assertThrows(PkiException.class, () -> CertificateAuthority.init(dir,
        DistinguishedNames.parse("/CN=Again"), KeySpec.parse("ec:p256"), 30));
    assertTrue(exists.getMessage().startsWith("a CA already exists in "), exists.getMessage());
  }

  @Test
  void anExposedCaKeyIsRefusedWithTheFix() throws Exception {
    Files.setPosixFilePermissions(dir.caKey(), PosixFilePermissions.fromString("rw-r--r--"));
    PkiException e = assertThrows(PkiException.class, () -> CertificateAuthority.open(dir));
    assertTrue(e.getMessage().endsWith("fix with: chmod 600 " + dir.caKey()), e.getMessage());
  }

  @Test
  void aCertificateFromAnotherCaCannotBeRevokedHere() throws Exception {
    CertificateAuthority other = CertificateAuthority.init(new PkiDirectory(tmp.resolve("other")),
        DistinguishedNames.parse("/CN=Other CA"), KeySpec.parse("ec:p256"), 30);
    Issued foreign = other.issue(Profile.CLIENT, "x.example", "", KeySpec.parse("ec:p256"), 10);
    PkiException e = assertThrows(PkiException.class, () -> ca.revoke(foreign.certificateFile(), 30));
    assertTrue(e.getMessage().contains("not issued by this CA"), e.getMessage());
  }
}

package org.postern.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for tests: an ECDSA P-256 root that issues server and client
 * certificates into a directory, revokes them and writes its CRL, so tests exercise real PKIX
 * paths instead of mocks. Everything is written as PEM; keys are PKCS#8, mode 0600 from creation
 * (Postern refuses key files that group or others can read).
 *
 * <p>Key generation blocks (RSA-2048 takes a noticeable fraction of a second): test threads only.
 */
public final class TestCa {

  private static final Duration VALIDITY = Duration.ofDays(2);
  /** Issued notBefore lies a little in the past, so clock skew between steps cannot matter. */
  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * One issued certificate as files and objects.
   *
   * @param chain PEM file: the certificate followed by the CA certificate (a server-style chain)
   * @param key PEM file with the PKCS#8 private key, mode 0600
   * @param certificate the issued certificate
   * @param privateKey its private key
   */
  public record Issued(Path chain, Path key, X509Certificate certificate, PrivateKey privateKey) {}

  private final Path dir;
  private final X500Name name;
  private final KeyPair keyPair;
  private final X509Certificate certificate;
  private final Path certificatePath;
  private final List<BigInteger> revoked = new ArrayList<>();
  private final AtomicInteger issued = new AtomicInteger();
  private final AtomicInteger crlNumber = new AtomicInteger();

  private TestCa(Path dir, X500Name name, KeyPair keyPair, X509Certificate certificate, Path certificatePath) {
    this.dir = dir;
    this.name = name;
    this.keyPair = keyPair;
    this.certificate = certificate;
    this.certificatePath = certificatePath;
  }

  /**
   * Creates a self-signed root (CA:true, keyCertSign and cRLSign) in a new subdirectory of
   * {@code dir} named after {@code cn}, so several CAs can share one temporary directory.
   */
  public static TestCa create(Path dir, String cn) {
    try {
      Path own = Files.createDirectories(dir.resolve(fileSafe(cn)));
      KeyPair kp = ecKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Postern tests").addRDN(BCStyle.CN, cn)
          .build();
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), subject, kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      X509Certificate cert = sign(b, kp.getPrivate());
      Path certPath = own.resolve("ca.pem");
      Files.writeString(certPath, pem(cert), StandardCharsets.US_ASCII);
      return new TestCa(own, subject, kp, cert, certPath);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create a test CA", e);
    }
  }

  /**
   * A self-signed ECDSA P-256 server certificate for {@code cn} (no CA), usable for serverAuth and
   * clientAuth, valid for two days; its chain file holds just the certificate.
   */
  public static Issued selfSigned(Path dir, String cn) {
    try {
      Files.createDirectories(dir);
      KeyPair kp = ecKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Postern self-signed")
          .addRDN(BCStyle.CN, cn).build();
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), subject, kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, cn)));
      X509Certificate cert = sign(b, kp.getPrivate());
      String base = fileSafe(cn);
      Path chain = dir.resolve(base + ".pem");
      Files.writeString(chain, pem(cert), StandardCharsets.US_ASCII);
      Path key = writeKey(dir.resolve(base + ".key"), kp.getPrivate());
      return new Issued(chain, key, cert, kp.getPrivate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create a self-signed certificate", e);
    }
  }

  /** The CA's own certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** PEM file with the CA certificate, e.g. for {@code tls.ca_file} or {@code openssl -CAfile}. */
  public Path certificatePath() {
    return certificatePath;
  }

  /** An ECDSA P-256 server certificate; the SAN holds {@code cn} and every name in {@code sans}. */
  public Issued issueServer(String cn, String... sans) {
    return issue(cn, ecKeyPair(), KeyPurposeId.id_kp_serverAuth, dnsNames(cn, sans), "",
        Instant.now().minus(BACKDATE), Instant.now().plus(VALIDITY));
  }

  /** An RSA-2048 server certificate, for serving RSA-only clients beside an ECDSA certificate. */
  public Issued issueRsaServer(String cn, String... sans) {
    return issue(cn, rsaKeyPair(), KeyPurposeId.id_kp_serverAuth, dnsNames(cn, sans), "-rsa",
        Instant.now().minus(BACKDATE), Instant.now().plus(VALIDITY));
  }

  /** An ECDSA P-256 client certificate (extended key usage clientAuth only), valid now. */
  public Issued issueClient(String cn) {
    return issueClient(cn, Instant.now().minus(BACKDATE), Instant.now().plus(VALIDITY));
  }

  /** A client certificate with the given validity, e.g. one that has already expired. */
  public Issued issueClient(String cn, Instant notBefore, Instant notAfter) {
    return issue(cn, ecKeyPair(), KeyPurposeId.id_kp_clientAuth, List.of(), "", notBefore, notAfter);
  }

  /** Marks {@code cert} revoked in the next {@link #writeCrl()}. */
  public synchronized void revoke(X509Certificate cert) {
    revoked.add(cert.getSerialNumber());
  }

  /**
   * Writes the CA's CRL (PEM; valid from a minute ago for a day) listing every revoked certificate,
   * and returns its path. Each call writes a new file, so earlier paths stay valid.
   */
  public synchronized Path writeCrl() {
    try {
      X509CRL crl = crl();
      Path file = dir.resolve("crl-" + crlNumber.get() + ".pem");
      Files.writeString(file, pem(crl), StandardCharsets.US_ASCII);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A freshly signed CRL as an object, e.g. to write it as DER; each call has the next CRL number. */
  public synchronized X509CRL crl() {
    try {
      Instant now = Instant.now();
      X509v2CRLBuilder b = new JcaX509v2CRLBuilder(certificate, Date.from(now.minus(Duration.ofMinutes(1))));
      b.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
      for (BigInteger serial : revoked) {
        b.addCRLEntry(serial, Date.from(now.minus(Duration.ofMinutes(1))), CRLReason.keyCompromise);
      }
      b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(crlNumber.incrementAndGet())));
      b.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate));
      return new JcaX509CRLConverter().getCRL(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign the test CRL", e);
    }
  }

  /**
   * An ECDSA P-256 cluster node certificate: extended key usage serverAuth and clientAuth, since a
   * node both accepts and opens event-bus connections.
   */
  public Issued issueNode(String cn, String... sans) {
    return issue(cn, ecKeyPair(), new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth},
        dnsNames(cn, sans), "-node", Instant.now().minus(BACKDATE), Instant.now().plus(VALIDITY));
  }

  private Issued issue(String cn, KeyPair kp, KeyPurposeId purpose, List<String> dnsNames, String suffix,
      Instant notBefore, Instant notAfter) {
    return issue(cn, kp, new KeyPurposeId[] {purpose}, dnsNames, suffix, notBefore, notAfter);
  }

  private Issued issue(String cn, KeyPair kp, KeyPurposeId[] purposes, List<String> dnsNames, String suffix,
      Instant notBefore, Instant notAfter) {
    try {
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Postern tests")
          .addRDN(BCStyle.CN, cn).build();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(notBefore),
          Date.from(notAfter), subject, kp.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      boolean rsa = kp.getPublic().getAlgorithm().equals("RSA");
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      // RSA key exchange would need keyEncipherment; every suite Postern allows is ECDHE, so
      // digitalSignature suffices, but RSA certificates conventionally carry both.
      b.addExtension(Extension.keyUsage, true,
          new KeyUsage(rsa ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
      if (!dnsNames.isEmpty()) {
        GeneralName[] names = dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n))
            .toArray(GeneralName[]::new);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      X509Certificate cert = sign(b, keyPair.getPrivate());
      String base = fileSafe(cn) + suffix + "-" + issued.incrementAndGet();
      Path chain = dir.resolve(base + ".pem");
      Files.writeString(chain, pem(cert) + pem(certificate), StandardCharsets.US_ASCII);
      Path key = writeKey(dir.resolve(base + ".key"), kp.getPrivate());
      return new Issued(chain, key, cert, kp.getPrivate());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a test certificate for " + cn, e);
    }
  }

  private static List<String> dnsNames(String cn, String... sans) {
    Set<String> names = new LinkedHashSet<>();
    names.add(cn);
    names.addAll(List.of(sans));
    return List.copyOf(names);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey)
      throws OperatorCreationException, GeneralSecurityException {
    // The CA key is always EC; the subject key type does not decide the signature algorithm.
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }

  private static Path writeKey(Path file, PrivateKey key) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, pem(new JcaPKCS8Generator(key, null)), StandardCharsets.US_ASCII);
    return Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
      kpg.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return kpg.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 in this JDK", e);
    }
  }

  private static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA");
      kpg.initialize(2048, RANDOM);
      return kpg.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no RSA in this JDK", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM);
  }

  private static String fileSafe(String cn) {
    return cn.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "_");
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }
}

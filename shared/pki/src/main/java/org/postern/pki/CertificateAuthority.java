package org.postern.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.postern.tls.KeyFiles;
import org.postern.tls.PrivateKeys;

/**
 * The operator's own CA, the seeds' {@code CA.pl -newca}: a self-signed CA certificate, its key,
 * and a database of what it issued and revoked, all in a {@link PkiDirectory}. It issues server,
 * client and node certificates, signs CSRs, revokes, and writes CRLs.
 *
 * <p>Blocking throughout (key generation, file writes): call from a command line or a worker
 * thread, never an event loop.
 */
public final class CertificateAuthority {

  /** Certificates start five minutes early, so a peer whose clock is a little behind accepts them. */
  static final Duration BACKDATE = Duration.ofMinutes(5);
  public static final int MAX_DAYS = 36_500;

  private final PkiDirectory dir;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final CaDatabase db;

  private CertificateAuthority(PkiDirectory dir, X509Certificate certificate, PrivateKey key, CaDatabase db) {
    this.dir = dir;
    this.certificate = certificate;
    this.key = key;
    this.db = db;
  }

  /** {@link #init(PkiDirectory, X500Name, KeySpec, int, Passphrase)} with an unencrypted key. */
  public static CertificateAuthority init(PkiDirectory dir, X500Name subject, KeySpec spec, int days)
      throws PkiException, IOException {
    return init(dir, subject, spec, days, null);
  }

  /**
   * Creates a CA in {@code dir}: key, self-signed certificate, empty database, empty CRL.
   *
   * @param passphrase encrypts the CA key when not null; every later {@link #open} needs it
   * @throws PkiException when a CA already exists there, {@code days} is out of range, or the
   *     passphrase is too short
   */
  public static CertificateAuthority init(PkiDirectory dir, X500Name subject, KeySpec spec, int days,
      Passphrase passphrase) throws PkiException, IOException {
    checkDays(days);
    if (passphrase != null) {
      passphrase.checkStrongEnoughForANewKey();
    }
    if (Files.exists(dir.caCertificate()) || Files.exists(dir.caKey())) {
      throw new PkiException("a CA already exists in " + dir.root() + " (" + dir.caCertificate()
          + "); use another --dir, or remove that directory to start over");
    }
    KeyPair kp = spec.generate();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    X509Certificate cert = CertificateSigner.sign(subject, kp.getPublic(), Profile.CA, List.of(),
        now.minus(BACKDATE), now.plus(Duration.ofDays(days)), CertificateSigner.randomSerial(),
        new CertificateSigner.Issuer(subject, kp.getPublic(), kp.getPrivate()));
    dir.writeKey(dir.caKey(), kp.getPrivate(), passphrase);
    PkiDirectory.writePublic(dir.caCertificate(), Pem.encode(cert));
    CertificateAuthority ca = new CertificateAuthority(dir, cert, kp.getPrivate(),
        CaDatabase.create(dir.index(), dir.crlNumber()));
    ca.writeCrl(30);
    return ca;
  }

  /** {@link #open(PkiDirectory, Passphrase)} for an unencrypted CA key. */
  public static CertificateAuthority open(PkiDirectory dir) throws PkiException {
    return open(dir, null);
  }

  /**
   * Opens the CA in {@code dir}, refusing a CA key that group or others can read.
   *
   * @param passphrase for an encrypted CA key; null for an unencrypted one
   * @throws PkiException when there is no CA, its key is exposed, encrypted without a passphrase
   *     (or not encrypted with one), the passphrase is wrong, or the key does not match its
   *     certificate
   */
  public static CertificateAuthority open(PkiDirectory dir, Passphrase passphrase) throws PkiException {
    if (!Files.exists(dir.caCertificate())) {
      throw new PkiException("no CA in " + dir.root() + " (" + dir.caCertificate() + " does not exist); create one"
          + " with: postern pki init-ca --subject '/O=Example/CN=Example Mail CA'" + " (or pass the right --dir)");
    }
    if (!Files.exists(dir.caKey())) {
      throw new PkiException("the CA key " + dir.caKey() + " does not exist");
    }
    try {
      KeyFiles.checkPermissions(dir.caKey());
    } catch (IOException e) {
      throw new PkiException(e.getMessage());
    }
    X509Certificate cert = Pem.certificate(dir.caCertificate());
    PrivateKey key = EncryptedKeys.read(dir.caKey(), "the CA key", passphrase);
    if (!PrivateKeys.matches(key, cert.getPublicKey())) {
      throw new PkiException("the CA key " + dir.caKey() + " does not belong to " + dir.caCertificate());
    }
    return new CertificateAuthority(dir, cert, key, CaDatabase.open(dir.index(), dir.crlNumber()));
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PkiDirectory directory() {
    return dir;
  }

  /** {@link #issue(Profile, String, String, KeySpec, int, boolean)} that keeps an existing name's key. */
  public Issued issue(Profile profile, String cn, String sans, KeySpec spec, int days)
      throws PkiException, IOException {
    return issue(profile, cn, sans, spec, days, false);
  }

  /**
   * Generates a key and issues a certificate for {@code cn} (and the names in {@code sans}), then
   * writes key, certificate and chain.
   *
   * @param force whether a name that has a key already gets a new one; without it that is refused
   *     (see {@link #renew} for a new certificate on the same key). A replaced certificate stays in
   *     the database, valid until it expires or is revoked.
   * @throws PkiException when the CN is not one for {@code profile}, a name or the days are wrong,
   *     or the name exists and {@code force} is false
   */
  public Issued issue(Profile profile, String cn, String sans, KeySpec spec, int days, boolean force)
      throws PkiException, IOException {
    CommonNames.check(cn, profile);
    X500Name subject = DistinguishedNames.commonName(cn);
    List<String> names = SubjectAltNames.of(cn, sans);
    Instant notAfter = notAfter(days);
    String name = PkiDirectory.fileName(cn);
    dir.refuseNewKey(name, force, "to renew its certificate on the same key: postern pki renew " + name + "; or ");
    KeyPair kp = spec.generate();
    X509Certificate cert = issue(subject, kp.getPublic(), profile, names, notAfter);
    dir.writeKey(dir.key(name), kp.getPrivate());
    return write(name, cert, dir.key(name));
  }

  /**
   * Signs a CSR with this CA, as {@code CA.pl -sign} does: the subject and the requested names are
   * taken from the CSR, the usages from {@code profile}.
   *
   * @throws PkiException when the CSR's signature does not verify or it has no CN
   */
  public Issued sign(Path csrFile, Profile profile, int days) throws PkiException, IOException {
    CertificateRequests.Request req = CertificateRequests.read(csrFile);
    String cn = DistinguishedNames.commonNameOf(req.subject());
    if (cn.isEmpty()) {
      throw new PkiException(csrFile + ": the request's subject has no CN");
    }
    List<String> names = SubjectAltNames.of(cn, String.join(",", req.names()));
    X509Certificate cert = issue(req.subject(), req.publicKey(), profile, names, notAfter(days));
    return write(PkiDirectory.fileName(cn), cert, null);
  }

  /**
   * A new certificate for a key this PKI already holds: same subject, names and public key, a new
   * serial and {@code days} of validity from now; the key file is not touched. The profile is the
   * one the old certificate was issued with (a server certificate gets today's server usages).
   *
   * @throws PkiException when the old certificate is not from this CA
   */
  public Issued renew(Renewal old, int days) throws PkiException, IOException {
    X509Certificate cert = old.certificate();
    if (!cert.getIssuerX500Principal().equals(certificate.getSubjectX500Principal()) || !signedByUs(cert)) {
      throw new PkiException(dir.certificate(old.name()) + ": not issued by this CA ("
          + certificate.getSubjectX500Principal().getName() + "); its issuer is " + cert.getIssuerX500Principal().getName());
    }
    Instant notAfter = notAfter(days);
    Profile profile = profileOf(cert);
    X509Certificate fresh = issue(old.subject(), cert.getPublicKey(), profile, old.names(), notAfter);
    return write(old.name(), fresh, dir.key(old.name()));
  }

  /** The profile the CA database recorded for {@code cert}, else the one its usages say. */
  private Profile profileOf(X509Certificate cert) throws PkiException {
    var entry = db.find(cert.getSerialNumber());
    if (entry.isPresent()) {
      return Profile.leaf(entry.get().profile());
    }
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku != null && eku.size() == 1 && eku.contains("1.3.6.1.5.5.7.3.2") ? Profile.CLIENT : Profile.SERVER;
    } catch (java.security.cert.CertificateParsingException e) {
      return Profile.SERVER;
    }
  }

  private X509Certificate issue(X500Name subject, PublicKey publicKey, Profile profile, List<String> names,
      Instant notAfter) throws IOException {
    BigInteger serial;
    do {
      serial = CertificateSigner.randomSerial();
    } while (db.contains(serial));
    X509Certificate cert = CertificateSigner.sign(subject, publicKey, profile,
        names, Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(BACKDATE),
        notAfter, serial, issuer());
    db.add(new CaDatabase.Entry(serial, notAfter, null, profile.toString(),
        cert.getSubjectX500Principal().getName()));
    return cert;
  }

  private Issued write(String name, X509Certificate cert, Path keyFile) throws IOException {
    PkiDirectory.writePublic(dir.certificate(name), Pem.encode(cert));
    PkiDirectory.writePublic(dir.chain(name), Pem.encode(cert, certificate));
    return new Issued(cert, dir.certificate(name), dir.chain(name), keyFile);
  }

  /**
   * Revokes a certificate this CA issued, and writes a new CRL.
   *
   * @throws PkiException when the certificate is not from this CA, unknown to its database, or
   *     already revoked
   */
  public X509Certificate revoke(Path certFile, int crlDays) throws PkiException, IOException {
    X509Certificate cert = Pem.certificate(certFile);
    if (!cert.getIssuerX500Principal().equals(certificate.getSubjectX500Principal()) || !signedByUs(cert)) {
      throw new PkiException(certFile + ": not issued by this CA (" + certificate.getSubjectX500Principal().getName()
          + "); its issuer is " + cert.getIssuerX500Principal().getName());
    }
    CaDatabase.Entry e = db.find(cert.getSerialNumber()).orElseThrow(() -> new PkiException(certFile
        + ": serial " + cert.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT)
        + " is not in this CA's index " + dir.index()));
    if (e.revoked()) {
      throw new PkiException(certFile + ": already revoked on " + e.revokedAt());
    }
    checkDays(crlDays);
    db.revoke(cert.getSerialNumber(), Instant.now().truncatedTo(ChronoUnit.SECONDS));
    writeCrl(crlDays);
    return cert;
  }

  /**
   * Writes {@code crl.pem}: every revoked certificate, a next update {@code days} from now (a
   * verifier refuses the CRL after that, so re-run {@code pki crl} before it), and a fresh CRL
   * number.
   */
  public X509CRL writeCrl(int days) throws PkiException, IOException {
    checkDays(days);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    try {
      X509v2CRLBuilder b = new X509v2CRLBuilder(new JcaX509CertificateHolder(certificate).getSubject(), Date.from(now));
      b.setNextUpdate(Date.from(now.plus(Duration.ofDays(days))));
      for (CaDatabase.Entry e : db.entries()) {
        if (e.revoked()) {
          b.addCRLEntry(e.serial(), Date.from(e.revokedAt()), CRLReason.unspecified);
        }
      }
      b.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate.getPublicKey()));
      b.addExtension(Extension.cRLNumber, false, new CRLNumber(db.takeCrlNumber()));
      X509CRL crl = new JcaX509CRLConverter().getCRL(
          b.build(new JcaContentSignerBuilder(KeySpec.of(certificate.getPublicKey()).signatureAlgorithm()).build(key)));
      crl.verify(certificate.getPublicKey());
      PkiDirectory.writePublic(dir.crl(), Pem.encode(crl));
      return crl;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign the CRL: " + e.getMessage(), e);
    }
  }

  private boolean signedByUs(X509Certificate cert) {
    try {
      cert.verify(certificate.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private CertificateSigner.Issuer issuer() {
    return new CertificateSigner.Issuer(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
        certificate.getPublicKey(), key);
  }

  /** The end of a leaf's validity; a leaf may not outlive the CA that vouches for it. */
  private Instant notAfter(int days) throws PkiException {
    checkDays(days);
    Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS).plus(Duration.ofDays(days));
    if (end.isAfter(certificate.getNotAfter().toInstant())) {
      throw new PkiException("--days " + days + " would outlive the CA, which expires on "
          + certificate.getNotAfter().toInstant() + "; use fewer days or a new CA");
    }
    return end;
  }

  static void checkDays(int days) throws PkiException {
    if (days < 1 || days > MAX_DAYS) {
      throw new PkiException("--days must be between 1 and " + MAX_DAYS + ", got " + days);
    }
  }
}

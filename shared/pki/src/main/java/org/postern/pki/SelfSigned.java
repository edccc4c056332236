package org.postern.pki;

import java.io.IOException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * The seeds' quick path ({@code openssl req -new -x509 -nodes}): a key and a certificate that
 * signs itself, usable as server and client certificate. No CA is involved, so peers that verify
 * will not trust it; opportunistic STARTTLS does not verify, and works with it.
 */
public final class SelfSigned {

  private SelfSigned() {}

  /** {@link #create(PkiDirectory, String, String, KeySpec, int, boolean)} that keeps an existing name's key. */
  public static Issued create(PkiDirectory dir, String cn, String sans, KeySpec spec, int days)
      throws PkiException, IOException {
    return create(dir, cn, sans, spec, days, false);
  }

  /**
   * Generates, then writes {@code certs/NAME.crt} and {@code private/NAME.key}. Blocking.
   *
   * @param force whether a name that has a key already gets a new one
   */
  public static Issued create(PkiDirectory dir, String cn, String sans, KeySpec spec, int days, boolean force)
      throws PkiException, IOException {
    CertificateAuthority.checkDays(days);
    CommonNames.check(cn, Profile.SELF_SIGNED);
    X500Name subject = DistinguishedNames.commonName(cn);
    List<String> names = SubjectAltNames.of(cn, sans);
    String name = PkiDirectory.fileName(cn);
    dir.refuseNewKey(name, force, "to renew its certificate on the same key: postern pki renew " + name + "; or ");
    KeyPair kp = spec.generate();
    X509Certificate cert = sign(subject, kp.getPublic(), kp.getPrivate(), names, days);
    dir.writeKey(dir.key(name), kp.getPrivate());
    PkiDirectory.writePublic(dir.certificate(name), Pem.encode(cert));
    return new Issued(cert, dir.certificate(name), dir.certificate(name), dir.key(name));
  }

  /**
   * A new self-signed certificate on the key {@code old} already has (the seeds' {@code openssl
   * req -x509 -new -key}): same subject, names and public key, new serial and validity. Blocking.
   */
  public static Issued renew(PkiDirectory dir, Renewal old, int days) throws PkiException, IOException {
    CertificateAuthority.checkDays(days);
    PrivateKey key = Pem.privateKey(dir.key(old.name()));
    X509Certificate cert = sign(old.subject(), old.certificate().getPublicKey(), key, old.names(), days);
    PkiDirectory.writePublic(dir.certificate(old.name()), Pem.encode(cert));
    return new Issued(cert, dir.certificate(old.name()), dir.certificate(old.name()), dir.key(old.name()));
  }

  private static X509Certificate sign(X500Name subject, PublicKey publicKey, PrivateKey key, List<String> names,
      int days) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    return CertificateSigner.sign(subject, publicKey, Profile.SELF_SIGNED, names,
        now.minus(CertificateAuthority.BACKDATE), now.plus(Duration.ofDays(days)), CertificateSigner.randomSerial(),
        new CertificateSigner.Issuer(subject, publicKey, key));
  }
}

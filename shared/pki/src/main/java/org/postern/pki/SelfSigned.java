package org.postern.pki;

import java.io.IOException;
import java.security.KeyPair;
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

  /** Generates, then writes {@code certs/NAME.crt} and {@code private/NAME.key}. Blocking. */
  public static Issued create(PkiDirectory dir, String cn, String sans, KeySpec spec, int days)
      throws PkiException, IOException {
    CertificateAuthority.checkDays(days);
    X500Name subject = DistinguishedNames.commonName(cn);
    List<String> names = SubjectAltNames.of(cn, sans);
    KeyPair kp = spec.generate();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    X509Certificate cert = CertificateSigner.sign(subject, kp.getPublic(), Profile.SELF_SIGNED, names,
        now.minus(CertificateAuthority.BACKDATE), now.plus(Duration.ofDays(days)), CertificateSigner.randomSerial(),
        new CertificateSigner.Issuer(subject, kp.getPublic(), kp.getPrivate()));
    String name = PkiDirectory.fileName(cn);
    dir.writeKey(dir.key(name), kp.getPrivate());
    PkiDirectory.writePublic(dir.certificate(name), Pem.encode(cert));
    return new Issued(cert, dir.certificate(name), dir.certificate(name), dir.key(name));
  }
}

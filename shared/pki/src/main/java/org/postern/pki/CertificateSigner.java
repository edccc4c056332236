package org.postern.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds and signs one X.509 v3 certificate for a {@link Profile}: basic constraints and key usage
 * (both critical), extended key usage, subject alternative names, and the subject and authority key
 * identifiers that let verifiers find the issuer when a CA is renewed.
 */
final class CertificateSigner {

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Who signs: the CA, or the subject itself for a self-signed certificate.
   *
   * @param name the issuer's subject
   * @param publicKey the issuer's public key, for the authority key identifier
   * @param privateKey signs
   */
  record Issuer(X500Name name, PublicKey publicKey, PrivateKey privateKey) {}

  private CertificateSigner() {}

  /**
   * A random positive serial of 127 bits: unpredictable (CA/Browser Forum asks for at least 64
   * bits of randomness) and within RFC 5280's 20 octets.
   */
  static BigInteger randomSerial() {
    return new BigInteger(127, RANDOM).setBit(126);
  }

  static X509Certificate sign(X500Name subject, PublicKey subjectKey, Profile profile, List<String> names,
      Instant notBefore, Instant notAfter, BigInteger serial, Issuer issuer) {
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer.name(), serial, Date.from(notBefore),
          Date.from(notAfter), subject, subjectKey);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, profile.basicConstraints());
      b.addExtension(Extension.keyUsage, true, profile.keyUsage(subjectKey));
      if (profile.extendedKeyUsage() != null) {
        b.addExtension(Extension.extendedKeyUsage, false, profile.extendedKeyUsage());
      }
      if (!names.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, SubjectAltNames.encode(names));
      }
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuer.publicKey()));
      String alg = KeySpec.of(issuer.publicKey()).signatureAlgorithm();
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(issuer.privateKey())));
      cert.verify(issuer.publicKey()); // a key mix-up fails here, not at a relying party
      return cert;
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot sign a certificate for " + subject + ": " + e.getMessage(), e);
    }
  }
}

package org.postern.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/** Certificate fingerprints as operators compare them: {@code AB:CD:...}, upper-case hex. */
public final class Fingerprints {

  private Fingerprints() {}

  public static String sha256(X509Certificate cert) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot fingerprint certificate", e);
    }
  }

  /**
   * SHA-256 of the public key's SubjectPublicKeyInfo: what stays the same when a certificate is
   * renewed on the same key (DANE's {@code 3 1 1}, HPKP-style pins).
   */
  public static String spkiSha256(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot fingerprint key", e);
    }
  }
}

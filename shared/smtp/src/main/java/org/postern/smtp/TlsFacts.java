package org.postern.smtp;

/**
 * What a TLS session turned out to be, with sendmail's macro names in mind: {@code tls_version},
 * {@code cipher}, {@code cipher_bits} (and the algorithm's full strength), {@code verify},
 * {@code cert_subject}, {@code cert_issuer}, {@code cn_subject} and {@code cn_issuer}. The
 * certificate fields are empty strings when no certificate was seen.
 */
public record TlsFacts(
    String version,
    String cipher,
    int cipherBits,
    int algBits,
    Verify verify,
    String certSubject,
    String certIssuer,
    String cnSubject,
    String cnIssuer) {

  public TlsFacts {
    if (version == null || version.isBlank() || cipher == null || cipher.isBlank()) {
      throw new IllegalArgumentException("TLS facts need a version and a cipher");
    }
    if (cipherBits < 0 || algBits < cipherBits || algBits > 1024) {
      throw new IllegalArgumentException("implausible cipher bits " + cipherBits + "/" + algBits);
    }
    if (verify == null) {
      throw new IllegalArgumentException("verify must be set");
    }
    certSubject = certSubject == null ? "" : certSubject;
    certIssuer = certIssuer == null ? "" : certIssuer;
    cnSubject = cnSubject == null ? "" : cnSubject;
    cnIssuer = cnIssuer == null ? "" : cnIssuer;
  }

  /** {@code bits=256/256} as sendmail logs it. */
  public String bits() {
    return cipherBits + "/" + algBits;
  }
}

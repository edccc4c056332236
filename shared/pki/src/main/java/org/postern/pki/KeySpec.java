package org.postern.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Locale;

/**
 * A key type as the command line names it: {@code rsa:2048}, {@code rsa:3072}, {@code rsa:4096},
 * {@code ec:p256} or {@code ec:p384}. Smaller RSA keys and other curves are refused: every TLS 1.2+
 * peer supports these, and nothing weaker should be minted today.
 *
 * <p>{@link #generate} blocks (an RSA 4096 key takes seconds): never call it on an event loop.
 *
 * @param algorithm {@code RSA} or {@code EC}, as the JDK names them
 * @param bits the RSA modulus size, or the curve's field size
 */
public record KeySpec(String algorithm, int bits) {

  /** What the CA uses when {@code --key} is not given: RSA for the widest reach among relying parties. */
  public static final KeySpec CA_DEFAULT = new KeySpec("RSA", 4096);
  /** What leaves use by default: P-256, fast to handshake and supported by every TLS 1.2+ client. */
  public static final KeySpec LEAF_DEFAULT = new KeySpec("EC", 256);

  public static final String CHOICES = "rsa:2048, rsa:3072, rsa:4096, ec:p256, ec:p384";

  /**
   * @throws PkiException naming the spec and the accepted ones
   */
  public static KeySpec parse(String text) throws PkiException {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "rsa:2048" -> new KeySpec("RSA", 2048);
      case "rsa:3072" -> new KeySpec("RSA", 3072);
      case "rsa:4096" -> new KeySpec("RSA", 4096);
      case "ec:p256", "ec:p-256", "ec:prime256v1", "ec:secp256r1" -> new KeySpec("EC", 256);
      case "ec:p384", "ec:p-384", "ec:secp384r1" -> new KeySpec("EC", 384);
      default -> throw new PkiException("--key: unknown key type '" + text + "' (use one of " + CHOICES + ")");
    };
  }

  /** The spec of an existing public key, e.g. the CA's or a CSR's. */
  public static KeySpec of(PublicKey key) {
    if (key instanceof RSAPublicKey rsa) {
      return new KeySpec("RSA", rsa.getModulus().bitLength());
    }
    if (key instanceof ECPublicKey ec) {
      return new KeySpec("EC", ec.getParams().getCurve().getField().getFieldSize());
    }
    return new KeySpec(key.getAlgorithm(), 0);
  }

  /** A fresh key pair. Blocking. */
  public KeyPair generate() {
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance(algorithm);
      if (algorithm.equals("RSA")) {
        kpg.initialize(bits, new SecureRandom());
      } else {
        kpg.initialize(new ECGenParameterSpec(bits == 384 ? "secp384r1" : "secp256r1"), new SecureRandom());
      }
      return kpg.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate " + this + " keys", e);
    }
  }

  /** The signature algorithm a key of this kind signs certificates and CRLs with. */
  public String signatureAlgorithm() {
    if (algorithm.equals("RSA")) {
      return "SHA256withRSA";
    }
    return bits >= 384 ? "SHA384withECDSA" : "SHA256withECDSA";
  }

  /** As {@code pki show} and the command line say it: {@code RSA 4096} or {@code EC P-256}. */
  @Override
  public String toString() {
    return algorithm.equals("EC") ? "EC P-" + bits : algorithm + " " + bits;
  }
}

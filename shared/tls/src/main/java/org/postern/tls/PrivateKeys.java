package org.postern.tls;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Unencrypted PEM private keys as operators have them: PKCS#8 ({@code BEGIN PRIVATE KEY}) or the
 * traditional OpenSSL forms ({@code BEGIN RSA PRIVATE KEY}, {@code BEGIN EC PRIVATE KEY}).
 */
public final class PrivateKeys {

  private static final byte[] PROBE = "postern key check".getBytes(StandardCharsets.US_ASCII);

  private PrivateKeys() {}

  /**
   * @param file named in error messages
   * @throws IOException when the text holds no usable unencrypted private key
   */
  static PrivateKey parse(Path file, String pem) throws IOException {
    Object found = null;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object o = parser.readObject(); o != null && found == null; o = parser.readObject()) {
        if (o instanceof PrivateKeyInfo || o instanceof PEMKeyPair
            || o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
          found = o;
        }
      }
    } catch (IOException e) {
      throw new IOException(file + ": not a PEM private key: " + e.getMessage(), e);
    }
    if (found == null) {
      throw new IOException(file + ": no PEM private key found");
    }
    if (found instanceof PKCS8EncryptedPrivateKeyInfo || found instanceof PEMEncryptedKeyPair) {
      throw new EncryptedKeyFileException(file);
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      return found instanceof PrivateKeyInfo info
          ? converter.getPrivateKey(info)
          : converter.getKeyPair((PEMKeyPair) found).getPrivate();
    } catch (PEMException e) {
      throw new IOException(file + ": unusable private key: " + e.getMessage(), e);
    }
  }

  /**
   * Refuses a key file that holds an encrypted key, PKCS#8 or the traditional OpenSSL form, by its
   * PEM markers: enough to tell, without parsing what cannot be decrypted anyway.
   *
   * @throws EncryptedKeyFileException naming the file and the command that decrypts it
   */
  static void refuseEncrypted(Path file) throws IOException {
    String pem = java.nio.file.Files.readString(file, StandardCharsets.ISO_8859_1);
    if (pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED")) {
      throw new EncryptedKeyFileException(file);
    }
  }

  /**
   * A key file encrypted with a passphrase. A daemon that restarts unattended cannot type one (the
   * seeds' {@code -nodes} lesson), so it is a deployment mistake, fixed by decrypting the key once
   * into a 0600 file; the umask keeps openssl from ever writing it readable by others.
   */
  public static final class EncryptedKeyFileException extends IOException {
    public EncryptedKeyFileException(Path file) {
      super(file + ": the private key is encrypted; Postern needs an unencrypted key (the seeds' -nodes: a daemon"
          + " cannot type a passphrase); decrypt it with: (umask 077; openssl pkey -in " + file + " -out " + file
          + ".plain) and configure " + file + ".plain instead", null);
    }
  }

  /**
   * Whether {@code key} is the private half of {@code pub}: a signature made with one must verify
   * with the other. Catches the classic mix-up of a renewed certificate with last year's key at
   * start instead of at the first handshake.
   */
  public static boolean matches(PrivateKey key, PublicKey pub) {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (!pub.getAlgorithm().equals(key.getAlgorithm())) {
      return false;
    }
    if (alg == null) {
      return true; // an algorithm we cannot probe: the handshake will tell
    }
    try {
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(PROBE);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(PROBE);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}

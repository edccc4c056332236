package org.postern.pki;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The CA key encrypted with a passphrase: PKCS#8 {@code BEGIN ENCRYPTED PRIVATE KEY}, PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC, which {@code openssl pkey -passin} reads as it is.
 *
 * <p>Only the CA key is ever written this way. It signs a few times a year, by hand, and a copy of
 * the directory (a backup, a stolen disk) should not be enough to mint certificates. Server, client
 * and node keys stay unencrypted: a daemon that restarts at 3 a.m. cannot type a passphrase (the
 * seeds' {@code -nodes} lesson), and the node refuses an encrypted one.
 */
final class EncryptedKeys {

  /**
   * PBKDF2 rounds: each guess at the passphrase costs an attacker this many HMACs, while one open
   * by the operator takes well under a second.
   */
  static final int ITERATIONS = 600_000;

  /**
   * Bouncy Castle's own provider, passed per call and never registered, so nothing else in the JVM
   * changes provider. The JDK's has no "AES/CBC/PKCS7Padding", the name the PKCS#8 builders ask for.
   */
  private static final Provider BC = new BouncyCastleProvider();

  private EncryptedKeys() {}

  static String encode(PrivateKey key, Passphrase passphrase) {
    char[] pass = passphrase.chars();
    try {
      var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
          .setPRF(PKCS8Generator.PRF_HMACSHA256)
          .setIterationCount(ITERATIONS)
          .setRandom(new SecureRandom())
          .setProvider(BC)
          .setPassword(pass)
          .build();
      return Pem.write(new JcaPKCS8Generator(key, encryptor));
    } catch (OperatorCreationException | org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException("cannot encrypt a " + key.getAlgorithm() + " key: " + e.getMessage(), e);
    } finally {
      Arrays.fill(pass, '\0');
    }
  }

  /**
   * Reads the private key in {@code file}, encrypted or not. An encrypted key needs
   * {@code passphrase}; an unencrypted one must come without, so that nobody believes a key is
   * protected when it is not.
   *
   * @param what how messages name the key, e.g. "the CA key"
   * @param passphrase null when none was given
   * @throws PkiException one line naming the file and what is wrong
   */
  static PrivateKey read(Path file, String what, Passphrase passphrase) throws PkiException {
    Object found = Pem.firstObject(file, PrivateKeyInfo.class, PEMKeyPair.class,
        PKCS8EncryptedPrivateKeyInfo.class, PEMEncryptedKeyPair.class);
    if (found == null) {
      throw new PkiException(what + " " + file + ": no PEM private key found");
    }
    boolean encrypted = found instanceof PKCS8EncryptedPrivateKeyInfo || found instanceof PEMEncryptedKeyPair;
    if (encrypted && passphrase == null) {
      throw new PkiException(what + " " + file + " is encrypted; give its passphrase with --passphrase-file FILE"
          + " or --passphrase-env VAR");
    }
    if (!encrypted && passphrase != null) {
      throw new PkiException(what + " " + file + " is not encrypted, yet " + passphrase.source()
          + " was given; drop that option");
    }
    PrivateKeyInfo info = encrypted ? decrypt(file, what, found, passphrase)
        : found instanceof PrivateKeyInfo plain ? plain : ((PEMKeyPair) found).getPrivateKeyInfo();
    try {
      // From the PrivateKeyInfo alone: a traditional EC key may lack the public half.
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException | RuntimeException e) {
      throw new PkiException(what + " " + file + ": unusable private key: " + Pem.oneLine(e));
    }
  }

  private static PrivateKeyInfo decrypt(Path file, String what, Object found, Passphrase passphrase)
      throws PkiException {
    char[] pass = passphrase.chars();
    try {
      if (found instanceof PKCS8EncryptedPrivateKeyInfo p8) {
        return p8.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(pass));
      }
      // The traditional OpenSSL form (Proc-Type: 4,ENCRYPTED), as `openssl rsa -aes256` writes it.
      return ((PEMEncryptedKeyPair) found).decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(BC).build(pass))
          .getPrivateKeyInfo();
    } catch (PKCSException | IOException | OperatorCreationException | RuntimeException e) {
      // A wrong passphrase shows as bad padding or, 1 time in 256, as garbage that does not parse.
      throw new PkiException(what + " " + file + ": wrong passphrase (" + passphrase.source()
          + "), or the key file is damaged");
    } finally {
      Arrays.fill(pass, '\0');
    }
  }
}

package org.postern.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM in and out: certificates, chains (leaf first), PKCS#8 private keys (unencrypted: a daemon
 * cannot type a passphrase, the seeds' {@code -nodes} lesson; the CA key alone may be encrypted,
 * see {@link EncryptedKeys}), CSRs and CRLs. Reading names the file in every error.
 */
public final class Pem {

  private Pem() {}

  public static String encode(X509Certificate... certs) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : certs) {
      sb.append(write(c));
    }
    return sb.toString();
  }

  public static String encode(PrivateKey key) {
    try {
      return write(new JcaPKCS8Generator(key, null));
    } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException("cannot encode a " + key.getAlgorithm() + " key", e);
    }
  }

  public static String encode(PKCS10CertificationRequest csr) {
    return write(csr);
  }

  public static String encode(X509CRL crl) {
    return write(crl);
  }

  static String write(Object o) {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write PEM", e); // a StringWriter does not fail
    }
    return sw.toString();
  }

  /** Every certificate in a PEM file, in file order. */
  public static List<X509Certificate> certificates(Path file) throws PkiException {
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(
          new ByteArrayInputStream(read(file)))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new PkiException(file + ": no PEM certificate found");
      }
      return out;
    } catch (CertificateException e) {
      throw new PkiException(file + ": not a PEM certificate: " + oneLine(e));
    }
  }

  public static X509Certificate certificate(Path file) throws PkiException {
    return certificates(file).get(0);
  }

  public static List<X509CRL> crls(Path file) throws PkiException {
    try {
      List<X509CRL> out = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(read(file)))) {
        out.add((X509CRL) c);
      }
      return out;
    } catch (CRLException | CertificateException e) {
      throw new PkiException(file + ": not a PEM CRL: " + oneLine(e));
    }
  }

  /** The first unencrypted private key in a PEM file (PKCS#8 or the traditional OpenSSL forms). */
  public static PrivateKey privateKey(Path file) throws PkiException {
    Object found = firstObject(file, PrivateKeyInfo.class, PEMKeyPair.class);
    if (found == null) {
      throw new PkiException(file + ": no unencrypted PEM private key found");
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      return found instanceof PrivateKeyInfo info ? converter.getPrivateKey(info)
          : converter.getKeyPair((PEMKeyPair) found).getPrivate();
    } catch (IOException e) {
      throw new PkiException(file + ": unusable private key: " + oneLine(e));
    }
  }

  /** The CSR in a PEM file, or null when the file holds none. */
  public static PKCS10CertificationRequest csr(Path file) throws PkiException {
    return (PKCS10CertificationRequest) firstObject(file, PKCS10CertificationRequest.class);
  }

  /** What kinds of PEM objects a file holds, for {@code pki show}: the first object's type. */
  static Object first(Path file) throws PkiException {
    return firstObject(file, Object.class);
  }

  static Object firstObject(Path file, Class<?>... wanted) throws PkiException {
    String text = new String(read(file), StandardCharsets.ISO_8859_1);
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        for (Class<?> w : wanted) {
          if (w.isInstance(o)) {
            return o;
          }
        }
      }
      return null;
    } catch (IOException | RuntimeException e) {
      throw new PkiException(file + ": not valid PEM: " + oneLine(e));
    }
  }

  static byte[] read(Path file) throws PkiException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new PkiException(file + ": no such file");
    } catch (IOException e) {
      throw new PkiException(file + ": cannot read: " + oneLine(e));
    }
  }

  static String oneLine(Exception e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}

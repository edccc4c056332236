package org.postern.pki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.postern.tls.KeyFiles;
import org.postern.tls.PrivateKeys;

/**
 * A certificate the PKI holds with its key, read back to be renewed on that same key: the seeds'
 * {@code openssl req -x509 -new -key} ("if your old certificate has expired"). The new certificate
 * keeps the subject, the names and the public key, so a DANE TLSA record of selector 1
 * ({@code 3 1 1}, the key's SPKI) stays valid; only the serial and the validity change.
 *
 * @param name the file name in {@link PkiDirectory} ({@code certs/NAME.crt}, {@code private/NAME.key})
 * @param certificate the certificate in use
 * @param names its subject alternative names, as {@link SubjectAltNames#encode} takes them
 */
public record Renewal(String name, X509Certificate certificate, List<String> names) {

  /**
   * Reads {@code certs/NAME.crt} and {@code private/NAME.key} and checks that they belong together.
   *
   * @throws PkiException when either is missing, the key is exposed or unreadable, or it is not the
   *     certificate's key
   */
  public static Renewal read(PkiDirectory dir, String nameOrCn) throws PkiException {
    String name = PkiDirectory.fileName(nameOrCn);
    Path cert = dir.certificate(name);
    Path key = dir.key(name);
    if (!Files.exists(cert)) {
      throw new PkiException("nothing to renew: " + cert + " does not exist (issue it first with postern pki issue,"
          + " or pass the right --dir)");
    }
    if (!Files.exists(key)) {
      throw new PkiException("cannot renew " + name + " on its key: " + key + " does not exist (a certificate signed"
          + " from a CSR is renewed by signing a new CSR made with the same key)");
    }
    try {
      KeyFiles.checkPermissions(key);
    } catch (IOException e) {
      throw new PkiException(e.getMessage());
    }
    X509Certificate c = Pem.certificate(cert);
    PrivateKey k = Pem.privateKey(key);
    if (!PrivateKeys.matches(k, c.getPublicKey())) {
      throw new PkiException("the key " + key + " does not belong to " + cert + "; renew needs the certificate's own key");
    }
    return new Renewal(name, c, names(c));
  }

  /** The certificate's subject, unchanged. */
  X500Name subject() {
    return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
  }

  /** Whether the certificate signs itself (made by {@code pki self-signed}): renewed without a CA. */
  public boolean selfSigned() {
    if (!certificate.getIssuerX500Principal().equals(certificate.getSubjectX500Principal())) {
      return false;
    }
    try {
      certificate.verify(certificate.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static List<String> names(X509Certificate c) throws PkiException {
    List<String> out = new ArrayList<>();
    try {
      if (c.getSubjectAlternativeNames() == null) {
        return out;
      }
      for (List<?> n : c.getSubjectAlternativeNames()) {
        int type = (Integer) n.get(0);
        Object v = n.get(1);
        switch (type) {
          // rfc822Name, dNSName, iPAddress: the JDK gives each as text the encoder reads back.
          case 1, 2, 7 -> out.add(v.toString());
          default -> throw new PkiException("cannot renew a certificate with a subject alternative name of type "
              + type + " (" + v + "): Postern writes DNS names, IP addresses and mail addresses only");
        }
      }
      return out;
    } catch (CertificateParsingException e) {
      throw new PkiException("unreadable subject alternative names: " + e.getMessage());
    }
  }
}

package org.postern.pki;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.postern.tls.Fingerprints;

/**
 * {@code pki show FILE}: a short {@code openssl x509 -text} for certificates and chains (subject,
 * issuer, serial, names, validity, key, usages, SHA-256 fingerprints of the certificate and of its
 * public key), and summaries of CSRs, CRLs and private keys.
 */
public final class CertificateReport {

  private static final String[] KEY_USAGES = {"digitalSignature", "nonRepudiation", "keyEncipherment",
      "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};
  private static final Map<String, String> EKUS = Map.of("1.3.6.1.5.5.7.3.1", "serverAuth",
      "1.3.6.1.5.5.7.3.2", "clientAuth", "1.3.6.1.5.5.7.3.4", "emailProtection", "2.5.29.37.0", "any");
  private static final Map<Integer, String> SAN_TYPES = Map.of(1, "email", 2, "DNS", 7, "IP");

  private CertificateReport() {}

  /** The report's lines for whatever PEM {@code file} holds. */
  public static List<String> describe(Path file, Instant now) throws PkiException {
    Object first = Pem.first(file);
    if (first == null) {
      throw new PkiException(file + ": no PEM object found (expected a certificate, CSR, CRL or key)");
    }
    if (first instanceof X509CertificateHolder) {
      List<X509Certificate> certs = Pem.certificates(file);
      List<String> out = new ArrayList<>();
      for (int i = 0; i < certs.size(); i++) {
        if (certs.size() > 1) {
          out.add("certificate " + (i + 1) + " of " + certs.size() + (i == 0 ? " (leaf)" : ""));
        }
        out.addAll(certificate(certs.get(i), now));
      }
      return out;
    }
    if (first instanceof PKCS10CertificationRequest) {
      CertificateRequests.Request r = CertificateRequests.read(file);
      return List.of(line("request for", r.subject().toString()), line("names", String.join(", ", r.names())),
          line("key", KeySpec.of(r.publicKey()).toString()), line("SPKI SHA-256", Fingerprints.spkiSha256(r.publicKey())),
          line("signature", "valid (signed by its own key)"));
    }
    if (first instanceof X509CRLHolder) {
      return crl(Pem.crls(file).get(0));
    }
    if (first instanceof PrivateKeyInfo || first instanceof PEMKeyPair) {
      var key = Pem.privateKey(file);
      return List.of(line("private key", key.getAlgorithm() + " (unencrypted)"));
    }
    if (first instanceof PKCS8EncryptedPrivateKeyInfo || first instanceof PEMEncryptedKeyPair) {
      // Without the passphrase the algorithm is unknown; say what the file is good for instead.
      return List.of(line("private key", "encrypted (a CA key opened with --passphrase-file;"
          + " the node refuses it as a server key)"));
    }
    throw new PkiException(file + ": holds a " + first.getClass().getSimpleName()
        + ", not a certificate, CSR, CRL or private key");
  }

  static List<String> certificate(X509Certificate c, Instant now) {
    List<String> out = new ArrayList<>();
    out.add(line("subject", c.getSubjectX500Principal().getName()));
    out.add(line("issuer", c.getIssuerX500Principal().getName()
        + (c.getIssuerX500Principal().equals(c.getSubjectX500Principal()) ? " (self-signed)" : "")));
    out.add(line("serial", hex(c.getSerialNumber())));
    out.add(line("names", names(c)));
    Instant notAfter = c.getNotAfter().toInstant();
    long days = Duration.between(now, notAfter).toDays();
    String left = now.isAfter(notAfter) ? "EXPIRED " + Duration.between(notAfter, now).toDays() + " days ago"
        : now.isBefore(c.getNotBefore().toInstant()) ? "not yet valid" : days + " days left";
    out.add(line("valid", c.getNotBefore().toInstant() + " to " + notAfter + " (" + left + ")"));
    out.add(line("key", KeySpec.of(c.getPublicKey()).toString()));
    out.add(line("CA", c.getBasicConstraints() >= 0 ? "yes" : "no"));
    out.add(line("key usage", keyUsage(c)));
    out.add(line("extended usage", extendedKeyUsage(c)));
    out.add(line("SHA-256", Fingerprints.sha256(c)));
    out.add(line("SPKI SHA-256", Fingerprints.spkiSha256(c.getPublicKey())));
    return out;
  }

  private static List<String> crl(X509CRL crl) {
    List<String> out = new ArrayList<>();
    out.add(line("CRL issuer", crl.getIssuerX500Principal().getName()));
    out.add(line("this update", crl.getThisUpdate().toInstant().toString()));
    out.add(line("next update", crl.getNextUpdate() == null ? "-" : crl.getNextUpdate().toInstant().toString()));
    Collection<? extends X509CRLEntry> revoked = crl.getRevokedCertificates();
    out.add(line("revoked", revoked == null ? "none" : revoked.size() + " certificate(s)"));
    if (revoked != null) {
      for (X509CRLEntry e : revoked) {
        out.add(line("  serial", hex(e.getSerialNumber()) + " on " + e.getRevocationDate().toInstant()));
      }
    }
    return out;
  }

  private static String names(X509Certificate c) {
    try {
      Collection<List<?>> sans = c.getSubjectAlternativeNames();
      if (sans == null) {
        return "(none)";
      }
      List<String> out = new ArrayList<>();
      for (List<?> san : sans) {
        out.add(SAN_TYPES.getOrDefault((Integer) san.get(0), "type " + san.get(0)) + ":" + san.get(1));
      }
      return String.join(", ", out);
    } catch (CertificateParsingException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static String keyUsage(X509Certificate c) {
    boolean[] ku = c.getKeyUsage();
    if (ku == null) {
      return "(any)";
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < ku.length && i < KEY_USAGES.length; i++) {
      if (ku[i]) {
        out.add(KEY_USAGES[i]);
      }
    }
    return String.join(", ", out);
  }

  private static String extendedKeyUsage(X509Certificate c) {
    try {
      List<String> eku = c.getExtendedKeyUsage();
      return eku == null ? "(any)" : String.join(", ", eku.stream().map(o -> EKUS.getOrDefault(o, o)).toList());
    } catch (CertificateParsingException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  static String hex(BigInteger serial) {
    return serial.toString(16).toUpperCase(Locale.ROOT);
  }

  private static String line(String label, String value) {
    return String.format(Locale.ROOT, "%-15s %s", label + ":", value);
  }

}

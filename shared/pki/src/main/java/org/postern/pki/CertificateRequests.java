package org.postern.pki;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * PKCS#10 certificate signing requests: made for an outside CA ({@code pki csr}, the seeds'
 * {@code CA.pl -newreq}), and read back, with their self-signature checked, before our CA signs
 * one ({@code pki sign}).
 */
public final class CertificateRequests {

  /**
   * A verified request.
   *
   * @param names the DNS names, IP literals and addresses it asks for (its subjectAltName)
   */
  public record Request(X500Name subject, PublicKey publicKey, List<String> names) {}

  private CertificateRequests() {}

  /** A request for {@code subject} with the names {@code names} in an extension request, signed by {@code kp}. */
  public static PKCS10CertificationRequest create(X500Name subject, List<String> names, KeyPair kp) {
    try {
      JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(subject, kp.getPublic());
      if (!names.isEmpty()) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, false, SubjectAltNames.encode(names));
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      return b.build(new JcaContentSignerBuilder(KeySpec.of(kp.getPublic()).signatureAlgorithm())
          .build(kp.getPrivate()));
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build a CSR: " + e.getMessage(), e);
    }
  }

  /**
   * Generates a key and writes it ({@code private/NAME.key}) with a CSR for it
   * ({@code csr/NAME.csr}), NAME coming from the subject's CN. Blocking.
   *
   * @return the CSR file; the key is beside it in {@link PkiDirectory#key}
   */
  public static java.nio.file.Path write(PkiDirectory dir, X500Name subject, String sans, KeySpec spec)
      throws PkiException, IOException {
    return write(dir, subject, sans, spec, false);
  }

  /**
   * The same, and with {@code force} a name that has a key already gets a new one (without it that
   * is refused: the key may be the live one).
   */
  public static java.nio.file.Path write(PkiDirectory dir, X500Name subject, String sans, KeySpec spec, boolean force)
      throws PkiException, IOException {
    String cn = DistinguishedNames.commonNameOf(subject);
    CommonNames.check(cn, null);
    List<String> names = SubjectAltNames.of(cn, sans);
    String name = PkiDirectory.fileName(cn);
    dir.refuseNewKey(name, force, "");
    KeyPair kp = spec.generate();
    dir.writeKey(dir.key(name), kp.getPrivate());
    PkiDirectory.writePublic(dir.csr(name), Pem.encode(create(subject, names, kp)));
    return dir.csr(name);
  }

  /**
   * Reads a PEM CSR and checks that it is signed by the key it carries, so whoever made it holds
   * that key.
   *
   * @throws PkiException when the file holds no CSR or its signature does not verify
   */
  public static Request read(Path file) throws PkiException {
    PKCS10CertificationRequest csr = Pem.csr(file);
    if (csr == null) {
      throw new PkiException(file + ": no PEM certificate request (BEGIN CERTIFICATE REQUEST) found");
    }
    try {
      JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr);
      PublicKey key = jca.getPublicKey();
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new PkiException(file + ": the request's signature does not verify with its own public key"
            + " (damaged or tampered with)");
      }
      return new Request(csr.getSubject(), key, names(csr));
    } catch (PKCSException | OperatorCreationException | java.security.GeneralSecurityException
        | RuntimeException e) {
      throw new PkiException(file + ": cannot verify the request's signature: " + Pem.oneLine(e));
    }
  }

  private static List<String> names(PKCS10CertificationRequest csr) {
    List<String> out = new ArrayList<>();
    for (Attribute a : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      Extensions ext = Extensions.getInstance(a.getAttrValues().getObjectAt(0));
      GeneralNames sans = GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
      if (sans == null) {
        continue;
      }
      for (GeneralName n : sans.getNames()) {
        switch (n.getTagNo()) {
          case GeneralName.dNSName, GeneralName.rfc822Name -> out.add(n.getName().toString());
          case GeneralName.iPAddress -> out.add(ipText(n));
          default -> { } // other name forms are not ours to copy
        }
      }
    }
    return out;
  }

  private static String ipText(GeneralName n) {
    byte[] b = org.bouncycastle.asn1.ASN1OctetString.getInstance(n.getName()).getOctets();
    try {
      return java.net.InetAddress.getByAddress(b).getHostAddress(); // from bytes: no lookup
    } catch (java.net.UnknownHostException e) {
      return "";
    }
  }
}

package org.postern.pki;

import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The JDK's own PKIX validator as a second, independent checker of our chains and CRLs. */
final class JdkChecks {

  private JdkChecks() {}

  /** Validates {@code leaf} up to {@code ca}; with a CRL, revocation is checked against it. */
  static void validate(X509Certificate leaf, X509Certificate ca, X509CRL crl) throws Exception {
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    CertPathValidator v = CertPathValidator.getInstance("PKIX");
    if (crl == null) {
      params.setRevocationEnabled(false);
    } else {
      params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.of(crl))));
      PKIXRevocationChecker rc = (PKIXRevocationChecker) v.getRevocationChecker();
      rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
      params.addCertPathChecker(rc);
      params.setRevocationEnabled(false);
    }
    v.validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
  }

  /** The validator's reason for refusing, or null when it accepts. */
  static CertPathValidatorException.Reason refusal(X509Certificate leaf, X509Certificate ca, X509CRL crl)
      throws Exception {
    try {
      validate(leaf, ca, crl);
      return null;
    } catch (CertPathValidatorException e) {
      return e.getReason();
    }
  }
}

package org.postern.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CRLException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.postern.config.TlsConfig;
import org.postern.smtp.Verify;

/**
 * Judges client certificates for sendmail's {@code verify} macro against the operator's CAs
 * ({@code tls.ca_file}, {@code tls.ca_path}) and CRL ({@code tls.crl_file}): OK when the chain
 * validates (PKIX), FAIL when it does not (unknown CA, expired, revoked, not for client use, or no
 * CA configured at all), NO when the client sent none.
 *
 * <p>Only the client's own certificate is checked against the CRL, as sendmail's
 * {@code CRLFile} does: a CRL that does not cover the certificate's issuer makes it FAIL.
 * Nothing is fetched from the network (no OCSP, no CRL distribution points), so {@link #verify}
 * is CPU-only and may run on an event loop; {@link #load} reads files and blocks.
 *
 * <p>Immutable and thread-safe.
 */
public final class ClientCertVerifier {

  /** Extended key usage clientAuth and anyExtendedKeyUsage. */
  private static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String EKU_ANY = "2.5.29.37.0";

  /**
   * A verdict and, for the log, why.
   *
   * @param verify OK, FAIL or NO
   * @param reason empty for OK; otherwise what failed, e.g. the PKIX validator's message
   */
  public record Result(Verify verify, String reason) {}

  private final Set<TrustAnchor> anchors;
  private final Set<X509Certificate> anchorCerts;
  private final List<X509CRL> crls;

  private ClientCertVerifier(Set<X509Certificate> cas, List<X509CRL> crls) {
    this.anchorCerts = Set.copyOf(cas);
    this.anchors = cas.stream().map(c -> new TrustAnchor(c, null)).collect(Collectors.toUnmodifiableSet());
    this.crls = List.copyOf(crls);
  }

  /** A verifier with no CAs: every certificate is FAIL (sendmail without CACertFile). */
  public static ClientCertVerifier none() {
    return new ClientCertVerifier(Set.of(), List.of());
  }

  /**
   * Reads the CAs and the CRL that {@code tls} names. Blocking.
   *
   * @throws IOException naming the file or directory that is missing, unreadable or not PEM
   */
  public static ClientCertVerifier load(TlsConfig tls) throws IOException {
    Set<X509Certificate> cas = CaCertificates.load(tls.caFile(), "tls.ca_file", tls.caPath(), "tls.ca_path");
    List<X509CRL> crls = new ArrayList<>();
    if (!tls.crlFile().isEmpty()) {
      crls.addAll(crls(Path.of(tls.crlFile())));
    }
    return new ClientCertVerifier(cas, crls);
  }

  /** Whether any CA is configured; without one, every presented certificate is FAIL. */
  public boolean configured() {
    return !anchors.isEmpty();
  }

  /** Whether a CRL is configured, and so revocation is checked. */
  public boolean checksRevocation() {
    return !crls.isEmpty();
  }

  /** The verdict on a client's chain (leaf first), as {@link SessionFacts#peerChain} returns it. */
  public Verify verify(X509Certificate[] chain) {
    return check(chain).verify();
  }

  /** The verdict with its reason, for logging why a certificate is FAIL. */
  public Result check(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return new Result(Verify.NO, "no certificate presented");
    }
    if (anchors.isEmpty()) {
      return new Result(Verify.FAIL, "no CA configured (tls.ca_file, tls.ca_path)");
    }
    String eku = clientUsageProblem(chain[0]);
    if (eku != null) {
      return new Result(Verify.FAIL, eku);
    }
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      CertPathValidator validator = CertPathValidator.getInstance("PKIX");
      PKIXParameters params = new PKIXParameters(anchors);
      if (crls.isEmpty()) {
        params.setRevocationEnabled(false);
      } else {
        params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
        PKIXRevocationChecker revocation = (PKIXRevocationChecker) validator.getRevocationChecker();
        // CRLs only (a checker asked for explicitly prefers OCSP, which would go to the network),
        // and only for the client's certificate, like sendmail's CRLFile.
        revocation.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
            PKIXRevocationChecker.Option.NO_FALLBACK, PKIXRevocationChecker.Option.ONLY_END_ENTITY));
        params.addCertPathChecker(revocation);
        params.setRevocationEnabled(false); // the checker above does it; this only turns off the default one
      }
      validator.validate(cf.generateCertPath(pathToAnchor(chain)), params);
      return new Result(Verify.OK, "");
    } catch (CertPathValidatorException e) {
      return new Result(Verify.FAIL, describe(e));
    } catch (GeneralSecurityException e) {
      return new Result(Verify.FAIL, e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  /**
   * The chain as a PKIX path: without any certificate after the leaf that is itself one of our
   * CAs (clients often append their root), since the path must end just below its anchor.
   */
  private List<X509Certificate> pathToAnchor(X509Certificate[] chain) {
    List<X509Certificate> path = new ArrayList<>();
    path.add(chain[0]);
    for (int i = 1; i < chain.length && !anchorCerts.contains(chain[i]); i++) {
      path.add(chain[i]);
    }
    return path;
  }

  /**
   * A certificate restricted to other purposes (extended key usage without clientAuth) is not a
   * client certificate; OpenSSL-based MTAs refuse it the same way (purpose sslclient).
   */
  private static String clientUsageProblem(X509Certificate leaf) {
    try {
      List<String> eku = leaf.getExtendedKeyUsage();
      if (eku == null || eku.contains(EKU_CLIENT_AUTH) || eku.contains(EKU_ANY)) {
        return null;
      }
      return "certificate is not for client authentication (extended key usage " + eku + ")";
    } catch (CertificateParsingException e) {
      return "unreadable extended key usage: " + e.getMessage();
    }
  }

  private static String describe(CertPathValidatorException e) {
    String reason = e.getReason() == null ? "" : e.getReason().toString().toLowerCase(Locale.ROOT);
    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
    return reason.isEmpty() || reason.equals("unspecified") ? msg : reason + ": " + msg;
  }

  static List<X509CRL> crls(Path file) throws IOException {
    return crls(file, ServerCredentials.read(file, "tls.crl_file"));
  }

  /** The CRLs in {@code text}, PEM or DER; {@code file} names it in errors. */
  static List<X509CRL> crls(Path file, String text) throws IOException {
    try {
      List<X509CRL> out = new ArrayList<>();
      // CertificateFactory reads PEM (one or more CRLs) and DER alike.
      for (CRL c : CertificateFactory.getInstance("X.509").generateCRLs(
          new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)))) {
        out.add((X509CRL) c);
      }
      if (out.isEmpty()) {
        throw new IOException(file + ": no CRL found");
      }
      return out;
    } catch (CRLException | CertificateException e) {
      throw new IOException(file + ": not a PEM or DER CRL: " + e.getMessage(), e);
    }
  }

  /** For the start log: how many CAs and CRLs were read. */
  @Override
  public String toString() {
    return "ClientCertVerifier[" + anchors.size() + " CAs, " + crls.size() + " CRLs]";
  }
}

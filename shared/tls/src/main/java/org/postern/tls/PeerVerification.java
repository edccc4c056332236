package org.postern.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.postern.smtp.Verify;

/**
 * Judges a peer's certificate chain against the JDK's trusted CAs, after an opportunistic
 * handshake, to fill sendmail's {@code verify} macro: OK when the chain verifies, FAIL when it
 * does not, NO when the peer presented none.
 *
 * <p>With CRLs ({@code tls.crl_file}: sendmail's CRLFile serves both directions) a next hop's
 * certificate that a CRL of its issuer lists is FAIL, and so is one whose issuer's CRL is there but
 * expired or not signed by that issuer. Unlike for client certificates, a certificate whose issuer
 * has no CRL in the file is not FAIL: next hops mostly carry public CAs' certificates, and the file
 * holds the operator's own CA's CRL. Nothing is fetched from the network.
 */
public final class PeerVerification {

  /**
   * A verdict and, for the log, why.
   *
   * @param verify OK, FAIL or NO
   * @param reason empty for OK; otherwise what failed
   */
  public record Result(Verify verify, String reason) {}

  private final X509TrustManager trust;
  private final List<X509CRL> crls;

  private PeerVerification(X509TrustManager trust, List<X509CRL> crls) {
    this.trust = trust;
    this.crls = List.copyOf(crls);
  }

  private PeerVerification(X509TrustManager trust) {
    this(trust, List.of());
  }

  /**
   * The same verification, and revocation checked against the CRLs in {@code crlFile} (PEM or DER).
   * Blocking: it reads the file.
   *
   * @throws IOException naming the file when it is missing, unreadable or holds no CRL
   */
  public PeerVerification withCrls(Path crlFile) throws IOException {
    return new PeerVerification(trust, ClientCertVerifier.crls(crlFile));
  }

  /** How many CRLs are checked. */
  public int crlCount() {
    return crls.size();
  }

  /** Verification against the JDK's default trust store ({@code cacerts}). */
  public static PeerVerification jdkDefault() {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return new PeerVerification(x);
        }
      }
      throw new IllegalStateException("no X509TrustManager in the JDK");
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the JDK trust store", e);
    }
  }

  /**
   * Verification against {@code cas} only (outbound.tls_ca_file and tls_ca_path), as Postfix's
   * smtp_tls_CAfile does for levels verify and secure.
   */
  public static PeerVerification trusting(Collection<X509Certificate> cas) {
    if (cas.isEmpty()) {
      throw new IllegalArgumentException("no CA certificates");
    }
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (X509Certificate ca : cas) {
        store.setCertificateEntry("ca" + i++, ca);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return new PeerVerification(x);
        }
      }
      throw new IllegalStateException("no X509TrustManager in the JDK");
    } catch (java.security.GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a trust store of " + cas.size() + " CAs", e);
    }
  }

  /**
   * Whether the server certificate {@code leaf} satisfies one of Postfix's {@code match=} patterns
   * (RFC 6125 names: DNS SANs, else the CN; a wildcard covers one leftmost label):
   * {@code hostname} is the server's host name (the MX name, or the transport table's host);
   * {@code nexthop} the next-hop domain; {@code dot-nexthop} any name below it; a word starting
   * with a dot any name below that domain; any other word that very name.
   *
   * @param hostname the server's host name
   * @param nexthop the next-hop domain: the recipient domain, or the transport table's host
   */
  public static boolean certificateMatches(X509Certificate leaf, List<String> patterns, String hostname,
      String nexthop) {
    List<String> certNames = CertificateNames.of(leaf);
    for (String pattern : patterns) {
      String p = pattern.toLowerCase(java.util.Locale.ROOT);
      boolean ok = switch (p) {
        case "hostname" -> CertificateNames.covers(certNames, hostname);
        case "nexthop" -> CertificateNames.covers(certNames, nexthop);
        case "dot-nexthop" -> CertificateNames.below(certNames, nexthop);
        default -> p.startsWith(".") ? CertificateNames.below(certNames, p.substring(1))
            : CertificateNames.covers(certNames, p);
      };
      if (ok) {
        return true;
      }
    }
    return false;
  }

  public Verify verifyServer(X509Certificate[] chain) {
    return checkServer(chain).verify();
  }

  /** The verdict on a server's chain (leaf first), with the reason for a FAIL. CPU only. */
  public Result checkServer(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return new Result(Verify.NO, "no certificate presented");
    }
    try {
      String authType = chain[0].getPublicKey().getAlgorithm().equals("EC") ? "ECDHE_ECDSA" : "ECDHE_RSA";
      trust.checkServerTrusted(chain, authType);
    } catch (CertificateException e) {
      return new Result(Verify.FAIL, e.getMessage() == null ? e.toString() : e.getMessage());
    }
    String revoked = revocation(chain);
    return revoked == null ? new Result(Verify.OK, "") : new Result(Verify.FAIL, revoked);
  }

  /** Why the leaf fails the CRLs of its issuer, or null when it passes or none covers it. */
  private String revocation(X509Certificate[] chain) {
    X509Certificate leaf = chain[0];
    for (X509CRL crl : crls) {
      if (!crl.getIssuerX500Principal().equals(leaf.getIssuerX500Principal())) {
        continue;
      }
      String issuer = leaf.getIssuerX500Principal().getName();
      X509Certificate ca = issuerOf(leaf, chain);
      if (ca == null) {
        return "the CRL of " + issuer + " in tls.crl_file cannot be checked: the issuer's certificate is unknown";
      }
      try {
        crl.verify(ca.getPublicKey());
      } catch (GeneralSecurityException e) {
        return "the CRL of " + issuer + " in tls.crl_file is not signed by that CA";
      }
      if (crl.getNextUpdate() != null && crl.getNextUpdate().toInstant().isBefore(Instant.now())) {
        return "the CRL of " + issuer + " in tls.crl_file expired on " + crl.getNextUpdate().toInstant()
            + " (write a fresh one: postern pki crl)";
      }
      X509CRLEntry entry = crl.getRevokedCertificate(leaf);
      if (entry != null) {
        return "certificate revoked on " + entry.getRevocationDate().toInstant() + " (serial "
            + leaf.getSerialNumber().toString(16).toUpperCase(Locale.ROOT) + ", tls.crl_file)";
      }
    }
    return null;
  }

  /** The certificate that signed {@code leaf}: next in the chain, or one of the trusted CAs. */
  private X509Certificate issuerOf(X509Certificate leaf, X509Certificate[] chain) {
    List<X509Certificate> candidates = new ArrayList<>(List.of(chain).subList(1, chain.length));
    candidates.addAll(List.of(trust.getAcceptedIssuers()));
    for (X509Certificate c : candidates) {
      if (c.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
        try {
          leaf.verify(c.getPublicKey());
          return c;
        } catch (GeneralSecurityException e) {
          // same name, another key (a renewed CA): try the next
        }
      }
    }
    return null;
  }
}

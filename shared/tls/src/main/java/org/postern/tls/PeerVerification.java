package org.postern.tls;

import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.postern.smtp.Verify;

/**
 * Judges a peer's certificate chain against the JDK's trusted CAs, after an opportunistic
 * handshake, to fill sendmail's {@code verify} macro: OK when the chain verifies, FAIL when it
 * does not, NO when the peer presented none.
 */
public final class PeerVerification {

  private final X509TrustManager trust;

  private PeerVerification(X509TrustManager trust) {
    this.trust = trust;
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
    if (chain == null || chain.length == 0) {
      return Verify.NO;
    }
    try {
      String authType = chain[0].getPublicKey().getAlgorithm().equals("EC") ? "ECDHE_ECDSA" : "ECDHE_RSA";
      trust.checkServerTrusted(chain, authType);
      return Verify.OK;
    } catch (CertificateException e) {
      return Verify.FAIL;
    }
  }
}

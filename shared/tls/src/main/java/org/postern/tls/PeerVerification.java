package org.postern.tls;

import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
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

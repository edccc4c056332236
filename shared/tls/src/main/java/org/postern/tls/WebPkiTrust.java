package org.postern.tls;

import io.vertx.core.net.TrustOptions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for HTTPS on the public Internet (MTA-STS policy fetches): the JDK's CAs, plus any a
 * deployment adds for its own private hosts or its tests. The manager is the JDK's PKIX one, so
 * that host-name verification (the engine's endpoint identification) still applies.
 */
public final class WebPkiTrust {

  private WebPkiTrust() {}

  /** The JDK's CAs and {@code extra}; builds key stores, so call it off the event loop. */
  public static TrustOptions withExtra(Collection<X509Certificate> extra) throws GeneralSecurityException {
    TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    jdk.init((KeyStore) null);
    if (extra.isEmpty()) {
      return new FixedTrustOptions(x509(jdk.getTrustManagers()));
    }
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    try {
      store.load(null, null);
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("cannot create an empty key store: " + e.getMessage(), e);
    }
    int n = 0;
    for (X509Certificate ca : x509(jdk.getTrustManagers()).getAcceptedIssuers()) {
      store.setCertificateEntry("jdk-" + n++, ca);
    }
    for (X509Certificate ca : extra) {
      store.setCertificateEntry("extra-" + n++, ca);
    }
    TrustManagerFactory combined = TrustManagerFactory.getInstance("PKIX");
    combined.init(store);
    return new FixedTrustOptions(x509(combined.getTrustManagers()));
  }

  private static X509TrustManager x509(TrustManager[] managers) throws GeneralSecurityException {
    for (TrustManager m : managers) {
      if (m instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
  }
}

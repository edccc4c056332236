package org.postern.tls;

import io.vertx.core.net.ClientSSLOptions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509TrustManager;

/**
 * The client side's SSL options for opportunistic STARTTLS (Postfix's {@code may}).
 *
 * <p>At this level the handshake must not fail on the certificate: RFC 7435 opportunistic security
 * prefers an unauthenticated encrypted session to plaintext. So the trust manager accepts any
 * chain, and {@link PeerVerification} judges the chain afterwards for the {@code verify=} field of
 * the log line. Levels that demand verification must use a verifying trust manager instead.
 */
public final class ClientTls {

  /** One instance for every connection, so Vert.x can cache the SSL context built from it. */
  private static final FixedTrustOptions RECORD_ONLY = new FixedTrustOptions(new RecordOnlyTrustManager());

  private ClientTls() {}

  public static ClientSSLOptions opportunistic(List<String> protocols, Duration handshakeTimeout) {
    return new ClientSSLOptions()
        .setTrustOptions(RECORD_ONLY)
        .setHostnameVerificationAlgorithm("")
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(protocols))
        .setSslHandshakeTimeout(handshakeTimeout.toMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** Accepts every server chain; verification is recorded afterwards, not enforced. */
  private static final class RecordOnlyTrustManager implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException("client-side trust manager");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // Deliberately accepting: opportunistic TLS, see the class comment.
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}

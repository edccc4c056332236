package org.postern.tls;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.postern.config.Listener;
import org.postern.config.TlsConfig;

/**
 * Builds the server side's SSL options for STARTTLS listeners.
 *
 * <p>Certificate choice, on both engines: by SNI name first (the certificates whose names cover
 * it), then by what the client supports (an RSA certificate for a client that offers only RSA
 * suites or signature schemes); without SNI, from all certificates, primary first. When a client
 * could use more than one, BoringSSL takes the configured order, while the JDK follows the
 * client's preference (for TLS 1.3, its signature-scheme order). See {@link ServerKeyOptions}.
 */
public final class ServerTls {

  /** One instance for every listener, so Vert.x can share the SSL context built from it. */
  private static final FixedTrustOptions RECORD_ONLY = new FixedTrustOptions(RecordOnlyClientTrust.INSTANCE);

  private ServerTls() {}

  /**
   * @param creds the certificates, primary first, as {@link ServerCredentials#loadAll} returns them
   * @param tls protocols ({@code tls.protocols}) and cipher suites ({@code tls.ciphers})
   * @param mode whether clients are asked for a certificate. For REQUEST and REQUIRE alike the
   *     handshake accepts any certificate, or none; {@link ClientCertVerifier} judges it afterwards
   *     and REQUIRE is enforced in SMTP (530), as sendmail and Postfix do
   * @param handshakeTimeout deadline for the client's handshake
   */
  public static ServerSSLOptions options(List<ServerCredentials> creds, TlsConfig tls, Listener.ClientCerts mode,
      Duration handshakeTimeout) {
    ServerSSLOptions o = new ServerSSLOptions()
        .setKeyCertOptions(new ServerKeyOptions(creds))
        // SNI lets Vert.x pick the context for the name the client asks for (it also makes
        // NetSocket.indicatedServerName() report that name). With one certificate there is
        // nothing to pick, and the SNI handler's parse of the ClientHello, lookup and handler swap
        // would cost every session some CPU for the same certificate.
        .setSni(creds.size() > 1)
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(tls.protocols()))
        .setSslHandshakeTimeout(handshakeTimeout.toMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    tls.ciphers().forEach(o::addEnabledCipherSuite);
    if (mode == Listener.ClientCerts.NONE) {
      o.setClientAuth(ClientAuth.NONE);
    } else {
      o.setClientAuth(ClientAuth.REQUEST).setTrustOptions(RECORD_ONLY);
    }
    return o;
  }
}

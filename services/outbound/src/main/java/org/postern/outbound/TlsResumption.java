package org.postern.outbound;

import io.netty.handler.ssl.OpenSslSessionContext;
import java.time.Duration;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * The client's TLS session cache, Postfix's smtp_tls_session_cache: the engine keeps the sessions
 * (keyed by peer host and port, so per destination) in the one SSL context all handshakes share;
 * this sets how long they live and tells whether a handshake resumed one.
 *
 * <p>Whether a handshake resumed is read from OpenSSL's own counter of reused sessions in that
 * context ({@code SSL_CTX_sess_hits}): a handshake that raised it resumed. The JDK engine has no
 * such counter, so with it resumption is not reported (it still happens). Used on one event loop,
 * where handshakes complete one at a time.
 */
final class TlsResumption {

  private final int timeoutSeconds;
  private SSLSessionContext configured;
  private long hits;

  TlsResumption(Duration sessionTimeout) {
    this.timeoutSeconds = Math.toIntExact(sessionTimeout.toSeconds());
  }

  /** Called once per completed handshake; true when it resumed an earlier session. */
  boolean observe(SSLSession session) {
    SSLSessionContext context = session.getSessionContext();
    if (context == null) {
      return false;
    }
    if (context != configured) {
      context.setSessionTimeout(timeoutSeconds);
      configured = context;
    }
    if (context instanceof OpenSslSessionContext openssl) {
      long now = openssl.stats().hits();
      boolean resumed = now > hits;
      hits = now;
      return resumed;
    }
    return false;
  }
}

package org.postern.outbound;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * The client's TLS session cache, Postfix's smtp_tls_session_cache: the engine keeps the sessions
 * (keyed by peer host and port, so per destination) in the one SSL context all handshakes share;
 * this sets how long they live and tells whether a handshake resumed one.
 *
 * <p>A handshake resumed when its session's ID was already in the context's cache before the
 * handshake began: a full handshake gets an ID the cache has never held (or none, in TLS 1.3
 * before the server's ticket arrives). Used on one event loop.
 */
final class TlsResumption {

  private final int timeoutSeconds;
  private SSLSessionContext context;

  TlsResumption(Duration sessionTimeout) {
    this.timeoutSeconds = Math.toIntExact(sessionTimeout.toSeconds());
  }

  /** The IDs cached before a handshake; pass them to {@link #resumed} after it. */
  Set<ByteBuffer> beforeHandshake() {
    if (context == null) {
      return Set.of();
    }
    Set<ByteBuffer> ids = new HashSet<>();
    for (byte[] id : Collections.list(context.getIds())) {
      ids.add(ByteBuffer.wrap(id));
    }
    return ids;
  }

  /** Whether {@code session} resumed one of the sessions cached {@code before} its handshake. */
  boolean resumed(SSLSession session, Set<ByteBuffer> before) {
    SSLSessionContext c = session.getSessionContext();
    if (c != null && c != context) {
      c.setSessionTimeout(timeoutSeconds);
      context = c;
    }
    byte[] id = session.getId();
    return id != null && id.length > 0 && before.contains(ByteBuffer.wrap(id));
  }
}

package org.postern.tls;

import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.util.List;

/**
 * The TLS implementation chosen at start. OpenSSL (BoringSSL via netty-tcnative) is the default
 * because it handshakes several times faster than the JDK engine; the JDK engine is used when the
 * operator asks for it or when the native library cannot load on this platform.
 *
 * @param options the Vert.x engine options to put on servers and clients
 * @param description what the start log prints, e.g. "OpenSSL (BoringSSL)"
 * @param fellBack true when OpenSSL was asked for but is unavailable
 */
public record TlsEngine(SSLEngineOptions options, String description, boolean fellBack) {

  /**
   * @param requested {@code openssl} or {@code jdk}
   */
  public static TlsEngine choose(String requested) {
    return choose(requested, List.of());
  }

  /**
   * @param requested {@code openssl} or {@code jdk}
   * @param serverGroups key-exchange groups servers accept, most preferred first ({@code
   *     tls.groups}); empty leaves BoringSSL's defaults. Clients and the JDK engine keep their
   *     defaults: Java 17 has no per-context setting for groups.
   */
  public static TlsEngine choose(String requested, List<String> serverGroups) {
    return choose(requested, serverGroups, null);
  }

  /**
   * As {@link #choose(String, List)}, with the keys the listener seals session tickets with; null
   * leaves tickets as the library does them. The JDK engine keeps its own per-process tickets and
   * ignores these.
   */
  public static TlsEngine choose(String requested, List<String> serverGroups, SessionTickets tickets) {
    if (requested.equals("openssl")) {
      if (OpenSSLEngineOptions.isAvailable()) {
        // The session cache lets returning clients resume instead of a full handshake.
        return new TlsEngine(new MultiCertificateOpenSslOptions(serverGroups, tickets).setSessionCacheEnabled(true),
            "OpenSSL (" + OpenSsl.versionString() + ")", false);
      }
      Throwable cause = OpenSsl.unavailabilityCause();
      return new TlsEngine(new JdkSSLEngineOptions(),
          "JDK (OpenSSL unavailable: " + (cause == null ? "unknown reason" : cause.getMessage()) + ")", true);
    }
    return new TlsEngine(new JdkSSLEngineOptions(), "JDK (" + System.getProperty("java.vendor") + " "
        + System.getProperty("java.version") + ")", false);
  }

  public boolean isOpenSsl() {
    return options instanceof OpenSSLEngineOptions;
  }
}

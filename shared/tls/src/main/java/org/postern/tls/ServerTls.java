package org.postern.tls;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Builds the server side's SSL options for STARTTLS listeners. */
public final class ServerTls {

  /**
   * Forward-secret AEAD suites only. TLS 1.3's suites all qualify; for TLS 1.2 this leaves ECDHE
   * with AES-GCM or ChaCha20-Poly1305.
   */
  public static final List<String> DEFAULT_CIPHERS = List.of(
      "TLS_AES_256_GCM_SHA384",
      "TLS_AES_128_GCM_SHA256",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private ServerTls() {}

  public static ServerSSLOptions options(ServerCredentials creds, List<String> protocols, Duration handshakeTimeout) {
    ServerSSLOptions o = new ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions()
            .addCertValue(Buffer.buffer(creds.chainPem()))
            .addKeyValue(Buffer.buffer(creds.keyPem())))
        .setClientAuth(ClientAuth.NONE)
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(protocols))
        .setSslHandshakeTimeout(handshakeTimeout.toMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
    DEFAULT_CIPHERS.forEach(o::addEnabledCipherSuite);
    return o;
  }
}

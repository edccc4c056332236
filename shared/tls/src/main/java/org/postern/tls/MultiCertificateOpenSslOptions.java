package org.postern.tls;

import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;

/**
 * Vert.x's OpenSSL engine options, with a context factory that lets BoringSSL choose among several
 * server certificates per client ({@link CredentialContextFactory}). Clients and single-certificate
 * servers get exactly what the stock options build.
 */
final class MultiCertificateOpenSslOptions extends OpenSSLEngineOptions {

  MultiCertificateOpenSslOptions() {}

  private MultiCertificateOpenSslOptions(MultiCertificateOpenSslOptions other) {
    super(other);
  }

  @Override
  public SslContextFactory sslContextFactory() {
    return new CredentialContextFactory(isSessionCacheEnabled());
  }

  /** Vert.x copies engine options into every server and client; the copy must keep the factory. */
  @Override
  public MultiCertificateOpenSslOptions copy() {
    return new MultiCertificateOpenSslOptions(this);
  }
}

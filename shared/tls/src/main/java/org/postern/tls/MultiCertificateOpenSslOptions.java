package org.postern.tls;

import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.List;

/**
 * Vert.x's OpenSSL engine options, with a context factory that lets BoringSSL choose among several
 * server certificates per client ({@link CredentialContextFactory}). Clients and single-certificate
 * servers get exactly what the stock options build.
 */
final class MultiCertificateOpenSslOptions extends OpenSSLEngineOptions {

  private final List<String> serverGroups;

  /** @param serverGroups key-exchange groups for server contexts; empty keeps BoringSSL's defaults */
  MultiCertificateOpenSslOptions(List<String> serverGroups) {
    this.serverGroups = List.copyOf(serverGroups);
  }

  private MultiCertificateOpenSslOptions(MultiCertificateOpenSslOptions other) {
    super(other);
    this.serverGroups = other.serverGroups;
  }

  @Override
  public SslContextFactory sslContextFactory() {
    return new CredentialContextFactory(isSessionCacheEnabled(), serverGroups);
  }

  /** Vert.x copies engine options into every server and client; the copy must keep the factory. */
  @Override
  public MultiCertificateOpenSslOptions copy() {
    return new MultiCertificateOpenSslOptions(this);
  }
}

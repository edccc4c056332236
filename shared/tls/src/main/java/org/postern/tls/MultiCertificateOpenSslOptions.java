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
  private final SessionTickets tickets;

  /**
   * @param serverGroups key-exchange groups for server contexts; empty keeps BoringSSL's defaults
   * @param tickets the session ticket keys every server context gets; null leaves the library's own
   */
  MultiCertificateOpenSslOptions(List<String> serverGroups, SessionTickets tickets) {
    this.serverGroups = List.copyOf(serverGroups);
    this.tickets = tickets;
  }

  private MultiCertificateOpenSslOptions(MultiCertificateOpenSslOptions other) {
    super(other);
    this.serverGroups = other.serverGroups;
    this.tickets = other.tickets;
  }

  @Override
  public SslContextFactory sslContextFactory() {
    return new CredentialContextFactory(isSessionCacheEnabled(), serverGroups, tickets);
  }

  /** Vert.x copies engine options into every server and client; the copy must keep the factory. */
  @Override
  public MultiCertificateOpenSslOptions copy() {
    return new MultiCertificateOpenSslOptions(this);
  }
}

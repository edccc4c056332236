package org.postern.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslCredential;
import io.netty.handler.ssl.OpenSslCredentialBuilder;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.spi.tls.DefaultSslContextFactory;
import io.vertx.core.spi.tls.SslContextFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds OpenSSL server contexts that carry every server certificate as a BoringSSL credential,
 * so BoringSSL picks, per handshake, the first one the client can use (by its cipher suites and
 * signature algorithms): an RSA-only TLS 1.2 client gets the RSA certificate. Netty's key-manager
 * route cannot do this, because it asks for key types in the order of the server's cipher list.
 *
 * <p>Every other context (clients, JDK-style key options, a tcnative without credential support)
 * is built by Vert.x's own factory, to which all settings are forwarded.
 */
final class CredentialContextFactory implements SslContextFactory {

  private final DefaultSslContextFactory delegate;
  private final boolean sessionCacheEnabled;
  private final List<String> serverGroups;
  private final SessionTickets tickets;
  private boolean forServer;
  private ClientAuth clientAuth;
  private Set<String> protocols;
  private Set<String> ciphers;
  private boolean useAlpn;
  private List<String> applicationProtocols;
  private KeyManagerFactory kmf;
  private TrustManagerFactory tmf;

  CredentialContextFactory(boolean sessionCacheEnabled, List<String> serverGroups, SessionTickets tickets) {
    this.delegate = new DefaultSslContextFactory(SslProvider.OPENSSL, sessionCacheEnabled);
    this.sessionCacheEnabled = sessionCacheEnabled;
    this.serverGroups = serverGroups;
    this.tickets = tickets;
  }

  @Override
  public SslContextFactory useAlpn(boolean useAlpn) {
    this.useAlpn = useAlpn;
    delegate.useAlpn(useAlpn);
    return this;
  }

  @Override
  public SslContextFactory forServer(ClientAuth clientAuth) {
    this.forServer = true;
    this.clientAuth = clientAuth;
    delegate.forServer(clientAuth);
    return this;
  }

  @Override
  public SslContextFactory forClient(SNIServerName serverName, String endpointIdentificationAlgorithm) {
    delegate.forClient(serverName, endpointIdentificationAlgorithm);
    return this;
  }

  @Override
  public SslContextFactory enabledProtocols(Set<String> protocols) {
    this.protocols = protocols;
    delegate.enabledProtocols(protocols);
    return this;
  }

  @Override
  public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
    this.kmf = kmf;
    delegate.keyMananagerFactory(kmf);
    return this;
  }

  @Override
  public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
    this.tmf = tmf;
    delegate.trustManagerFactory(tmf);
    return this;
  }

  @Override
  public SslContextFactory enabledCipherSuites(Set<String> ciphers) {
    this.ciphers = ciphers;
    delegate.enabledCipherSuites(ciphers);
    return this;
  }

  @Override
  public SslContextFactory applicationProtocols(List<String> protocols) {
    this.applicationProtocols = protocols;
    delegate.applicationProtocols(protocols);
    return this;
  }

  @Override
  public SslContext create() throws SSLException {
    SslContext ctx = build();
    return forServer && tickets != null ? tickets.attach(ctx) : ctx;
  }

  private SslContext build() throws SSLException {
    if (!forServer || !(kmf instanceof CredentialKeyManager.Factory ours) || !OpenSslCredential.isAvailable()) {
      return delegate.create();
    }
    // What Vert.x's DefaultSslContextFactory does for an OpenSSL server, plus the credentials.
    // The caching wrapper keeps each alias's encoded key material: without it, the certificate
    // callback re-encodes the chain and key on every handshake.
    SslContextBuilder b = SslContextBuilder.forServer(new OpenSslCachingX509KeyManagerFactory(kmf))
        .sslProvider(SslProvider.OPENSSL);
    if (tmf != null) {
      b.trustManager(tmf);
    }
    b.ciphers(ciphers == null || ciphers.isEmpty() ? OpenSsl.availableOpenSslCipherSuites() : ciphers);
    if (useAlpn && applicationProtocols != null && !applicationProtocols.isEmpty()) {
      b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, applicationProtocols));
    }
    if (clientAuth != null) {
      b.clientAuth(clientAuth);
    }
    if (protocols != null) {
      b.protocols(protocols);
    }
    if (!serverGroups.isEmpty()) {
      b.option(OpenSslContextOption.GROUPS, serverGroups.toArray(new String[0]));
    }
    List<OpenSslCredential> credentials = new ArrayList<>();
    try {
      for (ServerCredentials c : ours.credentials()) {
        credentials.add(OpenSslCredentialBuilder.forX509(c.privateKey(), c.chain().toArray(new X509Certificate[0]))
            .build());
      }
      // The context takes its own reference to each and drops it when freed; ours go in finally.
      b.addCredentials(credentials);
      SslContext ctx = b.build();
      if (ctx.sessionContext() instanceof OpenSslServerSessionContext sessions) {
        sessions.setSessionCacheEnabled(sessionCacheEnabled);
      }
      return ctx;
    } catch (RuntimeException e) {
      throw new SSLException("cannot build the OpenSSL server context: " + e.getMessage(), e);
    } finally {
      credentials.forEach(OpenSslCredential::release);
    }
  }
}

package org.postern.tls;

import io.vertx.core.Vertx;
import io.vertx.core.net.TrustOptions;
import java.security.KeyStore;
import java.security.Provider;
import java.util.function.Function;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;

/**
 * Vert.x trust options around one fixed {@link TrustManager}. Vert.x's own
 * {@code TrustOptions.wrap} initialises a class that needs SLF4J, which Postern does not ship, so
 * the factory is built here from the JDK's SPI instead. Instances compare by identity, which keeps
 * Vert.x's SSL-context cache effective when the same instance is reused.
 */
final class FixedTrustOptions implements TrustOptions {

  private final TrustManagerFactory factory;

  FixedTrustOptions(TrustManager trustManager) {
    this.factory = new Factory(trustManager);
  }

  @Override
  public TrustOptions copy() {
    return this;
  }

  @Override
  public TrustManagerFactory getTrustManagerFactory(Vertx vertx) {
    return factory;
  }

  /**
   * No per-name trust: the same trust manager applies whatever name the client indicates. Null
   * (rather than the same managers again) matters on an SNI server: Vert.x then uses its default
   * context for a name no certificate covers, instead of building, and caching, a context for
   * every name a client makes up.
   */
  @Override
  public Function<String, TrustManager[]> trustManagerMapper(Vertx vertx) {
    return serverName -> null;
  }

  private static final class Factory extends TrustManagerFactory {
    Factory(TrustManager tm) {
      super(new Spi(tm), new Provider("postern-trust", "1", "fixed trust manager") {}, "postern");
    }
  }

  private static final class Spi extends TrustManagerFactorySpi {
    private final TrustManager tm;

    Spi(TrustManager tm) {
      this.tm = tm;
    }

    @Override
    protected void engineInit(KeyStore ks) {}

    @Override
    protected void engineInit(ManagerFactoryParameters spec) {}

    @Override
    protected TrustManager[] engineGetTrustManagers() {
      return new TrustManager[] {tm};
    }
  }
}

package org.postern.tls;

import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;

/**
 * Vert.x key options over several server certificates, chosen per handshake in two steps.
 *
 * <ol>
 *   <li>By SNI name (with {@code ServerSSLOptions.setSni(true)}): Vert.x asks
 *       {@link #keyManagerFactoryMapper} for the client's name and builds one SSL context per
 *       name; a name no certificate covers maps to null, which makes Vert.x use the default
 *       context rather than build one for every name a client invents.
 *   <li>By key type, inside that context: the certificates covering the name come first, then
 *       the rest in configured order (an RSA-only client asking for a name that has only an ECDSA
 *       certificate still gets a working, if mismatched, certificate: opportunistic TLS prefers
 *       that to plaintext). Without SNI the order is simply the configured one, primary first.
 * </ol>
 *
 * <p>Immutable and compared by identity, so Vert.x's SSL-context cache works when the same
 * instance is reused.
 */
final class ServerKeyOptions implements KeyCertOptions {

  private final KeyManagerFactory defaultFactory;
  /** Per distinct certificate name, the factory for clients asking for that name. */
  private final Map<String, KeyManagerFactory> byName = new LinkedHashMap<>();
  private final List<List<String>> names = new ArrayList<>();
  private final List<ServerCredentials> creds;

  ServerKeyOptions(List<ServerCredentials> creds) {
    if (creds.isEmpty()) {
      throw new IllegalArgumentException("at least one server certificate is needed");
    }
    this.creds = List.copyOf(creds);
    this.defaultFactory = factory(this.creds);
    for (ServerCredentials c : this.creds) {
      names.add(CertificateNames.of(c.leaf()));
    }
    for (List<String> certNames : names) {
      for (String name : certNames) {
        byName.computeIfAbsent(name, n -> factory(preferring(n)));
      }
    }
  }

  /** The credentials covering {@code host} first, then all others, each group in configured order. */
  private List<ServerCredentials> preferring(String host) {
    List<ServerCredentials> first = new ArrayList<>();
    List<ServerCredentials> rest = new ArrayList<>();
    for (int i = 0; i < creds.size(); i++) {
      (CertificateNames.covers(names.get(i), host) ? first : rest).add(creds.get(i));
    }
    first.addAll(rest);
    return first;
  }

  /** The factory for an SNI name, or null when no certificate covers it. */
  KeyManagerFactory forServerName(String serverName) {
    if (serverName == null) {
      return null;
    }
    String host = serverName.toLowerCase(Locale.ROOT);
    KeyManagerFactory exact = byName.get(host);
    if (exact != null) {
      return exact;
    }
    for (Map.Entry<String, KeyManagerFactory> e : byName.entrySet()) {
      if (CertificateNames.covers(List.of(e.getKey()), host)) {
        return e.getValue(); // a wildcard name
      }
    }
    return null;
  }

  private static KeyManagerFactory factory(List<ServerCredentials> ordered) {
    return new CredentialKeyManager.Factory(new CredentialKeyManager(ordered));
  }

  @Override
  public KeyCertOptions copy() {
    return this;
  }

  @Override
  public KeyManagerFactory getKeyManagerFactory(Vertx vertx) {
    return defaultFactory;
  }

  @Override
  public Function<String, KeyManagerFactory> keyManagerFactoryMapper(Vertx vertx) {
    return this::forServerName;
  }
}

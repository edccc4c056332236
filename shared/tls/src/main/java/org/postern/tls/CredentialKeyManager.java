package org.postern.tls;

import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager over an ordered list of certificates: asked for a key type, it answers with
 * the first certificate whose key is of that type. The JDK engine asks once per cipher suite or
 * signature scheme the client offers, so an RSA-only client gets the RSA certificate and everyone
 * else the first (usually ECDSA) one.
 *
 * <p>The OpenSSL engine also calls this, but in the order of the server's own cipher list, so it
 * cannot pick by client; {@link CredentialContextFactory} hands BoringSSL every certificate
 * instead and lets it choose.
 */
final class CredentialKeyManager extends X509ExtendedKeyManager {

  private final List<ServerCredentials> creds;

  CredentialKeyManager(List<ServerCredentials> creds) {
    this.creds = List.copyOf(creds);
  }

  List<ServerCredentials> credentials() {
    return creds;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return choose(keyType);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return choose(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String[] aliases = new String[creds.size()];
    int n = 0;
    for (int i = 0; i < creds.size(); i++) {
      if (creds.get(i).keyAlgorithm().equals(keyType)) {
        aliases[n++] = Integer.toString(i);
      }
    }
    return n == 0 ? null : Arrays.copyOf(aliases, n);
  }

  /**
   * Key types as the engines name them: {@code RSA} and {@code EC} from both; the JDK also asks
   * for {@code RSASSA-PSS} (a PSS-only key, which we never hold) and static-ECDH types such as
   * {@code EC_EC}, whose suites Postern does not enable.
   */
  private String choose(String keyType) {
    for (int i = 0; i < creds.size(); i++) {
      if (creds.get(i).keyAlgorithm().equals(keyType)) {
        return Integer.toString(i);
      }
    }
    return null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    ServerCredentials c = byAlias(alias);
    return c == null ? null : c.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    ServerCredentials c = byAlias(alias);
    return c == null ? null : c.privateKey();
  }

  private ServerCredentials byAlias(String alias) {
    try {
      int i = Integer.parseInt(alias);
      return i >= 0 && i < creds.size() ? creds.get(i) : null;
    } catch (NumberFormatException | NullPointerException e) {
      return null;
    }
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null; // server-side only
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }

  /**
   * The factory Vert.x asks for; built from the JDK's SPI because {@code KeyCertOptions.wrap}
   * drags in SLF4J, which Postern does not ship. The OpenSSL context factory recognises this class
   * to reach the certificates.
   */
  static final class Factory extends KeyManagerFactory {
    private final CredentialKeyManager manager;

    Factory(CredentialKeyManager manager) {
      super(new Spi(manager), new Provider("postern-keys", "1", "ordered server certificates") {}, "postern");
      this.manager = manager;
    }

    List<ServerCredentials> credentials() {
      return manager.credentials();
    }
  }

  private static final class Spi extends KeyManagerFactorySpi {
    private final KeyManager km;

    Spi(KeyManager km) {
      this.km = km;
    }

    @Override
    protected void engineInit(KeyStore ks, char[] password) {}

    @Override
    protected void engineInit(ManagerFactoryParameters spec) {}

    @Override
    protected KeyManager[] engineGetKeyManagers() {
      return new KeyManager[] {km};
    }
  }
}

package org.postern.config;

import java.util.List;

/**
 * TLS engine and certificate settings ({@code tls.*}); an empty {@code certChain} means "generate
 * self-signed". Empty CA and CRL paths mean "not configured".
 *
 * @param groups key-exchange groups the server accepts, most preferred first (OpenSSL engine only)
 * @param expiryWarningDays a server certificate this close to expiry is warned about
 * @param reloadInterval how often the certificate and key files are checked for changes
 */
public record TlsConfig(
    String engine,
    String certChain,
    String key,
    String moreCertificates,
    String caFile,
    String caPath,
    String crlFile,
    List<String> ciphers,
    List<String> protocols,
    List<String> groups,
    int expiryWarningDays,
    java.time.Duration reloadInterval) {

  public boolean selfSigned() {
    return certChain.isEmpty();
  }
}

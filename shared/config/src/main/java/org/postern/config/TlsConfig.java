package org.postern.config;

import java.util.List;

/** TLS engine and certificate settings ({@code tls.*}); empty paths mean "generate self-signed". */
public record TlsConfig(String engine, String certChain, String key, List<String> protocols) {

  public boolean selfSigned() {
    return certChain.isEmpty();
  }
}

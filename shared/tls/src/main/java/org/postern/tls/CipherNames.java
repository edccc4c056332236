package org.postern.tls;

import java.util.Locale;
import java.util.Map;

/**
 * Cipher suites under OpenSSL's names ({@code ECDHE-ECDSA-AES128-GCM-SHA256}), as sendmail's
 * {@code ${cipher}} and Postfix's Received header and log lines write them, where the JDK and
 * netty report the IANA names ({@code TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}). Log parsers
 * written for those MTAs key on OpenSSL's names. TLS 1.3 suites have one name in both worlds.
 *
 * <p>The table covers the TLS 1.2 suites either engine can negotiate with {@code tls.ciphers}
 * (the default list and the CBC and RSA key-exchange suites an operator might add). A suite
 * outside it keeps its IANA name: a name nobody expects is better than a wrong one.
 */
public final class CipherNames {

  private static final Map<String, String> OPENSSL = Map.ofEntries(
      Map.entry("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"),
      Map.entry("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"),
      Map.entry("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"),
      Map.entry("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"),
      Map.entry("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"),
      Map.entry("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"),
      Map.entry("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384"),
      Map.entry("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256"),
      Map.entry("TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305"),
      Map.entry("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384"),
      Map.entry("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"),
      Map.entry("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384"),
      Map.entry("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"),
      Map.entry("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"),
      Map.entry("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"),
      Map.entry("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"),
      Map.entry("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"),
      Map.entry("TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE-RSA-AES256-SHA256"),
      Map.entry("TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256"),
      Map.entry("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA"),
      Map.entry("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "DHE-RSA-AES128-SHA"),
      Map.entry("TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"),
      Map.entry("TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"),
      Map.entry("TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"),
      Map.entry("TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"),
      Map.entry("TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"),
      Map.entry("TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"),
      Map.entry("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"),
      Map.entry("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"));

  private CipherNames() {}

  /**
   * OpenSSL's name for a suite the engine reported by its IANA (or JDK {@code SSL_}) name;
   * TLS 1.3 suites and suites outside the table come back unchanged.
   */
  public static String openSsl(String suite) {
    String upper = suite.toUpperCase(Locale.ROOT);
    // The JDK keeps SSL_ for suites defined before TLS (SSL_RSA_WITH_3DES_EDE_CBC_SHA).
    String iana = upper.startsWith("SSL_") ? "TLS_" + upper.substring(4) : upper;
    return OPENSSL.getOrDefault(iana, suite);
  }

  /** The table, for the test that holds it against {@code openssl ciphers -stdname}. */
  static Map<String, String> table() {
    return OPENSSL;
  }
}

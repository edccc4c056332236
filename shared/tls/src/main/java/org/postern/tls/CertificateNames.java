package org.postern.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The host names a server certificate is for, and whether one of them covers the name a client
 * asked for with SNI. Follows RFC 6125: the DNS subjectAltNames when there are any, else the
 * subject's common name; a wildcard stands for exactly one leftmost label.
 */
final class CertificateNames {

  private static final int SAN_DNS = 2;

  private CertificateNames() {}

  /** Lower-case DNS names of {@code cert}, from its SAN, or its CN when it has no DNS SAN. */
  static List<String> of(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() >= 2 && san.get(0) instanceof Integer type && type == SAN_DNS) {
            names.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // A SAN we cannot parse serves no names; the CN below may still.
    }
    if (names.isEmpty()) {
      String cn = SessionFacts.commonName(cert.getSubjectX500Principal().getName());
      if (!cn.isEmpty()) {
        names.add(cn.toLowerCase(Locale.ROOT));
      }
    }
    return names;
  }

  /** Whether any of {@code names} (as {@link #of} returns them) covers {@code host}. */
  static boolean covers(List<String> names, String host) {
    String h = stripDot(host.toLowerCase(Locale.ROOT));
    for (String n : names) {
      if (matches(stripDot(n), h)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether any of {@code names} is a name strictly below {@code domain}; a wildcard name
   * ({@code *.mx.example.org}) stands for names below its own domain, so it is below
   * {@code example.org} and {@code mx.example.org}.
   */
  static boolean below(List<String> names, String domain) {
    String suffix = "." + stripDot(domain.toLowerCase(Locale.ROOT));
    for (String n : names) {
      String name = stripDot(n);
      if (name.startsWith("*.") ? name.substring(1).endsWith(suffix) || name.substring(1).equals(suffix)
          : name.endsWith(suffix) && name.length() > suffix.length()) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(String pattern, String host) {
    if (!pattern.startsWith("*.")) {
      return pattern.equals(host);
    }
    int dot = host.indexOf('.');
    // "*.example.org" covers "mx.example.org" but neither "example.org" nor "a.mx.example.org".
    return dot > 0 && host.substring(dot).equals(pattern.substring(1));
  }

  private static String stripDot(String name) {
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }
}

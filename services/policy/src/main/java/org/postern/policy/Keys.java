package org.postern.policy;

import java.util.Locale;
import org.postern.config.Cidr;

/** The left-hand sides of map entries: networks in sendmail's forms, domains, addresses. */
final class Keys {

  private static final String LABEL = "[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?";
  private static final String DOMAIN = "\\.?" + LABEL + "(\\." + LABEL + ")*";

  private Keys() {}

  /**
   * An address, a CIDR network, or sendmail's partial IPv4 form ({@code 10.1} is 10.1.0.0/16),
   * with an optional {@code IPv6:} prefix; null when the key is not an address at all.
   */
  static Cidr network(String key) {
    String k = key.toLowerCase(Locale.ROOT).startsWith("ipv6:") ? key.substring(5) : key;
    if (k.matches("\\d{1,3}(\\.\\d{1,3}){0,2}")) {
      int octets = k.split("\\.").length;
      return Cidr.parse(k + ".0".repeat(4 - octets) + "/" + (octets * 8));
    }
    if (!k.matches("[0-9a-fA-F:.]+(/\\d{1,3})?") || !(k.contains(":") || k.matches("[\\d.]+(/\\d+)?"))) {
      return null;
    }
    return Cidr.parse(k);
  }

  /** A domain or host name, {@code .domain} for subdomains only; lower-cased. */
  static String domain(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.endsWith(".") && k.length() > 1 && !k.equals("..")) {
      k = k.substring(0, k.length() - 1);
    }
    if (!k.matches(DOMAIN) || k.length() > 255) {
      String fixed = k.replace(':', '.');
      throw new IllegalArgumentException("expected a host name, domain, IP address or network, got '" + key + "'"
          + (k.contains(":") && fixed.matches(DOMAIN) ? " (did you mean '" + fixed + "'?)" : ""));
    }
    return k;
  }
}

package org.postern.policy;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Postfix-style per-destination policies, keyed as smtp_tls_policy_maps keys them:
 * {@code [host]:port} and {@code [host]} for a next hop named by host (a transport-table entry, or
 * an MX host), {@code example.net} for exactly that destination domain, {@code .example.net} for
 * its subdomains. Lookup: {@code [host]:port}, {@code [host]}, the same for the address, the
 * domain, then its parents in {@code .parent} form, nearest first.
 */
final class DestinationTable {

  private final Map<String, Rule<DestinationRule>> keys = new HashMap<>();

  void add(String key, Rule<DestinationRule> rule) {
    String k = normal(key);
    Rule<DestinationRule> before = keys.putIfAbsent(k, rule);
    if (before != null) {
      throw new IllegalArgumentException("'" + key + "' is already given at " + before.where());
    }
  }

  private static String normal(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.startsWith("[")) {
      int close = k.indexOf(']');
      if (close < 2) {
        throw new IllegalArgumentException("expected [host] or [host]:port, got '" + key + "'");
      }
      String host = k.substring(1, close);
      if (Keys.network(host) == null) {
        Keys.domain(host);
      }
      String rest = k.substring(close + 1);
      if (rest.isEmpty()) {
        return "[" + host + "]";
      }
      if (!rest.matches(":\\d{1,5}") || Integer.parseInt(rest.substring(1)) > 65535) {
        throw new IllegalArgumentException("expected [host]:port with a port from 1 to 65535, got '" + key + "'");
      }
      return "[" + host + "]" + rest;
    }
    if (k.contains(":") || Keys.network(k) != null) {
      throw new IllegalArgumentException("expected a domain, .domain, [host] or [host]:port, got '" + key + "'");
    }
    return Keys.domain(k);
  }

  /** The rule for a next hop, or null; {@code host}, {@code ip} and {@code port} may be null when not yet known. */
  Rule<DestinationRule> find(String domain, String host, String ip, Integer port) {
    for (String h : new String[] {host, ip}) {
      if (h == null) {
        continue;
      }
      String b = "[" + h.toLowerCase(Locale.ROOT) + "]";
      Rule<DestinationRule> r = port == null ? null : keys.get(b + ":" + port);
      if (r == null) {
        r = keys.get(b);
      }
      if (r != null) {
        return r;
      }
    }
    String d = domain.toLowerCase(Locale.ROOT);
    Rule<DestinationRule> r = keys.get(d);
    for (int dot = d.indexOf('.'); r == null && dot >= 0; dot = d.indexOf('.', dot + 1)) {
      r = keys.get(d.substring(dot));
    }
    return r;
  }

  int size() {
    return keys.size();
  }

  /** Every entry, in the order of the file's lines. */
  java.util.List<Rule<DestinationRule>> rules() {
    return keys.values().stream().sorted(java.util.Comparator.comparingInt(r -> PolicyModel.lineOf(r.where())))
        .toList();
  }
}

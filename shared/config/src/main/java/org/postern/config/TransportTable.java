package org.postern.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Per-domain routes that override MX lookup: {@code example.net=[127.0.0.1]:2526,
 * .example.org=[relay.example]:25, *=[smarthost.example]:587}. Lookup tries the exact domain, then
 * each parent written with a leading dot, then {@code *} (the relayhost of Postfix users).
 */
public record TransportTable(Map<String, NextHop> routes) {

  public TransportTable {
    routes = Map.copyOf(routes);
  }

  public static TransportTable empty() {
    return new TransportTable(Map.of());
  }

  public static TransportTable parse(String text) {
    Map<String, NextHop> routes = new LinkedHashMap<>();
    for (String entry : Values.splitList(text)) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("expected 'domain=[host]:port' or '*=[host]:port', got '" + entry + "'");
      }
      String domain = entry.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      if (!domain.equals("*")) {
        domain = Values.domain().apply(domain);
      }
      if (routes.put(domain, NextHop.parse(entry.substring(eq + 1))) != null) {
        throw new IllegalArgumentException("domain '" + domain + "' appears twice");
      }
    }
    return new TransportTable(routes);
  }

  /** The route for {@code domain}, if any entry matches. */
  public Optional<NextHop> lookup(String domain) {
    String d = domain.toLowerCase(Locale.ROOT);
    NextHop exact = routes.get(d);
    if (exact != null) {
      return Optional.of(exact);
    }
    for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
      NextHop parent = routes.get(d.substring(dot));
      if (parent != null) {
        return Optional.of(parent);
      }
    }
    return Optional.ofNullable(routes.get("*"));
  }
}

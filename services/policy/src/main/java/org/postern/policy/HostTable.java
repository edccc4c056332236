package org.postern.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.postern.config.Cidr;

/**
 * Rules keyed by host, domain, address or network, looked up as sendmail looks up its access
 * map: the exact host name first, then its parent domains from the nearest up (a key
 * {@code example.net} matches the domain and every host below it; {@code .example.net}, Postfix's
 * notation, only the hosts below it), then the address against addresses and networks, most
 * specific first. The first match wins.
 *
 * <p>Filled once while a file is compiled, read-only afterwards, so lookups need no locks.
 */
final class HostTable<T> {

  private record Net<T>(Cidr net, Rule<T> rule) {}

  private final Map<String, Rule<T>> names = new HashMap<>();
  private final List<Net<T>> nets = new ArrayList<>();

  /** Adds a rule; throws IllegalArgumentException for a malformed or repeated key. */
  void add(String key, Rule<T> rule) {
    Cidr net = Keys.network(key);
    if (net != null) {
      for (Net<T> n : nets) {
        if (n.net().equals(net)) {
          throw new IllegalArgumentException("'" + key + "' is already given at " + n.rule().where());
        }
      }
      nets.add(new Net<>(net, rule));
      nets.sort(Comparator.comparingInt((Net<T> n) -> n.net().prefix()).reversed());
      return;
    }
    String name = Keys.domain(key);
    Rule<T> before = names.putIfAbsent(name, rule);
    if (before != null) {
      throw new IllegalArgumentException("'" + key + "' is already given at " + before.where());
    }
  }

  /**
   * The rule for a peer.
   *
   * @param host the peer's host name, or null when unknown
   * @param ip the peer's address literal, or null when unknown
   */
  Rule<T> find(String host, String ip) {
    if (host != null && !host.isEmpty()) {
      Rule<T> r = byName(host);
      if (r != null) {
        return r;
      }
    }
    if (ip != null) {
      for (Net<T> n : nets) {
        if (n.net().contains(ip)) {
          return n.rule();
        }
      }
    }
    return null;
  }

  /** The exact name, then each parent domain: {@code a.b.c}, {@code b.c} or {@code .b.c}, {@code c} or {@code .c}. */
  Rule<T> byName(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    Rule<T> r = names.get(h);
    for (int dot = h.indexOf('.'); r == null && dot >= 0; dot = h.indexOf('.', dot + 1)) {
      r = names.get(h.substring(dot + 1));
      if (r == null) {
        r = names.get(h.substring(dot));
      }
    }
    return r;
  }

  int size() {
    return names.size() + nets.size();
  }
}

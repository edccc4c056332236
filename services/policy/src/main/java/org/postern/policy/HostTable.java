package org.postern.policy;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.postern.config.Cidr;
import org.postern.config.IpLiterals;

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

  private final Map<String, Rule<T>> names = new HashMap<>();
  /** Networks by prefix length, longest first, so an address costs one probe per length in use. */
  private final TreeMap<Integer, Map<Cidr, Rule<T>>> v4 = new TreeMap<>(Comparator.reverseOrder());
  private final TreeMap<Integer, Map<Cidr, Rule<T>>> v6 = new TreeMap<>(Comparator.reverseOrder());
  private int netCount;

  /** Adds a rule; throws IllegalArgumentException for a malformed or repeated key. */
  void add(String key, Rule<T> rule) {
    Cidr net = Keys.network(key);
    if (net != null) {
      Rule<T> before = (net.network().length == 4 ? v4 : v6).computeIfAbsent(net.prefix(), p -> new HashMap<>())
          .putIfAbsent(net, rule);
      if (before != null) {
        throw new IllegalArgumentException("'" + key + "' is already given at " + before.where());
      }
      netCount++;
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
    byte[] addr = ip == null ? null : IpLiterals.parse(ip);
    if (addr == null) {
      return null;
    }
    if (addr.length == 16 && IpLiterals.isV4Mapped(addr)) {
      addr = Arrays.copyOfRange(addr, 12, 16);
    }
    for (Map.Entry<Integer, Map<Cidr, Rule<T>>> e : (addr.length == 4 ? v4 : v6).entrySet()) {
      Rule<T> r = e.getValue().get(Cidr.covering(addr, e.getKey()));
      if (r != null) {
        return r;
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
    return names.size() + netCount;
  }

  /** Every rule, names and networks, in no particular order. */
  java.util.List<Rule<T>> rules() {
    java.util.List<Rule<T>> all = new java.util.ArrayList<>(names.values());
    v4.values().forEach(m -> all.addAll(m.values()));
    v6.values().forEach(m -> all.addAll(m.values()));
    return all;
  }
}

package org.postern.policy;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.postern.smtp.Path;

/**
 * Rules keyed by recipient, as sendmail's {@code To:} and {@code TLS_Rcpt:} entries are: the full
 * address first, then the domain and its parent domains (as {@link HostTable} matches names),
 * then the local part alone ({@code user@}). The first match wins.
 */
final class RecipientTable<T> {

  private final Map<String, Rule<T>> addresses = new HashMap<>();
  private final HostTable<T> domains = new HostTable<>();

  void add(String key, Rule<T> rule) {
    String k = key.toLowerCase(Locale.ROOT);
    int at = k.lastIndexOf('@');
    if (at < 0) {
      if (Keys.network(k) != null) {
        throw new IllegalArgumentException("expected a recipient domain or address, got '" + key + "'");
      }
      domains.add(k, rule);
      return;
    }
    String local = k.substring(0, at);
    String domain = k.substring(at + 1);
    if (local.isEmpty() || local.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>' || c == '@')) {
      throw new IllegalArgumentException("expected user@domain, domain or user@, got '" + key + "'");
    }
    String normal = domain.isEmpty() ? local + "@" : local + "@" + Keys.domain(domain);
    Rule<T> before = addresses.putIfAbsent(normal, rule);
    if (before != null) {
      throw new IllegalArgumentException("'" + key + "' is already given at " + before.where());
    }
  }

  Rule<T> find(Path recipient) {
    String local = recipient.localPart().toLowerCase(Locale.ROOT);
    String domain = recipient.domain().toLowerCase(Locale.ROOT);
    Rule<T> r = addresses.get(local + "@" + domain);
    if (r == null && !domain.isEmpty()) {
      r = domains.byName(domain);
    }
    if (r == null) {
      r = addresses.get(local + "@");
    }
    return r;
  }

  int size() {
    return addresses.size() + domains.size();
  }
}

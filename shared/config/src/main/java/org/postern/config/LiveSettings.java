package org.postern.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The settings a configuration push may change on a running node, and how a pushed settings text
 * becomes a new {@link PolicyConfig}. Only {@code policy.*} rules qualify: the policy engine is
 * rebuilt whole for every question, so a new value takes effect for the next question with nothing
 * half-applied. Listener addresses, limits held by open connections, files the node reads itself,
 * timers and cluster settings need a restart and are refused, each with its key named.
 */
public final class LiveSettings {

  /** What a push may carry, in the order config/README.md lists them. */
  public static final List<Setting<?>> PUSHABLE = List.of(Settings.POLICY_TRUSTED_NETWORKS,
      Settings.POLICY_RELAY_DOMAINS, Settings.POLICY_TLS_REQUIRED_NETWORKS, Settings.POLICY_RELAY_AUTHENTICATED,
      Settings.POLICY_DESTINATION_TLS_LEVEL);

  private LiveSettings() {}

  /**
   * Reads a pushed settings text over {@code base}, the node's own policy settings: every key it
   * names replaces the node's value; keys it does not name keep the node's value.
   *
   * @param name what errors call the text ({@code name:line: key: reason})
   * @throws ConfigException with every problem: an unknown key, a key a push cannot change, a bad value
   */
  public static PolicyConfig apply(PolicyConfig base, String name, String text) throws ConfigException {
    List<String> problems = new ArrayList<>();
    Map<String, ConfigLoader.Sourced> entries = ConfigLoader.entries(name, text, problems);
    PolicyConfig c = base;
    for (Map.Entry<String, ConfigLoader.Sourced> e : entries.entrySet()) {
      String key = e.getKey();
      String where = e.getValue().where();
      if (PUSHABLE.stream().noneMatch(s -> s.key().equals(key))) {
        problems.add(where + ": " + key + ": a push cannot change this setting (it can change "
            + PUSHABLE.stream().map(Setting::key).collect(Collectors.joining(", ")) + ")");
        continue;
      }
      try {
        c = with(c, key, e.getValue().value());
      } catch (IllegalArgumentException ex) {
        problems.add(where + ": " + key + ": " + ex.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return c;
  }

  private static PolicyConfig with(PolicyConfig c, String key, String value) {
    return switch (key) {
      case "policy.trusted_networks" -> new PolicyConfig(Settings.POLICY_TRUSTED_NETWORKS.parse(value),
          c.relayDomains(), c.tlsRequiredNetworks(), c.relayAuthenticated(), c.accessMap(), c.tlsPolicyMap(),
          c.reloadInterval(), c.timeout(), c.destinationTlsLevel());
      case "policy.relay_domains" -> new PolicyConfig(c.trustedNetworks(), Settings.POLICY_RELAY_DOMAINS.parse(value),
          c.tlsRequiredNetworks(), c.relayAuthenticated(), c.accessMap(), c.tlsPolicyMap(),
          c.reloadInterval(), c.timeout(), c.destinationTlsLevel());
      case "policy.tls_required_networks" -> new PolicyConfig(c.trustedNetworks(), c.relayDomains(),
          Settings.POLICY_TLS_REQUIRED_NETWORKS.parse(value), c.relayAuthenticated(), c.accessMap(),
          c.tlsPolicyMap(), c.reloadInterval(), c.timeout(), c.destinationTlsLevel());
      case "policy.relay_authenticated" -> new PolicyConfig(c.trustedNetworks(), c.relayDomains(),
          c.tlsRequiredNetworks(), Settings.POLICY_RELAY_AUTHENTICATED.parse(value).equals("yes"), c.accessMap(),
          c.tlsPolicyMap(), c.reloadInterval(), c.timeout(), c.destinationTlsLevel());
      case "policy.destination_tls_level" -> new PolicyConfig(c.trustedNetworks(), c.relayDomains(),
          c.tlsRequiredNetworks(), c.relayAuthenticated(), c.accessMap(), c.tlsPolicyMap(),
          c.reloadInterval(), c.timeout(), Settings.POLICY_DESTINATION_TLS_LEVEL.parse(value));
      default -> throw new IllegalStateException("not pushable: " + key);
    };
  }
}

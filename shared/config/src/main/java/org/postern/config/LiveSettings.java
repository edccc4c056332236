package org.postern.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The settings a configuration push may change on a running node, and how a pushed settings text
 * becomes a new configuration. Three kinds qualify, each taking effect without a restart and with
 * nothing half-applied:
 *
 * <ul>
 *   <li>{@code policy.*} rules: the policy engine is rebuilt whole for every question.
 *   <li>inbound limits ({@link #INBOUND}): read by each new connection and session when it starts;
 *       sessions already open keep the limits they started with.
 *   <li>the listener's TLS settings ({@code tls.protocols}, {@code tls.ciphers}, and a listener's
 *       {@code ccert} mode and {@code may}/{@code required}): one new server TLS context, used by
 *       the next STARTTLS.
 * </ul>
 *
 * Everything else is refused with its key named and why: listen addresses and the event-loop
 * count (the sockets and verticles are made at start), files each node reads itself (a push
 * carries certificates, CA file and CRL as content instead), timers, and cluster, queue and
 * outbound settings.
 */
public final class LiveSettings {

  /** The {@code policy.*} keys a push may carry. */
  public static final List<Setting<?>> POLICY = List.of(Settings.POLICY_TRUSTED_NETWORKS,
      Settings.POLICY_RELAY_DOMAINS, Settings.POLICY_TLS_REQUIRED_NETWORKS, Settings.POLICY_RELAY_AUTHENTICATED,
      Settings.POLICY_DESTINATION_TLS_LEVEL, Settings.POLICY_ALLOW_UNTRUSTED_ROUTING);

  /** The inbound limits a push may carry: every one is read when a connection or session starts. */
  public static final List<Setting<?>> INBOUND = List.of(Settings.INBOUND_MAX_MESSAGE_SIZE,
      Settings.INBOUND_MAX_RECIPIENTS, Settings.INBOUND_COMMAND_TIMEOUT, Settings.INBOUND_TLS_HANDSHAKE_TIMEOUT,
      Settings.INBOUND_QUEUE_TIMEOUT, Settings.INBOUND_MAX_CONNECTIONS, Settings.INBOUND_MAX_CONNECTIONS_PER_IP,
      Settings.INBOUND_CONNECTION_RATE_PER_IP, Settings.INBOUND_MAX_ERRORS, Settings.INBOUND_STRESS_COMMAND_TIMEOUT,
      Settings.INBOUND_MIN_DATA_RATE, Settings.INBOUND_CLIENT_LIMIT_EXCEPTIONS, Settings.INBOUND_POSTMASTER_ADDRESS);

  /** The listener TLS settings a push may carry (with the certificates, one new context). */
  public static final List<Setting<?>> TLS = List.of(Settings.INBOUND_LISTENERS, Settings.TLS_PROTOCOLS,
      Settings.TLS_CIPHERS);

  /** What a push may carry, in the order config/README.md lists them. */
  public static final List<Setting<?>> PUSHABLE = concat(POLICY, INBOUND, TLS);

  /** Why some keys cannot be pushed, beyond "not a live setting". */
  private static final Map<String, String> WHY_NOT = Map.ofEntries(
      Map.entry(Settings.INBOUND_EVENT_LOOPS.key(),
          "the listener's verticle instances are deployed at start; restart the node to change their number"),
      Map.entry(Settings.INBOUND_MAX_BODY_MEMORY.key(), "the node's message memory budget is made at start; restart"
          + " the node"),
      Map.entry(Settings.INBOUND_AUTH_USERS.key(), "a file each node reads at start; restart the node"),
      Map.entry(Settings.INBOUND_DNS_SERVERS.key(), "the client-name resolver is made at start; restart the node"),
      Map.entry(Settings.INBOUND_DNS_TIMEOUT.key(), "the client-name resolver is made at start; restart the node"),
      Map.entry(Settings.TLS_ENGINE.key(), "the TLS engine is chosen at start; restart the node"),
      Map.entry(Settings.TLS_GROUPS.key(), "the key-exchange groups are set on the TLS engine at start; restart the node"),
      Map.entry(Settings.TLS_SESSION_TICKETS.key(), tickets()),
      Map.entry(Settings.TLS_SESSION_TICKET_LIFETIME.key(), tickets()),
      // The secret must stay off the cluster: a push is stored in every node's history and shown by `config show`.
      Map.entry(Settings.TLS_SESSION_TICKET_KEY_FILE.key(), "a push never carries the ticket secret; copy the file to"
          + " every node, then restart each"),
      Map.entry(Settings.TLS_CERT_CHAIN.key(), certificates()),
      Map.entry(Settings.TLS_KEY.key(), certificates()),
      Map.entry(Settings.TLS_MORE_CERTIFICATES.key(), certificates()),
      Map.entry(Settings.TLS_CA_FILE.key(), "it names a file on each node; push the CA certificates themselves with"
          + " --tls-ca-file FILE"),
      Map.entry(Settings.TLS_CRL_FILE.key(), "it names a file on each node; push the CRL itself with --tls-crl-file FILE"),
      Map.entry(Settings.TLS_CA_PATH.key(), "it names a directory on each node; push the CA certificates as one file"
          + " with --tls-ca-file FILE"),
      Map.entry(Settings.POLICY_ACCESS_MAP.key(), "it names a file on each node; push the map itself with --policy-access"),
      Map.entry(Settings.POLICY_TLS_POLICY_MAP.key(), "it names a file on each node; push the map itself with --policy-tls"));

  private LiveSettings() {}

  private static String tickets() {
    return "the ticket keys are loaded at start; change it on every node, then restart each";
  }

  private static String certificates() {
    return "it names a file on each node; push the certificate and key themselves with --tls-cert CHAIN KEY";
  }

  @SafeVarargs
  private static List<Setting<?>> concat(List<Setting<?>>... lists) {
    List<Setting<?>> all = new ArrayList<>();
    for (List<Setting<?>> l : lists) {
      all.addAll(l);
    }
    return List.copyOf(all);
  }

  /**
   * Reads a pushed settings text over {@code base}, the node's own configuration: every key it
   * names replaces the node's value; keys it does not name keep the node's value.
   *
   * @param name what errors call the text ({@code name:line: key: reason})
   * @throws ConfigException with every problem: an unknown key, a key a push cannot change, a bad value
   */
  public static PosternConfig apply(PosternConfig base, String name, String text) throws ConfigException {
    List<String> problems = new ArrayList<>();
    Map<String, ConfigLoader.Sourced> entries = ConfigLoader.entries(name, text, problems);
    Map<String, ConfigLoader.Sourced> pushable = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigLoader.Sourced> e : entries.entrySet()) {
      String key = e.getKey();
      if (PUSHABLE.stream().anyMatch(s -> s.key().equals(key))) {
        pushable.put(key, e.getValue());
      } else {
        problems.add(e.getValue().where() + ": " + key + ": a push cannot change this setting: "
            + WHY_NOT.getOrDefault(key, "it is read only at start (a push can change "
                + PUSHABLE.stream().map(Setting::key).collect(Collectors.joining(", ")) + ")"));
      }
    }
    PosternConfig pushed = null;
    try {
      pushed = ConfigLoader.overlay(base, pushable);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    if (pushed != null && pushable.containsKey(Settings.INBOUND_LISTENERS.key())) {
      String where = pushable.get(Settings.INBOUND_LISTENERS.key()).where() + ": " + Settings.INBOUND_LISTENERS.key() + ": ";
      String wrong = listenerChange(base.inbound().listeners(), pushed.inbound().listeners());
      if (wrong != null) {
        problems.add(where + wrong);
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return pushed;
  }

  /**
   * Why {@code pushed} is not a live change of {@code running}, or null when it is: the sockets
   * stay the same (same addresses and ports, in the same order), and STARTTLS stays on or off per
   * listener (a listener that started without it has no TLS set up across its event loops).
   */
  public static String listenerChange(List<Listener> running, List<Listener> pushed) {
    String restart = "a push may change a listener's tls (may or required) and ccert, not what is listened on"
        + " (restart the node for that): ";
    if (running.size() != pushed.size()) {
      return restart + "this node has " + running.size() + " listener(s), the push names " + pushed.size();
    }
    for (int i = 0; i < running.size(); i++) {
      Listener r = running.get(i);
      Listener p = pushed.get(i);
      if (!r.address().equals(p.address()) || r.port() != p.port()) {
        return restart + "listener " + (i + 1) + " is " + r + " on this node, the push names " + p;
      }
      if ((r.tls() == Listener.Tls.NONE) != (p.tls() == Listener.Tls.NONE)) {
        return "a push cannot turn STARTTLS " + (r.tls() == Listener.Tls.NONE ? "on" : "off") + " for " + r
            + " (restart the node for that)";
      }
    }
    return null;
  }
}

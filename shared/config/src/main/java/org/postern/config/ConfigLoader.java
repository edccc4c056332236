package org.postern.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the configuration: defaults, then a {@code key = value} file, then {@code --set}
 * overrides, later sources winning. The file syntax is Postfix's {@code main.cf}: {@code #}
 * comments, and a line that starts with white space continues the previous value.
 *
 * <p>All problems are collected, so an operator fixes a file in one pass. Runs at start-up and on
 * reload, off the event loop (it reads a file).
 */
public final class ConfigLoader {

  /**
   * One setting as written: its text and where ({@code file:line}, {@code --set} or {@code default}).
   */
  public record Sourced(String value, String where) {}

  private static final String CLUSTER_PREFIX = "cluster.";

  private ConfigLoader() {}

  /**
   * @param file the configuration file, or null for embedded defaults only
   * @param overrides {@code key=value} strings from the command line, applied last
   */
  public static PosternConfig load(Path file, List<String> overrides) throws ConfigException {
    return load(file, null, overrides);
  }

  /**
   * As {@link #load(Path, List)}, with a cluster file read after {@code file}: it may hold only
   * {@code cluster.*} settings, so that one cluster file can be shared by nodes whose own files
   * differ.
   *
   * @param clusterFile the file given to {@code --cluster-config}, or null
   */
  public static PosternConfig load(Path file, Path clusterFile, List<String> overrides) throws ConfigException {
    Map<String, Sourced> raw = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    if (file != null) {
      readFile(file, raw, problems);
    }
    if (clusterFile != null) {
      Map<String, Sourced> cluster = new LinkedHashMap<>();
      readFile(clusterFile, cluster, problems);
      cluster.forEach((key, src) -> {
        if (key.startsWith(CLUSTER_PREFIX)) {
          raw.put(key, src);
        } else {
          problems.add(src.where() + ": " + key + ": not a cluster setting; the cluster configuration holds only "
              + CLUSTER_PREFIX + "* keys (put it in --config)");
        }
      });
    }
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        problems.add("--set " + o + ": expected key=value");
        continue;
      }
      String key = o.substring(0, eq).strip();
      checkKnown(key, "--set", problems);
      raw.put(key, new Sourced(o.substring(eq + 1).strip(), "--set"));
    }
    return build(raw, problems);
  }

  /** Parses configuration text as if it were the file {@code name}; for tests and config pushes. */
  public static PosternConfig parse(String name, String text) throws ConfigException {
    Map<String, Sourced> raw = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    parseLines(name, text, raw, problems);
    return build(raw, problems);
  }

  /**
   * The {@code key = value} lines of configuration text as written, later lines winning, without
   * defaults or parsing of values; unknown keys and malformed lines are added to {@code problems}
   * as {@code name:line: ...} and left out.
   */
  public static Map<String, Sourced> entries(String name, String text, List<String> problems) {
    Map<String, Sourced> raw = new LinkedHashMap<>();
    parseLines(name, text, raw, problems);
    return raw;
  }

  /**
   * {@code base}'s effective values with {@code entries} read over them, validated as a whole as
   * a file would be: for a configuration push, whose settings replace a node's own.
   *
   * @throws ConfigException naming the entry's {@code where} and key for every problem
   */
  public static PosternConfig overlay(PosternConfig base, Map<String, Sourced> entries) throws ConfigException {
    Map<String, Sourced> raw = new LinkedHashMap<>();
    base.values().forEach((k, v) -> raw.put(k, new Sourced(v, "this node's " + k)));
    raw.putAll(entries);
    return build(raw, new ArrayList<>());
  }

  private static void readFile(Path file, Map<String, Sourced> raw, List<String> problems) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      problems.add(file + ": no such file");
      return;
    } catch (IOException e) {
      problems.add(file + ": cannot read: " + e.getMessage());
      return;
    }
    parseLines(file.toString(), text, raw, problems);
  }

  private static void parseLines(String name, String text, Map<String, Sourced> raw, List<String> problems) {
    String[] lines = text.split("\r?\n", -1);
    String key = null;
    StringBuilder value = null;
    String where = null;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      if (Character.isWhitespace(line.charAt(0))) {
        if (key == null) {
          problems.add(name + ":" + (i + 1) + ": continuation line without a setting before it");
        } else {
          value.append(' ').append(trimmed);
        }
        continue;
      }
      if (key != null) {
        raw.put(key, new Sourced(value.toString(), where));
        key = null;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        problems.add(name + ":" + (i + 1) + ": expected 'key = value', got '" + trimmed + "'");
        continue;
      }
      String k = line.substring(0, eq).strip();
      String w = name + ":" + (i + 1);
      if (checkKnown(k, w, problems)) {
        key = k;
        value = new StringBuilder(line.substring(eq + 1).strip());
        where = w;
      }
    }
    if (key != null) {
      raw.put(key, new Sourced(value.toString(), where));
    }
  }

  private static boolean checkKnown(String key, String where, List<String> problems) {
    if (Settings.all().containsKey(key)) {
      return true;
    }
    String hint = nearestKey(key);
    problems.add(where + ": " + key + ": unknown setting" + (hint == null ? "" : " (did you mean " + hint + "?)"));
    return false;
  }

  private static PosternConfig build(Map<String, Sourced> raw, List<String> problems) throws ConfigException {
    Map<String, Object> parsed = new LinkedHashMap<>();
    Map<String, String> text = new LinkedHashMap<>();
    for (Setting<?> s : Settings.all().values()) {
      Sourced src = raw.get(s.key());
      String value = src == null ? s.defaultValue() : src.value();
      String where = src == null ? "default" : src.where();
      try {
        parsed.put(s.key(), s.parse(value));
        text.put(s.key(), value);
      } catch (IllegalArgumentException e) {
        problems.add(where + ": " + s.key() + ": " + e.getMessage());
      }
    }
    if (problems.isEmpty()) {
      crossCheck(parsed, raw, problems);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return assemble(parsed, text);
  }

  private static void crossCheck(Map<String, Object> v, Map<String, Sourced> raw, List<String> problems) {
    String cert = (String) v.get(Settings.TLS_CERT_CHAIN.key());
    String key = (String) v.get(Settings.TLS_KEY.key());
    if (cert.isEmpty() != key.isEmpty()) {
      String k = cert.isEmpty() ? Settings.TLS_KEY.key() : Settings.TLS_CERT_CHAIN.key();
      problems.add(where(raw, k) + ": " + k + ": tls.cert_chain and tls.key must be set together");
    }
    String clientCert = (String) v.get(Settings.OUTBOUND_TLS_CERT_CHAIN.key());
    String clientKey = (String) v.get(Settings.OUTBOUND_TLS_KEY.key());
    if (clientCert.isEmpty() != clientKey.isEmpty()) {
      String k = clientCert.isEmpty() ? Settings.OUTBOUND_TLS_KEY.key() : Settings.OUTBOUND_TLS_CERT_CHAIN.key();
      problems.add(where(raw, k) + ": " + k + ": outbound.tls_cert_chain and outbound.tls_key must be set together");
    }
    String busCert = (String) v.get(Settings.CLUSTER_BUS_CERT_CHAIN.key());
    String busKey = (String) v.get(Settings.CLUSTER_BUS_KEY.key());
    if (busCert.isEmpty() != busKey.isEmpty()) {
      String k = busCert.isEmpty() ? Settings.CLUSTER_BUS_KEY.key() : Settings.CLUSTER_BUS_CERT_CHAIN.key();
      problems.add(where(raw, k) + ": " + k + ": cluster.bus_cert_chain and cluster.bus_key must be set together");
    }
    if (raw.containsKey(Settings.TLS_GROUPS.key()) && v.get(Settings.TLS_ENGINE.key()).equals("jdk")) {
      String k = Settings.TLS_GROUPS.key();
      problems.add(where(raw, k) + ": " + k + ": applies to tls.engine = openssl only; the JDK engine of Java 17"
          + " takes its groups from the jdk.tls.namedGroups system property");
    }
    HostPort admin = (HostPort) v.get(Settings.NODE_ADMIN_LISTEN.key());
    if (admin != null && !Settings.isLoopback(admin.host()) && v.get(Settings.NODE_ADMIN_ALLOW_REMOTE.key()).equals("no")) {
      String k = Settings.NODE_ADMIN_LISTEN.key();
      problems.add(where(raw, k) + ": " + k + ": " + admin.host() + " is not a loopback address; the admin API"
          + " controls the queue, so set node.admin_allow_remote = yes to listen there");
    }
    if (v.get(Settings.OUTBOUND_DNS_SUPPORT_LEVEL.key()).equals("dnssec")) {
      // The AD bit means something only from a validating resolver no one on the path can forge.
      @SuppressWarnings("unchecked")
      List<HostPort> servers = (List<HostPort>) v.get(Settings.OUTBOUND_DNS_SERVERS.key());
      String k = Settings.OUTBOUND_DNS_SUPPORT_LEVEL.key();
      if (servers.isEmpty()) {
        problems.add(where(raw, k) + ": " + k + ": dnssec needs outbound.dns_servers naming the validating"
            + " resolvers on loopback (e.g. 127.0.0.1 for a local unbound)");
      }
      for (HostPort s : servers) {
        if (!Settings.isLoopback(s.host())) {
          problems.add(where(raw, k) + ": " + k + ": dnssec trusts the AD bit of outbound.dns_servers, but "
              + s.host() + " is not a loopback address: its answers could be forged on the way");
        }
      }
    }
    HostPort metrics = (HostPort) v.get(Settings.NODE_METRICS_LISTEN.key());
    if (metrics != null && !Settings.isLoopback(metrics.host())
        && v.get(Settings.NODE_METRICS_ALLOW_REMOTE.key()).equals("no")) {
      String k = Settings.NODE_METRICS_LISTEN.key();
      problems.add(where(raw, k) + ": " + k + ": " + metrics.host() + " is not a loopback address; set"
          + " node.metrics_allow_remote = yes to let the network read the metrics and health endpoints there");
    }
    long bodyMemory = (Long) v.get(Settings.INBOUND_MAX_BODY_MEMORY.key());
    if (bodyMemory > 0 && bodyMemory < (Long) v.get(Settings.INBOUND_MAX_MESSAGE_SIZE.key())) {
      String k = Settings.INBOUND_MAX_BODY_MEMORY.key();
      problems.add(where(raw, k) + ": " + k + ": must be at least inbound.max_message_size, or a message of the"
          + " largest size allowed could never be accepted");
    }
    if (((java.time.Duration) v.get(Settings.QUEUE_MIN_BACKOFF.key()))
        .compareTo((java.time.Duration) v.get(Settings.QUEUE_MAX_BACKOFF.key())) > 0) {
      String k = Settings.QUEUE_MIN_BACKOFF.key();
      problems.add(where(raw, k) + ": " + k + ": must not exceed queue.max_backoff");
    }
  }

  private static String where(Map<String, Sourced> raw, String key) {
    Sourced s = raw.get(key);
    return s == null ? "default" : s.where();
  }

  @SuppressWarnings("unchecked")
  private static PosternConfig assemble(Map<String, Object> v, Map<String, String> text) {
    return new PosternConfig(
        new NodeConfig(get(v, Settings.NODE_HOSTNAME), get(v, Settings.NODE_DATA_DIR),
            get(v, Settings.NODE_LOG), get(v, Settings.NODE_LOG_LEVEL), get(v, Settings.NODE_ADMIN_LISTEN),
            get(v, Settings.NODE_ADMIN_ALLOW_REMOTE).equals("yes")),
        new InboundConfig(get(v, Settings.INBOUND_LISTENERS), get(v, Settings.INBOUND_MAX_MESSAGE_SIZE),
            get(v, Settings.INBOUND_MAX_RECIPIENTS), get(v, Settings.INBOUND_COMMAND_TIMEOUT),
            get(v, Settings.INBOUND_TLS_HANDSHAKE_TIMEOUT), get(v, Settings.INBOUND_QUEUE_TIMEOUT),
            get(v, Settings.INBOUND_MAX_CONNECTIONS), get(v, Settings.INBOUND_MAX_CONNECTIONS_PER_IP),
            get(v, Settings.INBOUND_CONNECTION_RATE_PER_IP), get(v, Settings.INBOUND_MAX_ERRORS),
            get(v, Settings.INBOUND_STRESS_COMMAND_TIMEOUT), get(v, Settings.INBOUND_MIN_DATA_RATE),
            get(v, Settings.INBOUND_AUTH_USERS), get(v, Settings.INBOUND_DNS_SERVERS),
            get(v, Settings.INBOUND_DNS_TIMEOUT), get(v, Settings.INBOUND_EVENT_LOOPS),
            get(v, Settings.INBOUND_MAX_BODY_MEMORY), clientLimitExceptions(v),
            get(v, Settings.INBOUND_POSTMASTER_ADDRESS), get(v, Settings.INBOUND_PROXY_NETWORKS),
            get(v, Settings.INBOUND_PROXY_TIMEOUT), get(v, Settings.INBOUND_XCLIENT_NETWORKS)),
        new TlsConfig(get(v, Settings.TLS_ENGINE), get(v, Settings.TLS_CERT_CHAIN), get(v, Settings.TLS_KEY),
            get(v, Settings.TLS_MORE_CERTIFICATES), get(v, Settings.TLS_CA_FILE), get(v, Settings.TLS_CA_PATH),
            get(v, Settings.TLS_CRL_FILE), get(v, Settings.TLS_CIPHERS), get(v, Settings.TLS_PROTOCOLS), get(v, Settings.TLS_GROUPS),
            get(v, Settings.TLS_EXPIRY_WARNING_DAYS), get(v, Settings.TLS_RELOAD_INTERVAL)),
        new PolicyConfig(get(v, Settings.POLICY_TRUSTED_NETWORKS), get(v, Settings.POLICY_RELAY_DOMAINS),
            get(v, Settings.POLICY_TLS_REQUIRED_NETWORKS), get(v, Settings.POLICY_RELAY_AUTHENTICATED).equals("yes"),
            get(v, Settings.POLICY_ACCESS_MAP), get(v, Settings.POLICY_TLS_POLICY_MAP),
            get(v, Settings.POLICY_RELOAD_INTERVAL),
            get(v, Settings.POLICY_TIMEOUT), get(v, Settings.POLICY_DESTINATION_TLS_LEVEL),
            get(v, Settings.POLICY_ALLOW_UNTRUSTED_ROUTING).equals("yes")),
        new QueueConfig(get(v, Settings.QUEUE_SPOOL_DIR), get(v, Settings.QUEUE_MIN_BACKOFF),
            get(v, Settings.QUEUE_MAX_BACKOFF), get(v, Settings.QUEUE_MAX_LIFETIME),
            get(v, Settings.QUEUE_DELIVERY_TIMEOUT), get(v, Settings.QUEUE_DELAY_WARNING_TIME),
            get(v, Settings.QUEUE_BOUNCE_SIZE_LIMIT), get(v, Settings.QUEUE_DESTINATION_CONCURRENCY),
            get(v, Settings.QUEUE_MAX_COMMIT_BATCH),
            get(v, Settings.QUEUE_MIN_FREE_SPACE), get(v, Settings.QUEUE_DEFER_DELIVERIES).equals("yes"),
            get(v, Settings.QUEUE_REPLICAS), get(v, Settings.QUEUE_TAKEOVER_DELAY),
            get(v, Settings.QUEUE_JOURNAL_COMPACT_SIZE), get(v, Settings.QUEUE_SEGMENT_SIZE)),
        new OutboundConfig(get(v, Settings.OUTBOUND_TRANSPORT), get(v, Settings.OUTBOUND_DNS_SERVERS),
            get(v, Settings.OUTBOUND_CONNECT_TIMEOUT), get(v, Settings.OUTBOUND_COMMAND_TIMEOUT),
            get(v, Settings.OUTBOUND_STARTTLS_TIMEOUT), get(v, Settings.OUTBOUND_TLS_CERT_CHAIN),
            get(v, Settings.OUTBOUND_TLS_KEY), get(v, Settings.OUTBOUND_TLS_CA_FILE),
            get(v, Settings.OUTBOUND_TLS_CA_PATH), get(v, Settings.OUTBOUND_TLS_SESSION_CACHE_TIMEOUT),
            get(v, Settings.OUTBOUND_TLS_BROKEN_PEER_MEMORY),
            get(v, Settings.OUTBOUND_TLS_NOTE_STARTTLS_OFFER).equals("yes"),
            get(v, Settings.OUTBOUND_CONNECTION_REUSE_LIMIT), get(v, Settings.OUTBOUND_CONNECTION_IDLE_TIMEOUT),
            get(v, Settings.OUTBOUND_DESTINATION_CONCURRENCY), get(v, Settings.OUTBOUND_DESTINATION_RATE_DELAY),
            get(v, Settings.OUTBOUND_MAX_CONNECTIONS), get(v, Settings.OUTBOUND_RELAY_CREDENTIALS),
            new StsConfig(get(v, Settings.OUTBOUND_MTA_STS).equals("yes"), get(v, Settings.OUTBOUND_MTA_STS_CA_FILE),
                get(v, Settings.OUTBOUND_MTA_STS_FETCH_TIMEOUT), get(v, Settings.OUTBOUND_MTA_STS_CACHE_SIZE),
                get(v, Settings.OUTBOUND_MTA_STS_CACHE_FILE)),
            get(v, Settings.OUTBOUND_DNS_SUPPORT_LEVEL).equals("dnssec")),
        cluster(v),
        text);
  }

  /** {@code inbound.client_limit_exceptions}, with {@code $policy.trusted_networks} replaced by those networks. */
  private static List<Cidr> clientLimitExceptions(Map<String, Object> v) {
    List<Cidr> out = new ArrayList<>();
    for (String entry : get(v, Settings.INBOUND_CLIENT_LIMIT_EXCEPTIONS)) {
      if (entry.equals(Settings.TRUSTED_NETWORKS_REF)) {
        out.addAll(get(v, Settings.POLICY_TRUSTED_NETWORKS));
      } else {
        out.add(Cidr.parse(entry));
      }
    }
    return List.copyOf(out);
  }

  private static ClusterConfig cluster(Map<String, Object> v) {
    String iface = get(v, Settings.CLUSTER_INTERFACE);
    String busHost = get(v, Settings.CLUSTER_BUS_HOST);
    return new ClusterConfig(get(v, Settings.CLUSTER_NAME), get(v, Settings.CLUSTER_MEMBERS), iface,
        get(v, Settings.CLUSTER_PORT), busHost.isEmpty() ? iface : busHost, get(v, Settings.CLUSTER_BUS_PORT),
        get(v, Settings.CLUSTER_BUS_CERT_CHAIN), get(v, Settings.CLUSTER_BUS_KEY), get(v, Settings.CLUSTER_BUS_CA_FILE),
        get(v, Settings.CLUSTER_INSECURE_EVENT_BUS).equals("yes"));
  }

  @SuppressWarnings("unchecked")
  private static <T> T get(Map<String, Object> v, Setting<T> s) {
    return (T) v.get(s.key());
  }

  /** The known key closest to a misspelt one, if it is close enough to be a likely typo; else null. */
  public static String nearestKey(String key) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : Settings.all().keySet()) {
      int d = distance(key, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return bestDistance <= Math.max(2, key.length() / 4) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}

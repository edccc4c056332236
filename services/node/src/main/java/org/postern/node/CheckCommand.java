package org.postern.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.config.Settings;
import org.postern.node.cluster.ClusterJoin;
import org.postern.node.push.OperatorKeys;
import org.postern.policy.PolicyFile;
import org.postern.policy.PolicyFileException;
import org.postern.policy.PolicyModel;
import org.postern.tls.CaCertificates;
import org.postern.tls.ClientCertVerifier;
import org.postern.tls.KeyFiles;
import org.postern.tls.ServerCredentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postern check}: Postfix's {@code postfix check}. Reads the configuration and every file
 * it names with the same loaders a starting node uses (so the two cannot disagree), and starts
 * nothing: no event loop, no listener, no generated key. One line per problem naming the setting
 * or file and the cause; warnings (a certificate near its end) do not fail the check.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Validate the configuration and the files it names without starting anything (as postfix check"
        + " does): key files (mode 0600, unencrypted, matching their certificate), certificates (parse, not expired;"
        + " within tls.expiry_warning_days is a warning), CA and CRL files, policy maps (as policy check), the"
        + " AUTH and relay credential files, operator keys, and with --cluster the event-bus certificates.",
        "Exit 0 when fine (warnings included), 1 with one line per problem, 2 on a usage error."})
final class CheckCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE",
      description = "Configuration file, as given to 'postern run' (default: none, the embedded defaults).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting; repeatable.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--cluster", description = "Check as for 'postern run --cluster': the event bus needs its certificates.")
  boolean cluster;

  @Option(names = "--cluster-config", paramLabel = "FILE", description = "Cluster settings, as 'postern run' reads them.")
  Path clusterConfig;

  private final List<String> problems = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  @Override
  public Integer call() {
    PosternConfig cfg;
    try {
      cfg = ConfigLoader.load(config, clusterConfig, sets);
    } catch (ConfigException e) {
      e.problems().forEach(p -> problems.add("configuration: " + p));
      return report();
    }
    Path dataDir = Path.of(cfg.node().dataDir());
    int warnDays = cfg.tls().expiryWarningDays();
    serverCertificates(cfg, dataDir, warnDays);
    pair(Settings.OUTBOUND_TLS_CERT_CHAIN.key(), cfg.outbound().tlsCertChain(), cfg.outbound().tlsKey(), warnDays);
    try {
      ClientCertVerifier.load(cfg.tls());
    } catch (IOException | RuntimeException e) {
      problems.add("tls.ca_file, tls.ca_path, tls.crl_file: " + e.getMessage());
    }
    try {
      CaCertificates.load(cfg.outbound().tlsCaFile(), Settings.OUTBOUND_TLS_CA_FILE.key(),
          cfg.outbound().tlsCaPath(), Settings.OUTBOUND_TLS_CA_PATH.key());
      CaCertificates.load(cfg.outbound().sts().caFile(), Settings.OUTBOUND_MTA_STS_CA_FILE.key(), "", "");
    } catch (IOException | RuntimeException e) {
      problems.add(e.getMessage());
    }
    if (readable(Settings.INBOUND_AUTH_USERS.key(), cfg.inbound().authUsers(), false)) {
      // Parsed as the inbound role parses it at start: a malformed line stops that start too.
      try {
        org.postern.inbound.AuthUsers.load(Path.of(cfg.inbound().authUsers()));
      } catch (IOException e) {
        problems.add(Settings.INBOUND_AUTH_USERS.key() + ": " + e.getMessage());
      }
    }
    if (readable(Settings.OUTBOUND_RELAY_CREDENTIALS.key(), cfg.outbound().relayCredentials(), true)) {
      try {
        org.postern.outbound.RelayCredentials.load(cfg.outbound().relayCredentials());
      } catch (IllegalStateException e) {
        problems.add(e.getMessage());
      }
    }
    policy(Settings.POLICY_ACCESS_MAP.key(), cfg.policy().accessMap(), PolicyFile.Kind.ACCESS_MAP);
    policy(Settings.POLICY_TLS_POLICY_MAP.key(), cfg.policy().tlsPolicyMap(), PolicyFile.Kind.TLS_POLICY_MAP);
    try {
      OperatorKeys.trusted(Settings.CLUSTER_OPERATOR_KEYS.parse(cfg.values().get(Settings.CLUSTER_OPERATOR_KEYS.key())));
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    if (cluster || !cfg.cluster().busCertChain().isEmpty()) {
      try {
        if (ClusterJoin.credentials(cfg.cluster()) != null) {
          expiry(Settings.CLUSTER_BUS_CERT_CHAIN.key(), ServerCredentials.load(Path.of(cfg.cluster().busCertChain()),
              Path.of(cfg.cluster().busKey()), "cluster.bus_cert_chain"), warnDays);
        }
      } catch (ConfigException e) {
        problems.addAll(e.problems());
      } catch (IOException e) {
        problems.add(Settings.CLUSTER_BUS_CERT_CHAIN.key() + ": " + e.getMessage());
      }
    }
    directory(Settings.NODE_DATA_DIR.key(), dataDir);
    directory(Settings.QUEUE_SPOOL_DIR.key(), Path.of(cfg.queue().spoolDir()));
    return report();
  }

  /** The listener's certificates, as a starting node reads them, without generating the self-signed pair. */
  private void serverCertificates(PosternConfig cfg, Path dataDir, int warnDays) {
    try {
      // The start check itself: a key others can read, or an encrypted one, stops the node.
      ServerCredentials.checkKeyFiles(cfg.tls(), dataDir);
    } catch (IOException e) {
      problems.add("tls.key: " + e.getMessage());
      return;
    }
    List<Path> files = ServerCredentials.files(cfg.tls(), dataDir);
    if (cfg.tls().selfSigned() && !(Files.exists(files.get(0)) && Files.exists(files.get(1)))) {
      // Made at the first start (checking must not make it); the tls.more_certificates pairs are checked.
      for (String entry : cfg.tls().moreCertificates().split(",")) {
        String[] paths = entry.strip().split("\\s+");
        if (entry.isBlank()) {
          continue;
        }
        if (paths.length != 2) {
          problems.add(Settings.TLS_MORE_CERTIFICATES.key() + ": entry '" + entry.strip()
              + "' must be two paths separated by a space: chain.pem key.pem");
          continue;
        }
        pair(Settings.TLS_MORE_CERTIFICATES.key(), paths[0], paths[1], warnDays);
      }
      return;
    }
    try {
      for (ServerCredentials c : ServerCredentials.loadAll(cfg.tls(), dataDir, cfg.node().hostname())) {
        expiry(c.source().startsWith("tls.more") ? Settings.TLS_MORE_CERTIFICATES.key() : Settings.TLS_CERT_CHAIN.key(),
            c, warnDays);
      }
    } catch (IOException | RuntimeException e) {
      problems.add("tls.cert_chain: cannot use the server certificate: " + e.getMessage());
    }
  }

  /** A certificate chain and its key named by two settings, as outbound reads its client certificate. */
  private void pair(String key, String chain, String keyFile, int warnDays) {
    if (chain.isEmpty()) {
      return;
    }
    try {
      expiry(key, ServerCredentials.load(Path.of(chain), Path.of(keyFile), key + " " + chain), warnDays);
    } catch (IOException | RuntimeException e) {
      problems.add(key + ": " + e.getMessage());
    }
  }

  private void expiry(String key, ServerCredentials creds, int warnDays) {
    Instant now = Clock.systemUTC().instant();
    for (X509Certificate cert : creds.chain()) {
      Instant end = cert.getNotAfter().toInstant();
      String id = cert.getSubjectX500Principal().getName() + " in " + creds.source();
      if (now.isAfter(end)) {
        problems.add(key + ": certificate " + id + " expired on " + end);
      } else if (cert.getNotBefore().toInstant().isAfter(now)) {
        problems.add(key + ": certificate " + id + " is not valid before " + cert.getNotBefore().toInstant());
      } else if (!now.plus(Duration.ofDays(warnDays)).isBefore(end)) {
        warnings.add(key + ": certificate " + id + " expires in " + Duration.between(now, end).toDays() + " days, on "
            + end + " (tls.expiry_warning_days = " + warnDays + ")");
      }
    }
  }

  /**
   * A file the node reads at start; a password file must be private, as a key is. True when it is
   * set and reads.
   */
  private boolean readable(String key, String file, boolean secret) {
    if (file.isEmpty()) {
      return false;
    }
    Path p = Path.of(file);
    try {
      if (secret) {
        KeyFiles.checkPermissions(p);
      }
      Files.readAllBytes(p);
      return true;
    } catch (NoSuchFileException e) {
      problems.add(key + ": " + file + " does not exist");
    } catch (IOException e) {
      problems.add(key + ": " + (e.getMessage() == null ? file + ": " + e : e.getMessage()));
    }
    return false;
  }

  private void policy(String key, String file, PolicyFile.Kind kind) {
    if (file.isEmpty()) {
      return;
    }
    String text;
    try {
      text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      problems.add(key + ": " + file + " does not exist");
      return;
    } catch (IOException e) {
      problems.add(key + ": cannot read " + file + ": " + e.getMessage());
      return;
    }
    try {
      PolicyModel.compile(List.of(new PolicyFile(kind, file, text)));
    } catch (PolicyFileException e) {
      e.problems().forEach(p -> problems.add(key + ": " + p));
    }
  }

  /** A directory the node creates when missing; something else in its place stops the node. */
  private void directory(String key, Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      problems.add(key + ": " + dir + " is not a directory");
    } else if (Files.isDirectory(dir) && !Files.isWritable(dir)) {
      problems.add(key + ": " + dir + " is not writable by this user");
    }
  }

  private int report() {
    warnings.forEach(w -> System.err.println("postern check: warning: " + w));
    problems.forEach(p -> System.err.println("postern check: " + p));
    System.err.flush();
    if (problems.isEmpty()) {
      System.out.println("postern check: OK" + (config == null ? " (embedded defaults)" : ": " + config)
          + (warnings.isEmpty() ? "" : ", " + warnings.size() + (warnings.size() == 1 ? " warning" : " warnings")));
      return 0;
    }
    return 1;
  }
}

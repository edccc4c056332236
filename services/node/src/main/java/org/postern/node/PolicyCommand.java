package org.postern.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.MailCheck;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.SenderVerdict;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.IpLiterals;
import org.postern.config.PolicyConfig;
import org.postern.policy.DistinguishedName;
import org.postern.policy.PolicyEngine;
import org.postern.policy.PolicyFile;
import org.postern.policy.PolicyFileException;
import org.postern.policy.PolicyModel;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postern policy check FILE} validates a policy file as the node would load it;
 * {@code postern policy explain ...} prints every decision the policy makes for a described
 * session, with the rule that made it. Both run offline, from the files alone.
 */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "TLS and relay policy files.",
    subcommands = {PolicyCommand.Check.class, PolicyCommand.Explain.class})
final class PolicyCommand {

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Validate a policy file: prints OK with its rule counts, or one file:line: reason line per problem"
          + " (exit 2). Without FILE, checks the files the configuration names.")
  static final class Check implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", arity = "0..1", description = "An access map or a TLS policy map.")
    Path file;

    @Option(names = "--format", paramLabel = "FORMAT",
        description = "access (sendmail access map) or tls-policy (Postfix smtp_tls_policy_maps); default: the"
            + " setting that names FILE in --config/--set (policy.access_map, policy.tls_policy_map), else what most"
            + " of its entries look like.")
    String format;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file: its policy.access_map and"
        + " policy.tls_policy_map say how each file is read.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting; repeatable.")
    List<String> sets = new ArrayList<>();

    @Override
    public Integer call() {
      PolicyFile.Kind forced = null;
      if (format != null) {
        if (format.equals("access")) {
          forced = PolicyFile.Kind.ACCESS_MAP;
        } else if (format.equals("tls-policy")) {
          forced = PolicyFile.Kind.TLS_POLICY_MAP;
        } else {
          System.err.println("postern: policy check: --format must be access or tls-policy, got '" + format + "'");
          return 2;
        }
      }
      Map<Path, PolicyFile.Kind> configured = new LinkedHashMap<>();
      if (config != null || !sets.isEmpty()) {
        PolicyConfig cfg;
        try {
          cfg = ConfigLoader.load(config, sets).policy();
        } catch (ConfigException e) {
          e.problems().forEach(p -> System.err.println("postern: configuration error: " + p));
          return 2;
        }
        if (!cfg.accessMap().isEmpty()) {
          configured.put(normal(Path.of(cfg.accessMap())), PolicyFile.Kind.ACCESS_MAP);
        }
        if (!cfg.tlsPolicyMap().isEmpty()) {
          configured.put(normal(Path.of(cfg.tlsPolicyMap())), PolicyFile.Kind.TLS_POLICY_MAP);
        }
      }
      if (file == null) {
        if (configured.isEmpty()) {
          System.err.println("postern: policy check: give a FILE, or a configuration (--config, --set) that names"
              + " policy.access_map or policy.tls_policy_map");
          return 2;
        }
        int worst = 0;
        for (Map.Entry<Path, PolicyFile.Kind> e : configured.entrySet()) {
          worst = Math.max(worst, check(e.getKey(), e.getValue(), "the setting policy."
              + (e.getValue() == PolicyFile.Kind.ACCESS_MAP ? "access_map" : "tls_policy_map")));
        }
        return worst;
      }
      PolicyFile.Kind bySetting = configured.get(normal(file));
      if (forced != null) {
        return check(file, forced, "--format " + format);
      }
      if (bySetting != null) {
        return check(file, bySetting, "the setting policy."
            + (bySetting == PolicyFile.Kind.ACCESS_MAP ? "access_map" : "tls_policy_map"));
      }
      return check(file, null, null);
    }

    /**
     * Checks one file, read as {@code kind} (because of {@code why}), or, when {@code kind} is
     * null, in the language most of its entries are written in.
     */
    private static int check(Path file, PolicyFile.Kind kind, String why) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        System.err.println("postern: policy check: cannot read " + file + ": " + e.getMessage());
        return 2;
      }
      PolicyFileFormat format = PolicyFileFormat.of(text);
      PolicyFile.Kind k = kind != null ? kind : format.kind();
      try {
        PolicyModel model = PolicyModel.compile(List.of(new PolicyFile(k, file.toString(), text)));
        Map<String, Integer> counts = new LinkedHashMap<>();
        model.counts().forEach((key, v) -> {
          if (v > 0) {
            counts.put(key, v);
          }
        });
        model.warnings().forEach(w -> System.err.println("postern: policy check: warning: " + w));
        System.out.println("OK: " + file + ": " + PolicyFileFormat.describe(k) + ", " + model.size() + " rules"
            + (counts.isEmpty() ? "" : " " + counts));
        return 0;
      } catch (PolicyFileException e) {
        // Lines written in the other language are told so: their own errors would not say it.
        List<Integer> other = format.linesNotIn(k);
        PolicyFile.Kind otherKind = k == PolicyFile.Kind.ACCESS_MAP ? PolicyFile.Kind.TLS_POLICY_MAP
            : PolicyFile.Kind.ACCESS_MAP;
        if (!other.isEmpty()) {
          System.err.println("postern: policy check: " + file + " is read as " + PolicyFileFormat.withArticle(k)
              + " (" + (why != null ? why : (k == PolicyFile.Kind.ACCESS_MAP ? format.access() : format.policy())
                  + " of " + (format.access() + format.policy()) + " entries are written as one") + "); "
              + (other.size() == 1 ? "line " : "lines ") + String.join(", ", other.stream().map(String::valueOf).toList())
              + (other.size() == 1 ? " looks like " + PolicyFileFormat.withArticle(otherKind) + " entry"
                  : " look like " + PolicyFileFormat.describe(otherKind) + " entries"));
        }
        e.problems().forEach(System.err::println);
        return 2;
      }
    }

    private static Path normal(Path p) {
      return p.toAbsolutePath().normalize();
    }
  }

  @Command(name = "explain", mixinStandardHelpOptions = true,
      description = "Print each decision policy makes for a described session, and the rule that made it.")
  static final class Explain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (for policy.* settings).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting; repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--access-map", paramLabel = "FILE", description = "Same as --set policy.access_map=FILE.")
    String accessMap;

    @Option(names = "--tls-policy-map", paramLabel = "FILE", description = "Same as --set policy.tls_policy_map=FILE.")
    String tlsPolicyMap;

    @Option(names = "--client", required = true, paramLabel = "IP", description = "The client's address.")
    String client;

    @Option(names = "--client-name", paramLabel = "NAME", description = "The client's host name, if known.")
    String clientName;

    @Option(names = "--helo", defaultValue = "client.invalid", paramLabel = "NAME", description = "HELO/EHLO name.")
    String helo;

    @Option(names = "--tls", paramLabel = "FACTS",
        description = "The client's TLS: 'version=TLSv1.3 cipher_bits=256 verify=OK cert_subject=DN cert_issuer=DN'"
            + " (DNs as /C=US/CN=Example+20CA or RFC 2253 without spaces); omit for plaintext.")
    String tls;

    @Option(names = "--auth", paramLabel = "USER", description = "The user the client authenticated as.")
    String auth;

    @Option(names = "--mail", defaultValue = "sender@example.org", paramLabel = "ADDR", description = "MAIL FROM (<> for the null sender): explains From: entries.")
    String mail;

    @Option(names = "--rcpt", required = true, paramLabel = "ADDR", description = "RCPT TO; repeatable.")
    List<String> rcpts;

    @Option(names = "--server", paramLabel = "HOST", description = "A next hop for the recipients' domain: explains"
        + " try_tls, tls_server and tls_rcpt.")
    String server;

    @Option(names = "--server-ip", paramLabel = "IP", description = "The next hop's address (default: the --server"
        + " literal, else address keys are not consulted).")
    String serverIp;

    @Option(names = "--port", defaultValue = "25", description = "The next hop's port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--server-tls", paramLabel = "FACTS", description = "The server's TLS, as --tls; omit for a server"
        + " without STARTTLS; 'verify=TEMP' (a 4xx to STARTTLS), 'verify=PROTOCOL' (another refusal) or"
        + " 'verify=SOFTWARE' (a failed handshake) for a STARTTLS step that gave no session.")
    String serverTls;

    @Override
    public Integer call() {
      List<String> all = new ArrayList<>(sets);
      if (accessMap != null) {
        all.add("policy.access_map=" + accessMap);
      }
      if (tlsPolicyMap != null) {
        all.add("policy.tls_policy_map=" + tlsPolicyMap);
      }
      PolicyConfig cfg;
      try {
        cfg = ConfigLoader.load(config, all).policy();
      } catch (ConfigException e) {
        e.problems().forEach(p -> System.err.println("postern: configuration error: " + p));
        return 2;
      }
      PolicyModel model;
      try {
        model = PolicyModel.compile(files(cfg));
      } catch (IOException e) {
        System.err.println("postern: policy explain: " + e.getMessage());
        return 2;
      } catch (PolicyFileException e) {
        e.problems().forEach(System.err::println);
        return 2;
      }
      try {
        explain(new PolicyEngine(cfg, model));
        return 0;
      } catch (IllegalArgumentException e) {
        System.err.println("postern: policy explain: " + e.getMessage());
        return 2;
      }
    }

    private static List<PolicyFile> files(PolicyConfig cfg) throws IOException {
      List<PolicyFile> files = new ArrayList<>();
      if (!cfg.accessMap().isEmpty()) {
        files.add(new PolicyFile(PolicyFile.Kind.ACCESS_MAP, cfg.accessMap(), read(cfg.accessMap())));
      }
      if (!cfg.tlsPolicyMap().isEmpty()) {
        files.add(new PolicyFile(PolicyFile.Kind.TLS_POLICY_MAP, cfg.tlsPolicyMap(), read(cfg.tlsPolicyMap())));
      }
      return files;
    }

    private static String read(String path) throws IOException {
      try {
        return Files.readString(Path.of(path), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IOException("cannot read " + path + ": " + e.getMessage(), e);
      }
    }

    private void explain(PolicyEngine engine) {
      if (!IpLiterals.isLiteral(client)) {
        throw new IllegalArgumentException("--client must be an IP address, got '" + client + "'");
      }
      TlsFacts facts = facts("--tls", tls);
      SessionPolicy s = engine.session(new SessionCheck(client, clientName, false));
      line("connect", "[" + client + "]" + (clientName == null ? "" : " " + clientName),
          s.decision() + (s.reply() == null ? "" : " " + s.reply()) + ", STARTTLS required: "
              + (s.requireTls() ? "yes" : "no"), s.rule());
      String[] features = engine.serverFeatures(clientName, client).split(" / ", 2);
      line("srv_features", "[" + client + "]" + (clientName == null ? "" : " " + clientName), features[0], features[1]);
      if (facts != null) {
        TlsVerdict t = engine.clientTls(new ClientTlsCheck(client, clientName, facts));
        line("tls_client", facts.version() + " bits=" + facts.cipherBits() + " verify=" + facts.verify(),
            t.decision() + (t.reply() == null ? "" : " " + t.reply()), t.rule());
      } else {
        line("tls_client", "no STARTTLS", s.requireTls() ? "commands get 530 5.7.0 Must issue a STARTTLS command first"
            : "nothing to judge", s.rule());
      }
      org.postern.smtp.Path sender = mail.equals("<>") ? org.postern.smtp.Path.NULL
          : org.postern.smtp.Path.parseMailbox(mail);
      SenderVerdict m = engine.sender(new MailCheck(client, clientName, helo, facts, auth, sender));
      line("mail", sender.toString(), m.decision() + (m.reply() == null ? "" : " " + m.reply()), m.rule());
      List<org.postern.smtp.Path> to = new ArrayList<>();
      for (String r : rcpts) {
        org.postern.smtp.Path rcpt = org.postern.smtp.Path.parseMailbox(r);
        to.add(rcpt);
        RelayVerdict v = engine.relay(new RelayCheck(client, clientName, helo, facts, auth, sender, rcpt));
        line("relay", rcpt.toString(), v.decision() + " " + v.reply(), v.rule());
      }
      String domain = to.get(0).domainKey();
      DestinationTls d = engine.destinationTls(new DestinationTlsCheck(domain));
      line("destination", domain, "level " + d.level().configName() + daneNote(d.level()), d.rule());
      if (server == null) {
        return;
      }
      String ip = serverIp != null ? serverIp : IpLiterals.isLiteral(server) ? server : "0.0.0.0";
      DestinationTls target = engine.targetTls(new TargetTlsCheck(domain, server, ip, port));
      line("try_tls", server + "[" + ip + "]:" + port, "level " + target.level().configName()
          + (target.level() == org.postern.smtp.TlsLevel.NONE ? " (no STARTTLS)" : daneNote(target.level())),
          target.rule());
      Verify noSession = withoutSession(serverTls);
      TlsFacts sf = noSession != null ? null : facts("--server-tls", serverTls);
      Verify verify = sf != null ? sf.verify() : noSession != null ? noSession : Verify.NONE;
      ServerTlsVerdict sv = engine.serverTls(new ServerTlsCheck(domain, server, ip, port, sf, null,
          sf == null || sf.cnSubject().isEmpty() ? List.of() : List.of(sf.cnSubject()), to, null, verify));
      line("tls_server", sf != null ? sf.version() + " bits=" + sf.cipherBits() + " verify=" + sf.verify()
          : verify == Verify.NONE ? "no STARTTLS" : "no TLS session, verify=" + verify,
          sv.session().decision() + (sv.session().reply() == null ? "" : " " + sv.session().reply()),
          sv.session().rule());
      for (int i = 0; i < to.size(); i++) {
        TlsVerdict r = sv.recipients().get(i);
        line("tls_rcpt", to.get(i).toString(), r.decision() + (r.reply() == null ? "" : " " + r.reply()), r.rule());
      }
    }

    private static void line(String point, String subject, String answer, String rule) {
      System.out.printf("%-12s %-40s %s%n%12s rule=%s%n", point, subject, answer, "", rule);
    }

    /**
     * The {@code ${verify}} of a STARTTLS step that gave no session ({@code verify=TEMP},
     * {@code PROTOCOL}, {@code SOFTWARE} or {@code NONE} alone), or null when {@code text}
     * describes a session or nothing.
     */
    static Verify withoutSession(String text) {
      if (text == null) {
        return null;
      }
      String t = text.strip();
      if (!t.regionMatches(true, 0, "verify=", 0, 7) || t.contains(" ")) {
        return null;
      }
      for (Verify v : ServerTlsCheck.WITHOUT_TLS) {
        if (v.name().equalsIgnoreCase(t.substring(7))) {
          return v;
        }
      }
      return null;
    }

    /** {@code version=TLSv1.3 cipher_bits=256 verify=OK cert_subject=... cert_issuer=...}, or null for none. */
    static TlsFacts facts(String option, String text) {
      if (text == null || text.isBlank() || text.strip().equalsIgnoreCase("none")) {
        return null;
      }
      Map<String, String> kv = new LinkedHashMap<>();
      for (String word : text.strip().split("\\s+")) {
        int eq = word.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(option + ": expected key=value words, got '" + word + "'");
        }
        kv.put(word.substring(0, eq).toLowerCase(Locale.ROOT), word.substring(eq + 1));
      }
      for (String k : kv.keySet()) {
        if (!List.of("version", "cipher", "cipher_bits", "verify", "cert_subject", "cert_issuer").contains(k)) {
          throw new IllegalArgumentException(option + ": unknown key '" + k
              + "' (keys: version, cipher, cipher_bits, verify, cert_subject, cert_issuer)");
        }
      }
      int bits;
      try {
        bits = Integer.parseInt(kv.getOrDefault("cipher_bits", "256"));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + ": cipher_bits must be a number");
      }
      Verify verify;
      try {
        verify = Verify.valueOf(kv.getOrDefault("verify", "NO").toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(option + ": verify must be OK, NO, NOT, FAIL, NONE, TEMP, PROTOCOL or"
            + " SOFTWARE");
      }
      if (ServerTlsCheck.WITHOUT_TLS.contains(verify)) {
        throw new IllegalArgumentException(option + ": verify=" + verify + " means STARTTLS gave no TLS session, so"
            + " there are no version, cipher or certificate to describe"
            + (option.equals("--server-tls") ? "; give verify=" + verify + " alone" : "; it applies to --server-tls"));
      }
      DistinguishedName subject = kv.containsKey("cert_subject") ? DistinguishedName.parse(kv.get("cert_subject")) : null;
      DistinguishedName issuer = kv.containsKey("cert_issuer") ? DistinguishedName.parse(kv.get("cert_issuer")) : null;
      return new TlsFacts(kv.getOrDefault("version", "TLSv1.3"), kv.getOrDefault("cipher", "TLS_AES_256_GCM_SHA384"),
          bits, Math.max(bits, 0), verify, subject == null ? "" : subject.rfc2253(),
          issuer == null ? "" : issuer.rfc2253(), subject == null ? "" : subject.commonName(),
          issuer == null ? "" : issuer.commonName());
    }
  }

  /** What outbound makes of a DANE level, which policy cannot know: it depends on DNSSEC and TLSA records. */
  private static String daneNote(org.postern.smtp.TlsLevel level) {
    return switch (level) {
      case DANE -> " (outbound: DANE with usable TLSA records under DNSSEC, else may)";
      case DANE_ONLY -> " (outbound: DANE with usable TLSA records under DNSSEC, else deferred)";
      default -> "";
    };
  }
}

package org.postern.node.migrate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A sendmail {@code .mc} file and its access map's text to Postern settings and access map.
 * config/MIGRATING.md is the same table for people; keep them in step.
 */
public final class SendmailImport {

  /** The policy file written from the access map. */
  public static final String ACCESS_FILE = "access";

  private final SendmailMc mc;
  private final Path outDir;
  private final ImportResult result = new ImportResult();

  private SendmailImport(SendmailMc mc, Path outDir) {
    this.mc = mc;
    this.outDir = outDir;
  }

  /** @throws InputException for a line that is not an m4 call, or a file that cannot be read */
  public static ImportResult convert(Path mcFile, Path access, Path outDir) throws InputException {
    SendmailMc mc = SendmailMc.parse(mcFile.toString(), PostfixImport.read(mcFile.toString(), mcFile));
    SendmailImport s = new SendmailImport(mc, outDir);
    s.run();
    if (access != null) {
      s.access(access, PostfixImport.read(access.toString(), access));
    }
    return s.result;
  }

  /** Options that are one Postern setting each (or two, where sendmail uses one file both ways). */
  private static final Map<String, List<String>> DIRECT = Map.ofEntries(
      Map.entry("confCACERT", List.of("tls.ca_file", "outbound.tls_ca_file")),
      Map.entry("confCACERT_PATH", List.of("tls.ca_path", "outbound.tls_ca_path")),
      Map.entry("confSERVER_CERT", List.of("tls.cert_chain")),
      Map.entry("confSERVER_KEY", List.of("tls.key")),
      Map.entry("confCLIENT_CERT", List.of("outbound.tls_cert_chain")),
      Map.entry("confCLIENT_KEY", List.of("outbound.tls_key")),
      Map.entry("confCRL", List.of("tls.crl_file")),
      Map.entry("confDOMAIN_NAME", List.of("node.hostname")),
      Map.entry("confMAX_MESSAGE_SIZE", List.of("inbound.max_message_size")),
      Map.entry("confMAX_RCPTS_PER_MESSAGE", List.of("inbound.max_recipients")),
      Map.entry("confTO_STARTTLS", List.of("outbound.starttls_timeout")),
      Map.entry("confTO_COMMAND", List.of("inbound.command_timeout")),
      Map.entry("confTO_CONNECT", List.of("outbound.connect_timeout")),
      Map.entry("confTO_QUEUERETURN", List.of("queue.max_lifetime")),
      Map.entry("confTO_QUEUEWARN", List.of("queue.delay_warning_time")));

  /** sendmail's unit for a bare number (Timeout.* options). */
  private static final Map<String, String> TIME_UNIT = Map.of("confTO_STARTTLS", "m", "confTO_COMMAND", "m",
      "confTO_CONNECT", "m", "confTO_QUEUERETURN", "d", "confTO_QUEUEWARN", "h");

  private static final Map<String, String> NOT_NEEDED = Map.ofEntries(
      Map.entry("confDH_PARAMETERS", "no DH parameter file: Postern's suites are ECDHE or TLS 1.3 (tls.ciphers), whose"
          + " groups are tls.groups, so no finite-field Diffie-Hellman parameters are used"),
      Map.entry("confRAND_FILE", "keys and nonces come from the operating system's CSPRNG (getrandom, /dev/urandom)"),
      Map.entry("CERT_DIR", "a macro of the .mc file itself, expanded in the paths above"),
      Map.entry("OSTYPE", "sendmail's per-system defaults"),
      Map.entry("DOMAIN", "sendmail's site defaults file; its options are not read"),
      Map.entry("VERSIONID", "a comment"),
      Map.entry("divert", "m4 housekeeping"),
      Map.entry("MAILER", "Postern's only mailer is SMTP; it delivers nothing locally"),
      Map.entry("confSTDIO_TYPE", "a sendmail build option"),
      Map.entry("confTLS_SRV_OPTIONS", "read for the listeners' ccert="));

  /** Lines of the DAEMON_OPTIONS calls, for the listeners' origin. */
  private final List<String> daemonLines = new ArrayList<>();

  private void run() {
    String tlsOptions = null;
    int tlsOptionsLine = 0;
    List<String> listeners = new ArrayList<>();
    for (SendmailMc.Call c : mc.calls) {
      String where = mc.file + ":" + c.line();
      String arg0 = c.args().isEmpty() ? "" : c.args().get(0);
      switch (c.name()) {
        case "define" -> {
          String value = c.args().size() > 1 ? mc.expand(c.args().get(1)) : "";
          if (DIRECT.containsKey(arg0)) {
            String unit = TIME_UNIT.get(arg0);
            if (unit != null && value.matches("\\d+")) {
              value = value + unit;
            }
            if (arg0.equals("confMAX_MESSAGE_SIZE") && value.equals("0")) {
              result.drop(where, arg0, "0 (no limit) has no equivalent: inbound.max_message_size is at most 2g", true);
              continue;
            }
            for (String key : DIRECT.get(arg0)) {
              result.set(key, value, where, arg0);
            }
            if (arg0.equals("confCRL")) {
              result.note(where + ": confCRL: Postern checks the CRL for client certificates (tls.crl_file)");
            }
          } else if (arg0.equals("confTLS_SRV_OPTIONS")) {
            tlsOptions = value;
            tlsOptionsLine = c.line();
          } else if (NOT_NEEDED.containsKey(arg0)) {
            result.drop(where, arg0, NOT_NEEDED.get(arg0), false);
          } else if (arg0.equals("SMART_HOST")) {
            String host = value.contains(":") && !value.startsWith("[") ? value.substring(value.indexOf(':') + 1) : value;
            result.set("outbound.transport", "*=" + host, where, "SMART_HOST");
          } else if (arg0.startsWith("conf")) {
            result.drop(where, arg0, "Postern has no equivalent of this option", true);
          } else {
            result.drop(where, arg0, "a macro Postern does not read", true);
          }
        }
        case "FEATURE" -> feature(where, arg0);
        case "DAEMON_OPTIONS" -> {
          daemonLines.add(String.valueOf(c.line()));
          daemon(where, String.join(",", c.args()), listeners);
        }
        case "LOCAL_RULESETS", "LOCAL_CONFIG" -> localRules(where, c.name());
        default -> {
          if (NOT_NEEDED.containsKey(c.name())) {
            result.drop(where, c.name() + (arg0.isEmpty() ? "" : "(" + arg0 + ")"), NOT_NEEDED.get(c.name()), false);
          } else if (c.name().startsWith("LOCAL_RULE_")) {
            localRules(where, c.name());
          } else {
            result.drop(where, c.name(), "Postern has no equivalent of this m4 call", true);
          }
        }
      }
    }
    result.pair("tls.cert_chain", "tls.key", false);
    result.pair("outbound.tls_cert_chain", "outbound.tls_key", false);
    listeners(tlsOptions, tlsOptionsLine, listeners);
    result.note("relaying: sendmail relays for localhost and for the hosts and domains of class R (relay-domains,"
        + " confCR_FILE), which is not read; Postern relays for policy.trusted_networks (loopback by default),"
        + " policy.relay_domains and access-map RELAY entries");
  }

  private void feature(String where, String name) {
    switch (name) {
      case "access_db" -> result.note(where + ": FEATURE(access_db): the access map is written to " + ACCESS_FILE
          + " (policy.access_map) when --access gives its text");
      case "promiscuous_relay", "relay_entire_domain", "relay_based_on_MX", "loose_relay_check", "relay_local_from" ->
          result.drop(where, "FEATURE(" + name + ")", "Postern relays only for policy.trusted_networks, authenticated"
              + " clients, policy.relay_domains and access-map RELAY entries; list networks or domains there", true);
      case "use_cw_file", "local_procmail", "local_lmtp", "smrsh", "nouucp", "always_add_domain", "redirect",
           "use_ct_file", "blacklist_recipients" -> result.drop(where, "FEATURE(" + name + ")",
          "about local delivery or local users; Postern delivers nothing locally", false);
      case "mailertable" -> result.drop(where, "FEATURE(mailertable)",
          "per-domain routes go in outbound.transport (domain=[host]:port); copy the table's entries by hand", true);
      default -> result.drop(where, "FEATURE(" + name + ")", "Postern has no equivalent of this feature", true);
    }
  }

  /** DAEMON_OPTIONS(`Port=smtp, Addr=127.0.0.1, Name=MTA'): one listener address. */
  private void daemon(String where, String options, List<String> listeners) {
    String addr = null;
    String port = "25";
    String family = "inet";
    boolean noTls = false;
    for (String kv : options.split(",")) {
      String[] p = kv.strip().split("=", 2);
      if (p.length < 2) {
        continue;
      }
      String v = p[1].strip();
      switch (p[0].strip()) {
        case "Addr" -> addr = v;
        case "Port" -> port = switch (v) {
          case "smtp" -> "25";
          case "submission" -> "587";
          case "smtps" -> "465";
          default -> v;
        };
        case "Family" -> family = v;
        case "Modifiers", "M" -> noTls = v.contains("S");
        case "Name" -> { }
        default -> result.drop(where, "DAEMON_OPTIONS " + p[0].strip(), "Postern has no equivalent of this daemon option", true);
      }
    }
    if (port.equals("465")) {
      result.drop(where, "DAEMON_OPTIONS Port=" + port, "Postern speaks STARTTLS only, no implicit TLS", true);
      return;
    }
    if (addr == null) {
      addr = family.equals("inet6") ? "::" : "0.0.0.0";
    }
    String host = addr.contains(":") ? "[" + addr + "]" : addr;
    listeners.add(host + ":" + port + (noTls ? " !tls" : ""));
  }

  private void listeners(String tlsOptions, int line, List<String> listeners) {
    boolean haveCert = result.has("tls.cert_chain") && result.has("tls.key");
    String ccert = " ccert=request";
    if (tlsOptions != null) {
      String where = mc.file + ":" + line;
      if (tlsOptions.contains("V")) {
        ccert = "";
        result.drop(where, "confTLS_SRV_OPTIONS", "'V' (do not ask for client certificates) is ccert=none, the"
            + " listeners' default", false);
      } else {
        result.drop(where, "confTLS_SRV_OPTIONS", "'" + tlsOptions + "': only V (do not ask for a certificate) has an"
            + " equivalent; certificates are asked for (ccert=request)", true);
      }
    }
    if (listeners.isEmpty()) {
      listeners.add("0.0.0.0:25");
      result.note("no DAEMON_OPTIONS: sendmail listens on port 25 of every IPv4 address; so does the listener written");
    }
    String tls = haveCert ? "may" : "none";
    if (!haveCert) {
      result.note("confSERVER_CERT and confSERVER_KEY are not both set: sendmail would not offer STARTTLS, so the"
          + " listeners say none (Postern's own self-signed certificate is used once a listener says may)");
    }
    List<String> out = new ArrayList<>();
    for (String l : listeners) {
      boolean off = l.endsWith(" !tls");
      String addr = off ? l.substring(0, l.length() - 5) : l;
      out.add(addr + " " + (off ? "none" : tls + (tls.equals("may") ? ccert : "")));
    }
    String origin = daemonLines.isEmpty() ? mc.file + " (no DAEMON_OPTIONS)" : mc.file + ":" + String.join(",", daemonLines);
    result.set("inbound.listeners", String.join(", ", out), origin,
        "DAEMON_OPTIONS" + (haveCert ? ", confSERVER_CERT, confSERVER_KEY" : "") + (tlsOptions == null ? "" : ", confTLS_SRV_OPTIONS"));
  }

  private void localRules(String where, String section) {
    Set<String> rulesets = new LinkedHashSet<>();
    for (SendmailMc.Call l : mc.local) {
      if (l.name().matches("S[A-Za-z_].*")) {
        rulesets.add(l.name().substring(1).split("[\\s=]")[0]);
      }
    }
    result.drop(where, section + (rulesets.isEmpty() ? "" : " " + rulesets), "hand-written sendmail.cf rules are"
        + " not converted: Postern's TLS and relay decisions (tls_server, tls_client, tls_rcpt, try_tls) are access-map"
        + " entries (TLS_Srv:, TLS_Clt:, TLS_Rcpt:, Try_TLS:, CERTISSUER:, CERTSUBJECT:)", true);
  }

  // ---- the access map --------------------------------------------------------------------------

  private static final Set<String> TAGS = Set.of("TLS_Srv", "TLS_Clt", "TLS_Rcpt", "Try_TLS", "CERTISSUER",
      "CERTSUBJECT", "Connect", "To", "From", "Srv_Features");

  private static final Map<String, String> OTHER_TAGS = Map.of(
      "Spam", "Postern does no spam filtering",
      "GreetPause", "Postern has no greeting pause",
      "ClientRate", "per-client rates are inbound.connection_rate_per_ip, one value for every client",
      "ClientConn", "per-client connections are inbound.max_connections_per_ip, one value for every client",
      "Auth", "Postern has no per-client AUTH rules",
      "Compat", "Postern has no per-client compatibility switches",
      "Clt_Features", "Postern has no per-server client features",
      "Mail", "Postern has no Mail: rules");

  private void access(Path file, String text) {
    String[] lines = text.split("\r?\n", -1);
    StringBuilder out = new StringBuilder("# From " + file + "\n");
    int carried = 0;
    for (int i = 0; i < lines.length; i++) {
      String t = lines[i].strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String where = file + ":" + (i + 1);
      String[] kv = t.split("\\s+", 2);
      String key = kv[0];
      String value = kv.length > 1 ? kv[1] : "";
      int colon = key.indexOf(':');
      String tag = colon > 0 ? key.substring(0, colon) : "";
      List<String> candidates = new ArrayList<>();
      if (TAGS.contains(tag)) {
        candidates.add(t);
      } else if (OTHER_TAGS.containsKey(tag)) {
        result.drop(where, key, OTHER_TAGS.get(tag), true);
        continue;
      } else if (colon < 0 || key.startsWith("IPv6:")) {
        // An untagged entry applies to the connecting host, the sender and the recipient, in sendmail.
        String v = value.toUpperCase(Locale.ROOT);
        candidates.add("Connect:" + key + " " + value);
        if (!key.matches("[0-9.]+") && !key.startsWith("IPv6:")) {
          if (Set.of("OK", "RELAY", "REJECT").contains(v)) {
            candidates.add("To:" + key + " " + value);
          }
          if (Set.of("OK", "REJECT").contains(v)) {
            candidates.add("From:" + key + " " + value);
          }
        }
        result.note(where + ": untagged '" + key + "' written as " + String.join(", ", candidates.stream()
            .map(c -> c.substring(0, c.indexOf(':') + 1)).toList()) + " entries, the lookups sendmail applies it to");
      } else {
        result.drop(where, key, "unknown tag '" + tag + ":'", true);
        continue;
      }
      for (String c : candidates) {
        String problem = compile(file.toString(), i + 1, c);
        if (problem != null) {
          result.drop(where, c.split("\\s+")[0], problem, true);
        } else {
          out.append("# ").append(where).append('\n').append(c).append('\n');
          carried++;
        }
      }
    }
    if (out.toString().contains("\nTLS_Clt:") && !result.settings().getOrDefault("inbound.listeners",
        new ImportResult.Value("", "")).value().contains("ccert=")) {
      result.note("the access map has TLS_Clt: entries but no listener asks for client certificates"
          + " (confTLS_SRV_OPTIONS V): a VERIFY requirement can never be met");
    }
    if (carried > 0) {
      result.file(ACCESS_FILE, out.toString());
      result.set("policy.access_map", outDir.toAbsolutePath().resolve(ACCESS_FILE).toString(), file.toString(), "access map");
    }
  }

  /** The policy compiler's objection to one line, or null; its file:line is the source's. */
  private static String compile(String file, int line, String text) {
    try {
      org.postern.policy.PolicyModel.compile(List.of(new org.postern.policy.PolicyFile(
          org.postern.policy.PolicyFile.Kind.ACCESS_MAP, file, "\n".repeat(line - 1) + text)));
      return null;
    } catch (org.postern.policy.PolicyFileException e) {
      String prefix = file + ":" + line + ": ";
      return String.join("; ", e.problems().stream().map(p -> p.startsWith(prefix) ? p.substring(prefix.length()) : p).toList());
    }
  }
}

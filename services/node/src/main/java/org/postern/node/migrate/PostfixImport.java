package org.postern.node.migrate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * Postfix {@code main.cf} parameters to Postern settings. Every parameter in the file ends up in one
 * of three places: a setting, a policy file, or the report (not carried over, or not needed, with
 * the reason). config/MIGRATING.md is the same table for people; keep them in step.
 */
public final class PostfixImport {

  /** The file written for {@code smtp_sasl_password_maps} (secrets: mode 0600). */
  public static final String CREDENTIALS_FILE = "relay_credentials";

  /** The policy file written for {@code smtp_tls_policy_maps}. */
  public static final String TLS_POLICY_FILE = "tls_policy";

  private final MainCf cf;
  private final Path mainCfPath;
  private final Path outDir;
  private final ImportResult result = new ImportResult();

  private PostfixImport(MainCf cf, Path mainCfPath, Path outDir) {
    this.cf = cf;
    this.mainCfPath = mainCfPath;
    this.outDir = outDir;
  }

  /**
   * Converts {@code mainCf}; policy files it refers to (a {@code smtp_tls_policy_maps} table) are
   * read where the file says, or beside {@code mainCf} when that path does not exist here.
   *
   * @throws InputException for a line that is not {@code name = value}, or a map that cannot be read
   */
  public static ImportResult convert(Path mainCf, Path outDir) throws InputException {
    MainCf cf = MainCf.parse(mainCf.toString(), read(mainCf.toString(), mainCf));
    PostfixImport p = new PostfixImport(cf, mainCf, outDir);
    cf.notes().forEach(p.result::note);
    p.run();
    return p.result;
  }

  static String read(String where, Path file) throws InputException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InputException(where, (where.equals(file.toString()) ? "" : file + ": ") + "no such file");
    } catch (IOException e) {
      throw new InputException(where, "cannot read " + file + ": " + (e.getMessage() == null ? e : e.getMessage()));
    }
  }

  // ---- the conversion ------------------------------------------------------------------------

  private void run() throws InputException {
    for (MainCf.Entry e : cf.entries()) {
      String name = e.name();
      if (PostfixParameters.COMBINED.contains(name)) {
        continue;
      }
      if (PostfixParameters.DIRECT.containsKey(name)) {
        direct(e, PostfixParameters.DIRECT.get(name));
      } else if (PostfixParameters.NOT_NEEDED.containsKey(name)) {
        result.drop(cf.where(e), name, PostfixParameters.NOT_NEEDED.get(name), false);
      } else if (PostfixParameters.UNSUPPORTED.containsKey(name)) {
        result.drop(cf.where(e), name, PostfixParameters.UNSUPPORTED.get(name), true);
      } else {
        result.drop(cf.where(e), name, "Postern has no equivalent of this parameter", true);
      }
    }
    listeners();
    eccert();
    protocols();
    trustedNetworks();
    relayDomains();
    restrictions();
    relayhost();
    destinationLevel();
    tlsPolicyMap();
    clientLimitExceptions();
    credentials();
    result.pair("tls.cert_chain", "tls.key", true);
    result.pair("outbound.tls_cert_chain", "outbound.tls_key", true);
  }

  /** smtp_sasl_password_maps has Postern's own format: {@code nexthop user:password}. */
  private void credentials() throws InputException {
    MainCf.Entry enable = entry("smtp_sasl_auth_enable");
    MainCf.Entry e = entry("smtp_sasl_password_maps");
    boolean on = yes(value("smtp_sasl_auth_enable"));
    if (e == null || !on) {
      if (enable != null) {
        result.drop(cf.where(enable), enable.name(), on ? "smtp_sasl_password_maps is not set" : "off, as Postern is"
            + " while outbound.relay_credentials is empty", on);
      }
      if (e != null) {
        result.drop(cf.where(e), e.name(), "smtp_sasl_auth_enable is not yes", false);
      }
      return;
    }
    String v = expanded(e);
    if (v == null || v.isBlank()) {
      return;
    }
    StringBuilder out = new StringBuilder("# From " + cf.file() + " smtp_sasl_password_maps. Secrets: keep mode 0600.\n");
    int carried = 0;
    for (String table : MainCf.list(v)) {
      String path = textTable(e, table);
      if (path == null) {
        continue;
      }
      Path source = locate(path);
      if (source == null) {
        throw new InputException(cf.where(e), "smtp_sasl_password_maps: cannot find the text table " + path
            + " (nor " + mainCfPath.toAbsolutePath().getParent().resolve(Path.of(path).getFileName()) + " beside main.cf)");
      }
      String[] lines = read(cf.where(e), source).split("\r?\n", -1);
      for (int i = 0; i < lines.length; i++) {
        String l = lines[i].strip();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        String[] kv = l.split("\\s+", 2);
        String where = source + ":" + (i + 1);
        // Never the password itself in a message.
        if (kv.length < 2 || kv[1].indexOf(':') <= 0) {
          result.drop(where, kv[0], "expected 'nexthop user:password'", true);
        } else if (kv[0].contains("@")) {
          result.drop(where, kv[0], "per-sender logins (smtp_sender_dependent_authentication) have no equivalent", true);
        } else {
          out.append(kv[0]).append(' ').append(kv[1]).append('\n');
          carried++;
        }
      }
    }
    if (carried > 0) {
      result.secret(CREDENTIALS_FILE, out.toString());
      result.set("outbound.relay_credentials", outDir.toAbsolutePath().resolve(CREDENTIALS_FILE).toString(),
          cf.where(e), "smtp_sasl_auth_enable, smtp_sasl_password_maps");
      result.note("outbound.relay_credentials: Postern authenticates to a next hop only inside TLS; without TLS the"
          + " delivery is deferred (451 4.7.0), never sent with the password in clear");
    }
  }

  private String expanded(MainCf.Entry e) {
    try {
      return cf.expand(e.value());
    } catch (IllegalArgumentException x) {
      result.drop(cf.where(e), e.name(), x.getMessage(), true);
      return null;
    }
  }

  private void direct(MainCf.Entry e, String key) {
    String v = expanded(e);
    if (v == null) {
      return;
    }
    String unit = PostfixParameters.TIME_UNIT.get(e.name());
    if (unit != null && v.matches("\\d+")) {
      v = v + unit;
    }
    if (e.name().equals("message_size_limit") && v.equals("0")) {
      result.drop(cf.where(e), e.name(), "0 (no limit) has no equivalent: inbound.max_message_size is at most 2g", true);
      return;
    }
    if ((e.name().equals("smtpd_client_connection_count_limit")) && v.equals("0")) {
      result.drop(cf.where(e), e.name(), "0 (no limit) has no equivalent: inbound.max_connections_per_ip is at most 1000000", true);
      return;
    }
    if (key.equals("policy.allow_untrusted_routing") || key.equals("outbound.tls_note_starttls_offer")) {
      v = v.toLowerCase(Locale.ROOT);
    }
    result.set(key, v, cf.where(e), e.name());
  }

  private MainCf.Entry entry(String name) {
    return cf.get(name);
  }

  private String value(String name) {
    MainCf.Entry e = entry(name);
    return e == null ? null : expanded(e);
  }

  private String where(String name) {
    return cf.where(entry(name));
  }

  private static boolean yes(String v) {
    return v != null && v.strip().equalsIgnoreCase("yes");
  }

  /** inet_interfaces, inet_protocols and the smtpd TLS level make {@code inbound.listeners}. */
  private void listeners() {
    String tls = "none";
    String origin = "(default smtpd_tls_security_level = none)";
    String level = value("smtpd_tls_security_level");
    if (level != null && !level.isBlank()) {
      origin = where("smtpd_tls_security_level") + " smtpd_tls_security_level";
      switch (level.strip()) {
        case "none" -> tls = "none";
        case "may" -> tls = "may";
        case "encrypt" -> tls = "required";
        default -> result.drop(where("smtpd_tls_security_level"), "smtpd_tls_security_level",
            "unknown level '" + level + "' (none, may or encrypt); STARTTLS is not offered", true);
      }
      if (entry("smtpd_use_tls") != null) {
        result.drop(where("smtpd_use_tls"), "smtpd_use_tls", "smtpd_tls_security_level overrides it, as in Postfix", false);
      }
      if (entry("smtpd_enforce_tls") != null) {
        result.drop(where("smtpd_enforce_tls"), "smtpd_enforce_tls", "smtpd_tls_security_level overrides it, as in Postfix", false);
      }
    } else if (yes(value("smtpd_enforce_tls"))) {
      tls = "required";
      origin = where("smtpd_enforce_tls") + " smtpd_enforce_tls";
    } else if (yes(value("smtpd_use_tls"))) {
      tls = "may";
      origin = where("smtpd_use_tls") + " smtpd_use_tls";
    }
    String ccert = "";
    if (yes(value("smtpd_tls_req_ccert"))) {
      if (tls.equals("required")) {
        ccert = " ccert=require";
      } else {
        result.drop(where("smtpd_tls_req_ccert"), "smtpd_tls_req_ccert",
            "Postfix applies it only at smtpd_tls_security_level = encrypt; here the level is " + tls, true);
      }
    }
    if (ccert.isEmpty() && yes(value("smtpd_tls_ask_ccert"))) {
      ccert = tls.equals("none") ? "" : " ccert=request";
    }
    String interfaces = value("inet_interfaces");
    String protocols = value("inet_protocols");
    boolean v4 = protocols == null || protocols.contains("all") || protocols.contains("ipv4");
    boolean v6 = protocols != null && (protocols.contains("all") || protocols.contains("ipv6"));
    List<String> addresses = new ArrayList<>();
    if (interfaces == null || interfaces.isBlank() || interfaces.strip().equals("all")) {
      if (v4) {
        addresses.add("0.0.0.0");
      }
      if (v6) {
        if (!v4) {
          addresses.add("[::]");
        } else {
          result.note("inet_interfaces = all: Postern listens on 0.0.0.0:25; add [::]:25 to inbound.listeners for IPv6"
              + " (on Linux one wildcard socket of each family cannot share a port unless IPv6 is v6-only)");
        }
      }
    } else {
      for (String i : MainCf.list(interfaces)) {
        switch (i) {
          case "loopback-only" -> {
            addresses.add("127.0.0.1");
            if (v6) {
              addresses.add("[::1]");
            }
          }
          case "localhost" -> addresses.add("127.0.0.1");
          default -> {
            if (i.matches("[0-9.]+")) {
              addresses.add(i);
            } else if (i.contains(":")) {
              addresses.add(i.startsWith("[") ? i : "[" + i + "]");
            } else {
              result.drop(where("inet_interfaces"), "inet_interfaces",
                  "'" + i + "' is a host name; inbound.listeners takes IP literals", true);
            }
          }
        }
      }
    }
    StringJoiner listeners = new StringJoiner(", ");
    for (String a : addresses) {
      listeners.add(a + ":25 " + tls + ccert);
    }
    if (listeners.length() == 0) {
      return;
    }
    result.note("inbound.listeners: port 25 assumed for every address (master.cf, where Postfix's smtp service"
        + " and its port are, is not read); TLS from " + origin);
    List<String> from = new ArrayList<>();
    for (String n : List.of("inet_interfaces", "inet_protocols", "smtpd_tls_security_level", "smtpd_use_tls",
        "smtpd_enforce_tls", "smtpd_tls_ask_ccert", "smtpd_tls_req_ccert")) {
      if (entry(n) != null) {
        from.add(n);
      }
    }
    result.set("inbound.listeners", listeners.toString(),
        interfaces == null ? "(default inet_interfaces = all)" : where("inet_interfaces"),
        from.isEmpty() ? "inet_interfaces" : String.join(", ", from));
  }

  /** An ECDSA pair beside the RSA one is {@code tls.more_certificates}; alone it is the main pair. */
  private void eccert() {
    String cert = value("smtpd_tls_eccert_file");
    String key = value("smtpd_tls_eckey_file");
    if (cert == null) {
      if (key != null) {
        result.drop(where("smtpd_tls_eckey_file"), "smtpd_tls_eckey_file", "set without smtpd_tls_eccert_file", true);
      }
      return;
    }
    if (key == null) {
      key = cert;
      result.note(where("smtpd_tls_eccert_file") + ": smtpd_tls_eccert_file without smtpd_tls_eckey_file: the key is"
          + " expected in the same file, as in Postfix");
    }
    if (result.has("tls.cert_chain")) {
      result.set("tls.more_certificates", cert + " " + key, where("smtpd_tls_eccert_file"), "smtpd_tls_eccert_file");
    } else {
      result.set("tls.cert_chain", cert, where("smtpd_tls_eccert_file"), "smtpd_tls_eccert_file");
      result.set("tls.key", key, where("smtpd_tls_eccert_file"), "smtpd_tls_eckey_file");
    }
  }

  private static final List<String> VERSIONS = List.of("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

  /** Postfix's protocol lists ("!SSLv2, !SSLv3", or ">=TLSv1.2") as the versions they leave. */
  private Set<String> versions(String spec) {
    Set<String> included = new LinkedHashSet<>();
    Set<String> excluded = new LinkedHashSet<>();
    for (String t : spec.split("[,:\\s]+")) {
      if (t.isEmpty()) {
        continue;
      }
      if (t.startsWith("!")) {
        excluded.add(t.substring(1));
      } else if (t.startsWith(">=") || t.startsWith("<=")) {
        int i = VERSIONS.indexOf(t.substring(2));
        if (i < 0) {
          throw new IllegalArgumentException("unknown protocol '" + t.substring(2) + "'");
        }
        List<String> range = t.startsWith(">=") ? VERSIONS.subList(i, VERSIONS.size()) : VERSIONS.subList(0, i + 1);
        if (!included.isEmpty()) {
          included.retainAll(range);
        } else {
          included.addAll(range);
        }
      } else {
        included.add(t);
      }
    }
    Set<String> out = new LinkedHashSet<>(included.isEmpty() ? VERSIONS : included);
    out.removeAll(excluded);
    return out;
  }

  private void protocols() {
    Set<String> allowed = null;
    String origin = null;
    for (String name : List.of("smtpd_tls_protocols", "smtpd_tls_mandatory_protocols")) {
      String v = value(name);
      if (v == null) {
        continue;
      }
      try {
        Set<String> these = versions(v);
        if (these.stream().anyMatch(s -> !s.equals("TLSv1.2") && !s.equals("TLSv1.3"))) {
          result.note(where(name) + ": " + name + " allows versions before TLSv1.2; Postern never does");
        }
        allowed = allowed == null ? these : intersection(allowed, these);
        origin = origin == null ? name : origin + " and " + name;
      } catch (IllegalArgumentException x) {
        result.drop(where(name), name, x.getMessage(), true);
      }
    }
    if (allowed == null) {
      return;
    }
    allowed.retainAll(Set.of("TLSv1.2", "TLSv1.3"));
    String first = origin.split(" and ")[0];
    if (allowed.isEmpty()) {
      result.drop(where(first), origin, "leaves neither TLSv1.2 nor TLSv1.3, the only versions Postern speaks", true);
      return;
    }
    if (origin.contains(" and ")) {
      result.note("tls.protocols: Postern has one list for opportunistic and mandatory TLS; it is what both "
          + origin + " allow");
    }
    result.set("tls.protocols", String.join(", ", allowed), where(first), origin);
  }

  private static Set<String> intersection(Set<String> a, Set<String> b) {
    Set<String> out = new LinkedHashSet<>(a);
    out.retainAll(b);
    return out;
  }

  /** A network as Postern writes it: IPv6 without Postfix's brackets ({@code [::1]/128} is {@code ::1/128}). */
  private static String network(String n) {
    String s = n.replace("[", "").replace("]", "");
    return s;
  }

  private void trustedNetworks() {
    MainCf.Entry e = entry("mynetworks");
    if (e == null) {
      MainCf.Entry style = entry("mynetworks_style");
      result.note("mynetworks is not set: Postfix would trust the networks of mynetworks_style"
          + (style == null ? " (subnet: every subnet this host is on)" : " = " + style.value())
          + "; Postern trusts policy.trusted_networks, by default loopback only");
      if (style != null) {
        result.drop(cf.where(style), "mynetworks_style", "list the networks in policy.trusted_networks", true);
      }
      return;
    }
    if (entry("mynetworks_style") != null) {
      result.drop(where("mynetworks_style"), "mynetworks_style", "mynetworks is set, which overrides it", false);
    }
    String v = expanded(e);
    if (v == null) {
      return;
    }
    List<String> nets = new ArrayList<>();
    for (String n : MainCf.list(v)) {
      if (n.startsWith("/") || n.contains(":/") && !n.startsWith("[")) {
        result.drop(cf.where(e), "mynetworks", "'" + n + "' is a file or table; list its networks in policy.trusted_networks", true);
      } else if (n.startsWith("!")) {
        result.drop(cf.where(e), "mynetworks", "'" + n + "': Postern has no exclusions in network lists", true);
      } else {
        try {
          org.postern.config.Cidr.parse(network(n));
          nets.add(network(n));
        } catch (IllegalArgumentException x) {
          // Only this network is left out, not the whole list.
          result.drop(cf.where(e), "mynetworks " + n, x.getMessage(), true);
        }
      }
    }
    if (!nets.isEmpty()) {
      result.set("policy.trusted_networks", String.join(", ", nets), cf.where(e), "mynetworks");
    }
  }

  private void relayDomains() {
    MainCf.Entry e = entry("relay_domains");
    if (e == null) {
      return;
    }
    String v = expanded(e);
    if (v == null) {
      return;
    }
    // Postfix's parent_domain_matches_subdomains lists relay_domains by default: 'example.net' covers its
    // subdomains too. Postern needs '.example.net' for that.
    MainCf.Entry pdms = entry("parent_domain_matches_subdomains");
    boolean parentMatches = pdms == null || pdms.value().contains("relay_domains");
    if (pdms != null) {
      result.drop(cf.where(pdms), "parent_domain_matches_subdomains", "read for relay_domains: Postern writes"
          + " '.domain' for subdomains", false);
    }
    List<String> out = new ArrayList<>();
    for (String d : MainCf.list(v)) {
      if (d.contains(":") || d.startsWith("/")) {
        result.drop(cf.where(e), "relay_domains", "'" + d + "' is a table or file; list its domains in policy.relay_domains", true);
        continue;
      }
      d = d.toLowerCase(Locale.ROOT);
      if (!out.contains(d)) {
        out.add(d);
      }
      if (parentMatches && !d.startsWith(".") && !out.contains("." + d)) {
        out.add("." + d);
      }
    }
    if (!out.isEmpty()) {
      result.set("policy.relay_domains", String.join(", ", out), cf.where(e), "relay_domains");
    }
  }

  /** smtpd_relay_restrictions / smtpd_recipient_restrictions: what Postern decides, or cannot. */
  private void restrictions() {
    boolean sasl = false;
    boolean seen = false;
    for (String name : List.of("smtpd_relay_restrictions", "smtpd_recipient_restrictions")) {
      MainCf.Entry e = entry(name);
      if (e == null) {
        continue;
      }
      seen = true;
      String v = expanded(e);
      if (v == null) {
        continue;
      }
      List<String> items = MainCf.list(v);
      for (int i = 0; i < items.size(); i++) {
        String r = items.get(i);
        switch (r) {
          case "permit_mynetworks", "reject_unauth_destination", "defer_unauth_destination",
               "reject_unauth_pipelining", "reject" -> { }
          case "permit_sasl_authenticated" -> sasl = true;
          case "permit_tls_clientcerts" -> result.drop(cf.where(e), name + " permit_tls_clientcerts",
              "Postern has no certificate-fingerprint relay list; give each client certificate's subject a"
                  + " 'CERTSUBJECT:<subject DN> RELAY' line in the access map (relay_clientcerts is not converted)", true);
          case "permit_tls_all_clientcerts" -> result.drop(cf.where(e), name + " permit_tls_all_clientcerts",
              "write 'CERTISSUER:<your client CA's DN> RELAY' in the access map", true);
          case "permit" -> result.drop(cf.where(e), name + " permit",
              "Postern is never an open relay: relaying is for policy.trusted_networks, authenticated clients,"
                  + " policy.relay_domains and access-map RELAY entries", true);
          default -> {
            if (r.startsWith("check_") && i + 1 < items.size()) {
              result.drop(cf.where(e), name + " " + r + " " + items.get(i + 1),
                  "access tables are not converted; write the rules as access-map lines (Connect:, From:, To:)", true);
              i++;
            } else if (r.matches("(reject_rbl|reject_rhsbl|permit_dnswl|permit_rhswl)_.*") && i + 1 < items.size()) {
              result.drop(cf.where(e), name + " " + r + " " + items.get(i + 1),
                  "Postern consults no DNS block or allow lists", true);
              i++;
            } else {
              result.drop(cf.where(e), name + " " + r, "Postern has no such restriction", true);
            }
          }
        }
      }
    }
    String origin;
    if (seen) {
      origin = entry("smtpd_relay_restrictions") != null ? "smtpd_relay_restrictions" : "smtpd_recipient_restrictions";
      String names = entry("smtpd_relay_restrictions") != null && entry("smtpd_recipient_restrictions") != null
          ? "smtpd_relay_restrictions, smtpd_recipient_restrictions" : origin;
      result.set("policy.relay_authenticated", sasl ? "yes" : "no", where(origin), names);
    }
    if (entry("relay_clientcerts") != null) {
      result.drop(where("relay_clientcerts"), "relay_clientcerts", "certificate fingerprints cannot name a client in"
          + " Postern's access map; use CERTSUBJECT:<subject DN> RELAY", true);
    }
    if (entry("smtpd_sasl_auth_enable") != null) {
      result.drop(where("smtpd_sasl_auth_enable"), "smtpd_sasl_auth_enable", yes(value("smtpd_sasl_auth_enable"))
          ? "AUTH is offered when inbound.auth_users names a file of user:bcrypt-hash lines (postern auth hash); SASL"
              + " databases cannot be converted" : "AUTH is off while inbound.auth_users is empty", yes(value("smtpd_sasl_auth_enable")));
    }
    if (entry("smtpd_tls_auth_only") != null) {
      result.drop(where("smtpd_tls_auth_only"), "smtpd_tls_auth_only", "AUTH is offered inside TLS only, always", false);
    }
  }

  /** transport_maps' smtp/relay routes and relayhost make {@code outbound.transport}. */
  private void relayhost() throws InputException {
    List<String> routes = new ArrayList<>();
    List<String> from = new ArrayList<>();
    String where = null;
    MainCf.Entry t = entry("transport_maps");
    String tv = t == null ? null : expanded(t);
    if (tv != null && !tv.isBlank()) {
      for (String table : MainCf.list(tv)) {
        String path = textTable(t, table);
        if (path == null) {
          continue;
        }
        Path source = locate(path);
        if (source == null) {
          throw new InputException(cf.where(t), "transport_maps: cannot find the text table " + path
              + " (nor " + mainCfPath.toAbsolutePath().getParent().resolve(Path.of(path).getFileName()) + " beside main.cf)");
        }
        routes.addAll(transportRoutes(source, read(cf.where(t), source)));
      }
      if (!routes.isEmpty()) {
        from.add("transport_maps");
        where = cf.where(t);
      }
    }
    MainCf.Entry e = entry("relayhost");
    String v = e == null ? null : expanded(e);
    if (v != null && !v.isBlank()) {
      List<String> hosts = MainCf.list(v);
      if (hosts.size() > 1) {
        result.drop(cf.where(e), "relayhost", "Postern takes one relayhost; only '" + hosts.get(0) + "' is used", true);
      }
      routes.add("*=" + hosts.get(0));
      from.add("relayhost");
      where = where == null ? cf.where(e) : where;
    }
    if (!routes.isEmpty()) {
      result.set("outbound.transport", String.join(", ", routes), where, String.join(", ", from));
    }
  }

  /** The text source of an indexed table, or null (reported) for a kind that has none. */
  private String textTable(MainCf.Entry e, String table) {
    int colon = table.indexOf(':');
    String type = colon < 0 ? "" : table.substring(0, colon);
    if (!Set.of("hash", "btree", "lmdb", "cdb", "dbm", "texthash", "").contains(type)) {
      result.drop(cf.where(e), e.name() + " " + table, "only indexed files made from a text table can be"
          + " converted (hash:, lmdb:, btree:, cdb:, texthash:), not " + type + ":", true);
      return null;
    }
    return colon < 0 ? table : table.substring(colon + 1);
  }

  /** A transport table's {@code domain smtp:[host]:port} lines as {@code domain=[host]:port} routes. */
  private List<String> transportRoutes(Path source, String text) {
    List<String> routes = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i].strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String where = source + ":" + (i + 1);
      String[] kv = l.split("\\s+", 2);
      String key = kv[0];
      String value = kv.length > 1 ? kv[1].strip() : "";
      int colon = value.indexOf(':');
      String transport = colon < 0 ? value : value.substring(0, colon);
      String nexthop = colon < 0 ? "" : value.substring(colon + 1);
      if (!Set.of("smtp", "relay", "").contains(transport)) {
        result.drop(where, key + " " + value, "Postern delivers by SMTP only; the " + transport + ": transport has no"
            + " equivalent", true);
        continue;
      }
      if (nexthop.isEmpty()) {
        result.drop(where, key + " " + value, "no next hop: Postern looks up the domain's MX by itself", false);
        continue;
      }
      String route = (key.equals("*") ? "*" : key.toLowerCase(Locale.ROOT)) + "=" + nexthop;
      try {
        org.postern.config.TransportTable.parse(route);
        routes.add(route);
      } catch (IllegalArgumentException x) {
        result.drop(where, key + " " + value, x.getMessage(), true);
      }
    }
    return routes;
  }

  private static final Set<String> LEVELS = Set.of("none", "may", "encrypt", "dane", "dane-only", "verify", "secure");

  private void destinationLevel() {
    String level = value("smtp_tls_security_level");
    String origin = "smtp_tls_security_level";
    if (level == null || level.isBlank()) {
      if (yes(value("smtp_enforce_tls"))) {
        level = "encrypt";
        origin = "smtp_enforce_tls";
      } else if (entry("smtp_use_tls") != null) {
        level = yes(value("smtp_use_tls")) ? "may" : "none";
        origin = "smtp_use_tls";
      } else {
        return;
      }
    } else {
      for (String old : List.of("smtp_use_tls", "smtp_enforce_tls")) {
        if (entry(old) != null) {
          result.drop(where(old), old, "smtp_tls_security_level overrides it, as in Postfix", false);
        }
      }
    }
    level = level.strip();
    if (!LEVELS.contains(level)) {
      result.drop(where(origin), origin, "'" + level + "' cannot be a default level in Postern (none, may, encrypt,"
          + " dane, dane-only, verify, secure)", true);
      return;
    }
    result.set("policy.destination_tls_level", level, where(origin), origin);
  }

  /** smtp_tls_policy_maps: the table's lines, checked one by one, into {@value TLS_POLICY_FILE}. */
  private void tlsPolicyMap() throws InputException {
    MainCf.Entry e = entry("smtp_tls_policy_maps");
    if (e == null) {
      return;
    }
    String v = expanded(e);
    if (v == null || v.isBlank()) {
      return;
    }
    List<String> tables = MainCf.list(v);
    StringBuilder out = new StringBuilder("# From " + cf.file() + " smtp_tls_policy_maps = " + v + "\n");
    int carried = 0;
    for (String table : tables) {
      int colon = table.indexOf(':');
      String type = colon < 0 ? "" : table.substring(0, colon);
      String path = colon < 0 ? table : table.substring(colon + 1);
      if (!Set.of("hash", "btree", "lmdb", "cdb", "dbm", "texthash", "").contains(type)) {
        result.drop(cf.where(e), "smtp_tls_policy_maps " + table, "only indexed files made from a text table can be"
            + " converted (hash:, lmdb:, btree:, cdb:, texthash:), not " + type + ":", true);
        continue;
      }
      Path source = locate(path);
      if (source == null) {
        throw new InputException(cf.where(e), "smtp_tls_policy_maps: cannot find the text table " + path
            + " (nor " + mainCfPath.toAbsolutePath().getParent().resolve(Path.of(path).getFileName()) + " beside main.cf)");
      }
      carried += TlsPolicyTable.convert(source, read(cf.where(e), source), out, result);
    }
    if (carried > 0) {
      result.file(TLS_POLICY_FILE, out.toString());
      result.set("policy.tls_policy_map", outDir.toAbsolutePath().resolve(TLS_POLICY_FILE).toString(),
          cf.where(e), "smtp_tls_policy_maps");
    }
  }

  /** The table where main.cf says, or, when that path is not on this machine, beside main.cf. */
  private Path locate(String path) {
    Path p = Path.of(path);
    if (!p.isAbsolute()) {
      p = mainCfPath.toAbsolutePath().getParent().resolve(p);
    }
    if (Files.isRegularFile(p)) {
      return p;
    }
    Path beside = mainCfPath.toAbsolutePath().getParent().resolve(Path.of(path).getFileName());
    return Files.isRegularFile(beside) ? beside : null;
  }

  private void clientLimitExceptions() {
    MainCf.Entry e = entry("smtpd_client_event_limit_exceptions");
    if (e == null) {
      return;
    }
    String raw = e.value().strip();
    Function<String, String> mapItem = s -> s.equals("$mynetworks") || s.equals("${mynetworks}") ? "$policy.trusted_networks" : network(s);
    List<String> items = new ArrayList<>();
    for (String s : MainCf.list(raw)) {
      if (s.startsWith("$") && !s.equals("$mynetworks") && !s.equals("${mynetworks}")) {
        try {
          MainCf.list(cf.expand(s)).forEach(x -> items.add(network(x)));
        } catch (IllegalArgumentException x) {
          result.drop(cf.where(e), e.name(), x.getMessage(), true);
          return;
        }
      } else {
        items.add(mapItem.apply(s));
      }
    }
    result.set("inbound.client_limit_exceptions", String.join(", ", items), cf.where(e), e.name());
  }
}

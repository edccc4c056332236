package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;

/**
 * {@code postern config import} through the launcher, on the configuration the seeds show and on a
 * Postfix relay's main.cf: the files written load in the real config loader and pass
 * {@code postern policy check}, and every source parameter is either a setting or named, with its
 * reason, on stderr and in the report.
 */
class ConfigImportIT {

  private static final Path SAMPLES = Path.of("src/test/resources/import").toAbsolutePath();

  @TempDir
  Path work;

  private Launcher.Run postern(String... args) throws IOException, InterruptedException {
    return Launcher.run(work, "", args);
  }

  /** The samples copied to {@code dir}, as an operator copies /etc/postfix to a work directory. */
  private Path copy(String sample, Path dir, String as) throws IOException {
    Files.createDirectories(dir);
    return Files.copy(SAMPLES.resolve(sample), dir.resolve(as));
  }

  private static PosternConfig load(Path conf) throws Exception {
    return ConfigLoader.load(conf, List.of());
  }

  /** Names of the parameters in a main.cf (the first word of each line at column 0). */
  private static List<String> parameters(Path mainCf) throws IOException {
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(mainCf)) {
      Matcher m = Pattern.compile("^([A-Za-z0-9_]+)\\s*=").matcher(line);
      if (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  @Test
  void aPostfixRelayBecomesALoadableConfigurationAndEveryLeftoverIsNamed() throws Exception {
    Path postfix = work.resolve("postfix");
    Path mainCf = copy("relay-main.cf", postfix, "main.cf");
    // main.cf says hash:/etc/postfix/tls_policy; the converter finds the text table beside main.cf.
    copy("tls_policy", postfix, "tls_policy");
    copy("transport", postfix, "transport");
    copy("sasl_passwd", postfix, "sasl_passwd");
    Path out = work.resolve("out");

    Launcher.Run r = postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString());
    assertEquals(0, r.exit(), r.stderr());
    assertFalse(r.hasStackTrace(), r.stderr());

    PosternConfig c = load(out.resolve("postern.conf"));
    Map<String, String> v = c.values();
    assertEquals("relay.example.net", v.get("node.hostname"));
    assertEquals("0.0.0.0:25 may ccert=request", v.get("inbound.listeners"));
    assertEquals("127.0.0.0/8, ::1/128, 192.0.2.0/24, 198.51.100.16/28", v.get("policy.trusted_networks"));
    // $mydomain expanded; Postfix's relay_domains match subdomains too, Postern needs the dotted form.
    assertEquals("example.net, .example.net, partner.example, .partner.example", v.get("policy.relay_domains"));
    // transport_maps' SMTP routes, then relayhost for everything else.
    assertEquals("partner.example=[mx.partner.example]:25, .partner.example=[mx.partner.example],"
        + " legacy.example.com=[10.0.0.25]:2525, *=[smtp.provider.example]:587", v.get("outbound.transport"));
    assertEquals("52428800", v.get("inbound.max_message_size"));
    assertEquals("500", v.get("inbound.max_recipients"));
    assertEquals("20", v.get("inbound.max_connections_per_ip"));
    assertEquals("120", v.get("inbound.connection_rate_per_ip"));
    assertEquals("$policy.trusted_networks", v.get("inbound.client_limit_exceptions"));
    assertEquals("/etc/postfix/tls/relay.example.net.crt", v.get("tls.cert_chain"));
    assertEquals("/etc/postfix/tls/clients-ca.pem", v.get("tls.ca_file"));
    assertEquals("TLSv1.2, TLSv1.3", v.get("tls.protocols"));
    assertEquals("may", v.get("policy.destination_tls_level"));
    assertEquals("/etc/ssl/certs/ca-certificates.crt", v.get("outbound.tls_ca_file"));
    assertEquals("/etc/postfix/tls/relay.example.net.key", v.get("outbound.tls_key"));
    assertEquals("yes", v.get("policy.relay_authenticated"));
    assertEquals("3d", v.get("queue.max_lifetime"));
    assertEquals("1h", v.get("queue.max_backoff"));
    // delay_warning_time's bare number is hours in Postfix.
    assertEquals("4h", v.get("queue.delay_warning_time"));
    assertEquals(out.resolve("tls_policy").toString(), v.get("policy.tls_policy_map"));

    // The TLS policy table: every level Postern has, attributes it has no use for removed.
    // The relayhost's login, in Postern's own 'nexthop user:password' format, readable by its owner only.
    assertEquals(out.resolve("relay_credentials").toString(), v.get("outbound.relay_credentials"));
    assertEquals(List.of("[smtp.provider.example]:587 relay-example:Secret-Relay-Password"),
        Files.readAllLines(out.resolve("relay_credentials")).stream().filter(l -> !l.startsWith("#")).toList());
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(out.resolve("relay_credentials"))));
    assertFalse(r.stderr().contains("Secret-Relay-Password") || r.stdout().contains("Secret-Relay-Password"),
        "the password is never printed");

    List<String> policy = Files.readAllLines(out.resolve("tls_policy")).stream().filter(l -> !l.startsWith("#")).toList();
    assertEquals(List.of("legacy.example.com none", "[smtp.provider.example]:587 encrypt",
        "partner.example verify match=hostname:nexthop", ".partner.example verify", "bank.example secure match=.bank.example",
        "example.org may", "dane.example dane-only"), policy);
    Launcher.Run check = postern("policy", "check", "--format", "tls-policy", out.resolve("tls_policy").toString());
    assertEquals(0, check.exit(), check.stderr());
    assertTrue(check.stdout().startsWith("OK: " + out.resolve("tls_policy") + ": TLS policy map, 7 rules"), check.stdout());

    String report = Files.readString(out.resolve("import-report.txt"));
    String m = mainCf.toString();
    for (String named : List.of(
        m + ":13: mydestination: not carried over: Postern delivers nothing locally",
        postfix.resolve("transport") + ":5: example.net local:: not carried over: Postern delivers by SMTP only",
        postfix.resolve("transport") + ":6: lists.example.net smtp:: not needed: no next hop",
        m + ":27: smtpd_banner: not carried over:",
        m + ":29: smtpd_relay_restrictions permit_tls_clientcerts: not carried over:",
        m + ":31: smtpd_recipient_restrictions reject_rbl_client zen.spamhaus.org: not carried over:",
        m + ":33: relay_clientcerts: not carried over:",
        m + ":62: bounce_queue_lifetime: not carried over:",
        postfix.resolve("tls_policy") + ":3: [smtp.provider.example]:587 protocols=>=TLSv1.2: not needed:",
        m + ":45: smtpd_tls_session_cache_database: not needed:",
        m + ":46: tls_random_source: not needed: keys and nonces come from the operating system's CSPRNG",
        m + ":47: smtpd_tls_dh1024_param_file: not needed: no DH parameter file",
        m + ":63: queue_run_delay: not needed:")) {
      assertTrue(r.stderr().contains("postern config import: " + named), "stderr names " + named + ":\n" + r.stderr());
      assertTrue(report.contains(named), "the report names " + named + ":\n" + report);
    }
    // Nothing falls through: each parameter is a setting's source or a line of the report.
    String conf = Files.readString(out.resolve("postern.conf"));
    for (String p : parameters(mainCf)) {
      boolean carried = Pattern.compile("# from .*main\\.cf:\\d+ .*\\b" + p + "\\b").matcher(conf).find();
      boolean reported = Pattern.compile(Pattern.quote(m) + ":\\d+: " + p + "\\b").matcher(report).find();
      assertTrue(carried || reported, p + " is neither carried over nor reported:\n" + conf + report);
    }
  }

  @Test
  void theSeedsPostfixLinesCarryOver() throws Exception {
    Path mainCf = copy("seeds-main.cf", work.resolve("postfix"), "main.cf");
    Path out = work.resolve("out");
    Launcher.Run r = postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString());
    assertEquals(0, r.exit(), r.stderr());
    Map<String, String> v = load(out.resolve("postern.conf")).values();
    assertEquals("may", v.get("policy.destination_tls_level"), "smtp_use_tls = yes is opportunistic TLS");
    assertEquals("yes", v.get("outbound.tls_note_starttls_offer"));
    // The same certificate both ways, as the seed has it.
    assertEquals("/etc/postfix/certs/newcert.pem", v.get("outbound.tls_cert_chain"));
    assertEquals("/etc/postfix/certs/newreq.pem", v.get("outbound.tls_key"));
    assertEquals("/etc/postfix/certs/newcert.pem", v.get("tls.cert_chain"));
    assertEquals("/etc/postfix/certs/newreq.pem", v.get("tls.key"));
    // No smtpd_tls_security_level: Postfix offers no STARTTLS, and neither does the listener.
    assertEquals("0.0.0.0:25 none", v.get("inbound.listeners"));
    assertTrue(r.stderr().contains(mainCf + ":10: smtpd_tls_session_cache_database: not needed:"), r.stderr());
    assertTrue(r.stdout().contains("0 parameters not carried over, 1 not needed"), r.stdout());
  }

  @Test
  void theSeedsSendmailConfigurationAndAccessMapCarryOver() throws Exception {
    Path mail = work.resolve("mail");
    Path mc = copy("seeds-sendmail.mc", mail, "sendmail.mc");
    Path access = copy("seeds-access", mail, "access");
    Path out = work.resolve("out");

    Launcher.Run r = postern("config", "import", "--sendmail", mc.toString(), "--access", access.toString(),
        "--out", out.toString());
    assertEquals(0, r.exit(), r.stderr());
    assertFalse(r.hasStackTrace(), r.stderr());

    Map<String, String> v = load(out.resolve("postern.conf")).values();
    // CERT_DIR is MAIL_SETTINGS_DIR`'certs, as in the seed's .mc.
    assertEquals("/etc/mail/certs", v.get("tls.ca_path"));
    assertEquals("/etc/mail/certs", v.get("outbound.tls_ca_path"));
    assertEquals("/etc/mail/certs/CAcert.pem", v.get("tls.ca_file"));
    assertEquals("/etc/mail/certs/CAcert.pem", v.get("outbound.tls_ca_file"));
    assertEquals("/etc/mail/certs/MYcert.pem", v.get("tls.cert_chain"));
    assertEquals("/etc/mail/certs/MYkey.pem", v.get("tls.key"));
    assertEquals("/etc/mail/certs/cert.pem", v.get("outbound.tls_cert_chain"));
    assertEquals("/etc/mail/certs/MYkey.pem", v.get("outbound.tls_key"));
    assertEquals("/etc/mail/certs/crl.pem", v.get("tls.crl_file"));
    assertEquals("1h", v.get("outbound.starttls_timeout"));
    // sendmail asks clients for a certificate unless TLSSrvOptions says V: the TLS_Clt VERIFY rule can match.
    assertEquals("0.0.0.0:25 may ccert=request", v.get("inbound.listeners"));
    assertEquals(out.resolve("access").toString(), v.get("policy.access_map"));

    List<String> rules = Files.readAllLines(out.resolve("access")).stream().filter(l -> !l.startsWith("#")).toList();
    assertEquals(List.of("TLS_Srv:server1.example.net\tENCR:256", "TLS_Clt:desktop.example.net\tVERIFY:128",
        "Connect:192.0.2 RELAY"), rules);
    Launcher.Run check = postern("policy", "check", "--format", "access", out.resolve("access").toString());
    assertEquals(0, check.exit(), check.stderr());
    assertTrue(check.stdout().startsWith("OK: " + out.resolve("access") + ": access map, 3 rules"), check.stdout());

    String report = Files.readString(out.resolve("import-report.txt"));
    for (String named : List.of(
        mc + ":14: confDH_PARAMETERS: not needed: no DH parameter file",
        mc + ":15: confRAND_FILE: not needed: keys and nonces come from the operating system's CSPRNG",
        mc + ":20: LOCAL_RULESETS [Local_tls_client]: not carried over: hand-written sendmail.cf rules",
        access + ":5: TLS_Clt:desktop.example:net: not carried over: expected a host name, domain, IP address or"
            + " network, got 'desktop.example:net'",
        access + ":7: Spam:abuse@example.net: not carried over: Postern does no spam filtering")) {
      assertTrue(r.stderr().contains("postern config import: " + named), "stderr names " + named + ":\n" + r.stderr());
      assertTrue(report.contains(named), "the report names " + named + ":\n" + report);
    }
    // Nothing falls through: each line of the .mc up to LOCAL_RULESETS is a setting's source or in the report.
    String conf = Files.readString(out.resolve("postern.conf"));
    List<String> lines = Files.readAllLines(mc);
    for (int i = 0; i < lines.size() && !lines.get(i).startsWith("LOCAL_RULESETS"); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String at = mc + ":" + (i + 1);
      boolean carried = Pattern.compile("# from " + Pattern.quote(at) + "\\b").matcher(conf).find()
          || Pattern.compile("# from " + Pattern.quote(mc.toString()) + ":[0-9,]*\\b" + (i + 1) + "\\b").matcher(conf).find();
      assertTrue(carried || report.contains(at + ":"), at + " (" + line + ") is neither carried over nor reported:\n"
          + conf + report);
    }
  }

  @Test
  void postconfOutputIsReadLikeMainCf() throws Exception {
    // postconf -n: alphabetical, no comments; saved with 2>&1 it may carry postconf's own warnings.
    Path saved = work.resolve("postconf-n.txt");
    Files.writeString(saved, "postconf: warning: /etc/postfix/main.cf: unused parameter: smtpd_tls_eecdh=strong\n"
        + "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128 10.1.0.0/16\n"
        + "relayhost = [mail.isp.example]\n"
        + "smtp_tls_security_level = encrypt\n"
        + "smtpd_tls_cert_file = /etc/postfix/relay.pem\n");
    Path out = work.resolve("out");
    Launcher.Run r = postern("config", "import", "--postfix", saved.toString(), "--out", out.toString());
    assertEquals(0, r.exit(), r.stderr());
    Map<String, String> v = load(out.resolve("postern.conf")).values();
    // Postern reads an IPv4-mapped address as IPv4: that one network is named, the others carried.
    assertEquals("127.0.0.0/8, ::1/128, 10.1.0.0/16", v.get("policy.trusted_networks"));
    assertTrue(r.stderr().contains(saved + ":2: mynetworks [::ffff:127.0.0.0]/104: not carried over: prefix length out"
        + " of range"), r.stderr());
    assertEquals("*=[mail.isp.example]", v.get("outbound.transport"));
    assertEquals("encrypt", v.get("policy.destination_tls_level"));
    // smtpd_tls_key_file defaults to $smtpd_tls_cert_file: the key is in the same file, and the pair loads.
    assertEquals("/etc/postfix/relay.pem", v.get("tls.cert_chain"));
    assertEquals("/etc/postfix/relay.pem", v.get("tls.key"));
    assertTrue(Files.readString(out.resolve("import-report.txt")).contains(saved + ":1: skipped postconf's message"));
  }

  @Test
  void badInputIsNamedByFileAndLineAndOutputsAreNotOverwritten() throws Exception {
    Path mainCf = work.resolve("main.cf");
    Files.writeString(mainCf, "myhostname = relay.example.net\n  continued.example\nthis is not a parameter\n");
    Path out = work.resolve("out");
    Launcher.Run bad = postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString());
    assertEquals(1, bad.exit(), bad.stderr());
    assertEquals("postern config import: " + mainCf + ":3: expected 'name = value', got 'this is not a parameter'",
        bad.stderr().strip());
    assertFalse(Files.exists(out), "nothing written for bad input");

    Launcher.Run none = postern("config", "import", "--postfix", work.resolve("nope.cf").toString(), "--out", out.toString());
    assertEquals(1, none.exit(), none.stderr());
    assertEquals("postern config import: " + work.resolve("nope.cf") + ": no such file", none.stderr().strip());

    Path mc = work.resolve("sendmail.mc");
    Files.writeString(mc, "define(`confSERVER_CERT', `/etc/mail/certs/MYcert.pem')dnl\n"
        + "define(`confSERVER_KEY', `/etc/mail/certs/MYkey.pem)dnl\n");
    Launcher.Run badMc = postern("config", "import", "--sendmail", mc.toString(), "--out", out.toString());
    assertEquals(1, badMc.exit(), badMc.stderr());
    assertEquals("postern config import: " + mc + ":2: unbalanced quotes (` and ') or parentheses", badMc.stderr().strip());

    Files.writeString(mainCf, "smtp_tls_policy_maps = hash:/etc/postfix/no_such_table\n");
    Launcher.Run missing = postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString());
    assertEquals(1, missing.exit(), missing.stderr());
    assertTrue(missing.stderr().startsWith("postern config import: " + mainCf + ":1: smtp_tls_policy_maps: cannot find"
        + " the text table /etc/postfix/no_such_table"), missing.stderr());
    assertFalse(missing.hasStackTrace(), missing.stderr());

    Files.writeString(mainCf, "message_size_limit = 20480000\n");
    assertEquals(0, postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString()).exit());
    Files.writeString(mainCf, "message_size_limit = 40960000\n");
    Launcher.Run again = postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString());
    assertEquals(2, again.exit(), again.stderr());
    assertEquals("postern config import: " + out.resolve("postern.conf") + " exists; nothing written (--force overwrites)",
        again.stderr().strip());
    assertEquals("20480000", load(out.resolve("postern.conf")).values().get("inbound.max_message_size"));
    Launcher.Run forced = postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString(), "--force");
    assertEquals(0, forced.exit(), forced.stderr());
    assertEquals("40960000", load(out.resolve("postern.conf")).values().get("inbound.max_message_size"));

    // A value Postern refuses is named with Postern's own reason, and the default stays.
    Files.writeString(mainCf, "smtpd_recipient_limit = 50\n");
    Launcher.Run bounded = postern("config", "import", "--postfix", mainCf.toString(), "--out", out.toString(), "--force");
    assertEquals(0, bounded.exit(), bounded.stderr());
    assertTrue(bounded.stderr().contains(mainCf + ":1: smtpd_recipient_limit: not carried over: inbound.max_recipients"
        + " refuses '50': must be between 100 and 100000, got 50"), bounded.stderr());
    assertEquals("1000", load(out.resolve("postern.conf")).values().get("inbound.max_recipients"));
  }
}

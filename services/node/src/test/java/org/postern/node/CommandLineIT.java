package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as an operator meets it: precise errors, no stack traces, working helpers. */
class CommandLineIT {

  @TempDir
  Path work;

  private Launcher.Run postern(String stdin, String... args) throws IOException, InterruptedException {
    return Launcher.run(work, stdin, args);
  }

  @Test
  void aBadConfigurationStopsTheNodeWithOneLinePerProblem() throws Exception {
    Path conf = work.resolve("postern.conf");
    Files.writeString(conf, "inbound.listeners = 127.0.0.1:2525 maybe\nqueue.min_backof = 5m\n");
    Launcher.Run r = postern("", "run", "--config", conf.toString(), "--set", "inbound.max_recipients=5");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals(List.of(
        "postern: configuration error: " + conf + ":2: queue.min_backof: unknown setting (did you mean queue.min_backoff?)",
        // Unknown keys are found while reading the file; bad values when they are parsed, after it.
        "postern: configuration error: " + conf + ":1: inbound.listeners: listener tls must be none, may or required, got 'maybe'",
        "postern: configuration error: --set: inbound.max_recipients: must be between 100 and 100000, got 5"),
        r.stderr().lines().toList());
    assertTrue(!r.stderr().contains("Exception") && !r.stderr().contains("\tat "), "no stack trace: " + r.stderr());
  }

  @Test
  void configShowPrintsTheEffectiveTheChangedOrTheDefaultSettings() throws Exception {
    Path conf = work.resolve("postern.conf");
    // 5m is the default 300s written otherwise: not a change.
    Files.writeString(conf, "queue.min_backoff = 5m\ninbound.max_recipients = 200\npolicy.relay_domains =\n"
        + "  example.net, example.org\n");
    Launcher.Run all = postern("", "config", "show", "--config", conf.toString());
    assertEquals(0, all.exit(), all.stderr());
    assertEquals(org.postern.config.Settings.all().size(), all.stdout().lines().count(), "one line per setting");
    assertTrue(all.stdout().contains("\nqueue.min_backoff = 5m\n"), all.stdout());
    assertTrue(all.stdout().contains("\nqueue.max_backoff = 4000s\n"), all.stdout());

    Launcher.Run changed = postern("", "config", "show", "-n", "--config", conf.toString(),
        "--set", "node.log_level=debug");
    assertEquals(0, changed.exit(), changed.stderr());
    assertEquals("node.log_level = debug\ninbound.max_recipients = 200\n"
        + "policy.relay_domains = example.net, example.org\n", changed.stdout());

    Launcher.Run defaults = postern("", "config", "show", "-d", "--config", conf.toString(),
        "inbound.max_recipients", "queue.min_backoff");
    assertEquals(0, defaults.exit(), defaults.stderr());
    assertEquals("inbound.max_recipients = 1000\nqueue.min_backoff = 300s\n", defaults.stdout());

    Launcher.Run unknown = postern("", "config", "show", "queue.min_backoff", "queue.min_backof");
    assertEquals(2, unknown.exit());
    assertEquals("", unknown.stdout());
    assertEquals("postern config show: queue.min_backof: unknown setting (did you mean queue.min_backoff?)",
        unknown.stderr().strip());

    Files.writeString(conf, "queue.min_backoff = 5x\n");
    Launcher.Run bad = postern("", "config", "show", "--config", conf.toString());
    assertEquals(2, bad.exit());
    assertTrue(bad.stderr().startsWith("postern config show: configuration error: " + conf + ":1: queue.min_backoff: "),
        bad.stderr());
    assertTrue(!bad.hasStackTrace(), bad.stderr());
  }

  @Test
  void configDiffComparesTwoFilesByKey() throws Exception {
    Path a = Files.writeString(work.resolve("a.conf"), "queue.min_backoff = 5m\ninbound.max_recipients = 200\n");
    Path b = Files.writeString(work.resolve("b.conf"), "inbound.max_recipients = 200\nqueue.min_backoff = 6m\n"
        + "node.log_level = debug\n");
    Launcher.Run d = postern("", "config", "diff", a.toString(), b.toString());
    assertEquals(1, d.exit(), d.stderr());
    assertEquals("+ node.log_level = debug\n- queue.min_backoff = 5m\n+ queue.min_backoff = 6m\n", d.stdout());
    assertEquals(0, postern("", "config", "diff", a.toString(), a.toString()).exit());
    Launcher.Run missing = postern("", "config", "diff", a.toString(), "nowhere.conf");
    assertEquals(2, missing.exit());
    assertEquals("postern config diff: nowhere.conf: neither a version number nor an existing file",
        missing.stderr().strip());
  }

  @Test
  void checkPassesWithWarningsAndStartsNothing() throws Exception {
    org.postern.testkit.TestCa ca = org.postern.testkit.TestCa.create(work.resolve("ca"), "Check CA");
    org.postern.testkit.TestCa.Issued server = ca.issueServer("mail.postern.test");
    Path access = Files.writeString(work.resolve("access"), "Connect:192.0.2 REJECT\n");
    Path conf = Files.writeString(work.resolve("postern.conf"), "tls.cert_chain = " + server.chain() + "\n"
        + "tls.key = " + server.key() + "\ntls.ca_file = " + ca.certificatePath() + "\npolicy.access_map = " + access
        + "\nnode.data_dir = " + work.resolve("data") + "\nqueue.spool_dir = " + work.resolve("data/spool") + "\n");
    Launcher.Run r = postern("", "check", "--config", conf.toString());
    assertEquals(0, r.exit(), r.stderr());
    assertEquals("postern check: OK: " + conf + ", 2 warnings", r.stdout().strip());
    // TestCa's certificates live two days: inside the default 30-day window, the leaf and its CA in the chain.
    List<String> warnings = r.stderr().lines().toList();
    assertEquals(2, warnings.size(), r.stderr());
    assertTrue(warnings.get(0).matches("postern check: warning: tls.cert_chain: certificate CN=mail.postern.test,"
        + "O=Postern tests in tls.cert_chain .* expires in [01] days, on .* \\(tls.expiry_warning_days = 30\\)"), r.stderr());
    assertTrue(warnings.get(1).startsWith("postern check: warning: tls.cert_chain: certificate CN=Check CA,"), r.stderr());

    // With no certificate configured, a start generates one under node.data_dir: a check does not.
    Launcher.Run defaults = postern("", "check", "--set", "node.data_dir=" + work.resolve("fresh"));
    assertEquals(0, defaults.exit(), defaults.stderr());
    assertEquals("postern check: OK (embedded defaults)", defaults.stdout().strip());
    assertTrue(!Files.exists(work.resolve("fresh")), "check created the data directory");
  }

  @Test
  void checkNamesEachProblemAndExits1() throws Exception {
    org.postern.testkit.TestCa ca = org.postern.testkit.TestCa.create(work.resolve("ca"), "Check CA");
    org.postern.testkit.TestCa.Issued server = ca.issueServer("mail.postern.test");
    java.nio.file.Files.setPosixFilePermissions(server.key(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    java.time.Instant now = java.time.Instant.now();
    org.postern.testkit.TestCa.Issued old = ca.issueClient("old.postern.test", now.minus(java.time.Duration.ofDays(20)),
        now.minus(java.time.Duration.ofDays(10)));
    Path access = Files.writeString(work.resolve("access"), "Connect:192.0.2 REJECT\nConnect:192.0.2.1 SOMETIMES\n");
    Path conf = Files.writeString(work.resolve("postern.conf"), "tls.cert_chain = " + server.chain() + "\n"
        + "tls.key = " + server.key() + "\noutbound.tls_cert_chain = " + old.chain() + "\noutbound.tls_key = "
        + old.key() + "\npolicy.access_map = " + access + "\ninbound.auth_users = " + work.resolve("users")
        + "\nnode.data_dir = " + work.resolve("data") + "\n");
    Launcher.Run r = postern("", "check", "--config", conf.toString());
    assertEquals(1, r.exit(), r.stdout() + r.stderr());
    assertEquals("", r.stdout());
    // The chain's CA (two days left) is a warning, which does not count as a problem.
    List<String> lines = r.stderr().lines().filter(l -> !l.startsWith("postern check: warning: ")).toList();
    assertEquals(4, lines.size(), r.stderr());
    assertTrue(lines.get(0).startsWith("postern check: tls.key: ") && lines.get(0).contains(server.key().toString())
        && lines.get(0).contains("chmod 600"), lines.get(0));
    assertTrue(lines.get(1).matches("postern check: outbound.tls_cert_chain: certificate CN=old.postern.test.* expired on .*"),
        lines.get(1));
    assertEquals("postern check: inbound.auth_users: " + work.resolve("users") + " does not exist", lines.get(2));
    assertTrue(lines.get(3).startsWith("postern check: policy.access_map: " + access + ":2: "), lines.get(3));
    assertTrue(!r.hasStackTrace(), r.stderr());

    // Files that read but do not parse: named with their line, as the start would name them.
    Path users = Files.writeString(work.resolve("users2"), "# who may AUTH\nno-colon-here\n");
    Files.setPosixFilePermissions(users, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path creds = Files.writeString(work.resolve("creds"), "[relay.example]:587 alice-without-password\n");
    Files.setPosixFilePermissions(creds, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path conf2 = Files.writeString(work.resolve("postern2.conf"), "inbound.auth_users = " + users
        + "\noutbound.relay_credentials = " + creds + "\nnode.data_dir = " + work.resolve("data") + "\n");
    Launcher.Run parsed = postern("", "check", "--config", conf2.toString());
    assertEquals(1, parsed.exit(), parsed.stdout() + parsed.stderr());
    List<String> parsedLines = parsed.stderr().lines().filter(l -> !l.startsWith("postern check: warning: ")).toList();
    assertEquals(List.of("postern check: inbound.auth_users: " + users + ":2: expected 'user:bcrypt-hash'",
        "postern check: outbound.relay_credentials: " + creds + ":1: expected 'nexthop user:password'"), parsedLines,
        parsed.stderr());

    Files.writeString(conf, "queue.min_backoff = 5x\n");
    Launcher.Run bad = postern("", "check", "--config", conf.toString());
    assertEquals(1, bad.exit());
    assertTrue(bad.stderr().startsWith("postern check: configuration: " + conf + ":1: queue.min_backoff: "), bad.stderr());
  }

  @Test
  void helpVersionAndGroupsWithoutASubcommand() throws Exception {
    Launcher.Run help = postern("", "help");
    assertEquals(0, help.exit(), help.stderr());
    assertTrue(help.stdout().startsWith("Usage: postern "), help.stdout());
    for (String c : List.of("run", "queue", "config", "check", "version", "help")) {
      assertTrue(help.stdout().contains("\n  " + c + " "), c + " listed:\n" + help.stdout());
    }
    Launcher.Run helpQueue = postern("", "help", "queue");
    assertEquals(0, helpQueue.exit(), helpQueue.stderr());
    assertTrue(helpQueue.stdout().startsWith("Usage: postern queue ") && helpQueue.stdout().contains("  shape "),
        helpQueue.stdout());
    Launcher.Run version = postern("", "version");
    assertEquals(0, version.exit(), version.stderr());
    assertEquals("postern 0.1.0", version.stdout().strip());
    assertEquals(version.stdout(), postern("", "--version").stdout());

    // Each group, called bare, names what is missing and lists what it has, as a usage error.
    List<List<String>> groups = List.of(List.of(), List.of("auth"), List.of("policy"), List.of("queue"),
        List.of("config"), List.of("pki"));
    List<String> oneEach = List.of("  run ", "  hash ", "  check ", "  shape ", "  show ", "  issue ");
    for (int i = 0; i < groups.size(); i++) {
      Launcher.Run r = postern("", groups.get(i).toArray(String[]::new));
      assertEquals(2, r.exit(), groups.get(i) + ": " + r.stderr());
      assertEquals("", r.stdout());
      assertTrue(r.stderr().startsWith("Missing required subcommand\nUsage: postern"), groups.get(i) + ": " + r.stderr());
      assertTrue(r.stderr().contains("Commands:\n") && r.stderr().contains(oneEach.get(i)), groups.get(i) + ": " + r.stderr());
    }
  }

  @Test
  void unknownRoleIsNamed() throws Exception {
    Launcher.Run r = postern("", "run", "--roles", "inbound,mailer");
    assertEquals(2, r.exit());
    assertEquals("postern: --roles: unknown role 'mailer' (roles: inbound, policy, queue, outbound)", r.stderr().strip());
  }

  @Test
  void aClusteredQueueWithoutTheOutboundRoleIsRefused() throws Exception {
    Launcher.Run r = postern("", "run", "--cluster", "--roles", "inbound,queue");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals("postern: --roles: in a cluster the queue role needs the outbound role on the same node (the queue"
        + " hands message bodies to its own node's outbound): add outbound to --roles", r.stderr().strip());
  }

  @Test
  void authHashPrintsALineThatVerifies() throws Exception {
    Launcher.Run r = postern("correct horse\n", "auth", "hash", "--cost", "10", "alice");
    assertEquals(0, r.exit(), r.stderr());
    String line = r.stdout().strip();
    assertTrue(line.matches("alice:\\$2a\\$10\\$[./A-Za-z0-9]{53}"), line);
    assertTrue(BCrypt.verifyer().verify("correct horse".toCharArray(), line.substring(6)).verified);
    assertEquals(2, postern("", "auth", "hash", "alice").exit(), "an empty password is refused");
  }

  @Test
  void policyCheckCountsTheRulesOrNamesEachBadLine() throws Exception {
    Path access = work.resolve("access");
    Files.writeString(access, "# the seeds' entries\nTLS_Srv:server1.example.net ENCR:256\n"
        + "TLS_Clt:desktop.example.net VERIFY:128\nConnect:192.0.2 REJECT\n");
    Launcher.Run ok = postern("", "policy", "check", access.toString());
    assertEquals(0, ok.exit(), ok.stderr());
    assertEquals("OK: " + access + ": access map, 3 rules {TLS_Clt=1, TLS_Srv=1, Connect=1}", ok.stdout().strip());

    // The Nazario seed's entry has a typo, and its ENCR example has no key.
    Path bad = work.resolve("bad");
    Files.writeString(bad, "TLS_Clt:desktop.example:net VERIFY:80\nENCR:112\n");
    Launcher.Run r = postern("", "policy", "check", bad.toString());
    assertEquals(2, r.exit());
    assertEquals(List.of(
        bad + ":1: expected a host name, domain, IP address or network, got 'desktop.example:net'"
            + " (did you mean 'desktop.example.net'?)",
        bad + ":2: expected 'key value', got 'ENCR:112'"), r.stderr().lines().toList());
    assertTrue(!r.stderr().contains("Exception"), r.stderr());

    Path tlsPolicy = work.resolve("tls_policy");
    Files.writeString(tlsPolicy, "example.com encrypt\n[mail.example.org]:587 secure match=mail.example.org\n"
        + ".example.net dane match=mx.example.net\n");
    Launcher.Run p = postern("", "policy", "check", tlsPolicy.toString());
    assertEquals(2, p.exit());
    assertEquals(tlsPolicy + ":3: match= applies to verify, secure and fingerprint only, not dane", p.stderr().strip());
  }

  /**
   * A file's language is decided by what most of its entries look like, or by the setting that
   * names it, never by its first line: a typo there, or a From: entry first, used to turn a good
   * access map into a TLS policy map full of misleading errors.
   */
  @Test
  void policyCheckReadsAFileByItsEntriesOrItsSettingNotByItsFirstLine() throws Exception {
    Path typo = work.resolve("access-typo");
    Files.writeString(typo, "TLS_Srvv:server1.example.net ENCR:256\nTLS_Clt:desktop.example.net VERIFY:128\n"
        + "Connect:192.0.2 REJECT\n");
    Launcher.Run r = postern("", "policy", "check", typo.toString());
    assertEquals(2, r.exit());
    assertEquals(List.of(typo + ":1: unknown entry 'TLS_Srvv:' (entries: TLS_Srv:, TLS_Clt:, TLS_Rcpt:, Try_TLS:,"
        + " CERTISSUER:, CERTSUBJECT:, Connect:, Srv_Features:, To:, From:)"), r.stderr().lines().toList());

    Path from = work.resolve("access-from");
    Files.writeString(from, "From:spammer.example REJECT\nTLS_Srv:server1.example.net ENCR:256\n");
    Launcher.Run ok = postern("", "policy", "check", from.toString());
    assertEquals(0, ok.exit(), ok.stderr());
    assertEquals("OK: " + from + ": access map, 2 rules {TLS_Srv=1, From=1}", ok.stdout().strip());

    Path mixed = work.resolve("tls_policy");
    Files.writeString(mixed, "example.com encrypt\nTLS_Srv:mx.example.org VERIFY\n.example.net verify\n");
    Launcher.Run m = postern("", "policy", "check", mixed.toString());
    assertEquals(2, m.exit());
    List<String> lines = m.stderr().lines().toList();
    assertEquals("postern: policy check: " + mixed + " is read as a TLS policy map (2 of 3 entries are written as"
        + " one); line 2 looks like an access map entry", lines.get(0));
    assertEquals(2, lines.size(), m.stderr());
    assertTrue(lines.get(1).startsWith(mixed + ":2: "), m.stderr());

    // Named by a setting, the file is read in that setting's language, whatever its entries say.
    Launcher.Run set = postern("", "policy", "check", "--set", "policy.access_map=" + mixed, mixed.toString());
    assertEquals(2, set.exit());
    assertTrue(set.stderr().startsWith("postern: policy check: " + mixed + " is read as an access map (the setting"
        + " policy.access_map); lines 1, 3 look like TLS policy map entries\n" + mixed + ":1: "), set.stderr());

    // Without FILE: every file the configuration names, each in its own language.
    Files.writeString(mixed, "example.com encrypt\n");
    Launcher.Run both = postern("", "policy", "check", "--set", "policy.access_map=" + from,
        "--set", "policy.tls_policy_map=" + mixed);
    assertEquals(0, both.exit(), both.stderr());
    assertEquals(List.of("OK: " + from + ": access map, 2 rules {TLS_Srv=1, From=1}",
        "OK: " + mixed + ": TLS policy map, 1 rules {destinations=1}"), both.stdout().lines().toList());
    assertTrue(!both.hasStackTrace() && !set.hasStackTrace() && !m.hasStackTrace(), both.stderr());
  }

  /** Seed 004's TEMP, PROTOCOL and SOFTWARE: what a TLS_Srv requirement says to each. */
  @Test
  void policyExplainJudgesAStarttlsStepThatGaveNoSession() throws Exception {
    Path access = work.resolve("access");
    Files.writeString(access, "TLS_Srv:mx.example.com VERIFY\n");
    List<String> said = new ArrayList<>();
    for (String verify : List.of("TEMP", "PROTOCOL", "SOFTWARE")) {
      Launcher.Run r = postern("", "policy", "explain", "--access-map", access.toString(), "--client", "192.0.2.7",
          "--rcpt", "someone@example.com", "--server", "mx.example.com", "--server-tls", "verify=" + verify);
      assertEquals(0, r.exit(), r.stderr());
      List<String> lines = r.stdout().lines().map(String::strip).toList();
      int at = lines.indexOf(lines.stream().filter(l -> l.startsWith("tls_server")).findFirst().orElseThrow());
      said.add(lines.get(at).replaceAll("\\s+", " ") + " | " + lines.get(at + 1));
    }
    String rule = "rule=" + access + ":1 TLS_Srv:mx.example.com VERIFY";
    assertEquals(List.of(
        "tls_server no TLS session, verify=TEMP TEMPFAIL 403 4.7.0 authentication failure TEMP | " + rule,
        "tls_server no TLS session, verify=PROTOCOL TEMPFAIL 403 4.7.0 STARTTLS failed. | " + rule,
        "tls_server no TLS session, verify=SOFTWARE TEMPFAIL 403 4.7.0 TLS handshake failed. | " + rule), said);

    Launcher.Run bad = postern("", "policy", "explain", "--client", "192.0.2.7", "--rcpt", "a@example.com",
        "--tls", "verify=TEMP");
    assertEquals(2, bad.exit());
    assertEquals("postern: policy explain: --tls: verify=TEMP means STARTTLS gave no TLS session, so there are no"
        + " version, cipher or certificate to describe; it applies to --server-tls", bad.stderr().strip());
  }

  /** sendmail's Srv_Features: letters Postern ignores are warned about with file:line; explain shows the rest. */
  @Test
  void policyCheckWarnsAboutIgnoredSrvFeaturesAndExplainShowsThem() throws Exception {
    Path access = work.resolve("access");
    Files.writeString(access, "Srv_Features:192.0.2.7 S V A\nSrv_Features: v\n");
    Launcher.Run ok = postern("", "policy", "check", access.toString());
    assertEquals(0, ok.exit(), ok.stderr());
    assertEquals("OK: " + access + ": access map, 2 rules {Srv_Features=2}", ok.stdout().strip());
    assertEquals("postern: policy check: warning: " + access + ":1: Srv_Features: letter 'A' (AUTH offer) has no effect"
        + " in Postern; ignored", ok.stderr().strip());
    Launcher.Run r = postern("", "policy", "explain", "--access-map", access.toString(), "--client", "192.0.2.7",
        "--rcpt", "a@example.com");
    assertEquals(0, r.exit(), r.stderr());
    List<String> lines = r.stdout().lines().map(String::strip).toList();
    int at = lines.indexOf("srv_features [192.0.2.7]                              S V (STARTTLS not offered, client"
        + " certificate not requested)");
    assertTrue(at >= 0, r.stdout());
    assertEquals("rule=" + access + ":1 Srv_Features:192.0.2.7 S V A", lines.get(at + 1));
    Files.writeString(access, "Srv_Features:192.0.2.7 S Z\n");
    Launcher.Run bad = postern("", "policy", "check", access.toString());
    assertEquals(2, bad.exit());
    assertTrue(bad.stderr().startsWith(access + ":1: Srv_Features: unknown letter 'Z' in 'S Z'"), bad.stderr());
  }

  @Test
  void policyExplainNamesTheRuleBehindEachDecision() throws Exception {
    Path access = work.resolve("access");
    Files.writeString(access, "TLS_Clt:192.0.2.7 PERM+ENCR:256\n"
        + "CERTSUBJECT:/C=US/CN=desktop.example.net RELAY\nTLS_Rcpt:example.com VERIFY\n"
        + "Try_TLS:broken.example.com NO\nFrom:spammer.example REJECT\n");
    Launcher.Run r = postern("", "policy", "explain", "--access-map", access.toString(), "--client", "192.0.2.7",
        "--helo", "desktop.example.net", "--mail", "x@spammer.example",
        "--tls", "version=TLSv1.3 cipher_bits=128 verify=OK cert_subject=/C=US/CN=desktop.example.net",
        "--rcpt", "someone@example.com", "--server", "broken.example.com");
    assertEquals(0, r.exit(), r.stderr());
    List<String> lines = r.stdout().lines().map(String::strip).toList();
    assertEquals(List.of(
        "connect      [192.0.2.7]                              ACCEPT, STARTTLS required: yes",
        "rule=" + access + ":1 TLS_Clt:192.0.2.7 PERM+ENCR:256",
        "srv_features [192.0.2.7]                              s v (STARTTLS offered, client certificate requested if"
            + " the listener asks)",
        "rule=default:no Srv_Features entry",
        "tls_client   TLSv1.3 bits=128 verify=OK               REJECT 503 5.7.0 encryption too weak 128 less than 256",
        "rule=" + access + ":1 TLS_Clt:192.0.2.7 PERM+ENCR:256",
        "mail         <x@spammer.example>                      REJECT 550 5.7.1 <x@spammer.example>... Access denied",
        "rule=" + access + ":5 From:spammer.example REJECT",
        "relay        <someone@example.com>                    ACCEPT 250 2.1.5 Ok",
        "rule=" + access + ":2 CERTSUBJECT:/C=US/CN=desktop.example.net RELAY",
        "destination  example.com                              level may",
        "rule=config:policy.destination_tls_level=may",
        "try_tls      broken.example.com[0.0.0.0]:25           level none (no STARTTLS)",
        "rule=" + access + ":4 Try_TLS:broken.example.com NO",
        "tls_server   no STARTTLS                              ACCEPT",
        "rule=default:opportunistic (no TLS_Srv or policy entry)",
        "tls_rcpt     <someone@example.com>                    TEMPFAIL 403 4.7.0 other side does not support STARTTLS",
        "rule=" + access + ":3 TLS_Rcpt:example.com VERIFY"), lines);

    // DANE levels: policy answers the level; what it becomes is outbound's to decide, per MX host.
    Launcher.Run dane = postern("", "policy", "explain", "--set", "policy.destination_tls_level=dane-only",
        "--client", "192.0.2.7", "--rcpt", "a@example.com", "--server", "mx.example.com");
    assertEquals(0, dane.exit(), dane.stderr());
    assertTrue(dane.stdout().contains(
        "level dane-only (outbound: DANE with usable TLSA records under DNSSEC, else deferred)"), dane.stdout());

    Launcher.Run bad = postern("", "policy", "explain", "--client", "not-an-ip", "--rcpt", "a@example.com");
    assertEquals(2, bad.exit());
    assertEquals("postern: policy explain: --client must be an IP address, got 'not-an-ip'", bad.stderr().strip());
  }

  @Test
  void clusterModeRefusesAPlaintextEventBusUnlessAskedLoudly() throws Exception {
    Launcher.Run r = postern("", "run", "--cluster");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals("postern: configuration error: cluster.bus_cert_chain, cluster.bus_key, cluster.bus_ca_file: the event"
        + " bus carries mail between nodes and needs TLS with node certificates; set all three (postern pki issue node),"
        + " or set cluster.insecure_event_bus = yes for a plaintext experiment", r.stderr().strip());
    Launcher.Run orphan = postern("", "run", "--cluster-config", work.resolve("cluster.conf").toString());
    assertEquals(2, orphan.exit(), orphan.stderr());
    assertEquals("postern: configuration error: --cluster-config: given without --cluster", orphan.stderr().strip());
  }

  @Test
  void clusterFileHoldsClusterKeysOnlyAndEachProblemIsNamed() throws Exception {
    Path conf = work.resolve("cluster.conf");
    Files.writeString(conf, "cluster.members = 127.0.0.1:5701\nqueue.spool_dir = /var/spool/postern\n"
        + "cluster.interface = 0.0.0.0.0\n");
    Launcher.Run r = postern("", "run", "--cluster", "--cluster-config", conf.toString());
    assertEquals(2, r.exit(), r.stderr());
    assertEquals(List.of(
        "postern: configuration error: " + conf + ":2: queue.spool_dir: not a cluster setting; the cluster configuration"
            + " holds only cluster.* keys (put it in --config)",
        "postern: configuration error: " + conf + ":3: cluster.interface: expected an IP literal such as 10.0.0.5,"
            + " got '0.0.0.0.0'"),
        r.stderr().lines().toList());
  }

  @Test
  void clusterNodeCertificatesAreCheckedBeforeJoining() throws Exception {
    org.postern.testkit.TestCa ca = org.postern.testkit.TestCa.create(Files.createDirectories(work.resolve("ca")),
        "Node CA");
    org.postern.testkit.TestCa other = org.postern.testkit.TestCa.create(Files.createDirectories(work.resolve("other")),
        "Other CA");
    org.postern.testkit.TestCa.Issued node = ca.issueNode("node-1");
    String caSet = "cluster.bus_ca_file=" + ca.certificatePath();

    Files.setPosixFilePermissions(node.key(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Launcher.Run open = postern("", "run", "--cluster", "--set", caSet, "--set", "cluster.bus_cert_chain=" + node.chain(),
        "--set", "cluster.bus_key=" + node.key());
    assertEquals(2, open.exit(), open.stderr());
    assertTrue(open.stderr().strip().endsWith("fix with: chmod 600 " + node.key()), open.stderr());
    assertTrue(open.stderr().startsWith("postern: configuration error: cluster.bus_cert_chain, cluster.bus_key: "),
        open.stderr());

    org.postern.testkit.TestCa.Issued serverOnly = ca.issueServer("node-2");
    Launcher.Run usage = postern("", "run", "--cluster", "--set", caSet, "--set", "cluster.bus_cert_chain=" + serverOnly.chain(),
        "--set", "cluster.bus_key=" + serverOnly.key());
    assertEquals(2, usage.exit(), usage.stderr());
    assertTrue(usage.stderr().contains("cluster.bus_cert_chain: the certificate CN=node-2,O=Postern tests must allow"
        + " both serverAuth and clientAuth"), usage.stderr());

    org.postern.testkit.TestCa.Issued foreign = other.issueNode("node-3");
    Launcher.Run stranger = postern("", "run", "--cluster", "--set", caSet, "--set", "cluster.bus_cert_chain=" + foreign.chain(),
        "--set", "cluster.bus_key=" + foreign.key());
    assertEquals(2, stranger.exit(), stranger.stderr());
    assertEquals("postern: configuration error: cluster.bus_cert_chain: the certificate CN=node-3,O=Postern tests is"
        + " not signed by a CA in cluster.bus_ca_file; other nodes would refuse it", stranger.stderr().strip());
    for (Launcher.Run r : List.of(open, usage, stranger)) {
      assertTrue(!r.stderr().contains("Exception") && !r.stderr().contains("\tat "), "no stack trace: " + r.stderr());
    }
  }

  @Test
  void anInsecureEventBusMustBeAskedForAndIsLoggedAsAnError() throws Exception {
    int hazelcast = org.postern.testkit.FreePorts.loopback();
    try (NodeProcess node = NodeProcess.run(work, List.of("--cluster", "--roles", "policy"), List.of(
        "cluster.insecure_event_bus=yes", "cluster.port=" + hazelcast, "cluster.bus_port=0",
        "node.data_dir=" + work.resolve("data"), "node.admin_listen="))) {
      node.awaitLog("postern/cluster\\[\\d+\\]: error: cluster: cluster.insecure_event_bus = yes: THE EVENT BUS IS"
          + " PLAINTEXT AND UNAUTHENTICATED", java.time.Duration.ofSeconds(90));
      node.awaitLog("cluster: joined as 127\\.0\\.0\\.1:" + hazelcast + "; members 1 \\[", java.time.Duration.ofSeconds(90));
      node.awaitLog("node started with roles \\[POLICY\\]", java.time.Duration.ofSeconds(90));
    }
  }
}

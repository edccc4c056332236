package org.postern.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.RelayCheck;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.SessionCheck;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.config.ConfigLoader;
import org.postern.smtp.Path;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.Verify;

/**
 * Every example entry of the seeds (and the rest of the rule language), each with sessions that
 * match it and sessions that do not: the answer, and the rule it names.
 */
class SeedTableTest {

  static final String ACCESS = String.join("\n",
      "TLS_Srv:server1.example.net ENCR:256",                     // 1 OpenBSD STARTTLS(8) and Nazario
      "TLS_Clt:desktop.example.net VERIFY:128",                   // 2 idem
      "TLS_Clt:desktop.example.org VERIFY:80",                    // 3 Nazario's, its typo mended
      "TLS_Srv:example.org ENCR:112",                             // 4 Nazario: "strong (112 bit) encryption"
      "TLS_Rcpt:secret.example.com PERM+VERIFY:128",              // 5
      "Try_TLS:broken.example.net NO",                            // 6
      "CERTISSUER:/C=US/O=Example/CN=Example+20Mail+20CA RELAY",  // 7
      "CERTSUBJECT:CN=laptop.example.net,O=Example,C=US RELAY",   // 8
      "Connect:192.0.2 REJECT",                                   // 9
      "Connect:198.51.100.0/24 RELAY",                            // 10
      "To:partner.example RELAY",                                 // 11
      "TLS_Clt:203.0.113.0/24 TEMP+ENCR:128+CN",                  // 12
      "TLS_Clt:203.0.113.9 VERIFY+CI:/C=US/O=Example/CN=Example+20Mail+20CA", // 13
      "TLS_Srv:.example.net VERIFY",                              // 14
      "From:spammer.example REJECT",                              // 15
      "From:friend@spammer.example OK",                           // 16
      "From:abuse@ REJECT",                                       // 17
      "From:bad@good.example REJECT",                             // 18
      "");
  static final String TLS_POLICY = String.join("\n",
      "secure.example     secure",                                // 1
      "[mx.pinned.example]:25 fingerprint match="
          + "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99", // 2
      ".legacy.example    none",                                  // 3
      "");

  static final PolicyEngine ENGINE = engine();

  static PolicyEngine engine() {
    try {
      return new PolicyEngine(ConfigLoader.load(null, List.of("policy.trusted_networks=")).policy(),
          PolicyModel.compile(List.of(new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "access", ACCESS),
              new PolicyFile(PolicyFile.Kind.TLS_POLICY_MAP, "tls_policy", TLS_POLICY))));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static TlsFacts tls(Verify v, int bits, String subject, String issuer) {
    return new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", bits, Math.max(bits, 1), v, subject, issuer,
        subject.replaceAll("^CN=([^,]*).*", "$1"), issuer.replaceAll("^CN=([^,]*).*", "$1"));
  }

  static TlsFacts tls(Verify v, int bits) {
    return tls(v, bits, "", "");
  }

  static final String CA = "CN=Example Mail CA,O=Example,C=US";

  /** tls_client: (client name, ip, session) → reply or "accept", rule. */
  static Stream<Arguments> tlsClient() {
    return Stream.of(
        Arguments.of("desktop.example.net", "10.0.0.1", tls(Verify.OK, 128), "accept", "access:2"),
        Arguments.of("desktop.example.net", "10.0.0.1", tls(Verify.OK, 112),
            "403 4.7.0 encryption too weak 112 less than 128", "access:2"),
        Arguments.of("desktop.example.net", "10.0.0.1", tls(Verify.NO, 256), "403 4.7.0 not authenticated", "access:2"),
        Arguments.of("desktop.example.net", "10.0.0.1", tls(Verify.FAIL, 256), "403 4.7.0 authentication failed",
            "access:2"),
        Arguments.of("desktop.example.net", "10.0.0.1", tls(Verify.NOT, 256), "403 4.7.0 no authentication requested",
            "access:2"),
        Arguments.of("laptop.example.net", "10.0.0.1", tls(Verify.NO, 40), "accept", "default:"),
        Arguments.of("desktop.example.org", "10.0.0.1", tls(Verify.OK, 80), "accept", "access:3"),
        Arguments.of("desktop.example.org", "10.0.0.1", tls(Verify.OK, 56), "403 4.7.0 encryption too weak 56 less than 80",
            "access:3"),
        Arguments.of(null, "203.0.113.5", tls(Verify.NO, 128, "CN=mx.example.com", ""),
            "403 4.7.0 CN mx.example.com does not match an unknown peer name", "access:12"),
        Arguments.of("mx.example.com", "203.0.113.5", tls(Verify.NO, 128, "CN=mx.example.com", ""), "accept",
            "access:12"),
        Arguments.of(null, "203.0.113.9", tls(Verify.OK, 128, "CN=x", CA), "accept", "access:13"),
        Arguments.of(null, "203.0.113.9", tls(Verify.OK, 128, "CN=x", "CN=Other CA,C=US"),
            "403 4.7.0 Cert Issuer CN=Other CA,C=US does not match /C=US/O=Example/CN=Example+20Mail+20CA",
            "access:13"));
  }

  @ParameterizedTest(name = "TLS_Clt {0} [{1}] {2} -> {3}")
  @MethodSource("tlsClient")
  void tlsClient(String name, String ip, TlsFacts session, String expected, String rule) {
    TlsVerdict v = ENGINE.clientTls(new ClientTlsCheck(ip, name, session));
    assertEquals(expected, v.reply() == null ? "accept" : v.reply().toString());
    assertStarts(rule, v.rule());
  }

  /** tls_server: (server host, ip, session or null) → reply or "accept", rule. */
  static Stream<Arguments> tlsServer() {
    return Stream.of(
        Arguments.of("server1.example.net", tls(Verify.FAIL, 256), "accept", "access:1"),
        Arguments.of("server1.example.net", tls(Verify.OK, 128), "403 4.7.0 encryption too weak 128 less than 256",
            "access:1"),
        Arguments.of("server1.example.net", null, "403 4.7.0 encryption too weak 0 less than 256", "access:1"),
        Arguments.of("mx.example.org", tls(Verify.NO, 128), "accept", "access:4"),
        Arguments.of("mx.example.org", tls(Verify.NO, 56), "403 4.7.0 encryption too weak 56 less than 112",
            "access:4"),
        Arguments.of("mx.example.net", tls(Verify.FAIL, 256), "403 4.7.0 authentication failed", "access:14"),
        Arguments.of("example.net", tls(Verify.FAIL, 256), "accept", "default:"),
        Arguments.of("mx.elsewhere.example", null, "accept", "default:"));
  }

  @ParameterizedTest(name = "TLS_Srv {0} {1} -> {2}")
  @MethodSource("tlsServer")
  void tlsServer(String host, TlsFacts session, String expected, String rule) {
    TlsVerdict v = ENGINE.serverTls(new ServerTlsCheck("example.com", host, "192.0.2.200", 25, session, null,
        List.of(), List.of(Path.parseMailbox("a@example.com")))).session();
    assertEquals(expected, v.reply() == null ? "accept" : v.reply().toString());
    assertStarts(rule, v.rule());
  }

  @ParameterizedTest(name = "TLS_Rcpt {0} {1} -> {2}")
  @MethodSource("tlsRcpt")
  void tlsRcpt(String rcpt, TlsFacts session, String expected, String rule) {
    TlsVerdict v = ENGINE.serverTls(new ServerTlsCheck("example.com", "mx.example.com", "192.0.2.200", 25, session,
        null, List.of(), List.of(Path.parseMailbox(rcpt)))).recipients().get(0);
    assertEquals(expected, v.reply() == null ? "accept" : v.reply().toString());
    assertStarts(rule, v.rule());
  }

  static Stream<Arguments> tlsRcpt() {
    return Stream.of(
        Arguments.of("boss@secret.example.com", tls(Verify.OK, 256), "accept", "access:5"),
        Arguments.of("boss@secret.example.com", null, "503 5.7.0 other side does not support STARTTLS", "access:5"),
        Arguments.of("boss@secret.example.com", tls(Verify.FAIL, 256), "503 5.7.0 authentication failed", "access:5"),
        Arguments.of("boss@a.secret.example.com", tls(Verify.NO, 256), "503 5.7.0 not authenticated", "access:5"),
        Arguments.of("boss@example.com", null, "accept", "default:"));
  }

  /** try_tls and the Postfix levels: (domain, host, port) → level, rule. */
  static Stream<Arguments> levels() {
    return Stream.of(
        Arguments.of("example.net", "broken.example.net", 25, "none", "access:6"),
        Arguments.of("example.net", "ok.example.net", 25, "may", "config:"),
        Arguments.of("secure.example", "mx.secure.example", 25, "secure", "tls_policy:1"),
        Arguments.of("sub.secure.example", "mx.secure.example", 25, "may", "config:"),
        Arguments.of("pinned.example", "mx.pinned.example", 25, "encrypt", "tls_policy:2"),
        Arguments.of("pinned.example", "mx.pinned.example", 587, "may", "config:"),
        Arguments.of("a.legacy.example", "mx.a.legacy.example", 25, "none", "tls_policy:3"),
        Arguments.of("legacy.example", "mx.legacy.example", 25, "may", "config:"));
  }

  @ParameterizedTest(name = "level {0} via {1}:{2} -> {3}")
  @MethodSource("levels")
  void levels(String domain, String host, int port, String level, String rule) {
    var d = ENGINE.targetTls(new TargetTlsCheck(domain, host, "192.0.2.200", port));
    assertEquals(level, d.level().configName());
    assertStarts(rule, d.rule());
  }

  @org.junit.jupiter.api.Test
  void postfixLevelsAreJudgedAfterTheHandshake() {
    String pin = "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899";
    List<Path> rcpt = List.of(Path.parseMailbox("a@pinned.example"));
    assertEquals(null, ENGINE.serverTls(new ServerTlsCheck("pinned.example", "mx.pinned.example", "192.0.2.1", 25,
        tls(Verify.FAIL, 256), pin, List.of(), rcpt)).session().reply());
    assertEquals("450 4.7.5 Server certificate not trusted: fingerprint does not match for host mx.pinned.example",
        ENGINE.serverTls(new ServerTlsCheck("pinned.example", "mx.pinned.example", "192.0.2.1", 25,
            tls(Verify.OK, 256), pin.replace('A', 'B'), List.of(), rcpt)).session().reply().toString());
    List<Path> sec = List.of(Path.parseMailbox("a@secure.example"));
    assertEquals(null, ENGINE.serverTls(new ServerTlsCheck("secure.example", "mx.secure.example", "192.0.2.1", 25,
        tls(Verify.OK, 256), null, List.of("mx.secure.example"), sec)).session().reply());
    assertEquals("450 4.7.5 Server certificate name does not match nexthop:dot-nexthop for host mx.evil.example",
        ENGINE.serverTls(new ServerTlsCheck("secure.example", "mx.evil.example", "192.0.2.1", 25,
            tls(Verify.OK, 256), null, List.of("mx.evil.example"), sec)).session().reply().toString());
    assertEquals("450 4.7.5 Server certificate not verified (verify=FAIL) for host mx.secure.example",
        ENGINE.serverTls(new ServerTlsCheck("secure.example", "mx.secure.example", "192.0.2.1", 25,
            tls(Verify.FAIL, 256), null, List.of("mx.secure.example"), sec)).session().reply().toString());
    assertEquals("secure", ENGINE.destinationTls(new DestinationTlsCheck("secure.example")).level().configName());
  }

  /** Relay and connect: (client ip, session, recipient) → RCPT reply, rule. */
  static Stream<Arguments> relay() {
    return Stream.of(
        Arguments.of("10.0.0.1", tls(Verify.OK, 256, "CN=anyone,O=Example,C=US", CA), "x@far.example", "250 2.1.5 Ok",
            "access:7 CERTISSUER"),
        Arguments.of("10.0.0.1", tls(Verify.FAIL, 256, "CN=anyone,O=Example,C=US", CA), "x@far.example",
            "554 5.7.1 <x@far.example>: Relay access denied", "default:no-open-relay"),
        Arguments.of("10.0.0.1", tls(Verify.OK, 256, "CN=laptop.example.net,O=Example,C=US", "CN=Other,C=US"),
            "x@far.example", "250 2.1.5 Ok", "access:8 CERTSUBJECT"),
        Arguments.of("10.0.0.1", tls(Verify.OK, 256, "CN=desktop.example.net,O=Example,C=US", "CN=Other,C=US"),
            "x@far.example", "554 5.7.1 <x@far.example>: Relay access denied", "default:no-open-relay"),
        Arguments.of("10.0.0.1", null, "x@far.example", "554 5.7.1 <x@far.example>: Relay access denied",
            "default:no-open-relay"),
        Arguments.of("198.51.100.20", null, "x@far.example", "250 2.1.5 Ok", "access:10 Connect"),
        Arguments.of("10.0.0.1", null, "x@partner.example", "250 2.1.5 Ok", "access:11 To"),
        Arguments.of("10.0.0.1", null, "x@mx.partner.example", "250 2.1.5 Ok", "access:11 To"));
  }

  @ParameterizedTest(name = "relay [{0}] {1} to {2} -> {3}")
  @MethodSource("relay")
  void relay(String ip, TlsFacts session, String rcpt, String expected, String rule) {
    var v = ENGINE.relay(new RelayCheck(ip, null, "client.test", session, null, Path.parseMailbox("a@example.org"),
        Path.parseMailbox(rcpt)));
    assertEquals(expected, v.reply().toString());
    assertStarts(rule, v.rule());
  }

  /** MAIL: sendmail's From: entries, as the recipient tables are looked up. → MAIL reply (null: go on), rule. */
  static Stream<Arguments> mail() {
    return Stream.of(
        Arguments.of("x@spammer.example", "550 5.7.1 <x@spammer.example>... Access denied", "access:15 From"),
        Arguments.of("x@mx.spammer.example", "550 5.7.1 <x@mx.spammer.example>... Access denied", "access:15 From"),
        Arguments.of("friend@spammer.example", null, "access:16 From"),
        Arguments.of("abuse@anywhere.example", "550 5.7.1 <abuse@anywhere.example>... Access denied", "access:17 From"),
        Arguments.of("bad@good.example", "550 5.7.1 <bad@good.example>... Access denied", "access:18 From"),
        Arguments.of("good@good.example", null, "default:no From entry"),
        Arguments.of("x@notspammer.example", null, "default:no From entry"),
        Arguments.of("<>", null, "default:no From entry"));
  }

  @ParameterizedTest(name = "MAIL FROM:{0} -> {1}")
  @MethodSource("mail")
  void mail(String sender, String expected, String rule) {
    Path from = sender.equals("<>") ? Path.NULL : Path.parseMailbox(sender);
    var v = ENGINE.sender(new org.postern.bus.MailCheck("10.0.0.1", null, "client.test", null, null, from));
    assertEquals(expected, v.reply() == null ? null : v.reply().toString());
    assertEquals(expected == null ? org.postern.bus.Decision.ACCEPT : org.postern.bus.Decision.REJECT, v.decision());
    assertStarts(rule, v.rule());
  }

  @org.junit.jupiter.api.Test
  void connectRejectsANetAndTlsCltRequiresStartTls() {
    var refused = ENGINE.session(new SessionCheck("192.0.2.44", null, false));
    assertEquals("554 5.7.1 Access denied", refused.reply().toString());
    assertEquals("access:9 Connect:192.0.2 REJECT", refused.rule());
    assertEquals(true, ENGINE.session(new SessionCheck("10.0.0.1", "desktop.example.net", false)).requireTls());
    var open = ENGINE.session(new SessionCheck("10.0.0.1", "other.example.net", false));
    assertEquals(false, open.requireTls());
    assertEquals("default:opportunistic (no rule requires TLS)", open.rule());
  }

  private static void assertStarts(String prefix, String rule) {
    if (!rule.startsWith(prefix)) {
      throw new AssertionError("rule '" + rule + "' should start with '" + prefix + "'");
    }
  }
}

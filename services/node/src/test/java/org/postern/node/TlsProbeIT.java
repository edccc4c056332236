package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.DnsServer;
import org.postern.testkit.SignedDns;
import org.postern.testkit.SmtpSink;

/**
 * {@code postern tls probe} (posttls-finger) against real next hops: aiosmtpd servers with
 * certificates from {@code postern pki} (one named for its MX host, one for another name, one
 * without STARTTLS), found through MX records that a real dnsmasq on loopback serves, the probe
 * run through {@code deploy/postern} as an operator types it.
 */
class TlsProbeIT {

  @TempDir
  Path work;

  private DnsServer dns;
  private SmtpSink good;
  private SmtpSink misnamed;
  private SmtpSink plain;

  private Path pkiDir() {
    return work.resolve("data/pki").toAbsolutePath();
  }

  private void pki(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("pki"));
    all.addAll(List.of(args));
    Launcher.Run r = Launcher.run(work, "", all.toArray(new String[0]));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
  }

  @BeforeEach
  void peers() throws Exception {
    pki("init-ca", "--subject", "/O=Example/CN=Probe Test CA", "--key", "ec:p256");
    pki("issue", "server", "--cn", "mx.good.test");
    pki("issue", "server", "--cn", "mx.other.test");
    good = SmtpSink.startWithCertificate(SmtpSink.Options.defaults(),
        pkiDir().resolve("certs/mx.good.test.chain.pem"), pkiDir().resolve("private/mx.good.test.key"));
    misnamed = SmtpSink.startWithCertificate(SmtpSink.Options.defaults(),
        pkiDir().resolve("certs/mx.other.test.chain.pem"), pkiDir().resolve("private/mx.other.test.key"));
    plain = SmtpSink.start(SmtpSink.Options.defaults());
    dns = DnsServer.start(List.of(
        "--mx-host=good.test,mx.good.test,10", "--host-record=mx.good.test,127.0.0.1",
        "--mx-host=bad.test,mx.bad.test,10", "--host-record=mx.bad.test,127.0.0.1",
        "--mx-host=plain.test,mx.plain.test,10", "--host-record=mx.plain.test,127.0.0.1",
        "--mx-host=sts.test,mx.good.test,10", "--txt-record=_mta-sts.sts.test,v=STSv1; id=probe1",
        "--host-record=mta-sts.sts.test,127.0.0.1",
        "--mx-host=stsbad.test,mx.bad.test,10", "--txt-record=_mta-sts.stsbad.test,v=STSv1; id=probe2",
        "--host-record=mta-sts.stsbad.test,127.0.0.1"));
  }

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {dns, good, misnamed, plain}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // best effort
      }
    }
  }

  private Launcher.Run probe(String... args) throws Exception {
    return probeWith(dns.address(), args);
  }

  private Launcher.Run probeWith(String dnsServer, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("tls", "probe", "--set", "outbound.dns_servers=" + dnsServer,
        "--set", "node.hostname=probe.postern.test"));
    all.addAll(List.of(args));
    Launcher.Run r = Launcher.run(work, "", all.toArray(new String[0]));
    assertFalse(r.hasStackTrace(), r.stderr());
    return r;
  }

  @Test
  void aTrustedCorrectlyNamedMxSatisfiesEveryLevelAndPolicyWouldDeliver() throws Exception {
    Launcher.Run r = probe("good.test:" + good.port(), "--set", "outbound.tls_ca_file=" + pkiDir().resolve("ca.crt"),
        "--set", "policy.destination_tls_level=secure");

    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    String out = r.stdout();
    assertTrue(out.contains("connected to mx.good.test[127.0.0.1]:" + good.port()), out);
    assertTrue(out.contains("STARTTLS: offered"), out);
    assertTrue(out.contains("subject CN=mx.good.test"), out);
    assertTrue(out.contains("issuer CN=Probe Test CA,O=Example"), out);
    assertTrue(out.contains("verify=OK"), out);
    assertTrue(out.contains("Verified TLS connection established to mx.good.test[127.0.0.1]:" + good.port()
        + ": TLSv1.3 with cipher TLS_"), out);
    assertTrue(out.matches("(?s).*\\n  verify +ok +trusted, matches hostname \\(hostname mx.good.test\\).*"), out);
    assertTrue(out.matches("(?s).*\\n  secure +ok +trusted, matches nexthop:dot-nexthop \\(nexthop good.test\\).*"),
        out);
    assertTrue(out.contains("policy: level secure"), out);
    assertTrue(out.contains("would deliver to mx.good.test[127.0.0.1]:" + good.port()), out);
  }

  @Test
  void aCertificateForAnotherNameFailsVerifyAndPolicyWouldDefer() throws Exception {
    Launcher.Run r = probe("bad.test:" + misnamed.port(), "--json",
        "--set", "outbound.tls_ca_file=" + pkiDir().resolve("ca.crt"), "--set", "policy.destination_tls_level=verify");

    assertEquals(1, r.exit(), r.stdout() + r.stderr());
    JsonObject o = new JsonObject(r.stdout());
    assertEquals("mx.bad.test[127.0.0.1]:" + misnamed.port(), o.getString("connected"));
    assertEquals("OK", o.getJsonObject("tls").getString("verify"), "the chain itself is trusted");
    assertTrue(o.getJsonObject("levels").getJsonObject("encrypt").getBoolean("ok"));
    JsonObject verify = o.getJsonObject("levels").getJsonObject("verify");
    assertFalse(verify.getBoolean("ok"));
    assertEquals("trusted, but does not match hostname (hostname mx.bad.test)", verify.getString("why"));
    assertEquals("verify", o.getJsonObject("policy").getString("level"));
    assertFalse(o.getJsonObject("policy").getBoolean("satisfied"));
    assertFalse(o.getBoolean("would_deliver"));
  }

  @Test
  void anUntrustedChainIsStillGoodEnoughForMay() throws Exception {
    // Without outbound.tls_ca_file the JDK's CAs judge, and they do not know the test CA.
    Launcher.Run r = probe("good.test:" + good.port());

    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    String out = r.stdout();
    assertTrue(out.contains("verify=FAIL"), out);
    assertTrue(out.contains("Untrusted TLS connection established to mx.good.test"), out);
    assertTrue(out.matches("(?s).*\\n  may +ok .*"), out);
    assertTrue(out.matches("(?s).*\\n  verify +FAIL +certificate not verified \\(verify=FAIL\\).*"), out);
    assertTrue(out.contains("policy: level may"), out);
    assertTrue(out.contains("would deliver"), out);
  }

  @Test
  void aNextHopWithoutStarttlsFailsEncrypt() throws Exception {
    Launcher.Run r = probe("[127.0.0.1]:" + plain.port(), "--domain", "plain.test",
        "--set", "policy.destination_tls_level=encrypt");

    assertEquals(1, r.exit(), r.stdout() + r.stderr());
    String out = r.stdout();
    assertTrue(out.contains("connected to 127.0.0.1[127.0.0.1]:" + plain.port()), out);
    assertTrue(out.contains("STARTTLS: not offered"), out);
    assertTrue(out.matches("(?s).*\\n  encrypt +FAIL +STARTTLS not offered.*"), out);
    assertTrue(out.contains("would defer"), out);
  }

  @Test
  void nothingListeningIsSaidAndExitsOne() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    Launcher.Run r = probe("[127.0.0.1]:" + closed, "--domain", "nowhere.test");

    assertEquals(1, r.exit(), r.stdout() + r.stderr());
    assertTrue(r.stdout().contains("tried 127.0.0.1[127.0.0.1]:" + closed + ": connect failed"), r.stdout());
    assertTrue(r.stdout().contains("no next hop answered"), r.stdout());
  }

  @Test
  void aBadRecipientIsAUsageError() throws Exception {
    Launcher.Run r = probe("good.test:" + good.port(), "--rcpt", "not an address");

    assertEquals(2, r.exit(), r.stdout() + r.stderr());
    assertTrue(r.stderr().startsWith("postern: tls probe: --rcpt: "), r.stderr());
    assertTrue(Files.exists(pkiDir().resolve("ca.crt")));
  }

  @Test
  void daneJudgesTheMxByItsTlsaRecords() throws Exception {
    String tlsa = "_" + good.port() + "._tcp.";
    String matching = spki(good.certificate());
    String other = spki(misnamed.certificate());
    try (SignedDns signed = SignedDns.start(List.of(new SignedDns.Zone("dane.test", SignedDns.Signing.SIGNED, List.of(
        "ok MX 10 mx-ok", "mx-ok A 127.0.0.1", tlsa + "mx-ok TLSA 3 1 1 " + matching,
        "bad MX 10 mx-bad", "mx-bad A 127.0.0.1", tlsa + "mx-bad TLSA 3 1 1 " + other))))) {
      Launcher.Run ok = probeWith(signed.resolver(), "ok.dane.test:" + good.port(),
          "--set", "outbound.dns_support_level=dnssec", "--set", "policy.destination_tls_level=dane-only");

      assertEquals(0, ok.exit(), ok.stdout() + ok.stderr());
      assertTrue(ok.stdout().contains("DANE: usable TLSA records, matched 3 1 1 "), ok.stdout());
      assertTrue(ok.stdout().matches("(?s).*\\n  dane-only +ok +matched TLSA record 3 1 1 .*\\(DANE-EE\\) at depth 0.*"),
          ok.stdout());
      assertTrue(ok.stdout().contains("Verified TLS connection established to mx-ok.dane.test"), ok.stdout());
      assertTrue(ok.stdout().contains("would deliver"), ok.stdout());

      Launcher.Run bad = probeWith(signed.resolver(), "bad.dane.test:" + good.port(), "--json",
          "--set", "outbound.dns_support_level=dnssec", "--set", "policy.destination_tls_level=dane");
      assertEquals(1, bad.exit(), bad.stdout() + bad.stderr());
      JsonObject o = new JsonObject(bad.stdout());
      assertTrue(o.getJsonObject("dane").getBoolean("usable"));
      assertFalse(o.getJsonObject("levels").getJsonObject("dane").getBoolean("ok"));
      assertTrue(o.getJsonObject("levels").getJsonObject("dane").getString("why").startsWith("TLSA records do not match"),
          bad.stdout());
      assertFalse(o.getBoolean("would_deliver"));
    }
  }

  @Test
  void anMtaStsEnforcePolicyDecidesForADomainWithoutAPolicyEntry() throws Exception {
    pki("issue", "server", "--cn", "mta-sts.sts.test", "--san", "mta-sts.stsbad.test");
    Path root = Files.createDirectories(work.resolve("sts"));
    String policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.good.test\r\nmax_age: 86400\r\n";
    Files.writeString(root.resolve("mta-sts.sts.test.txt"), policy);
    Files.writeString(root.resolve("mta-sts.stsbad.test.txt"), policy);
    int httpsPort = org.postern.testkit.FreePorts.loopback();
    Process https = new ProcessBuilder("python3",
        NodeProcess.REPO.resolve("services/outbound/src/test/resources/org/postern/outbound/sts_https.py").toString(),
        root.toString(), String.valueOf(httpsPort), pkiDir().resolve("certs/mta-sts.sts.test.chain.pem").toString(),
        pkiDir().resolve("private/mta-sts.sts.test.key").toString()).redirectError(work.resolve("https.log").toFile())
        .start();
    try {
      String ready = new java.io.BufferedReader(new java.io.InputStreamReader(https.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8)).readLine();
      assertEquals("ready", ready, Files.readString(work.resolve("https.log")));
      String[] common = {"--mta-sts-port", String.valueOf(httpsPort),
          "--set", "outbound.mta_sts_ca_file=" + pkiDir().resolve("ca.crt"),
          "--set", "outbound.tls_ca_file=" + pkiDir().resolve("ca.crt")};

      List<String> args = new ArrayList<>(List.of("sts.test:" + good.port()));
      args.addAll(List.of(common));
      Launcher.Run ok = probe(args.toArray(new String[0]));
      assertEquals(0, ok.exit(), ok.stdout() + ok.stderr());
      assertTrue(ok.stdout().contains("MTA-STS: mode=enforce id=probe1"), ok.stdout());
      assertTrue(ok.stdout().matches("(?s).*\\n  mta-sts +ok +listed in the policy; trusted, matches hostname.*"),
          ok.stdout());
      assertTrue(ok.stdout().contains("policy: level may (default:") || ok.stdout().contains("policy: level may ("),
          ok.stdout());
      assertTrue(ok.stdout().contains("satisfied"), ok.stdout());

      args = new ArrayList<>(List.of("stsbad.test:" + misnamed.port()));
      args.addAll(List.of(common));
      Launcher.Run bad = probe(args.toArray(new String[0]));
      assertEquals(1, bad.exit(), bad.stdout() + bad.stderr());
      assertTrue(bad.stdout().contains("not satisfied: MTA-STS enforce: MX host mx.bad.test is not in the policy's mx"
          + " list"), bad.stdout());
      assertTrue(bad.stdout().contains("would defer"), bad.stdout());
    } finally {
      https.destroy();
    }
  }

  private static String spki(java.security.cert.X509Certificate cert) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(cert.getPublicKey().getEncoded()));
  }
}

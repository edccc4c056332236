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
        "--mx-host=plain.test,mx.plain.test,10", "--host-record=mx.plain.test,127.0.0.1"));
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
    List<String> all = new ArrayList<>(List.of("tls", "probe", "--set", "outbound.dns_servers=" + dns.address(),
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
}

package org.postern.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.smtp.TlsLevel;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  @Test
  void embeddedDefaultsDescribeTheWalkingSkeletonNode() throws Exception {
    PosternConfig c = ConfigLoader.load(null, List.of());
    assertEquals(List.of(new Listener("127.0.0.1", 2525, Listener.Tls.MAY)), c.inbound().listeners());
    assertEquals("data/spool", c.queue().spoolDir());
    // As sendmail does, a listener that offers STARTTLS asks for a client certificate.
    assertEquals(Listener.ClientCerts.REQUEST, c.inbound().listeners().get(0).clientCerts());
    assertTrue(c.tls().selfSigned());
    assertEquals(TlsLevel.MAY, c.policy().destinationTlsLevel());
    assertTrue(c.outbound().transport().routes().isEmpty(), "delivery by MX lookup by default");
    assertTrue(c.policy().trustedNetworks().stream().anyMatch(n -> n.contains("127.0.0.1")));
    assertTrue(c.policy().trustedNetworks().stream().noneMatch(n -> n.contains("192.0.2.1")));
    assertEquals(Duration.ofSeconds(300), c.queue().minBackoff());
    assertEquals(Duration.ofSeconds(4000), c.queue().maxBackoff());
    assertEquals(Duration.ofDays(5), c.queue().maxLifetime());
  }

  @Test
  void fileWithContinuationsAndOverrides() throws Exception {
    Path f = dir.resolve("postern.conf");
    Files.writeString(f, "# comment\n"
        + "inbound.listeners = 127.0.0.1:25 may,\n"
        + "    [::1]:587 required\n"
        + "outbound.transport = example.net=[127.0.0.1]:2526, *=[relay.example]:587\n"
        + "queue.min_backoff = 1m\n");
    PosternConfig c = ConfigLoader.load(f, List.of("queue.min_backoff=30s"));
    assertEquals(List.of(new Listener("127.0.0.1", 25, Listener.Tls.MAY), new Listener("::1", 587, Listener.Tls.REQUIRED)),
        c.inbound().listeners());
    assertEquals(new NextHop("127.0.0.1", 2526, false), c.outbound().transport().lookup("EXAMPLE.net").orElseThrow());
    assertEquals(new NextHop("relay.example", 587, false), c.outbound().transport().lookup("other.org").orElseThrow());
    assertEquals(Duration.ofSeconds(30), c.queue().minBackoff(), "--set wins over the file");
  }

  @Test
  void everyProblemNamesFileLineKeyAndReason() throws Exception {
    Path f = dir.resolve("bad.conf");
    Files.writeString(f, "queue.min_backoff = 5x\n\npolicy.relay_domain = example.net\ninbound.listeners = 127.0.0.1:25 maybe\n"
        + "just some words\n");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(f, List.of("inbound.max_recipients=5")));
    List<String> p = e.problems();
    assertTrue(p.contains(f + ":1: queue.min_backoff: unknown time unit 'x' in '5x' (use s, m, h, d or w)"), p.toString());
    assertTrue(p.contains(f + ":3: policy.relay_domain: unknown setting (did you mean policy.relay_domains?)"), p.toString());
    assertTrue(p.contains(f + ":4: inbound.listeners: listener tls must be none, may or required, got 'maybe'"), p.toString());
    assertTrue(p.contains(f + ":5: expected 'key = value', got 'just some words'"), p.toString());
    assertTrue(p.contains("--set: inbound.max_recipients: must be between 100 and 100000, got 5"), p.toString());
    assertEquals(5, p.size(), p.toString());
  }

  @Test
  void crossChecks() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("tls.cert_chain=/etc/ssl/mx.pem", "queue.min_backoff=2h",
            "inbound.max_body_memory=1m")));
    assertTrue(e.problems().contains("--set: tls.cert_chain: tls.cert_chain and tls.key must be set together"),
        e.problems().toString());
    assertTrue(e.problems().contains("--set: queue.min_backoff: must not exceed queue.max_backoff"), e.problems().toString());
    assertTrue(e.problems().contains("--set: inbound.max_body_memory: must be at least inbound.max_message_size, or a"
        + " message of the largest size allowed could never be accepted"), e.problems().toString());
  }

  @Test
  void theMessageMemoryBudgetDefaultsToAQuarterOfTheHeap() throws ConfigException {
    assertEquals(Runtime.getRuntime().maxMemory() / 4, ConfigLoader.load(null, List.of()).inbound().bodyMemoryLimit());
    assertEquals(64L << 20, ConfigLoader.load(null, List.of("inbound.max_body_memory=64m")).inbound().bodyMemoryLimit());
  }

  @Test
  void theMetricsListenerStaysOnLoopbackUnlessAllowed() throws ConfigException {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("node.metrics_listen=0.0.0.0:9587")));
    assertEquals(List.of("--set: node.metrics_listen: 0.0.0.0 is not a loopback address; set"
        + " node.metrics_allow_remote = yes to let the network read the metrics and health endpoints there"), e.problems());
    ConfigLoader.load(null, List.of("node.metrics_listen=0.0.0.0:9587", "node.metrics_allow_remote=yes"));
    ConfigLoader.load(null, List.of("node.metrics_listen="));
    assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("node.metrics_listen=localhost:9587")));
  }

  @Test
  void groupsNeedTheOpenSslEngine() throws ConfigException {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("tls.engine=jdk", "tls.groups=X25519")));
    assertEquals(List.of("--set: tls.groups: applies to tls.engine = openssl only; the JDK engine of Java 17"
        + " takes its groups from the jdk.tls.namedGroups system property"), e.problems());
    assertEquals(List.of("X25519"), ConfigLoader.load(null, List.of("tls.groups=X25519")).tls().groups());
    assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("tls.groups=X25519Kyber")));
  }

  @Test
  void dnssecTrustsOnlyResolversOnLoopback() throws ConfigException {
    ConfigException none = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("outbound.dns_support_level=dnssec")));
    assertEquals(List.of("--set: outbound.dns_support_level: dnssec needs outbound.dns_servers naming the validating"
        + " resolvers on loopback (e.g. 127.0.0.1 for a local unbound)"), none.problems());
    ConfigException remote = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
        List.of("outbound.dns_support_level=dnssec", "outbound.dns_servers=127.0.0.1,192.0.2.53")));
    assertEquals(List.of("--set: outbound.dns_support_level: dnssec trusts the AD bit of outbound.dns_servers, but"
        + " 192.0.2.53 is not a loopback address: its answers could be forged on the way"), remote.problems());
    assertTrue(ConfigLoader.load(null, List.of("outbound.dns_support_level=dnssec", "outbound.dns_servers=127.0.0.1:5353,::1"))
        .outbound().dnssec());
    assertEquals(org.postern.smtp.TlsLevel.DANE_ONLY,
        ConfigLoader.load(null, List.of("policy.destination_tls_level=dane-only")).policy().destinationTlsLevel());
  }

  @Test
  void oldTlsVersionsAreNotAValue() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("tls.protocols=TLSv1.1")));
    assertEquals(List.of("--set: tls.protocols: expected one of TLSv1.2, TLSv1.3, got 'TLSv1.1'"), e.problems());
  }

  @Test
  void missingFileIsOneClearLine() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("nope.conf"), List.of()));
    assertEquals(List.of(dir.resolve("nope.conf") + ": no such file"), e.problems());
  }

  @Test
  void cidrMatching() {
    assertTrue(Cidr.parse("10.0.0.0/8").contains("10.255.1.2"));
    assertTrue(!Cidr.parse("10.0.0.0/8").contains("11.0.0.1"));
    assertTrue(Cidr.parse("127.0.0.0/8").contains("::ffff:127.0.0.1"), "v4-mapped v6 matches the v4 network");
    assertTrue(Cidr.parse("2001:db8::/32").contains("2001:db8:1::5"));
    assertTrue(!Cidr.parse("2001:db8::/32").contains("2001:db9::5"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("mail.example.com/24"), "never a DNS lookup");
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/33"));
  }

  /** Docs are part of the feature: every declared key is documented and in the reference file. */
  @Test
  void everySettingIsDocumentedAndInTheReferenceFile() throws Exception {
    Path repo = Path.of("../..");
    String readme = Files.readString(repo.resolve("config/README.md"));
    String reference = Files.readString(repo.resolve("config/postern.conf"));
    for (Setting<?> s : Settings.all().values()) {
      assertTrue(readme.contains("| `" + s.key() + "` | " + (s.defaultValue().isEmpty() ? "*(empty)*" : "`" + s.defaultValue() + "`")),
          s.key() + " with its default must be in config/README.md");
      assertTrue(reference.contains("\n" + s.key() + " = " + s.defaultValue() + "\n")
              || reference.contains("\n" + s.key() + " =\n"),
          s.key() + " must be in config/postern.conf with its default");
    }
    // And the reference file is itself a valid configuration equal to the defaults.
    assertEquals(ConfigLoader.load(null, List.of()).values(), ConfigLoader.load(repo.resolve("config/postern.conf"), List.of()).values());
  }
}

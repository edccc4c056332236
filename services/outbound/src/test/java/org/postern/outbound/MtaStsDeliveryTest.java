package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.Decision;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.DnsServer;
import org.postern.testkit.FreePorts;
import org.postern.testkit.LoopbackCluster;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.SmtpSink.Options;
import org.postern.testkit.TestCa;
import org.postern.tls.EntrySeal;
import org.postern.tls.ServerCredentials;
import org.postern.tls.TlsEngine;

/**
 * MTA-STS end to end with real peers on loopback: dnsmasq answers the {@code _mta-sts} TXT
 * records and maps the MX and {@code mta-sts.} names to 127.0.0.1, a Python HTTPS server with a
 * certificate from the test CA serves the policies, and real SMTP sinks (with and without
 * STARTTLS, with right and wrong certificates) are the MX hosts. Policy answers with its default
 * level (may), as for a destination without a policy entry.
 */
@ExtendWith(VertxExtension.class)
class MtaStsDeliveryTest {

  private static Path dir;
  private static TestCa ca;
  /** Signs the nodes' event-bus certificates, with which they sign what they share. */
  private static TestCa busCa;
  private static DnsServer dns;
  private static Process https;
  private static Path httpsLog;
  private static int httpsPort;

  private final List<SmtpSink> sinks = new ArrayList<>();
  private final List<String> transport = new ArrayList<>();
  private LogCapture log;
  private String deployment;
  private Path cacheFile;

  @BeforeAll
  static void peers() throws Exception {
    dir = Files.createTempDirectory("postern-sts");
    ca = TestCa.create(dir, "STS Test CA");
    busCa = TestCa.create(dir, "Bus CA");
    List<String> records = new ArrayList<>();
    String[] domains = {"enforce", "mismatch", "plain", "badcert", "testing", "redirect", "big", "cached", "wrongname",
        "html"};
    for (String d : domains) {
      String domain = d + ".test";
      records.add("--mx-host=" + domain + ",mx." + domain + ",10");
      records.add("--host-record=mx." + domain + ",127.0.0.1");
      records.add("--host-record=mta-sts." + domain + ",127.0.0.1");
      records.add("--txt-record=_mta-sts." + domain + ",v=STSv1; id=" + (d.equals("cached") ? "new" : d + "1") + ";");
    }
    dns = DnsServer.start(records);
    Path root = Files.createDirectories(dir.resolve("www"));
    policy(root, "enforce", "enforce", "mx.enforce.test");
    policy(root, "mismatch", "enforce", "*.elsewhere.test");
    policy(root, "plain", "enforce", "mx.plain.test");
    policy(root, "badcert", "enforce", "*.badcert.test");
    policy(root, "testing", "testing", "mx.testing.test");
    policy(root, "wrongname", "enforce", "*.elsewhere.test");
    Files.writeString(root.resolve("mta-sts.html.test.html"), "version: STSv1\nmode: enforce\nmx: *.elsewhere.test\n"
        + "max_age: 86400\n");
    Files.writeString(root.resolve("mta-sts.redirect.test.redirect"), "https://mta-sts.mismatch.test/.well-known/mta-sts.txt");
    Files.writeString(root.resolve("mta-sts.big.test.big"), "");
    // Every policy host but mta-sts.wrongname.test is in the certificate.
    List<String> names = new ArrayList<>();
    for (String d : domains) {
      if (!d.equals("wrongname")) {
        names.add("mta-sts." + d + ".test");
      }
    }
    TestCa.Issued cert = ca.issueServer("mta-sts.enforce.test", names.toArray(String[]::new));
    Path script = dir.resolve("sts_https.py");
    try (InputStream in = MtaStsDeliveryTest.class.getResourceAsStream("sts_https.py")) {
      Files.copy(in, script);
    }
    httpsPort = FreePorts.loopback();
    httpsLog = dir.resolve("https.log");
    https = new ProcessBuilder("python3", script.toString(), root.toString(), String.valueOf(httpsPort),
        cert.chain().toString(), cert.key().toString()).redirectError(httpsLog.toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(https.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (!"ready".equals(line)) {
      throw new IllegalStateException("the HTTPS policy server did not start: " + Files.readString(httpsLog));
    }
  }

  private static void policy(Path root, String d, String mode, String... mx) throws IOException {
    StringBuilder sb = new StringBuilder("version: STSv1\r\nmode: " + mode + "\r\n");
    for (String m : mx) {
      sb.append("mx: ").append(m).append("\r\n");
    }
    Files.writeString(root.resolve("mta-sts." + d + ".test.txt"), sb.append("max_age: 86400\r\n").toString());
  }

  @AfterAll
  static void stopPeers() {
    if (https != null) {
      https.destroy();
    }
    if (dns != null) {
      dns.close();
    }
  }

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    log = new LogCapture();
    cacheFile = Files.createTempDirectory(dir, "cache").resolve("mta-sts.cache");
    standIns(vertx);
  }

  /** Policy as for a destination without an entry: the default level, may. */
  private static void standIns(Vertx vertx) throws Exception {
    Contracts.register(vertx);
    DestinationTls byDefault = new DestinationTls(TlsLevel.MAY, DestinationTls.DEFAULT_RULE + "=may");
    vertx.eventBus().<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS, m -> m.reply(byDefault))
        .completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().<TargetTlsCheck>consumer(TargetTlsCheck.ADDRESS, m -> m.reply(byDefault))
        .completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().<ServerTlsCheck>consumer(ServerTlsCheck.ADDRESS, m -> {
      TlsVerdict ok = new TlsVerdict(Decision.ACCEPT, null, "test");
      m.reply(new ServerTlsVerdict(ok, m.body().recipients().stream().map(r -> ok).toList()));
    }).completion().await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() {
    log.close();
    sinks.forEach(SmtpSink::close);
  }

  /** A sink for {@code domain}'s MX: STARTTLS with a certificate for {@code certName}, or plaintext when null. */
  private SmtpSink mx(String domain, String certName) {
    SmtpSink sink;
    if (certName == null) {
      sink = SmtpSink.start(Options.defaults());
    } else {
      TestCa.Issued cert = ca.issueServer(certName);
      sink = SmtpSink.startWithCertificate(Options.starttls(true), cert.chain(), cert.key());
    }
    sinks.add(sink);
    transport.add(domain + "=" + domain + ":" + sink.port());
    return sink;
  }

  private void deploy(Vertx vertx) throws Exception {
    deploy(vertx, cacheFile);
  }

  private void deploy(Vertx vertx, Path cacheFile) throws Exception {
    deploy(vertx, cacheFile, null);
  }

  /** With {@code node} as this node's event-bus certificate (signed by {@link #busCa}), or none. */
  private void deploy(Vertx vertx, Path cacheFile, TestCa.Issued node) throws Exception {
    List<String> settings = new ArrayList<>(List.of("outbound.connect_timeout=5s",
        "outbound.command_timeout=10s", "outbound.starttls_timeout=10s", "outbound.dns_servers=" + dns.address(),
        "outbound.transport=" + String.join(",", transport), "outbound.tls_ca_file=" + ca.certificatePath(),
        "outbound.mta_sts_ca_file=" + ca.certificatePath(), "outbound.mta_sts_fetch_timeout=10s",
        "outbound.mta_sts_cache_file=" + cacheFile));
    if (node != null) {
      settings.addAll(List.of("cluster.bus_cert_chain=" + node.chain(), "cluster.bus_key=" + node.key(),
          "cluster.bus_ca_file=" + busCa.certificatePath()));
    }
    PosternConfig config = ConfigLoader.load(null, settings);
    deployment = vertx.deployVerticle(new OutboundVerticle(config.outbound(), config.tls(), "postern.test",
        TlsEngine.choose(config.tls().engine()), v -> VertxDns.create(v, config.outbound().dnsServers()), httpsPort)
        .sealingWith(config.cluster()))
        .await(20, TimeUnit.SECONDS);
  }

  private RecipientResult deliver(Vertx vertx, String domain) throws Exception {
    DeliveryRequest request = Harness.request("Subject: t\r\n\r\nx\r\n", "ok@" + domain);
    DeliveryReport report = Contracts.request(vertx, DeliveryRequest.ADDRESS, request, Harness.WAIT,
        DeliveryReport.class).await(Harness.WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    return report.results().get(0);
  }

  private boolean logged(String... fragments) {
    return log.lines().stream().anyMatch(l -> List.of(fragments).stream().allMatch(l::contains));
  }

  private String logText() {
    return String.join("\n", log.lines());
  }

  private static long policyRequests(String host) throws IOException {
    return Files.readAllLines(httpsLog).stream().filter(l -> l.startsWith("GET " + host + " ")).count();
  }

  @Test
  void enforceWithAMatchingMxAndAValidCertificateDelivers(Vertx vertx) throws Exception {
    SmtpSink sink = mx("enforce.test", "mx.enforce.test");
    deploy(vertx);
    RecipientResult r = deliver(vertx, "enforce.test");

    assertEquals(Status.SENT, r.status(), r + "\n" + logText());
    assertEquals(1, sink.awaitMessages(1, Harness.WAIT).size());
    assertTrue(logged("MTA-STS: fetched the policy of enforce.test", "mode=enforce id=enforce1"), logText());
    assertTrue(logged("MTA-STS enforce for enforce.test", "matched MX mx.enforce.test"), logText());
    assertTrue(logged("verify=OK"), logText());
  }

  @Test
  void enforceDefersWhenNoMxMatchesThePolicy(Vertx vertx) throws Exception {
    RecipientResult r = deferredUnsent(vertx, "mismatch.test", "mx.mismatch.test", "4.7.0");
    assertEquals(451, r.reply().code());
    assertTrue(logged("MTA-STS failed", "mx=mx.mismatch.test", "result=validation-failure"), logText());
  }

  @Test
  void enforceNeverFallsBackToPlaintext(Vertx vertx) throws Exception {
    deferredUnsent(vertx, "plain.test", null, "4.7.4");
    assertTrue(logged("MTA-STS failed", "result=starttls-not-supported"), logText());
  }

  @Test
  void enforceDefersACertificateNotValidForTheMxName(Vertx vertx) throws Exception {
    RecipientResult r = deferredUnsent(vertx, "badcert.test", "someone-else.test", "4.7.5");
    assertTrue(r.reply().text().contains("does not match hostname"), r.toString());
    assertTrue(logged("MTA-STS failed", "mx=mx.badcert.test", "result=certificate-host-mismatch"), logText());
  }

  /** Delivers to {@code domain}'s MX ({@link #mx}); expects a deferral with {@code enhanced} and nothing sent. */
  private RecipientResult deferredUnsent(Vertx vertx, String domain, String certName, String enhanced)
      throws Exception {
    SmtpSink sink = mx(domain, certName);
    deploy(vertx);
    RecipientResult r = deliver(vertx, domain);

    assertEquals(Status.DEFERRED, r.status(), r + "\n" + logText());
    assertEquals(enhanced, r.reply().enhanced(), r.toString());
    assertEquals(List.of(), sink.received());
    return r;
  }

  @Test
  void testingDeliversAndRecordsWhatWouldHaveFailed(Vertx vertx) throws Exception {
    SmtpSink sink = mx("testing.test", null);
    deploy(vertx);
    RecipientResult r = deliver(vertx, "testing.test");

    assertEquals(Status.SENT, r.status(), r + "\n" + logText());
    assertEquals(1, sink.awaitMessages(1, Harness.WAIT).size());
    assertTrue(logged("MTA-STS would fail", "domain=testing.test", "policy_id=testing1", "mx=mx.testing.test",
        "result=starttls-not-supported"), logText());
  }

  @Test
  void aRedirectIsNotFollowed(Vertx vertx) throws Exception {
    long before = policyRequests("mta-sts.mismatch.test");
    // The redirect's target holds an enforce policy this MX fails: had it been followed, a deferral.
    deliveredAsWithoutPolicy(vertx, "redirect.test", "result=sts-policy-fetch-error", "redirects are not followed");
    assertEquals(before, policyRequests("mta-sts.mismatch.test"));
  }

  @Test
  void anOversizePolicyIsRefused(Vertx vertx) throws Exception {
    deliveredAsWithoutPolicy(vertx, "big.test", "result=sts-policy-invalid", "larger than 65536 octets");
  }

  @Test
  void aPolicyOfAnotherMediaTypeIsRefused(Vertx vertx) throws Exception {
    deliveredAsWithoutPolicy(vertx, "html.test", "result=sts-policy-invalid", "not text/plain");
  }

  @Test
  void aPolicyHostWhoseCertificateLacksItsNameIsNotBelieved(Vertx vertx) throws Exception {
    deliveredAsWithoutPolicy(vertx, "wrongname.test", "result=sts-webpki-invalid");
  }

  /**
   * A policy that must not be believed: the mail goes in plaintext to an MX that every served
   * policy would refuse, and the log says why no policy was had.
   */
  private void deliveredAsWithoutPolicy(Vertx vertx, String domain, String... why) throws Exception {
    SmtpSink sink = mx(domain, null);
    deploy(vertx);
    RecipientResult r = deliver(vertx, domain);

    assertEquals(Status.SENT, r.status(), r + "\n" + logText());
    assertEquals(1, sink.awaitMessages(1, Harness.WAIT).size());
    List<String> fragments = new ArrayList<>(List.of("MTA-STS policy not fetched", "domain=" + domain));
    fragments.addAll(List.of(why));
    assertTrue(logged(fragments.toArray(String[]::new)), logText());
  }

  @Test
  void aCachedPolicyOutlivesAFailedRefresh(Vertx vertx) throws Exception {
    // Cached under id "old" by an earlier run; the TXT record now says "new", and the policy host
    // answers 404.
    long now = System.currentTimeMillis();
    Files.writeString(cacheFile, "{\"domain\":\"cached.test\",\"id\":\"old\",\"mode\":\"enforce\","
        + "\"mx\":[\"*.elsewhere.test\"],\"max_age\":86400,\"fetched\":" + now + ",\"expires\":"
        + (now + 86_400_000L) + "}\n");
    SmtpSink sink = mx("cached.test", null);
    deploy(vertx);
    RecipientResult r = deliver(vertx, "cached.test");

    assertEquals(Status.DEFERRED, r.status(), r + "\n" + logText());
    assertEquals("4.7.0", r.reply().enhanced(), r.toString());
    assertTrue(logged("MTA-STS: 1 cached policy read from"), logText());
    assertTrue(logged("policy id of cached.test changed from old to new"), logText());
    assertTrue(logged("domain=cached.test", "result=sts-policy-fetch-error", "answered 404"), logText());
    assertTrue(logged("MTA-STS enforce for cached.test", "(cached, refresh failed)"), logText());
    assertEquals(List.of(), sink.received());
  }

  @Test
  void aPolicyNearItsExpiryIsUsedAndRefreshedInTheBackground(Vertx vertx) throws Exception {
    // Fetched 23 hours ago with a max_age of a day: in the last quarter.
    long fetched = System.currentTimeMillis() - 23 * 3_600_000L;
    Files.writeString(cacheFile, "{\"domain\":\"enforce.test\",\"id\":\"enforce1\",\"mode\":\"enforce\","
        + "\"mx\":[\"mx.enforce.test\"],\"max_age\":86400,\"fetched\":" + fetched + ",\"expires\":"
        + (fetched + 86_400_000L) + "}\n");
    SmtpSink sink = mx("enforce.test", "mx.enforce.test");
    long before = policyRequests("mta-sts.enforce.test");
    deploy(vertx);
    RecipientResult r = deliver(vertx, "enforce.test");

    assertEquals(Status.SENT, r.status(), r + "\n" + logText());
    assertEquals(1, sink.awaitMessages(1, Harness.WAIT).size());
    assertTrue(logged("the policy of enforce.test expires in", "refreshing it"), logText());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!logged("MTA-STS: fetched the policy of enforce.test")) {
      assertTrue(System.nanoTime() < deadline, logText());
      Thread.sleep(10);
    }
    assertEquals(before + 1, policyRequests("mta-sts.enforce.test"));
  }

  @Test
  void aFetchedPolicySurvivesARestartAndIsNotFetchedAgain(Vertx vertx) throws Exception {
    SmtpSink sink = mx("enforce.test", "mx.enforce.test");
    long before = policyRequests("mta-sts.enforce.test");
    deploy(vertx);
    assertEquals(Status.SENT, deliver(vertx, "enforce.test").status(), logText());
    assertEquals(before + 1, policyRequests("mta-sts.enforce.test"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(Files.exists(cacheFile) && Files.readString(cacheFile).contains("\"enforce.test\""))) {
      assertTrue(System.nanoTime() < deadline, "the cache file was not written");
      Thread.sleep(10);
    }
    vertx.undeploy(deployment).await(20, TimeUnit.SECONDS);

    deploy(vertx);
    assertEquals(Status.SENT, deliver(vertx, "enforce.test").status(), logText());
    assertEquals(2, sink.awaitMessages(2, Harness.WAIT).size());
    assertTrue(logged("MTA-STS enforce for enforce.test", "mode=enforce id=enforce1", "(cached)"), logText());
    assertEquals(before + 1, policyRequests("mta-sts.enforce.test"), "fetched again after the restart");
  }

  @Test
  void theClusterFetchesAPolicyOnceAndEveryNodeUsesIt() throws Exception {
    int[] ports = {FreePorts.loopback(), FreePorts.loopback()};
    String cluster = "postern-test-" + UUID.randomUUID();
    List<Vertx> nodes = new ArrayList<>();
    try {
      nodes.add(LoopbackCluster.join(cluster, ports[0], ports));
      nodes.add(LoopbackCluster.join(cluster, ports[1], ports));
      SmtpSink sink = mx("enforce.test", "mx.enforce.test");
      long before = policyRequests("mta-sts.enforce.test");
      for (int i = 0; i < nodes.size(); i++) {
        standIns(nodes.get(i));
        // Each node its own cache file: what the second one knows, it knows through the cluster.
        deploy(nodes.get(i), Files.createTempDirectory(dir, "node").resolve("mta-sts.cache"),
            busCa.issueNode("node" + i + ".test"));
      }
      assertTrue(logged("MTA-STS policies are cached cluster-wide"), logText());

      assertEquals(Status.SENT, deliver(nodes.get(0), "enforce.test").status(), logText());
      assertTrue(logged("MTA-STS: fetched the policy of enforce.test", "shared with the cluster"), logText());
      assertEquals(Status.SENT, deliver(nodes.get(1), "enforce.test").status(), logText());
      assertEquals(2, sink.awaitMessages(2, Harness.WAIT).size());

      assertTrue(logged("MTA-STS enforce for enforce.test", "mode=enforce id=enforce1", "(cluster)"), logText());
      assertEquals(before + 1, policyRequests("mta-sts.enforce.test"), "each node fetched the policy");
    } finally {
      for (Vertx node : nodes) {
        node.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aClusterEntryNotSignedByANodeOfTheBusCaChangesNoDelivery() throws Exception {
    int[] ports = {FreePorts.loopback(), FreePorts.loopback()};
    String cluster = "postern-test-" + UUID.randomUUID();
    List<Vertx> nodes = new ArrayList<>();
    try {
      nodes.add(LoopbackCluster.join(cluster, ports[0], ports));
      // A member that knows the cluster's name and reaches Hazelcast's port, with a certificate
      // from another CA: it writes "mode none" for two domains whose real policies are enforce.
      Vertx rogue = LoopbackCluster.join(cluster, ports[1], ports);
      nodes.add(rogue);
      TestCa otherCa = TestCa.create(dir, "Other CA");
      TestCa.Issued rogueCert = otherCa.issueNode("rogue.test");
      EntrySeal rogueSeal = new EntrySeal(ServerCredentials.load(rogueCert.chain(), rogueCert.key(), "rogue"),
          Set.of(otherCa.certificate()));
      var map = rogue.sharedData().<String, String>getClusterWideMap("postern.outbound.mta-sts.v1")
          .await(20, TimeUnit.SECONDS);
      map.put("mismatch.test", rogueSeal.seal("postern.outbound.mta-sts.v1", none("mismatch.test", "mismatch1")))
          .await(20, TimeUnit.SECONDS);
      map.put("plain.test", none("plain.test", "plain1")).await(20, TimeUnit.SECONDS);

      SmtpSink mismatch = mx("mismatch.test", "mx.mismatch.test");
      SmtpSink plain = mx("plain.test", null);
      standIns(nodes.get(0));
      deploy(nodes.get(0), cacheFile, busCa.issueNode("node0.test"));

      RecipientResult r = deliver(nodes.get(0), "mismatch.test");
      assertEquals(Status.DEFERRED, r.status(), r + "\n" + logText());
      assertEquals("4.7.0", r.reply().enhanced(), r.toString());
      assertTrue(logged("ignoring the cluster's entry for mismatch.test", "not signed by a CA of cluster.bus_ca_file"),
          logText());
      r = deliver(nodes.get(0), "plain.test");
      assertEquals(Status.DEFERRED, r.status(), r + "\n" + logText());
      assertEquals("4.7.4", r.reply().enhanced(), r.toString());
      assertTrue(logged("ignoring the cluster's entry for plain.test", "not a signed entry"), logText());
      assertEquals(List.of(), mismatch.received());
      assertEquals(List.of(), plain.received());
    } finally {
      for (Vertx node : nodes) {
        node.close().await(30, TimeUnit.SECONDS);
      }
    }
  }

  /** A cache entry that says the domain has withdrawn its policy, valid for a day. */
  private static String none(String domain, String id) {
    long now = System.currentTimeMillis();
    return "{\"domain\":\"" + domain + "\",\"id\":\"" + id + "\",\"mode\":\"none\",\"mx\":[],\"max_age\":86400,"
        + "\"fetched\":" + now + ",\"expires\":" + (now + 86_400_000L) + "}";
  }
}

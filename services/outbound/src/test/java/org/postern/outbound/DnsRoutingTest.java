package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.config.HostPort;
import org.postern.config.TransportTable;
import org.postern.smtp.TlsLevel;
import org.postern.testkit.DnsServer;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;
import org.postern.testkit.SmtpSink.Options;

/**
 * Routing through a real DNS server (dnsmasq on 127.0.0.1) and the production resolver (Vert.x's
 * non-blocking DNS client, pointed there by outbound.dns_servers), to real SMTP peers on
 * 127.0.0.1, 127.0.0.2, 127.0.0.3 and ::1. MX records carry no port, so the transport table sends
 * each test domain to its own MX lookup with the peers' port ({@code d.test=d.test:port}).
 */
@ExtendWith(VertxExtension.class)
class DnsRoutingTest {

  private static DnsServer dns;

  private Harness harness;

  @BeforeAll
  static void startDns() {
    dns = DnsServer.start(List.of(
        // Preference order: the preferred MX has nothing listening.
        "--mx-host=pref.test,first.pref.test,10", "--mx-host=pref.test,second.pref.test,20",
        "--host-record=first.pref.test,127.0.0.2", "--host-record=second.pref.test,127.0.0.1",
        // Equal preferences.
        "--mx-host=equal.test,a.equal.test,10", "--mx-host=equal.test,b.equal.test,10",
        "--host-record=a.equal.test,127.0.0.1", "--host-record=b.equal.test,127.0.0.3",
        // A preferred MX that answers 4xx.
        "--mx-host=busy.test,busy.busy.test,10", "--mx-host=busy.test,ok.busy.test,20",
        "--host-record=busy.busy.test,127.0.0.2", "--host-record=ok.busy.test,127.0.0.1",
        // No MX at all: the domain's own address (implicit MX).
        "--host-record=implicit.test,127.0.0.1",
        // RFC 7505 null MX.
        "--mx-host=null.test,.,0",
        // The MX name is a CNAME to a CNAME to the host.
        "--mx-host=cname.test,mail.cname.test,10", "--host-record=real.cname.test,127.0.0.1",
        "--cname=hop.cname.test,real.cname.test", "--cname=mail.cname.test,hop.cname.test",
        // IPv6 only.
        "--mx-host=v6.test,mx.v6.test,10", "--host-record=mx.v6.test,::1"));
  }

  @AfterAll
  static void stopDns() {
    if (dns != null) {
      dns.close();
    }
  }

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    harness = new Harness(vertx, TlsLevel.MAY);
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void triesMxHostsInPreferenceOrderAndFallsBackWhenTheFirstIsDown(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      deploy(sink.port(), "pref.test");
      RecipientResult r = harness.deliverOne("pref.test");

      assertEquals(Status.SENT, r.status(), r + "\n" + dns.log());
      assertEquals("second.pref.test[127.0.0.1]:" + sink.port(), r.relay());
      assertEquals(1, sink.awaitMessages(1, Harness.WAIT).size());
      // The preferred MX was asked for first (and refused the connection).
      String log = dns.log();
      assertTrue(log.indexOf("first.pref.test") >= 0 && log.indexOf("first.pref.test") < log.indexOf("query[A] second"),
          log);
    }
  }

  @Test
  void fallsBackToTheNextMxWhenTheFirstAnswers4xxToMail(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      ScriptedSmtpServer busy = ScriptedSmtpServer.start(vertx, "127.0.0.2", sink.port(),
          ScriptedSmtpServer.Script.standard().withoutStarttls().replying("MAIL", "451 4.3.2 busy, try another"))
          .await(10, TimeUnit.SECONDS);
      deploy(sink.port(), "busy.test");
      RecipientResult r = harness.deliverOne("busy.test");

      assertEquals(Status.SENT, r.status(), r.toString());
      assertEquals("ok.busy.test[127.0.0.1]:" + sink.port(), r.relay());
      assertTrue(busy.commands().stream().anyMatch(c -> c.startsWith("MAIL FROM:")), busy.commands().toString());
      assertTrue(busy.commands().stream().noneMatch(c -> c.startsWith("RCPT")), busy.commands().toString());
    }
  }

  @Test
  void deliversToTheDomainsOwnAddressWhenItHasNoMx(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      deploy(sink.port(), "implicit.test");
      RecipientResult r = harness.deliverOne("implicit.test");

      assertEquals(Status.SENT, r.status(), r.toString());
      assertEquals("implicit.test[127.0.0.1]:" + sink.port(), r.relay());
    }
  }

  @Test
  void bouncesANullMxAtOnceWithoutConnecting(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      deploy(sink.port(), "null.test");
      RecipientResult r = harness.deliverOne("null.test");

      assertEquals(Status.BOUNCED, r.status(), r.toString());
      assertEquals(556, r.reply().code());
      assertEquals("5.1.10", r.reply().enhanced());
      assertEquals("none", r.relay());
      assertEquals(List.of(), sink.received());
      assertTrue(!dns.log().contains("query[A] null.test"), "looked for an address after a null MX");
    }
  }

  @Test
  void followsACnameChainFromTheMxName(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      deploy(sink.port(), "cname.test");
      RecipientResult r = harness.deliverOne("cname.test");

      assertEquals(Status.SENT, r.status(), r + "\n" + dns.log());
      assertEquals("mail.cname.test[127.0.0.1]:" + sink.port(), r.relay());
    }
  }

  @Test
  void deliversOverIpv6(Vertx vertx) throws Exception {
    int port = FreePorts.loopback();
    ScriptedSmtpServer server = ScriptedSmtpServer.start(vertx, "::1", port,
        ScriptedSmtpServer.Script.standard().withoutStarttls()).await(10, TimeUnit.SECONDS);
    deploy(port, "v6.test");
    RecipientResult r = harness.deliverOne("v6.test");

    assertEquals(Status.SENT, r.status(), r.toString());
    assertEquals("mx.v6.test[0:0:0:0:0:0:0:1]:" + port, r.relay().replace("[::1]", "[0:0:0:0:0:0:0:1]"));
    assertEquals(1, server.messages().size());
  }

  @Test
  void aBracketedTransportHostIsResolvedThroughTheHostsFile(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      // The configured DNS server does not know localhost (dnsmasq runs with --no-hosts); only
      // the system's resolver, which reads /etc/hosts, does.
      harness.deploy("outbound.dns_servers=" + dns.address(), "outbound.transport=*=[localhost]:" + sink.port());
      RecipientResult r = harness.deliverOne("example.net");

      assertEquals(Status.SENT, r.status(), r + "\n" + dns.log());
      assertEquals("localhost[127.0.0.1]:" + sink.port(), r.relay());
      assertEquals(1, sink.awaitMessages(1, Harness.WAIT).size());
    }
  }

  @Test
  void aBracketedTransportHostOnlyTheConfiguredDnsKnowsStillResolves(Vertx vertx) throws Exception {
    try (SmtpSink sink = SmtpSink.start(Options.defaults())) {
      harness.deploy("outbound.dns_servers=" + dns.address(), "outbound.transport=*=[implicit.test]:" + sink.port());
      RecipientResult r = harness.deliverOne("example.net");

      assertEquals(Status.SENT, r.status(), r + "\n" + dns.log());
      assertEquals("implicit.test[127.0.0.1]:" + sink.port(), r.relay());
    }
  }

  @Test
  void spreadsOverMxHostsOfEqualPreference(Vertx vertx) throws Exception {
    VertxDns resolver = VertxDns.create(vertx, List.of(new HostPort("127.0.0.1", dns.port())));
    Router router = new Router(TransportTable.empty(), resolver, new Random(42));
    Set<String> firsts = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      List<Target> targets = router.route("equal.test").await(10, TimeUnit.SECONDS);
      assertEquals(Set.of("a.equal.test", "b.equal.test"), Set.copyOf(targets.stream().map(Target::host).toList()));
      firsts.add(targets.get(0).host());
    }
    assertEquals(Set.of("a.equal.test", "b.equal.test"), firsts);
  }

  @Test
  void bouncesADomainThatDoesNotExist(Vertx vertx) {
    VertxDns resolver = VertxDns.create(vertx, List.of(new HostPort("127.0.0.1", dns.port())));
    Router router = new Router(TransportTable.empty(), resolver, new Random());
    Throwable t = router.route("nothere.test").transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause()))
        .await();
    DeliveryFailure f = assertInstanceOf(DeliveryFailure.class, t);
    assertEquals("5.4.4", f.reply().enhanced());
  }

  private void deploy(int port, String domain) throws Exception {
    harness.deploy("outbound.dns_servers=" + dns.address(), "outbound.transport=" + domain + "=" + domain + ":" + port);
  }
}

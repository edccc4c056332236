package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.QueueIds;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.smtp.Path;
import org.postern.smtp.TlsLevel;
import org.postern.tls.TlsEngine;

/**
 * The outbound verticle as the delivery tests drive it: a stand-in for policy's TLS level, the
 * verticle deployed with given settings, requests sent over the bus, and the outbound log kept.
 * Close it after each test (it removes its log handler).
 */
final class Harness implements AutoCloseable {

  static final Duration WAIT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private String deployment;
  private final LogCapture log = new LogCapture();

  Harness(Vertx vertx, TlsLevel level) throws Exception {
    this.vertx = vertx;
    Contracts.register(vertx);
    vertx.eventBus().<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS,
        m -> m.reply(new DestinationTls(level, "test"))).completion().await(10, TimeUnit.SECONDS);
    TlsPolicyStandIn.answer(vertx, level);
  }

  /** Deploys outbound with short timeouts plus {@code settings}; the DNS is the configured one. */
  Harness deploy(String... settings) throws Exception {
    return deploy(null, settings);
  }

  /** With a fixed resolver, or null for the real one (outbound.dns_servers). */
  Harness deploy(Function<Vertx, Dns> dns, String... settings) throws Exception {
    List<String> all = new ArrayList<>(List.of("outbound.connect_timeout=5s", "outbound.command_timeout=10s",
        "outbound.starttls_timeout=10s"));
    all.addAll(List.of(settings));
    PosternConfig config = ConfigLoader.load(null, all);
    TlsEngine engine = TlsEngine.choose(config.tls().engine());
    OutboundVerticle verticle = dns == null
        ? new OutboundVerticle(config.outbound(), config.tls(), "postern.test", engine)
        : new OutboundVerticle(config.outbound(), config.tls(), "postern.test", engine, dns);
    deployment = vertx.deployVerticle(verticle).await(20, TimeUnit.SECONDS);
    return this;
  }

  /** Undeploys the outbound verticle deployed last. */
  void undeploy() throws Exception {
    vertx.undeploy(deployment).await(20, TimeUnit.SECONDS);
  }

  static DeliveryRequest request(String body, String... recipients) {
    return request(Buffer.buffer(body), Map.of(), recipients);
  }

  static DeliveryRequest request(Buffer body, Map<String, String> params, String... recipients) {
    List<Path> rcpts = new ArrayList<>();
    for (String r : recipients) {
      rcpts.add(Path.parseMailbox(r));
    }
    return new DeliveryRequest(QueueIds.next(), Path.parseMailbox("sender@example.org"), rcpts, params,
        org.postern.bus.MessageBody.of(body), 1);
  }

  DeliveryReport deliver(DeliveryRequest request) throws Exception {
    DeliveryReport report = Contracts.request(vertx, DeliveryRequest.ADDRESS, request, WAIT, DeliveryReport.class)
        .await(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    assertEquals(request.recipients().size(), report.results().size(), report.toString());
    return report;
  }

  /** One recipient, {@code ok@<domain>}, a small 7-bit message. */
  RecipientResult deliverOne(String domain) throws Exception {
    return deliver(request("Subject: t\r\n\r\nx\r\n", "ok@" + domain)).results().get(0);
  }

  List<String> log() {
    return log.lines();
  }

  boolean logged(String fragment) {
    return log().stream().anyMatch(l -> l.contains(fragment));
  }

  /** Whether a line matches {@code regex} whole. */
  boolean loggedMatching(String regex) {
    return log().stream().anyMatch(l -> l.matches(regex));
  }

  String logText() {
    return String.join("\n", log());
  }

  @Override
  public void close() {
    log.close();
  }
}

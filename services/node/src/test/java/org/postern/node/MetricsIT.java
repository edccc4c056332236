package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.PrometheusParser;
import org.postern.testkit.SmtpSink;

/**
 * A real node (the packaged jar through deploy/postern) relaying real mail to a real sink, its
 * metrics listener scraped by a real HTTP client and read by Prometheus's own parser: health
 * endpoints and JVM figures without a token, the admin API's paths refused there, and the admin
 * listener still demanding its token.
 */
class MetricsIT {

  @TempDir
  static Path work;

  static SmtpSink sink;
  static NodeProcess node;
  static int smtpPort;
  static int metricsPort;
  static int adminPort;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startNodeAndSink() throws Exception {
    sink = SmtpSink.start(SmtpSink.Options.starttls(true));
    smtpPort = FreePorts.loopback();
    metricsPort = FreePorts.loopback();
    adminPort = FreePorts.loopback();
    node = NodeProcess.start(work, List.of(
        "inbound.listeners=127.0.0.1:" + smtpPort + " may",
        "outbound.transport=*=[127.0.0.1]:" + sink.port(),
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "node.metrics_listen=127.0.0.1:" + metricsPort,
        "node.admin_listen=127.0.0.1:" + adminPort,
        "queue.spool_dir=" + work.resolve("data/spool"),
        // Loopback is a stranger here: it may relay to example.net only, and is held to one session.
        "policy.trusted_networks=192.0.2.0/24",
        "policy.relay_domains=example.net",
        "inbound.max_connections_per_ip=1"));
    node.awaitLog("node started", Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (sink != null) {
      sink.close();
    }
  }

  static HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonObject scrape() throws Exception {
    HttpResponse<String> r = get(metricsPort, "/metrics", null);
    assertEquals(200, r.statusCode(), r.body());
    return PrometheusParser.parse(work, r.body());
  }

  /** The value of {@code sample} with {@code labels} (summed over other labels) in a fresh scrape. */
  static double now(String sample, Map<String, String> labels) throws Exception {
    return PrometheusParser.value(scrape(), sample, labels);
  }

  /** Scrapes until {@code sample} reaches {@code want}; fails with the last value at the deadline. */
  static void awaitValue(String sample, Map<String, String> labels, double want) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    double have;
    while ((have = now(sample, labels)) != want) {
      assertTrue(System.nanoTime() < deadline, sample + labels + " is " + have + ", expected " + want);
      Thread.onSpinWait();
    }
  }

  @Test
  void relayedMailMovesTheCountersByTheRightAmounts() throws Exception {
    Map<String, String> none = Map.of();
    Map<String, String> rcptRefused = Map.of("command", "RCPT", "code", "554", "status", "5.7.1");
    Map<String, String> inboundTls = Map.of("side", "inbound", "result", "ok");
    Map<String, String> outboundTls = Map.of("side", "outbound", "result", "ok");
    Map<String, String> delivered = Map.of("result", "delivered");
    JsonObject before = scrape();

    // A second session from the same address while one is open: refused by the per-client limit.
    try (java.net.Socket held = new java.net.Socket("127.0.0.1", smtpPort)) {
      String greeting = new java.io.BufferedReader(new java.io.InputStreamReader(held.getInputStream())).readLine();
      assertTrue(greeting.startsWith("220 "), greeting);
      try (java.net.Socket extra = new java.net.Socket("127.0.0.1", smtpPort)) {
        String refusal = new java.io.BufferedReader(new java.io.InputStreamReader(extra.getInputStream())).readLine();
        assertTrue(refusal.startsWith("421 4.7.0"), refusal);
      }
    }
    awaitValue("postern_inbound_connections", none, 0);

    byte[] msg = "From: a@example.org\r\nTo: b@example.net\r\nSubject: counted\r\n\r\nhello\r\n"
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Clients.Result one = Clients.smtplib(work, smtpPort, "a@example.org", "b@example.net,victim@elsewhere.test", msg, true);
    assertEquals(0, one.exitCode(), one.output());
    assertTrue(one.output().contains("RCPT victim@elsewhere.test 554 5.7.1"), one.output());
    assertTrue(one.output().contains("DATA 250"), one.output());
    Clients.Result two = Clients.smtplib(work, smtpPort, "a@example.org", "c@example.net", msg, true);
    assertTrue(two.output().contains("DATA 250"), two.output());
    java.util.regex.Matcher tls = java.util.regex.Pattern.compile("TLS (TLSv1\\.[23]) (\\S+)").matcher(two.output());
    assertTrue(tls.find(), two.output());
    sink.awaitMessages(2, Duration.ofSeconds(30));
    awaitValue("postern_queue_deliveries_total", delivered,
        PrometheusParser.value(before, "postern_queue_deliveries_total", delivered) + 2);
    awaitValue("postern_inbound_connections", none, 0);
    JsonObject after = scrape();

    java.util.function.BiFunction<String, Map<String, String>, Double> moved =
        (name, labels) -> PrometheusParser.value(after, name, labels) - PrometheusParser.value(before, name, labels);
    assertEquals(2.0, moved.apply("postern_inbound_messages_received_total", none));
    assertEquals(3.0, moved.apply("postern_inbound_connections_accepted_total", none), "the held one and two smtplib sessions");
    assertEquals(1.0, moved.apply("postern_inbound_connections_refused_total", none));
    assertEquals(1.0, moved.apply("postern_inbound_rejections_total", rcptRefused));
    assertEquals(1.0, moved.apply("postern_inbound_rejections_total",
        Map.of("command", "CONNECT", "code", "421", "status", "4.7.0")), "the refused connection's 421");
    assertEquals(2.0, moved.apply("postern_inbound_data_to_reply_seconds_count", none));
    // smtplib printed the version and cipher it agreed on; both sessions agreed on the same.
    assertEquals(2.0, moved.apply("postern_tls_handshakes_total",
        Map.of("side", "inbound", "result", "ok", "version", tls.group(1), "cipher", tls.group(2))));
    assertEquals(2.0, moved.apply("postern_tls_handshakes_total", inboundTls));
    assertTrue(moved.apply("postern_tls_handshakes_total", outboundTls) >= 1, "the node's own STARTTLS to the sink");
    assertEquals(0.0, moved.apply("postern_tls_handshakes_total", Map.of("result", "failed")));
    assertEquals(2.0, moved.apply("postern_queue_delivery_delay_seconds_count", none));
    assertEquals(0.0, moved.apply("postern_queue_deliveries_total", Map.of("result", "bounced")));
    assertTrue(PrometheusParser.has(after, "postern_queue_oldest_message_age_seconds"), after.fieldNames().toString());
    // Everything was delivered; the queue's census is taken every 5 s.
    awaitValue("postern_queue_messages", none, 0);
  }

  @Test
  void healthAndMetricsWithoutTokenAdminOnlyWithIt() throws Exception {
    node.awaitLog("metrics listener on 127\\.0\\.0\\.1:" + metricsPort, Duration.ofSeconds(5));
    HttpResponse<String> ready = get(metricsPort, "/health/ready", null);
    assertEquals(200, ready.statusCode(), ready.body());
    assertEquals(200, get(metricsPort, "/health/live", null).statusCode());

    JsonObject page = scrape();
    assertTrue(PrometheusParser.value(page, "jvm_memory_used_bytes", Map.of("area", "heap")) > 0, page.encode());
    assertTrue(PrometheusParser.value(page, "jvm_threads_live_threads", Map.of()) > 0, page.encode());
    // A standalone node has no replicas: the cluster's series are not exported.
    assertFalse(PrometheusParser.has(page, "postern_queue_replicated_total"), page.fieldNames().toString());

    for (String path : List.of("/queue", "/status", "/config/show", "/metrics/cluster")) {
      HttpResponse<String> r = get(metricsPort, path, null);
      assertEquals(404, r.statusCode(), path + ": " + r.body());
    }
    String token = Files.readString(work.resolve("data/admin.token")).strip();
    assertEquals(404, get(metricsPort, "/status", token).statusCode(), "not even with the token");

    assertEquals(401, get(adminPort, "/status", null).statusCode());
    HttpResponse<String> status = get(adminPort, "/status", token);
    assertEquals(200, status.statusCode(), status.body());
  }
}

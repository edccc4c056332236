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
        "queue.spool_dir=" + work.resolve("data/spool")));
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

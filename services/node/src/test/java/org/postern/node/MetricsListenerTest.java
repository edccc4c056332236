package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.HostPort;
import org.postern.testkit.PrometheusParser;

/**
 * The metrics listener on a real socket, read by a real HTTP client: readiness answers 503 with
 * the stage the start is in until the node says it is ready, and 503 again once it stops; the
 * metrics page is one Prometheus's parser reads; the admin API's paths are not served here.
 */
class MetricsListenerTest {

  @TempDir
  Path work;

  private Vertx vertx;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Readiness readiness = new Readiness();
  private final HttpClient http = HttpClient.newHttpClient();
  private int port;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    MetricsListener listener = new MetricsListener(new HostPort("127.0.0.1", 0), metrics, readiness);
    vertx.deployVerticle(listener).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    port = listener.port();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readyOnlyOnceTheNodeSaysSoAndNotWhileStopping() throws Exception {
    readiness.starting("queue: recovering the spool");
    HttpResponse<String> r = send("GET", "/health/ready");
    assertEquals(503, r.statusCode(), r.body());
    assertEquals("starting: queue: recovering the spool", new JsonObject(r.body()).getString("reason"));
    assertEquals(200, send("GET", "/health/live").statusCode(), "alive while starting");

    readiness.ready();
    r = send("GET", "/health/ready");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("ok", new JsonObject(r.body()).getString("status"));

    readiness.stopping();
    r = send("GET", "/health/ready");
    assertEquals(503, r.statusCode(), r.body());
    assertEquals("stopping", new JsonObject(r.body()).getString("reason"));
    assertEquals(200, send("GET", "/health/live").statusCode(), "alive while stopping");
  }

  @Test
  void servesTheRegistryAsPrometheusText() throws Exception {
    Counter.builder("postern_test_events").register(metrics).increment(3);
    HttpResponse<String> r = send("GET", "/metrics");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    assertEquals(3.0, PrometheusParser.value(PrometheusParser.parse(work, r.body()), "postern_test_events_total", Map.of()));
  }

  @Test
  void theAdminApiIsNotServedHere() throws Exception {
    for (String path : new String[] {"/queue", "/status", "/reload", "/config/show", "/metrics/cluster", "/"}) {
      for (String method : new String[] {"GET", "POST"}) {
        HttpResponse<String> r = send(method, path);
        assertEquals(404, r.statusCode(), method + " " + path + ": " + r.body());
        assertTrue(r.body().contains("the admin API is on node.admin_listen"), r.body());
      }
    }
    assertEquals(405, send("POST", "/metrics").statusCode());
    assertEquals(405, send("DELETE", "/health/ready").statusCode());
  }
}

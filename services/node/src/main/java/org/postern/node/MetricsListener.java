package org.postern.node;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.postern.config.HostPort;

/**
 * The metrics listener ({@code node.metrics_listen}): {@code GET /metrics}, {@code GET /health/live}
 * and {@code GET /health/ready}, without a token, and nothing else, so that a Prometheus in the
 * cluster, Kubernetes' probes and systemd can read them without being handed the admin token.
 *
 * <p><b>Trust:</b> none in the caller, and none needed: it serves only what a scraper may read
 * (counts, queue sizes, certificate dates) and changes nothing. The admin API, which changes the
 * queue, stays on {@code node.admin_listen} behind its token; a request for any of its paths here
 * gets 404. Every node runs this listener, whatever its roles, and it opens before the roles
 * deploy, so that a probe sees 503 with the reason while the queue recovers.
 */
final class MetricsListener extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.admin");

  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String PATHS = "GET /metrics, /health/live or /health/ready";

  private final HostPort listen;
  private final PrometheusMeterRegistry metrics;
  private final Readiness readiness;
  private HttpServer server;

  MetricsListener(HostPort listen, PrometheusMeterRegistry metrics, Readiness readiness) {
    this.listen = listen;
    this.metrics = metrics;
    this.readiness = readiness;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions().setHost(listen.host()).setPort(listen.port())
        .setIdleTimeout(120).setIdleTimeoutUnit(TimeUnit.SECONDS);
    return vertx.createHttpServer(options).requestHandler(this::handle).listen().onSuccess(s -> {
      server = s;
      LOG.info("metrics listener on " + AdminBridge.address(listen.host(), s.actualPort()) + " (" + PATHS
          + "; no token)");
    });
  }

  /** The port it listens on (useful when it was started on port 0). */
  int port() {
    return server == null ? -1 : server.actualPort();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    boolean known = path.equals("/metrics") || path.equals("/health/live") || path.equals("/health/ready");
    if (!known) {
      answer(req, 404, "no such endpoint here: use " + PATHS + "; the admin API is on node.admin_listen");
      return;
    }
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      answer(req, 405, "method not allowed: use " + PATHS);
      return;
    }
    switch (path) {
      case "/metrics" -> req.response().putHeader("Content-Type", PROMETHEUS_TEXT).end(metrics.scrape());
      // The event loop answered: the process is alive. Whether it should get traffic is /health/ready.
      case "/health/live" -> answer(req, 200, null);
      default -> {
        String why = readiness.notReady();
        answer(req, why == null ? 200 : 503, why);
      }
    }
  }

  private static void answer(HttpServerRequest req, int status, String problem) {
    JsonObject body = status < 400 ? new JsonObject().put("status", "ok")
        : new JsonObject().put("status", status == 503 ? "not ready" : "error").put("reason", problem);
    req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}

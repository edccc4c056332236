package org.postern.node;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.postern.bus.Contracts;
import org.postern.bus.QueueAdminReply;
import org.postern.bus.QueueAdminRequest;
import org.postern.config.HostPort;
import org.postern.node.cluster.ClusterMetrics;
import org.postern.node.cluster.ClusterQueueAdmin;
import org.postern.node.push.ConfigRoutes;
import org.postern.tls.KeyFiles;

/**
 * The admin API that {@code postern queue} talks to: {@code POST /queue} with
 * {@code {"action": ..., "target": ...}}, forwarded as a {@link QueueAdminRequest} over the event
 * bus to this node's queue, answered with the queue's JSON; in a cluster, to every member's queue,
 * answered with the merged JSON ({@link ClusterQueueAdmin}). {@code postern config} uses
 * {@code /config/*} ({@link ConfigRoutes}); {@code postern reload} {@code POST /reload} (SIGHUP's
 * reload, {@link ReloadReport}); {@code postern status} {@code GET /status} ({@link NodeStatus}).
 *
 * <p><b>Trust:</b> none in the caller. Every request must carry {@code Authorization: Bearer
 * <token>}, the token being 256 random bits written at each start to
 * {@code <node.data_dir>/admin.token}, mode 0600: whoever can read that file is the operator, as
 * whoever can run {@code postsuper} is root. Requests are validated by the contract before they
 * reach the queue. It listens on loopback unless {@code node.admin_allow_remote} says otherwise.
 */
public final class AdminBridge extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.admin");

  /** The token file's name inside {@code node.data_dir}. */
  public static final String TOKEN_FILE = "admin.token";

  /** Deadline for the queue's answer; holding or deleting everything in a large queue takes a while. */
  static final Duration QUEUE_DEADLINE = Duration.ofSeconds(60);

  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  /** Request bodies are two short fields. */
  private static final int BODY_LIMIT = 4096;

  private final HostPort listen;
  private final Path dataDir;
  private final PrometheusMeterRegistry metrics;
  private final ConfigRoutes config;
  private final ClusterQueueAdmin cluster;
  private final ClusterMetrics clusterMetrics;
  private byte[] token;
  private HttpServer server;
  private volatile java.util.concurrent.Callable<ReloadReport> reloader;
  private volatile NodeStatus status;
  final AdminPage page = new AdminPage();

  /**
   * @param metrics what {@code GET /metrics} serves
   * @param config the configuration-push endpoints ({@code /config/*}), or null for none
   */
  public AdminBridge(HostPort listen, Path dataDir, PrometheusMeterRegistry metrics, ConfigRoutes config) {
    this(listen, dataDir, metrics, config, null, null);
  }

  /**
   * @param cluster in a cluster, the queue of every member ({@code POST /queue} answers for the
   *     whole cluster); null on a standalone node, whose own queue answers
   * @param clusterMetrics what {@code GET /metrics/cluster} serves, or null for no such endpoint
   */
  public AdminBridge(HostPort listen, Path dataDir, PrometheusMeterRegistry metrics, ConfigRoutes config,
      ClusterQueueAdmin cluster, ClusterMetrics clusterMetrics) {
    this.listen = listen;
    this.dataDir = dataDir;
    this.metrics = metrics;
    this.config = config;
    this.cluster = cluster;
    this.clusterMetrics = clusterMetrics;
  }

  @Override
  public Future<?> start() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    String hex = HexFormat.of().formatHex(raw);
    token = hex.getBytes(StandardCharsets.US_ASCII);
    Path file = dataDir.resolve(TOKEN_FILE);
    Router router = Router.router(vertx);
    router.route("/queue").handler(this::authenticate);
    router.post("/queue").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT)).handler(this::queue);
    router.route("/status").handler(this::authenticate);
    router.get("/status").handler(this::status);
    router.route("/reload").handler(this::authenticate);
    router.post("/reload").handler(this::reload);
    page.mount(vertx, router, this::authenticate);
    if (config != null) {
      router.route("/config/*").handler(this::authenticate);
      config.mount(router);
    }
    // Read-only and secret-free (certificate subjects and dates are in every handshake), so a
    // Prometheus scraper needs no token; it listens where the rest of the API does.
    router.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", PROMETHEUS_TEXT)
        .end(metrics.scrape()));
    if (clusterMetrics != null) {
      // Every member's page in one, the inbound-only nodes' included (they run no admin API).
      router.get("/metrics/cluster").handler(ctx -> clusterMetrics.scrape().onSuccess(page -> {
        if (!ctx.response().closed()) {
          ctx.response().putHeader("Content-Type", PROMETHEUS_TEXT).end(page);
        }
      }));
    }
    router.route().failureHandler(ctx -> error(ctx, ctx.statusCode() < 400 ? 500 : ctx.statusCode(),
        ctx.statusCode() == 413 ? "request body too large" : "request failed"));
    router.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: use POST /queue, POST /reload, GET /status, POST /config/{push,show,get} or GET /metrics[/cluster]"));
    router.errorHandler(405, ctx -> error(ctx, 405, "method not allowed: use POST /queue, POST /reload, GET /status, POST /config/{push,show,get} or GET /metrics[/cluster]"));
    HttpServerOptions options = new HttpServerOptions().setHost(listen.host()).setPort(listen.port())
        .setIdleTimeout(120).setIdleTimeoutUnit(TimeUnit.SECONDS);
    // The token is on disk (0600, synced) before the API accepts anything.
    return vertx.executeBlocking(() -> {
      Files.createDirectories(dataDir);
      KeyFiles.writePrivate(file, (hex + "\n").getBytes(StandardCharsets.US_ASCII));
      return null;
    }, false).compose(v -> vertx.createHttpServer(options).requestHandler(router).listen()).onSuccess(s -> {
      server = s;
      LOG.info("admin API listening on " + address(listen.host(), s.actualPort()) + " (POST /queue, POST /reload, GET /status, POST /config/*, GET /metrics" + (clusterMetrics != null ? ", GET /metrics/cluster" : "") + "); token in " + file);
    });
  }

  /** The port the API listens on (useful when it was started on port 0). */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }

  /** Serves {@code GET /status} with {@code facts} and the queue's counts. */
  void status(NodeStatus facts) {
    this.status = facts;
  }

  private void status(RoutingContext ctx) {
    NodeStatus facts = status;
    if (facts == null) {
      error(ctx, 503, "this node cannot report its status through the admin API (not started by postern run)");
      return;
    }
    // The same question as postern queue list; only the counts are kept.
    Future<JsonObject> queue = queueAnswer(new QueueAdminRequest(QueueAdminRequest.Action.LIST, QueueAdminRequest.ALL))
        .map(r -> {
          JsonObject counts = r.getJsonObject("counts", new JsonObject()).copy();
          if (Boolean.FALSE.equals(r.getValue("complete"))) {
            counts.put("complete", false);
          }
          return counts;
        })
        .recover(e -> Future.succeededFuture(new JsonObject().put("error", queueFailure(e))));
    facts.facts(vertx).compose(json -> queue.map(counts -> json.put("queue", counts))).onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, "status failed: " + ar.cause().getMessage());
      } else if (!ctx.response().closed()) {
        ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(ar.result().encode());
      }
    });
  }

  private Future<JsonObject> queueAnswer(QueueAdminRequest req) {
    return cluster != null ? cluster.call(req)
        : Contracts.request(vertx, QueueAdminRequest.ADDRESS, req, QUEUE_DEADLINE, QueueAdminReply.class)
            .map(QueueAdminReply::result);
  }

  private static String queueFailure(Throwable e) {
    if (e instanceof ReplyException re && re.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS) {
      return "the queue service is not running on this node";
    }
    return e.getMessage();
  }

  /** Serves {@code POST /reload} with {@code reload}, the reload SIGHUP runs. */
  void reloader(java.util.concurrent.Callable<ReloadReport> reload) {
    this.reloader = reload;
  }

  private void reload(RoutingContext ctx) {
    java.util.concurrent.Callable<ReloadReport> r = reloader;
    if (r == null) {
      error(ctx, 503, "this node cannot reload through the admin API (not started by postern run)");
      return;
    }
    LOG.info(() -> "admin: reload from " + ctx.request().remoteAddress());
    // Reads files and waits for the reload: on a worker, never on this event loop.
    vertx.executeBlocking(r, false).onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, "reload failed: " + ar.cause().getMessage());
      } else if (!ctx.response().closed()) {
        ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(ar.result().toJson().encode());
      }
    });
  }

  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    byte[] presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? header.substring(7).strip().getBytes(StandardCharsets.US_ASCII) : new byte[0];
    if (!MessageDigest.isEqual(presented, token)) {
      LOG.warning(() -> "admin: refused " + ctx.request().method() + " " + ctx.request().path() + " from "
          + ctx.request().remoteAddress() + ": " + (header == null ? "no token" : "wrong token"));
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      error(ctx, 401, "missing or wrong admin token (it is in " + TOKEN_FILE + " in the node's data directory)");
      return;
    }
    ctx.next();
  }

  private void queue(RoutingContext ctx) {
    QueueAdminRequest req;
    try {
      JsonObject json = ctx.body().asJsonObject();
      if (json == null) {
        throw new IllegalArgumentException("expected a JSON object {\"action\": ..., \"target\": ...}");
      }
      req = QueueAdminRequest.fromJson(json);
    } catch (DecodeException | ClassCastException e) {
      error(ctx, 400, "expected a JSON object {\"action\": ..., \"target\": ...}");
      return;
    } catch (IllegalArgumentException e) {
      error(ctx, 400, e.getMessage());
      return;
    }
    String what = req.action().name().toLowerCase(Locale.ROOT) + " " + req.target();
    LOG.fine(() -> "admin: " + what + " from " + ctx.request().remoteAddress());
    Future<JsonObject> answer = queueAnswer(req);
    answer
        .onSuccess(result -> {
          if (!ctx.response().closed()) {
            ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                .end(result.encode());
          }
        })
        .onFailure(e -> {
          int status = 500;
          String message = e.getMessage();
          if (e instanceof ReplyException re) {
            switch (re.failureType()) {
              case NO_HANDLERS -> {
                status = 503;
                message = "the queue service is not running on this node";
              }
              case TIMEOUT -> {
                status = 504;
                message = "the queue did not answer within " + QUEUE_DEADLINE.toSeconds() + "s";
              }
              default -> status = switch (re.failureCode()) {
                // 503 and 504 come from the cluster: no member runs a queue, or none answered.
                case 400, 404, 503, 504 -> re.failureCode();
                default -> 500;
              };
            }
          }
          String m = message;
          if (status >= 500) {
            LOG.warning(() -> "admin: " + what + ": " + m);
          }
          error(ctx, status, message);
        });
  }

  private static void error(RoutingContext ctx, int status, String message) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", message == null ? "request failed" : message).encode());
  }

  static String address(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}

package org.postern.node.push;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.logging.Logger;
import org.postern.bus.ConfigPush;
import org.postern.bus.ConfigPushResult;
import org.postern.bus.ConfigShow;

/**
 * The admin API's configuration endpoints, for {@code postern config}: {@code POST /config/push}
 * (a signed bundle, published to every node; answers each node's result), {@code POST /config/show}
 * (each node's version, and the versions the history holds) and {@code POST /config/get}
 * ({@code {"version": N}}: a stored bundle, for a rollback). The caller is authenticated by the
 * admin token before these run; the bundle's signature is checked by each node, not here.
 *
 * <p>Answers are collected until every cluster member has answered or {@link #DEADLINE} passes,
 * whichever is first; {@code expected} in the answer is the member count, so a missing node shows.
 */
public final class ConfigRoutes {

  private static final Logger LOG = Logger.getLogger("postern.config");

  /** How long nodes have to answer; validating a large policy map takes a moment. */
  public static final Duration DEADLINE = Duration.ofSeconds(20);

  /** A bundle's texts, JSON-escaped, fit; the bundle itself bounds them at {@link ConfigPush#MAX_TEXT}. */
  private static final long BODY_LIMIT = 3L * ConfigPush.MAX_TEXT;

  private final Vertx vertx;
  private final IntSupplier members;

  /**
   * @param members how many nodes the cluster has now (1 on a node that runs alone)
   */
  public ConfigRoutes(Vertx vertx, IntSupplier members) {
    this.vertx = vertx;
    this.members = members;
  }

  /** Adds the routes; {@code router} must already authenticate {@code /config/*}. */
  public void mount(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(BODY_LIMIT);
    router.post("/config/push").handler(body).handler(this::push);
    router.post("/config/show").handler(body).handler(this::show);
    router.post("/config/get").handler(body).handler(this::get);
  }

  private void push(RoutingContext ctx) {
    ConfigPush push;
    try {
      push = ConfigPush.fromJson(json(ctx));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      error(ctx, 400, "not a configuration bundle: " + e.getMessage());
      return;
    }
    LOG.info(() -> "config: publishing version " + push.version() + " signed by key " + push.author()
        + " from " + ctx.request().remoteAddress());
    collect(address -> vertx.eventBus().publish(ConfigPush.ADDRESS, push.withReplyTo(address)))
        .compose(results -> {
          boolean applied = results.stream().anyMatch(r -> r.outcome() == ConfigPushResult.Outcome.APPLIED
              && r.version() == push.version());
          // Only what some node verified and applied becomes history: a forged or broken bundle never does.
          Future<Void> kept = applied ? ConfigHistory.record(vertx, push) : Future.succeededFuture();
          return kept.map(v -> answer(results));
        })
        .onSuccess(a -> ok(ctx, a))
        .onFailure(e -> error(ctx, 500, "configuration push: " + e.getMessage()));
  }

  private void show(RoutingContext ctx) {
    collect(address -> vertx.eventBus().publish(ConfigShow.ADDRESS, new ConfigShow(address)))
        .compose(results -> ConfigHistory.versions(vertx).map(v -> answer(results).put("history", new JsonArray(v))))
        .onSuccess(a -> ok(ctx, a))
        .onFailure(e -> error(ctx, 500, "configuration show: " + e.getMessage()));
  }

  private void get(RoutingContext ctx) {
    long version;
    try {
      Object v = json(ctx).getValue("version");
      if (!(v instanceof Number n) || n.longValue() < 1) {
        throw new IllegalArgumentException("expected {\"version\": N} with N at least 1");
      }
      version = n.longValue();
    } catch (IllegalArgumentException | DecodeException e) {
      error(ctx, 400, e.getMessage());
      return;
    }
    ConfigHistory.get(vertx, version).onSuccess(push -> {
      if (push == null) {
        error(ctx, 404, "the cluster's history holds no version " + version);
      } else {
        ok(ctx, new JsonObject().put("bundle", push.toJson()));
      }
    }).onFailure(e -> error(ctx, 500, "configuration history: " + e.getMessage()));
  }

  /**
   * Listens on a fresh reply address, lets {@code publish} send there, and gathers the answers
   * until every member has answered or the deadline passes.
   */
  private Future<List<ConfigPushResult>> collect(Consumer<String> publish) {
    String address = ConfigShow.REPLIES + UUID.randomUUID();
    int expected = members.getAsInt();
    List<ConfigPushResult> got = new ArrayList<>();
    Promise<List<ConfigPushResult>> done = Promise.promise();
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, m -> {
      if (m.body() instanceof ConfigPushResult r) {
        got.add(r);
        if (got.size() >= expected) {
          done.tryComplete(List.copyOf(got));
        }
      }
    });
    long timer = vertx.setTimer(DEADLINE.toMillis(), id -> done.tryComplete(List.copyOf(got)));
    return consumer.completion()
        .compose(v -> {
          publish.accept(address);
          return done.future();
        })
        .eventually(() -> {
          vertx.cancelTimer(timer);
          return consumer.unregister();
        });
  }

  private static JsonObject answer(List<ConfigPushResult> results) {
    JsonArray all = new JsonArray();
    results.stream().sorted(java.util.Comparator.comparing(ConfigPushResult::node))
        .forEach(r -> all.add(r.toJson()));
    return new JsonObject().put("results", all);
  }

  private JsonObject withExpected(JsonObject o) {
    return o.put("expected", members.getAsInt());
  }

  private static JsonObject json(RoutingContext ctx) {
    JsonObject o = ctx.body().asJsonObject();
    if (o == null) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    return o;
  }

  private void ok(RoutingContext ctx, JsonObject answer) {
    if (!ctx.response().closed()) {
      ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
          .end(withExpected(answer).encode());
    }
  }

  private static void error(RoutingContext ctx, int status, String message) {
    if (!ctx.response().ended() && !ctx.response().closed()) {
      ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("error", message).encode());
    }
  }
}

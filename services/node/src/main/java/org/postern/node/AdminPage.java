package org.postern.node;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.postern.config.PolicyConfig;
import org.postern.policy.DestinationRule;
import org.postern.policy.PolicyEngine;
import org.postern.policy.PolicyFileException;
import org.postern.policy.PolicyModel;
import org.postern.policy.Rule;

/**
 * The operator's web page on the admin API: a static shell under {@code /ui/} (HTML, CSS and one
 * script, no data in them) that calls the token-checked API from the browser, plus the two
 * read-only endpoints only the page needs: {@code POST /policy/explain} (what
 * {@code postern policy explain} prints, as JSON) and {@code GET /tls} (the outbound TLS levels by
 * destination: {@code policy.destination_tls_level} and the TLS policy map's entries).
 *
 * <p><b>Trust:</b> the shell is public and holds nothing; every piece of data comes from an
 * endpoint that wants {@code Authorization: Bearer <token>}. The page keeps the token in the tab's
 * {@code sessionStorage} and sends it in that header, never in a cookie: a browser attaches no
 * header on its own, so another site cannot make the operator's browser act (no CSRF), and a
 * cross-origin request carrying it needs a CORS preflight this API never grants. The shell is
 * served with a Content-Security-Policy that allows scripts, styles and requests from this origin
 * only, no inline script and no form submission; the script builds the page with text nodes only,
 * since queue data (senders, replies) comes from strangers.
 */
final class AdminPage {

  private static final Logger LOG = Logger.getLogger("postern.admin");

  /** Where the shell is served. */
  static final String ROOT = "/ui/";

  /** The explain form: a dozen short fields. */
  private static final int BODY_LIMIT = 8192;

  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  /** The shell's files, by name under {@link #ROOT}: resource and media type. */
  private static final Map<String, String> FILES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "admin.js", "text/javascript; charset=utf-8",
      "admin.css", "text/css; charset=utf-8");

  /** Filled once, on a worker, then only read on the event loop. */
  private volatile Map<String, Buffer> files = Map.of();
  private volatile PolicyConfig policy;

  /** The policy settings the node runs with; until then the policy endpoints answer 503. */
  void configure(PolicyConfig policy) {
    this.policy = policy;
  }

  /**
   * Mounts the routes and reads the shell's files (on a worker; until they are read, a few
   * microseconds, the shell answers 404); {@code authenticate} guards the endpoints that answer
   * with data.
   */
  Future<Void> mount(Vertx vertx, Router router, Handler<RoutingContext> authenticate) {
    router.get("/").handler(ctx -> ctx.redirect(ROOT));
    router.get(ROOT + "*").handler(this::shell);
    router.route("/policy/*").handler(authenticate);
    router.post("/policy/explain").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT))
        .handler(ctx -> explain(vertx, ctx));
    router.route("/tls").handler(authenticate);
    router.get("/tls").handler(ctx -> tls(vertx, ctx));
    return vertx.executeBlocking(() -> {
      Map<String, Buffer> read = new java.util.HashMap<>();
      for (String name : FILES.keySet()) {
        try (InputStream in = AdminPage.class.getResourceAsStream("admin/" + name)) {
          if (in == null) {
            throw new IOException("resource missing from the jar: " + name);
          }
          read.put(name, Buffer.buffer(in.readAllBytes()));
        }
      }
      files = Map.copyOf(read);
      return (Void) null;
    }, false).onFailure(e -> LOG.severe("admin page: " + e.getMessage() + "; " + ROOT + " answers 404"));
  }

  private void shell(RoutingContext ctx) {
    String path = ctx.request().path();
    if (path.length() < ROOT.length()) {
      // "/ui/*" matches "/ui" too, where the page's relative links would miss.
      ctx.redirect(ROOT);
      return;
    }
    String name = path.substring(ROOT.length());
    if (name.isEmpty()) {
      name = "index.html";
    }
    Buffer body = files.get(name);
    if (body == null) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("Content-Type", FILES.get(name))
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-store")
        .end(body);
  }

  /** {@code POST /policy/explain}: the steps for the described session, or 400 naming the bad field. */
  private void explain(Vertx vertx, RoutingContext ctx) {
    PolicyConfig cfg = policy;
    if (cfg == null) {
      json(ctx, 503, new JsonObject().put("error", "this node cannot explain its policy (not started by postern run)"));
      return;
    }
    PolicyExplanation session;
    try {
      JsonObject o = ctx.body().asJsonObject();
      if (o == null) {
        throw new IllegalArgumentException("expected a JSON object describing the session");
      }
      List<String> rcpts = new ArrayList<>();
      for (String r : o.getString("rcpt", "").split("[,\\s]+")) {
        if (!r.isBlank()) {
          rcpts.add(r);
        }
      }
      String port = o.getString("port", "");
      session = new PolicyExplanation(o.getString("client", "").strip(), blankToNull(o.getString("clientName")),
          blankToNull(o.getString("helo")), blankToNull(o.getString("tls")), blankToNull(o.getString("auth")),
          blankToNull(o.getString("mail")), rcpts, blankToNull(o.getString("server")),
          blankToNull(o.getString("serverIp")), port.isBlank() ? 25 : Integer.parseInt(port.strip()),
          blankToNull(o.getString("serverTls")));
    } catch (DecodeException | ClassCastException e) {
      json(ctx, 400, new JsonObject().put("error", "expected a JSON object of strings describing the session"));
      return;
    } catch (IllegalArgumentException e) {
      json(ctx, 400, new JsonObject().put("error", e instanceof NumberFormatException ? "port must be a number"
          : e.getMessage()));
      return;
    }
    // The policy files are read now, as postern policy explain reads them: on a worker.
    vertx.executeBlocking(() -> {
      PolicyModel model = model(cfg);
      try {
        return new Answer(200, PolicyExplanation.toJson(session.explain(new PolicyEngine(cfg, model))));
      } catch (IllegalArgumentException e) {
        // An address or TLS description that does not parse: the request's fault.
        return new Answer(400, new JsonObject().put("error", e.getMessage()));
      }
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        json(ctx, 500, new JsonObject().put("error", ar.cause().getMessage()));
      } else {
        json(ctx, ar.result().status(), ar.result().body());
      }
    });
  }

  private record Answer(int status, JsonObject body) {}

  /** {@code GET /tls}: the default outbound level and every TLS policy map entry with its level. */
  private void tls(Vertx vertx, RoutingContext ctx) {
    PolicyConfig cfg = policy;
    if (cfg == null) {
      json(ctx, 503, new JsonObject().put("error", "this node cannot report its TLS policy (not started by postern run)"));
      return;
    }
    vertx.executeBlocking(() -> {
      JsonObject o = new JsonObject().put("destinationTlsLevel", cfg.destinationTlsLevel().configName())
          .put("tlsPolicyMap", cfg.tlsPolicyMap());
      JsonArray entries = new JsonArray();
      for (Rule<DestinationRule> r : model(cfg).destinationRules()) {
        entries.add(new JsonObject().put("where", r.where()).put("entry", r.text())
            .put("level", r.value().levelName()).put("match", new JsonArray(r.value().match())));
      }
      return o.put("entries", entries);
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        json(ctx, 500, new JsonObject().put("error", ar.cause().getMessage()));
      } else {
        json(ctx, 200, ar.result());
      }
    });
  }

  /** The policy files as they are now, compiled. Blocking. */
  private static PolicyModel model(PolicyConfig cfg) throws IOException {
    try {
      return PolicyModel.compile(PolicyCommand.Explain.files(cfg));
    } catch (PolicyFileException e) {
      throw new IOException("the policy files do not load: " + String.join("; ", e.problems()), e);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (status >= 500) {
      LOG.warning(() -> "admin: " + ctx.request().path() + ": " + body.getString("error"));
    }
    if (!ctx.response().ended() && !ctx.response().closed()) {
      ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
          .putHeader("Cache-Control", "no-store").end(body.encode());
    }
  }
}

package org.postern.node.push;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.postern.bus.ConfigPush;
import org.postern.bus.ConfigPushResult;
import org.postern.bus.ConfigPushResult.Outcome;
import org.postern.bus.ConfigShow;
import org.postern.config.ConfigException;
import org.postern.config.LiveSettings;
import org.postern.config.PosternConfig;
import org.postern.policy.PolicyFile;
import org.postern.policy.PolicyFileException;
import org.postern.policy.PolicyModel;
import org.postern.policy.PolicyVerticle;
import org.postern.tls.TlsEngine;

/**
 * This node's side of configuration pushes, on every node whatever its roles: verifies a push's
 * signature, checks its version is newer than the one in force, validates its settings, policy
 * files and TLS files, applies them (policy rules with the policy role; limits, listener TLS
 * settings and certificates with the inbound role) all or nothing, and answers with a
 * {@link ConfigPushResult}. Answers {@link ConfigShow} with the version in force. At start it
 * applies the cluster's current bundle ({@link ConfigHistory}), so a node that joins late catches up.
 *
 * <p>Pushes are handled one at a time, in arrival order; a refused push changes nothing here. A
 * push that leaves out a part of the configuration in force here is refused unless it says
 * {@code replace} ({@link LeftOut}); the cluster's bundle applied at start is not judged so.
 */
public final class ConfigPushVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.config");

  private final String node;
  private final PosternConfig base;
  private final List<String> keyEntries;
  private final PolicyVerticle policy;
  private final LiveInbound inbound;
  private final TlsEngine engine;
  private final Path dataDir;
  private Map<String, PublicKey> trusted = Map.of();
  /** The last push in force, or null while the node's own files are. Event-loop only. */
  private ConfigPush current;
  /** The tail of the pushes being handled: each waits for the one before. */
  private Future<?> tail = Future.succeededFuture();

  /**
   * @param node the name this node answers with ({@code node.hostname})
   * @param base the node's own configuration, which a push's settings are read over
   * @param keyEntries {@code cluster.operator_keys}
   * @param policy this node's policy verticle, or null without the policy role
   * @param inbound this node's listener, or null without the inbound role (TLS files and limits
   *     are then validated, with nothing to apply)
   * @param engine the TLS engine pushed certificates and suites must work with
   */
  public ConfigPushVerticle(String node, PosternConfig base, List<String> keyEntries, PolicyVerticle policy,
      LiveInbound inbound, TlsEngine engine) {
    this.node = node;
    this.base = base;
    this.keyEntries = List.copyOf(keyEntries);
    this.policy = policy;
    this.inbound = inbound;
    this.engine = engine;
    this.dataDir = Path.of(base.node().dataDir());
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> OperatorKeys.trusted(keyEntries), false).compose(keys -> {
      trusted = keys;
      if (keys.isEmpty()) {
        LOG.info("config: no operator key in cluster.operator_keys; every configuration push will be refused");
      } else {
        LOG.info("config: trusting operator keys " + String.join(", ", keys.keySet()) + " for configuration pushes");
      }
      var bus = vertx.eventBus();
      return Future.all(
          bus.<Object>consumer(ConfigPush.ADDRESS, this::onPush).completion(),
          bus.<Object>consumer(ConfigShow.ADDRESS, this::onShow).completion());
    }).compose(v -> catchUp());
  }

  /** Applies the cluster's current bundle, if there is one; a failure here does not stop the node. */
  private Future<?> catchUp() {
    return ConfigHistory.current(vertx).compose(stored -> {
      if (stored == null) {
        return Future.succeededFuture();
      }
      LOG.info(() -> "config: the cluster's current configuration is version " + stored.version() + "; applying it");
      // The cluster took this bundle already: it applies as it is, whatever this node's own files hold.
      return enqueue(stored, false).mapEmpty();
    }).recover(e -> {
      LOG.warning("config: cannot read the cluster's current configuration: " + e.getMessage()
          + "; running with this node's own files until the next push");
      return Future.succeededFuture();
    });
  }

  private void onPush(Message<Object> m) {
    if (!(m.body() instanceof ConfigPush push)) {
      LOG.warning("config: ignored a message on " + ConfigPush.ADDRESS + " that is not a ConfigPush");
      return;
    }
    enqueue(push, true).onSuccess(result -> {
      if (!push.replyTo().isEmpty()) {
        vertx.eventBus().send(push.replyTo(), result);
      }
    });
  }

  private void onShow(Message<Object> m) {
    if (m.body() instanceof ConfigShow show) {
      vertx.eventBus().send(show.replyTo(), state(Outcome.CURRENT, List.of()));
    }
  }

  /** @param live a push an operator sent now, as opposed to the cluster's bundle applied at start */
  private Future<ConfigPushResult> enqueue(ConfigPush push, boolean live) {
    Future<ConfigPushResult> mine = tail.transform(ignored -> handle(push, live));
    tail = mine;
    return mine;
  }

  /**
   * Validates everything first (settings, maps, TLS files), then loads what the listener will
   * serve, and only then swaps policy and listener: a failure anywhere before the swap refuses the
   * push with nothing changed. The swap itself cannot fail.
   */
  private Future<ConfigPushResult> handle(ConfigPush push, boolean live) {
    String what = "version " + push.version() + " signed by key " + push.author();
    String signature = PushSignature.problem(push, trusted);
    if (signature != null) {
      return Future.succeededFuture(refuse(what, List.of(signature)));
    }
    long inForce = current == null ? 0 : current.version();
    if (push.version() <= inForce) {
      return Future.succeededFuture(refuse(what, List.of("version " + push.version()
          + " is not newer than version " + inForce + ", which is in force")));
    }
    // What it would drop is reported with whatever else is wrong, so one answer says it all.
    List<String> leftOut = live ? LeftOut.of(push, current, base.policy()) : List.of();
    PosternConfig pushed;
    try {
      pushed = push.settings() == null ? base
          : LiveSettings.apply(base, push.settings().name(), push.settings().text());
    } catch (ConfigException e) {
      return Future.succeededFuture(refuse(what, concat(leftOut, e.problems())));
    }
    List<PolicyFile> files = new ArrayList<>();
    if (push.accessMap() != null) {
      files.add(new PolicyFile(PolicyFile.Kind.ACCESS_MAP, push.accessMap().name(), push.accessMap().text()));
    }
    if (push.tlsPolicyMap() != null) {
      files.add(new PolicyFile(PolicyFile.Kind.TLS_POLICY_MAP, push.tlsPolicyMap().name(), push.tlsPolicyMap().text()));
    }
    // Parsing maps and certificates, and building a TLS context, is CPU work: on a worker.
    Future<List<String>> checked = vertx.executeBlocking(() -> {
      List<String> problems = new ArrayList<>();
      try {
        PolicyModel.compile(files);
      } catch (PolicyFileException e) {
        problems.addAll(e.problems());
      }
      problems.addAll(PushedTls.check(push.tls(), pushed.tls(), engine, dataDir, inbound != null));
      return problems;
    }, false);
    return checked.compose(problems -> {
      if (!leftOut.isEmpty() || !problems.isEmpty()) {
        return Future.succeededFuture(refuse(what, concat(leftOut, problems)));
      }
      Future<LiveInbound.Prepared> prepared = inbound == null ? Future.succeededFuture()
          : vertx.executeBlocking(() -> PushedTls.write(push.version(), push.tls(), pushed.tls(), dataDir), false)
              .compose(tls -> inbound.prepare(pushed.inbound(), tls));
      return prepared.compose(ready -> {
        Future<?> rules = policy == null ? Future.succeededFuture() : policy.push(pushed.policy(), files);
        return rules.compose(v -> ready == null ? Future.<Void>succeededFuture() : inbound.install(ready))
            .map(v -> applied(push, what, ready));
      }).recover(e -> Future.succeededFuture(refuse(what,
          List.of(String.valueOf(e.getMessage()).split("\n")))));
    });
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private ConfigPushResult applied(ConfigPush push, String what, LiveInbound.Prepared ready) {
    current = push;
    LOG.info(() -> "config: applied " + what + " (issued " + Instant.ofEpochMilli(push.issuedAt()) + ")"
        + (policy == null ? "; no policy role on this node" : "")
        + (ready == null ? "; no inbound role on this node, so no listener to change" : "; listener: " + ready.describe()));
    return state(Outcome.APPLIED, List.of());
  }

  private ConfigPushResult refuse(String what, List<String> problems) {
    for (String p : problems) {
      LOG.warning(() -> "config: refused " + what + ", nothing changed: " + p);
    }
    return state(Outcome.REFUSED, problems);
  }

  private ConfigPushResult state(Outcome outcome, List<String> problems) {
    return current == null ? new ConfigPushResult(node, outcome, 0, "", 0, problems)
        : new ConfigPushResult(node, outcome, current.version(), current.author(), current.issuedAt(), problems);
  }

  /** For tests and logs: the version in force, 0 for the node's own files. */
  long version() {
    return current == null ? 0 : current.version();
  }
}

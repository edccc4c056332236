package org.postern.policy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.file.FileProps;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.Decision;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.MailCheck;
import org.postern.bus.PolicyQuestions;
import org.postern.bus.SenderVerdict;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.config.PolicyConfig;

/**
 * Answers policy questions from the compiled {@link PolicyModel}; see the package comment for
 * its trust. The policy files are watched: every {@code policy.reload_interval} their size and
 * modification time are read through Vert.x's asynchronous file system, and a change is read,
 * compiled off the event loop, and swapped in whole. A file with an error is refused whole, each
 * problem logged as {@code file:line: reason}, and the previous rules stay in force.
 */
public final class PolicyVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.policy");

  private final PolicyConfig config;
  /** The settings the engine answers with: the node's own until a push replaces them. */
  private volatile PolicyConfig settings;
  /** Set once a configuration push is in force: the local files are no longer watched. */
  private volatile boolean pushed;
  private volatile PolicyEngine engine;
  /** What each watched file looked like when last read: "size/mtime". Event-loop only. */
  private final Map<String, String> stamps = new HashMap<>();
  private boolean checking;
  /**
   * Why no client certificate on this node can ever be verified (no listener asks for one, or no
   * CA is configured), or null when they can or this node has no listener to tell.
   */
  private volatile String clientCertificateGap;
  /** Whether the bus consumers are registered: the in-process answers are given only while they are. */
  private volatile boolean serving;

  public PolicyVerticle(PolicyConfig config) {
    this.config = config;
    this.settings = config;
  }

  @Override
  public Future<?> start() {
    List<String> paths = watched();
    return stampAll(paths).compose(this::readAll).compose(this::compile)
        .recover(t -> Future.failedFuture(new IllegalStateException("policy files are unusable:\n" + t.getMessage())))
        .compose(model -> {
          engine = new PolicyEngine(config, model);
          if (!paths.isEmpty()) {
            LOG.info(() -> "policy: loaded " + describe(model));
          }
          warnUnmatchable(model);
          if (!paths.isEmpty() && !config.reloadInterval().isZero()) {
            vertx.setPeriodic(config.reloadInterval().toMillis(), id -> check());
          }
          return listen();
        })
        .onSuccess(v -> serving = true);
  }

  @Override
  public Future<?> stop() {
    serving = false;
    return Future.succeededFuture();
  }

  /**
   * The questions answered in process, for this node's inbound and outbound: the same engine, the
   * same refusal log lines and the same failure (a rule that throws fails the question) as over
   * the bus, evaluated on the asking event loop. The answer still comes in a later task of that
   * event loop, as a bus reply would, so the caller sees the same order of events; it only saves
   * the two hand-offs between event loops, their wake-ups and the request's timer. The callers
   * are this node's own code and the questions are contract records, validated when built: the
   * trust is the bus's within one JVM, where records are passed by reference too.
   */
  public PolicyQuestions inProcess() {
    return new PolicyQuestions() {
      @Override
      public Future<SessionPolicy> session(SessionCheck q) {
        return ask(SessionCheck.ADDRESS, q, PolicyVerticle.this::session);
      }

      @Override
      public Future<TlsVerdict> clientTls(ClientTlsCheck q) {
        return ask(ClientTlsCheck.ADDRESS, q, PolicyVerticle.this::clientTls);
      }

      @Override
      public Future<SenderVerdict> sender(MailCheck q) {
        return ask(MailCheck.ADDRESS, q, PolicyVerticle.this::sender);
      }

      @Override
      public Future<RelayVerdict> relay(RelayCheck q) {
        return ask(RelayCheck.ADDRESS, q, PolicyVerticle.this::relay);
      }

      @Override
      public Future<DestinationTls> destinationTls(DestinationTlsCheck q) {
        return ask(DestinationTlsCheck.ADDRESS, q, c -> engine.destinationTls(c));
      }

      @Override
      public Future<DestinationTls> targetTls(TargetTlsCheck q) {
        return ask(TargetTlsCheck.ADDRESS, q, c -> engine.targetTls(c));
      }

      @Override
      public Future<ServerTlsVerdict> serverTls(ServerTlsCheck q) {
        return ask(ServerTlsCheck.ADDRESS, q, PolicyVerticle.this::serverTls);
      }
    };
  }

  private <Q, A> Future<A> ask(String address, Q question, Function<Q, A> rule) {
    Promise<A> answer = Promise.promise();
    Runnable evaluate = () -> {
      if (!serving) {
        // What the bus says when this verticle is not (or no longer) deployed.
        answer.fail(new IllegalStateException("No handlers for address " + address));
        return;
      }
      try {
        answer.complete(rule.apply(question));
      } catch (RuntimeException e) {
        LOG.warning(() -> "policy evaluation failed: " + e);
        answer.fail(new IllegalStateException("policy evaluation failed"));
      }
    };
    Context caller = Vertx.currentContext();
    if (caller == null) {
      evaluate.run();
    } else {
      caller.runOnContext(v -> evaluate.run());
    }
    return answer.future();
  }

  /**
   * Tells the policy why this node's listener can never have a verified client certificate, so
   * that loading a rule that needs one logs a warning naming its file and line; null when it can.
   * Set before the verticle is deployed.
   */
  public void clientCertificateGap(String why) {
    clientCertificateGap = why;
  }

  /**
   * A TLS_Clt VERIFY rule pasted from the seeds refuses every client it names when no certificate
   * is asked for (403 4.7.0 no authentication requested), and a CERTISSUER entry never relays:
   * say so when the rules are loaded, not when a client complains. The model's own warnings
   * (sendmail's Srv_Features letters that change nothing here) go out at the same moment.
   */
  private void warnUnmatchable(PolicyModel model) {
    for (String w : model.warnings()) {
      LOG.warning(() -> "policy: " + w);
    }
    String why = clientCertificateGap;
    if (why == null) {
      return;
    }
    for (Rule<?> r : model.clientCertificateRules()) {
      LOG.warning(() -> "policy: " + r.name() + " can never match: " + why);
    }
  }

  /** The engine answering now; a reload replaces it. */
  public PolicyEngine engine() {
    return engine;
  }

  /**
   * Compiles new policy texts and, when every one is valid, makes them the rules in force; for
   * the cluster's config push as for a file change. A text with an error is refused with all the
   * others, each problem logged, and the previous rules stay.
   *
   * @return the new model, or a failure whose message lists the problems
   */
  public Future<PolicyModel> replace(List<PolicyFile> files) {
    return compile(files)
        .compose(model -> {
          if (pushed) {
            // A push landed while these files were read and compiled: the push decides (see push()).
            return Future.failedFuture("a configuration push is in force; the local policy files are not read"
                + " until the next restart");
          }
          engine = new PolicyEngine(settings, model);
          LOG.info(() -> "policy: reloaded " + describe(model));
          warnUnmatchable(model);
          return Future.succeededFuture(model);
        })
        .onFailure(t -> {
          for (String problem : t.getMessage().split("\n")) {
            LOG.warning(() -> "policy: reload rejected, previous rules kept: " + problem);
          }
        });
  }

  /**
   * SIGHUP: the node's own settings and files read again, compiled and swapped in as one engine,
   * or refused whole with the previous policy kept, as a file change is. Unlike a push, the local
   * files stay watched; while a push is in force, it is refused, as the watcher's reloads are.
   */
  public Future<PolicyModel> reload(PolicyConfig newSettings, List<PolicyFile> files) {
    if (pushed) {
      // The cluster's push decides until the next push or a restart; a local reload must not undo it.
      return Future.failedFuture("a configuration push is in force; the local policy files and settings are not read"
          + " until the next restart");
    }
    return compile(files).onSuccess(model -> {
      settings = newSettings;
      engine = new PolicyEngine(newSettings, model);
      LOG.info(() -> "policy: reloaded " + (model.sources().isEmpty() ? "(no policy files)" : describe(model)));
      warnUnmatchable(model);
    });
  }

  /**
   * Makes a configuration push the policy in force: new settings and new file texts, compiled and
   * swapped in as one engine, or refused whole with the previous policy kept. From then on the
   * local files are no longer watched, so an edit on one node cannot silently undo a push there;
   * the next push (or a restart) replaces it.
   *
   * @return the new model, or a failure whose message lists the problems, one {@code file:line: reason} a line
   */
  public Future<PolicyModel> push(PolicyConfig newSettings, List<PolicyFile> files) {
    return compile(files).onSuccess(model -> {
      settings = newSettings;
      pushed = true;
      engine = new PolicyEngine(newSettings, model);
      LOG.info(() -> "policy: pushed " + (model.sources().isEmpty() ? "(no policy files)" : describe(model)));
      warnUnmatchable(model);
    });
  }

  /**
   * Reads the watched files now if any changed since they were last read, as the timer does; from
   * any thread.
   *
   * @return whether new rules were swapped in
   */
  public Future<Boolean> checkForChanges() {
    io.vertx.core.Promise<Boolean> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> check().onComplete(done));
    return done.future();
  }

  private Future<Boolean> check() {
    if (checking || pushed) {
      return Future.succeededFuture(false);
    }
    checking = true;
    List<String> paths = watched();
    Map<String, String> before = new HashMap<>(stamps);
    return stampAll(paths)
        .compose(v -> stamps.equals(before) ? Future.succeededFuture(false)
            // replace() has logged why a text was refused.
            : readAll(v).compose(files -> replace(files).map(true).otherwise(false)))
        .recover(t -> {
          LOG.warning(() -> "policy: cannot reload, previous rules kept: " + t.getMessage());
          return Future.succeededFuture(false);
        })
        .eventually(() -> {
          checking = false;
          return Future.succeededFuture();
        });
  }

  private List<String> watched() {
    List<String> paths = new ArrayList<>();
    if (!config.accessMap().isEmpty()) {
      paths.add(config.accessMap());
    }
    if (!config.tlsPolicyMap().isEmpty()) {
      paths.add(config.tlsPolicyMap());
    }
    return paths;
  }

  /** Records each file's size and modification time; a file that cannot be read fails the lot. */
  private Future<List<String>> stampAll(List<String> paths) {
    List<Future<FileProps>> props = new ArrayList<>();
    for (String p : paths) {
      props.add(vertx.fileSystem().props(p));
    }
    return Future.all(props).map(all -> {
      for (int i = 0; i < paths.size(); i++) {
        FileProps fp = all.resultAt(i);
        stamps.put(paths.get(i), fp.size() + "/" + fp.lastModifiedTime());
      }
      return paths;
    }).recover(t -> Future.failedFuture(new IllegalStateException("cannot read policy files: " + t.getMessage())));
  }

  private Future<List<PolicyFile>> readAll(List<String> paths) {
    List<Future<Buffer>> reads = new ArrayList<>();
    for (String p : paths) {
      reads.add(vertx.fileSystem().readFile(p));
    }
    return Future.all(reads).map(all -> {
      List<PolicyFile> files = new ArrayList<>();
      for (int i = 0; i < paths.size(); i++) {
        String p = paths.get(i);
        PolicyFile.Kind kind = p.equals(config.accessMap()) ? PolicyFile.Kind.ACCESS_MAP
            : PolicyFile.Kind.TLS_POLICY_MAP;
        files.add(new PolicyFile(kind, p, all.<Buffer>resultAt(i).toString(StandardCharsets.UTF_8)));
      }
      return files;
    });
  }

  /** Compiling a large map is CPU work: it runs on a worker, never on the event loop. */
  private Future<PolicyModel> compile(List<PolicyFile> files) {
    return vertx.executeBlocking(() -> PolicyModel.compile(files), false);
  }

  private static String describe(PolicyModel model) {
    return String.join(", ", model.sources()) + " " + model.counts();
  }

  private Future<?> listen() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<SessionCheck>consumer(SessionCheck.ADDRESS, m -> answer(m, SessionCheck.class, this::session))
            .completion(),
        bus.<MailCheck>consumer(MailCheck.ADDRESS, m -> answer(m, MailCheck.class, this::sender)).completion(),
        bus.<RelayCheck>consumer(RelayCheck.ADDRESS, m -> answer(m, RelayCheck.class, this::relay)).completion(),
        bus.<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS,
            m -> answer(m, DestinationTlsCheck.class, q -> engine.destinationTls(q))).completion(),
        bus.<TargetTlsCheck>consumer(TargetTlsCheck.ADDRESS,
            m -> answer(m, TargetTlsCheck.class, q -> engine.targetTls(q))).completion(),
        bus.<ServerTlsCheck>consumer(ServerTlsCheck.ADDRESS, m -> answer(m, ServerTlsCheck.class, this::serverTls))
            .completion(),
        bus.<ClientTlsCheck>consumer(ClientTlsCheck.ADDRESS, m -> answer(m, ClientTlsCheck.class, this::clientTls))
            .completion()));
  }

  // The four answers below are logged by inbound, once, with the session's id, the reply and the
  // rule (its "reject:" lines); here only at debug level, for tracing policy itself.
  private SessionPolicy session(SessionCheck q) {
    SessionPolicy p = engine.session(q);
    if (p.decision() != Decision.ACCEPT) {
      LOG.fine(() -> "policy: refused connect from " + client(q.clientName(), q.clientIp()) + ": " + p.reply() + "; rule=" + p.rule());
    }
    return p;
  }

  private RelayVerdict relay(RelayCheck q) {
    RelayVerdict v = engine.relay(q);
    if (v.decision() != Decision.ACCEPT) {
      LOG.fine(() -> "policy: refused RCPT from " + client(q.clientName(), q.clientIp()) + ": " + v.reply() + "; from=" + q.sender()
          + " to=" + q.recipient() + " helo=<" + q.helo() + "> rule=" + v.rule());
    }
    return v;
  }

  private TlsVerdict clientTls(ClientTlsCheck q) {
    TlsVerdict v = engine.clientTls(q);
    if (v.decision() != Decision.ACCEPT) {
      LOG.fine(() -> "policy: refused STARTTLS from " + client(q.clientName(), q.clientIp()) + ": " + v.reply() + "; version=" + q.tls().version()
          + " verify=" + q.tls().verify() + " bits=" + q.tls().bits() + " rule=" + v.rule());
    }
    return v;
  }

  private SenderVerdict sender(MailCheck q) {
    SenderVerdict v = engine.sender(q);
    if (v.decision() != Decision.ACCEPT) {
      LOG.fine(() -> "policy: refused MAIL from " + client(q.clientName(), q.clientIp()) + ": " + v.reply() + "; from="
          + q.sender() + " helo=<" + q.helo() + "> rule=" + v.rule());
    }
    return v;
  }

  /** Postfix's {@code name[ip]}, with {@code unknown} for a client whose name did not confirm. */
  private static String client(String name, String ip) {
    return (name == null ? "unknown" : name) + "[" + ip + "]";
  }

  private ServerTlsVerdict serverTls(ServerTlsCheck q) {
    ServerTlsVerdict v = engine.serverTls(q);
    String peer = q.host() + "[" + q.ip() + "]:" + q.port();
    String tls = q.tls() == null ? "none verify=" + q.verify() : q.tls().version() + " verify=" + q.tls().verify() + " bits="
        + q.tls().bits();
    if (v.session().decision() != Decision.ACCEPT) {
      LOG.info(() -> "reject: tls_server " + peer + ": " + v.session().reply() + "; tls=" + tls
          + " rule=" + v.session().rule());
    }
    for (int i = 0; i < v.recipients().size(); i++) {
      TlsVerdict r = v.recipients().get(i);
      if (r.decision() != Decision.ACCEPT) {
        String to = q.recipients().get(i).toString();
        LOG.info(() -> "reject: tls_rcpt to=" + to + " via " + peer + ": " + r.reply() + "; tls=" + tls
            + " rule=" + r.rule());
      }
    }
    return v;
  }

  /**
   * Answers one request. A body of the wrong type is refused with a failure, which the sender
   * treats as a temporary failure: nothing on the bus is trusted to be what it claims.
   */
  private static <Q> void answer(Message<Q> m, Class<Q> type, Function<Q, ?> rule) {
    Object body = m.body();
    if (!type.isInstance(body)) {
      m.fail(400, "expected " + type.getSimpleName());
      return;
    }
    try {
      m.reply(rule.apply(type.cast(body)));
    } catch (RuntimeException e) {
      LOG.warning(() -> "policy evaluation failed: " + e);
      m.fail(500, "policy evaluation failed");
    }
  }
}

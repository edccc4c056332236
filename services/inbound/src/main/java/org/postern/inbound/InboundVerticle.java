package org.postern.inbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import org.postern.bus.BodyTransfer;
import org.postern.bus.PolicyQuestions;
import org.postern.bus.QueueHandoff;
import org.postern.config.InboundConfig;
import org.postern.config.Listener;
import org.postern.config.TlsConfig;
import org.postern.smtp.BodyMemory;
import org.postern.tls.ClientCertVerifier;
import org.postern.tls.ServerCredentials;
import org.postern.tls.ServerTls;
import org.postern.tls.TlsEngine;

/**
 * Opens the configured listeners and runs one {@link SmtpConnection} per client.
 * See the package comment for what it trusts.
 */
public final class InboundVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.inbound");

  /** Limits and listener TLS modes; replaced by {@link #update}, on this verticle's event loop. */
  private InboundConfig config;
  /** Protocols, suites, CA and CRL files; replaced by {@link #update}, on this verticle's event loop. */
  private TlsConfig tls;
  /** What new connections share; replaced by {@link #update}. Null until started. */
  private InboundContext ctx;
  private final String hostname;
  private final TlsEngine engine;
  /** Replaced by {@link #updateCredentials} and {@link #update}, always on this verticle's event loop. */
  private List<ServerCredentials> credentials;
  /** Per listener, in listener order, the TLS options that new STARTTLS sessions get (null: no STARTTLS). */
  private final List<ServerSSLOptions> listenerTls = new ArrayList<>();
  /** Each listener's options without a certificate request, for clients whose Srv_Features say V. */
  private final List<ServerSSLOptions> listenerTlsNoCert = new ArrayList<>();
  private final Duration policyTimeout;
  /** This node's policy answering in process, or null: questions go over the bus. */
  private PolicyQuestions policyInProcess;
  private final Clock clock;
  private final List<NetServer> servers = new ArrayList<>();
  private final Shared shared;
  private final Set<SmtpConnection> connections = new HashSet<>();
  private long sweep;
  private long sweeps;

  /**
   * @param credentials the server certificates for STARTTLS, or null when none could be loaded:
   *     STARTTLS is then answered with 454, as the seeds describe
   */
  public InboundVerticle(InboundConfig config, TlsConfig tls, String hostname, TlsEngine engine,
      List<ServerCredentials> credentials, Duration policyTimeout, Clock clock) {
    this(config, tls, hostname, engine, credentials, policyTimeout, clock, new Shared(config));
  }

  /**
   * One of several instances that serve the same listeners on different event loops; they share
   * {@code shared} (one per node), so the connection limits hold for the listener as a whole.
   */
  public InboundVerticle(InboundConfig config, TlsConfig tls, String hostname, TlsEngine engine,
      List<ServerCredentials> credentials, Duration policyTimeout, Clock clock, Shared shared) {
    if (shared.limits.size() != config.listeners().size()) {
      throw new IllegalArgumentException("shared state is for another listener list");
    }
    this.shared = shared;
    this.config = config;
    this.tls = tls;
    this.hostname = hostname;
    this.engine = engine;
    this.credentials = credentials;
    this.policyTimeout = policyTimeout;
    this.clock = clock;
  }

  /**
   * Lets the sessions ask this node's own policy role in process, on their event loop, instead of
   * over the bus (where, in a cluster, any node's policy may answer). Set before deployment; a
   * node without the policy role leaves it unset.
   */
  public void policyInProcess(PolicyQuestions questions) {
    policyInProcess = questions;
  }

  private PolicyQuestions policy() {
    return policyInProcess != null ? policyInProcess : PolicyQuestions.overBus(vertx, policyTimeout);
  }

  @Override
  public Future<?> start() {
    return Future.all(loadAuthUsers(), loadClientCertVerifier()).compose(loaded -> {
      ctx = new InboundContext(config, hostname, engine, loaded.resultAt(1), loaded.resultAt(0),
          policy(), clock, handoff(config), shared.bodyMemory, shared.metrics);
      List<Future<?>> listening = new ArrayList<>();
      for (int i = 0; i < config.listeners().size(); i++) {
        listening.add(listen(config.listeners().get(i), shared.limits.get(i)));
      }
      // One sweep for all sessions instead of a timer per session: idle and data-rate checks.
      sweep = vertx.setPeriodic(1000, t -> sweep());
      return Future.all(listening);
    });
  }

  private Future<AuthUsers> loadAuthUsers() {
    if (config.authUsers().isEmpty()) {
      return Future.succeededFuture(null);
    }
    return vertx.executeBlocking(() -> AuthUsers.load(Path.of(config.authUsers())))
        .onSuccess(u -> LOG.info(() -> "AUTH PLAIN and LOGIN offered inside TLS for " + u.size() + " user(s) from "
            + config.authUsers()))
        .recover(e -> Future.failedFuture(new IllegalStateException("inbound.auth_users: " + e.getMessage())));
  }

  /** CA file, CA path and CRL for client certificates, read on a worker. */
  private Future<ClientCertVerifier> loadClientCertVerifier() {
    if (!asksForClientCertificates(config)) {
      return Future.succeededFuture(ClientCertVerifier.none());
    }
    return vertx.executeBlocking(() -> ClientCertVerifier.load(tls))
        .onSuccess(v -> {
          // ccert=request is the default, and harmless without a CA; policy warns about rules that
          // need a verified certificate. A listener that requires one refuses every client.
          if (!v.configured() && config.listeners().stream().anyMatch(l -> l.clientCerts() == Listener.ClientCerts.REQUIRE)) {
            LOG.warning("a listener requires client certificates (ccert=require) but neither tls.ca_file nor"
                + " tls.ca_path is set: every client will be refused");
          }
        })
        .recover(e -> Future.failedFuture(new IllegalStateException("client certificates: " + e.getMessage())));
  }

  private ServerSSLOptions tlsOptions(Listener l) {
    return credentials == null || l.tls() == Listener.Tls.NONE ? null
        : ServerTls.options(credentials, tls, l.clientCerts(), config.tlsHandshakeTimeout());
  }

  /** Built once per listener, not per connection: Vert.x keeps one SSL context per distinct options. */
  private ServerSSLOptions tlsOptionsNoCert(Listener l) {
    return credentials == null || l.tls() == Listener.Tls.NONE ? null
        : ServerTls.options(credentials, tls, Listener.ClientCerts.NONE, config.tlsHandshakeTimeout());
  }

  /**
   * Swaps the server certificates for connections accepted from now on (a hot reload or a config
   * push). Sessions already running, in TLS or not yet, keep what they started with, so nothing is
   * dropped. The credentials are loaded and checked by the caller, on a worker thread.
   */
  public Future<Void> updateCredentials(List<ServerCredentials> fresh) {
    List<ServerCredentials> copy = List.copyOf(fresh);
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      credentials = copy;
      for (int i = 0; i < listenerTls.size(); i++) {
        listenerTls.set(i, tlsOptions(config.listeners().get(i)));
        listenerTlsNoCert.set(i, tlsOptionsNoCert(config.listeners().get(i)));
      }
      done.complete();
    });
    return done.future();
  }

  /**
   * Why no client certificate can ever be verified here, for policy's warning about rules that
   * need one; null when one can.
   */
  public static String clientCertificateGap(InboundConfig config, TlsConfig tls) {
    if (!asksForClientCertificates(config)) {
      return "no listener asks clients for a certificate (inbound.listeners: ccert=none or tls none on every one)";
    }
    if (tls.caFile().isEmpty() && tls.caPath().isEmpty()) {
      return "neither tls.ca_file nor tls.ca_path is set, so every client certificate is verify=FAIL";
    }
    return null;
  }

  /** Whether any listener asks clients for a certificate, so the CA file and CRL are needed. */
  public static boolean asksForClientCertificates(InboundConfig config) {
    return config.listeners().stream().anyMatch(l -> l.clientCerts() != Listener.ClientCerts.NONE);
  }

  /**
   * Swaps limits, listener TLS modes, TLS settings, certificates and the client-certificate
   * verifier at once, for connections accepted from now on (a configuration push). Sessions already
   * running keep what they started with, so nothing is dropped. Everything is loaded and checked
   * by the caller, on a worker thread; the listeners' addresses must be the ones running.
   */
  public Future<Void> update(InboundConfig newConfig, TlsConfig newTls, List<ServerCredentials> fresh,
      ClientCertVerifier verifier) {
    if (newConfig.listeners().size() != config.listeners().size()) {
      return Future.failedFuture(new IllegalArgumentException("a live update cannot change the listeners"));
    }
    List<ServerCredentials> copy = fresh == null ? null : List.copyOf(fresh);
    if (context == null) {
      // Not deployed yet (a node applying the cluster's configuration before its listener opens):
      // start() reads these, and loads the verifier from newTls itself.
      config = newConfig;
      tls = newTls;
      credentials = copy;
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      config = newConfig;
      tls = newTls;
      credentials = copy;
      ctx = new InboundContext(newConfig, hostname, engine, verifier, ctx.authUsers(), ctx.policy(), clock,
          handoff(newConfig), shared.bodyMemory, shared.metrics);
      for (int i = 0; i < listenerTls.size(); i++) {
        listenerTls.set(i, tlsOptions(config.listeners().get(i)));
        listenerTlsNoCert.set(i, tlsOptionsNoCert(config.listeners().get(i)));
      }
      done.complete();
    });
    return done.future();
  }

  private Future<NetServer> listen(Listener l, ConnectionLimits lim) {
    ServerSSLOptions serverTls = tlsOptions(l);
    int index = listenerTls.size();
    listenerTls.add(serverTls);
    listenerTlsNoCert.add(tlsOptionsNoCert(l));
    NetServerOptions options = new NetServerOptions()
        .setHost(l.address())
        .setPort(l.port())
        // TLS starts with STARTTLS on the same port, never at accept time.
        .setSsl(false)
        .setSslEngineOptions(engine.options());
    NetServer server = vertx.createNetServer(options).connectHandler(socket -> {
      // What is in force now: a push may have changed the mode, the TLS options or the limits.
      SmtpConnection c = new SmtpConnection(vertx, socket, config.listeners().get(index), listenerTls.get(index),
          listenerTlsNoCert.get(index), ctx, lim);
      if (c.start()) {
        connections.add(c);
      }
    });
    servers.add(server);
    return server.listen().recover(e -> Future.failedFuture(new IllegalStateException("inbound.listeners: cannot listen on "
        + l + ": " + e.getMessage()))).compose(s -> {
      if (serverTls != null && !SharedPortTls.apply(s)) {
        return s.close().transform(v -> Future.<NetServer>failedFuture(new IllegalStateException(
            "listener " + l + ": STARTTLS cannot work on a second event loop with this Vert.x version;"
                + " set inbound.event_loops = 1")));
      }
      return Future.succeededFuture(s);
    }).onSuccess(s -> {
      // Every instance binds the listener (one per event loop); the operator hears of it once.
      if (shared.announced.get(index).compareAndSet(false, true)) {
        LOG.info(() -> "listening on " + l + " (port " + s.actualPort()
            + "), STARTTLS " + (l.tls() == Listener.Tls.NONE ? "off"
            : serverTls == null ? "unavailable (no usable certificate)" : "via " + engine.description()));
      }
    });
  }

  private void sweep() {
    long now = clock.millis();
    boolean stressed = shared.limits.stream().anyMatch(ConnectionLimits::underStress);
    connections.removeIf(SmtpConnection::isClosed);
    for (SmtpConnection c : connections) {
      c.tick(now, stressed);
    }
    if (++sweeps % 60 == 0) {
      shared.limits.forEach(l -> l.prune(now));
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweep);
    return Future.all(servers.stream().map(NetServer::close).toList());
  }

  /**
   * The node is stopping: the listeners stop accepting at once, and each session is told (its
   * {@link SmtpConnection#shutDown}): a session past the end of DATA gets its message stored and
   * its 250, and every session gets 421 4.3.2 and is closed. Completes, with how many
   * sessions were open, when all have ended, or after {@code grace}, when the rest are closed.
   */
  public Future<Integer> drain(Duration grace) {
    Promise<Integer> done = Promise.promise();
    context.runOnContext(v -> {
      connections.removeIf(SmtpConnection::isClosed);
      int open = connections.size();
      Future.join(servers.stream().map(s -> s.shutdown(grace)).toList()).onComplete(ar -> done.complete(open));
    });
    return done.future();
  }

  /** The ports actually bound, in listener order (useful when a listener asks for port 0). */
  public List<Integer> ports() {
    return servers.stream().map(NetServer::actualPort).toList();
  }

  private QueueHandoff handoff(InboundConfig c) {
    return shared.queueOnThisNode ? QueueHandoff.local(vertx, c.queueTimeout())
        : QueueHandoff.remote(vertx, c.queueTimeout(), BodyTransfer.Options.defaults());
  }

  /**
   * What the instances serving the same listeners share: one connection-limit tally per listener,
   * and the node's budget of message text held in memory.
   */
  public static final class Shared {
    private final List<ConnectionLimits> limits;
    private final boolean queueOnThisNode;
    private final BodyMemory bodyMemory;
    /** Per listener: whether an instance has logged that it listens. */
    private final List<java.util.concurrent.atomic.AtomicBoolean> announced;
    private final InboundMetrics metrics;

    /** For a node that runs the queue too. */
    public Shared(InboundConfig config) {
      this(config, true);
    }

    /**
     * @param queueOnThisNode whether this node runs the queue role: messages then go to it by
     *     reference; otherwise (a clustered node without it) to a queue node, the body in chunks
     */
    public Shared(InboundConfig config, boolean queueOnThisNode) {
      this(config, queueOnThisNode, new InboundMetrics());
    }

    /** @param metrics where the listeners count what they do */
    public Shared(InboundConfig config, boolean queueOnThisNode, InboundMetrics metrics) {
      this.metrics = metrics;
      this.limits = config.listeners().stream().map(l -> new ConnectionLimits(config)).toList();
      this.queueOnThisNode = queueOnThisNode;
      this.bodyMemory = new BodyMemory(config.bodyMemoryLimit());
      this.announced = config.listeners().stream().map(l -> new java.util.concurrent.atomic.AtomicBoolean()).toList();
    }

    /** The node's budget of message text in memory ({@code inbound.max_body_memory}). */
    public BodyMemory bodyMemory() {
      return bodyMemory;
    }

    /**
     * New connection limits for every listener from the next connection on (a configuration push);
     * sessions already counted stay counted. Thread-safe: each tally switches under its own lock.
     */
    public void limits(InboundConfig config) {
      limits.forEach(l -> l.limits(config));
    }
  }

  /**
   * How many instances to deploy for {@code inbound.event_loops}: one per core by default, and one
   * when a listener asks for port 0 (each instance would bind a different free port) or when
   * STARTTLS could not work beyond the first event loop.
   */
  public static int instances(InboundConfig config) {
    int wanted = config.eventLoops() == 0 ? Runtime.getRuntime().availableProcessors() : config.eventLoops();
    boolean anyPort0 = config.listeners().stream().anyMatch(l -> l.port() == 0);
    return anyPort0 || !SharedPortTls.available() ? 1 : Math.max(1, wanted);
  }
}

package org.postern.node;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.logging.Logger;
import org.postern.bus.Contracts;
import org.postern.config.LiveSettings;
import org.postern.config.PosternConfig;
import org.postern.config.Settings;
import org.postern.node.cluster.ClusterQueueAdmin;
import org.postern.node.cluster.ClusterMembers;
import org.postern.node.cluster.ClusterMetrics;
import org.postern.node.cluster.MetricsRelay;
import org.postern.node.cluster.QueueAdminRelay;
import org.postern.node.push.ConfigPushVerticle;
import org.postern.node.push.ConfigRoutes;
import org.postern.inbound.InboundVerticle;
import org.postern.outbound.OutboundVerticle;
import org.postern.policy.PolicyVerticle;
import org.postern.queue.ClusterView;
import org.postern.queue.QueueVerticle;
import org.postern.smtp.BodyMemory;
import org.postern.tls.ServerCredentials;
import org.postern.tls.SessionTickets;
import org.postern.tls.TlsEngine;

/** A running node: the Vert.x instance and the verticles for its roles. */
public final class Node {

  private static final Logger LOG = Logger.getLogger("postern.node");

  private final Vertx vertx;
  private final List<InboundVerticle> listeners;
  private final QueueVerticle queue;
  private final AdminBridge admin;
  private final TlsReloader tls;
  private final PolicyVerticle policy;
  private final InboundLive live;
  private final Readiness readiness;
  private final MetricsListener metricsListener;
  private final AutoCloseable jvmMetrics;

  private Node(Vertx vertx, List<InboundVerticle> listeners, QueueVerticle queue, AdminBridge admin, TlsReloader tls,
      PolicyVerticle policy, InboundLive live, Readiness readiness, MetricsListener metricsListener,
      AutoCloseable jvmMetrics) {
    this.vertx = vertx;
    this.listeners = List.copyOf(listeners);
    this.queue = queue;
    this.admin = admin;
    this.tls = tls;
    this.policy = policy;
    this.live = live;
    this.readiness = readiness;
    this.metricsListener = metricsListener;
    this.jvmMetrics = jvmMetrics;
  }

  /**
   * Starts a node. Blocking steps (reading certificate files, generating a key) run before any
   * event loop serves traffic, on the calling thread or a worker.
   */
  public static Future<Node> start(PosternConfig config, Set<Role> roles) {
    Future<Void> keys = checkKeys(config, roles);
    return keys.failed() ? Future.failedFuture(keys.cause()) : start(Vertx.vertx(), config, roles);
  }

  /**
   * Before anything runs: an exposed key stops the node (as OpenSMTPD does), since serving with it
   * would endorse a key that may already be copied. Runs on the caller's thread, not a loop.
   */
  private static Future<Void> checkKeys(PosternConfig config, Set<Role> roles) {
    if (roles.contains(Role.INBOUND)) {
      try {
        ServerCredentials.checkKeyFiles(config.tls(), Path.of(config.node().dataDir()));
      } catch (IOException e) {
        return Future.failedFuture(e);
      }
    }
    return Future.succeededFuture();
  }

  /**
   * Starts a node on {@code vertx}, standalone or clustered; the verticles do not know which. On
   * failure {@code vertx} is closed (a clustered one leaves the cluster).
   */
  public static Future<Node> start(Vertx vertx, PosternConfig config, Set<Role> roles) {
    return start(vertx, config, roles, () -> 1);
  }

  /**
   * As {@link #start(Vertx, PosternConfig, Set)}, in a cluster of {@code members} nodes (the count
   * may change while it runs): configuration pushes wait for that many answers.
   */
  public static Future<Node> start(Vertx vertx, PosternConfig config, Set<Role> roles, IntSupplier members) {
    return start(vertx, config, roles, members, null, null);
  }

  /**
   * As {@link #start(Vertx, PosternConfig, Set, IntSupplier)}, in a cluster: through {@code cluster},
   * the queue's view of Hazelcast's members, the queue keeps replicas on other queue nodes; with
   * {@code view}, the queue answers other members' admin requests and the admin API answers for the
   * cluster. Both are null on a standalone node.
   */
  public static Future<Node> start(Vertx vertx, PosternConfig config, Set<Role> roles, IntSupplier members,
      ClusterView cluster, ClusterMembers view) {
    Future<Void> keys = checkKeys(config, roles);
    if (keys.failed()) {
      return vertx.close().transform(ignored -> Future.failedFuture(keys.cause()));
    }
    if (cluster != null) {
      try {
        Role.checkCluster(roles);
      } catch (IllegalArgumentException e) {
        return vertx.close().transform(ignored -> Future.failedFuture(e));
      }
    }
    Contracts.register(vertx);
    SessionTickets tickets = sessionTickets(config);
    TlsEngine engine = TlsEngine.choose(config.tls().engine(), config.tls().groups(), tickets);
    if (engine.fellBack()) {
      LOG.warning("tls.engine is openssl but BoringSSL could not load; falling back to " + engine.description());
    }
    LOG.info("TLS engine: " + engine.description());
    String hostname = config.node().hostname();
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AutoCloseable jvmMetrics = NodeMetrics.bindJvm(metrics);
    Readiness readiness = new Readiness();
    MetricsListener[] metricsListener = new MetricsListener[1];
    Future<List<ServerCredentials>> serverTls = roles.contains(Role.INBOUND)
        ? vertx.executeBlocking(() -> {
          loadSessionTickets(tickets, engine);
          return loadServerTls(config, hostname);
        })
        : Future.succeededFuture();
    List<InboundVerticle> listeners = new ArrayList<>();
    AdminBridge[] admin = new AdminBridge[1];
    TlsReloader[] reloader = new TlsReloader[1];
    QueueVerticle[] queueRole = new QueueVerticle[1];
    PolicyVerticle[] policyRole = new PolicyVerticle[1];
    InboundLive[] liveInbound = new InboundLive[1];
    // The metrics listener opens first, so that a probe reads why the node is not ready yet.
    Future<?> probes = deployMetricsListener(vertx, config, metrics, readiness).map(l -> metricsListener[0] = l);
    return probes.compose(p -> serverTls).compose(tlsOptions -> {
      Future<?> chain = Future.succeededFuture();
      // The listener's instances and certificate watcher exist before anything is deployed, so that
      // the configuration push verticle can apply the cluster's current push to them before they start.
      InboundLive live = null;
      if (roles.contains(Role.INBOUND)) {
        // One instance per event loop wanted: they share the listening ports (Vert.x hands each
        // new connection to the next one) and one tally of connection limits.
        // In a cluster, a node without the queue role hands bodies to a queue node in chunks.
        InboundVerticle.Shared shared = new InboundVerticle.Shared(config.inbound(),
            cluster == null || roles.contains(Role.QUEUE), new org.postern.inbound.InboundMetrics(metrics));
        BodyMemory memory = shared.bodyMemory();
        if (memory.limit() < config.inbound().maxMessageSize()) {
          // Only the default can get here (an explicit value is checked against the SIZE limit).
          LOG.warning("inbound.max_body_memory: a quarter of this JVM's heap (" + memory.limit() + " octets) is less than"
              + " inbound.max_message_size (" + config.inbound().maxMessageSize() + "): the largest messages will get"
              + " 452 4.3.1; give the JVM more heap (-Xmx) or set inbound.max_body_memory");
        }
        Gauge.builder("postern_inbound_body_memory_octets", memory, BodyMemory::used)
            .description("octets of message text the sessions hold in memory (inbound.max_body_memory)").register(metrics);
        Gauge.builder("postern_inbound_body_memory_limit_octets", memory, BodyMemory::limit)
            .description("inbound.max_body_memory, resolved").register(metrics);
        int instances = InboundVerticle.instances(config.inbound());
        for (int i = 0; i < instances; i++) {
          listeners.add(new InboundVerticle(config.inbound(), config.tls(), hostname, engine, tlsOptions,
              config.policy().timeout(), Clock.systemUTC(), shared));
        }
        // Expiry warnings and hot reload of the files the listener's certificates come from.
        reloader[0] = new TlsReloader(config.tls().reloadInterval(),
            ServerCredentials.files(config.tls(), Path.of(config.node().dataDir())),
            () -> ServerCredentials.loadAll(config.tls(), Path.of(config.node().dataDir()), hostname),
            fresh -> Future.all(listeners.stream().map(l -> l.updateCredentials(fresh)).toList()).mapEmpty(),
            new CertificateExpiry(metrics, config.tls().expiryWarningDays(), Clock.systemUTC()), tlsOptions);
        live = new InboundLive(vertx, listeners, shared, reloader[0], Path.of(config.node().dataDir()), hostname);
        liveInbound[0] = live;
      }
      // Policy and queue come first, so the listener never accepts a client it cannot serve.
      PolicyVerticle policy = roles.contains(Role.POLICY) ? new PolicyVerticle(config.policy()) : null;
      if (policy != null && roles.contains(Role.INBOUND)) {
        policy.clientCertificateGap(InboundVerticle.clientCertificateGap(config.inbound(), config.tls()));
        // This node's sessions ask its own policy on their event loop; without the role, the bus.
        listeners.forEach(l -> l.policyInProcess(policy.inProcess()));
      }
      policyRole[0] = policy;
      if (policy != null) {
        chain = chain.compose(v -> readiness.starting("policy")).compose(v -> deploy(vertx, policy));
      }
      // Every node answers configuration pushes, and applies the cluster's current one before
      // its listener opens.
      ConfigPushVerticle pushes = new ConfigPushVerticle(hostname, config,
          Settings.CLUSTER_OPERATOR_KEYS.parse(config.values().get(Settings.CLUSTER_OPERATOR_KEYS.key())), policy,
          live, engine);
      chain = chain.compose(v -> deploy(vertx, pushes));
      if (view != null) {
        // Every member, whatever its roles, answers for its metrics in the cluster's page.
        chain = chain.compose(v -> deploy(vertx, new MetricsRelay(view.self(), hostname, metrics)));
      }
      if (roles.contains(Role.QUEUE)) {
        QueueVerticle queue = new QueueVerticle(config.queue(), hostname, Clock.systemUTC(), cluster, metrics);
        // Recovered mail waits until every role of this node listens: handed to an outbound that
        // is not deployed yet, it would be deferred for queue.min_backoff with "No handlers".
        queue.holdDeliveries();
        queueRole[0] = queue;
        registerQueueMetrics(queue, metrics, cluster != null);
        chain = chain.compose(v -> readiness.starting("queue: recovering the spool")).compose(v -> deploy(vertx, queue));
        if (view != null) {
          // Other members' admin APIs reach this queue through its node's own address.
          chain = chain.compose(v -> deploy(vertx, new QueueAdminRelay(view.self(), hostname, AdminBridge.QUEUE_DEADLINE)));
        }
      }
      if (roles.contains(Role.OUTBOUND)) {
        OutboundVerticle outbound = new OutboundVerticle(config.outbound(), config.tls(), hostname, engine)
            .sealingWith(config.cluster()).meters(metrics);
        if (policy != null) {
          outbound.policyInProcess(policy.inProcess());
        }
        chain = chain.compose(v -> readiness.starting("outbound")).compose(v -> deploy(vertx, outbound));
      }
      if (roles.contains(Role.INBOUND)) {
        chain = chain.compose(v -> readiness.starting("inbound: opening the listeners"));
        for (InboundVerticle verticle : listeners) {
          chain = chain.compose(v -> deploy(vertx, verticle));
        }
        if (tickets.enabled() && engine.isOpenSsl()) {
          chain = chain.compose(v -> deploy(vertx, new SessionTicketRotation(tickets, Clock.systemUTC())));
        }
        chain = chain.onSuccess(v -> LOG.info("inbound listeners on " + listeners.size() + " event loop(s)"));
        chain = chain.compose(v -> deploy(vertx, reloader[0]));
      }
      // The admin API runs beside the queue it administers (postern queue); see deploy/README.md.
      // It opens last, so that a node that answers it (a health check) is a node that started.
      if (roles.contains(Role.QUEUE) && config.node().adminListen() != null) {
        chain = chain.compose(v -> deployAdmin(vertx, config, metrics, members, view).map(a -> {
          admin[0] = a;
          return null;
        }));
      }
      if (queueRole[0] != null) {
        chain = chain.compose(v -> queueRole[0].startDeliveries());
      }
      return chain;
    }).map(v -> {
      readiness.ready();
      LOG.info("node started with roles " + roles + " as " + hostname);
      return new Node(vertx, listeners, queueRole[0], admin[0], reloader[0], policyRole[0], liveInbound[0], readiness,
          metricsListener[0], jvmMetrics);
    }).recover(e -> {
      // The failure is reported now, not when the close completes: a close started on one of the
      // event loops it stops never reports back, and the launcher would wait for ever.
      closeQuietly(jvmMetrics);
      vertx.close();
      return Future.failedFuture(e);
    });
  }

  /**
   * The queue's counters and size gauges. Micrometer holds the object it reads weakly: it reads
   * them through the queue verticle, which lives as long as the node (a supplier of their own,
   * held by nothing else, would be collected and the series would read 0 or NaN after a GC).
   */
  private static void registerQueueMetrics(QueueVerticle queue, PrometheusMeterRegistry metrics, boolean clustered) {
    // Replicas and bodies from other nodes exist only in a cluster: on a standalone node these
    // series would be zeros an operator has to learn to ignore.
    if (clustered) {
      queue.replicationCounters().forEach((name, value) -> FunctionCounter.builder("postern_queue_" + name, queue,
          q -> value.getAsLong()).description("queue replication: " + name.replace('_', ' ')).register(metrics));
      queue.intakeCounters().forEach((name, value) -> FunctionCounter.builder("postern_queue_" + name, queue,
          q -> value.getAsLong()).description("bodies from inbound on other nodes: " + name.replace('_', ' '))
          .register(metrics));
    }
    queue.sizeGauges().forEach((name, value) -> (name.equals("octets")
        ? Gauge.builder("postern_queue_octets", queue, q -> value.getAsLong()).description("octets of the queued messages")
        : Gauge.builder("postern_queue_messages", queue, q -> value.getAsLong()).tag("state", name)
            .description("queued messages by state, as counted at most 5 s ago"))
        .register(metrics));
  }

  /** {@code tls.session_tickets}, {@code tls.session_ticket_key_file} and {@code tls.session_ticket_lifetime}. */
  private static SessionTickets sessionTickets(PosternConfig config) {
    return new SessionTickets(value(config, Settings.TLS_SESSION_TICKETS).equals("yes"),
        value(config, Settings.TLS_SESSION_TICKET_KEY_FILE), value(config, Settings.TLS_SESSION_TICKET_LIFETIME));
  }

  /** A setting the loader has already checked, from its text (a configuration built in a test may leave it out). */
  private static <T> T value(PosternConfig config, org.postern.config.Setting<T> s) {
    return s.parse(config.values().getOrDefault(s.key(), s.defaultValue()));
  }

  /** Reads the ticket secret before any listener builds a context; a bad secret file stops the start. Blocking. */
  private static void loadSessionTickets(SessionTickets tickets, TlsEngine engine) throws IOException {
    if (!engine.isOpenSsl()) {
      LOG.info("TLS session tickets: the JDK engine keeps its own, per process; tls.session_ticket_* apply to openssl");
      return;
    }
    tickets.load(java.time.Instant.now());
    LOG.info(tickets.describe());
  }

  /**
   * Loads the server credentials. A certificate that cannot be used (unreadable, expired chain,
   * a key that does not match) stops the start: a relay that silently answers STARTTLS with 454
   * would look up to a health check while every TLS-requiring peer defers. A certificate that
   * breaks later, at a reload, keeps the one in use instead (TlsReloader). Runs on a worker thread.
   */
  private static List<ServerCredentials> loadServerTls(PosternConfig config, String hostname) throws IOException {
    List<ServerCredentials> all;
    try {
      all = ServerCredentials.loadAll(config.tls(), Path.of(config.node().dataDir()), hostname);
    } catch (IOException | RuntimeException e) {
      throw new IOException("tls.cert_chain: cannot use the server certificate: " + e.getMessage(), e);
    }
    for (ServerCredentials creds : all) {
      LOG.info("server certificate: " + creds.source() + ", subject " + creds.leaf().getSubjectX500Principal().getName()
          + ", " + creds.keyAlgorithm() + " key, SHA-256 fingerprint " + creds.fingerprint());
    }
    return all;
  }

  /**
   * Deploys the admin API. Its failure (the port is taken, the token cannot be written) does not
   * stop the node: mail flows without it, and the error says what {@code postern queue} will miss.
   */
  private static Future<AdminBridge> deployAdmin(Vertx vertx, PosternConfig config, PrometheusMeterRegistry metrics,
      IntSupplier members, ClusterMembers view) {
    AdminBridge bridge = new AdminBridge(config.node().adminListen(), Path.of(config.node().dataDir()), metrics,
        new ConfigRoutes(vertx, members),
        view == null ? null : new ClusterQueueAdmin(vertx, view, AdminBridge.QUEUE_DEADLINE),
        new ClusterMetrics(vertx, view, config.node().hostname(), metrics));
    bridge.page.configure(config.policy());
    return deploy(vertx, bridge).map(id -> bridge).recover(e -> {
      LOG.severe("admin API: cannot listen on " + AdminBridge.address(config.node().adminListen().host(),
          config.node().adminListen().port()) + ": " + e.getMessage()
          + "; the node runs without it, and postern queue cannot reach it (see node.admin_listen)");
      return Future.succeededFuture(null);
    });
  }

  /**
   * Deploys the metrics listener ({@code node.metrics_listen}), or nothing when it is off. As with
   * the admin API, a port that cannot be bound does not stop the node: mail matters more.
   */
  private static Future<MetricsListener> deployMetricsListener(Vertx vertx, PosternConfig config,
      PrometheusMeterRegistry metrics, Readiness readiness) {
    org.postern.config.HostPort listen = value(config, Settings.NODE_METRICS_LISTEN);
    if (listen == null) {
      return Future.succeededFuture(null);
    }
    MetricsListener listener = new MetricsListener(listen, metrics, readiness);
    return deploy(vertx, listener).map(id -> listener).recover(e -> {
      LOG.severe("metrics listener: cannot listen on " + AdminBridge.address(listen.host(), listen.port()) + ": "
          + e.getMessage() + "; the node runs without /metrics and /health there (see node.metrics_listen)");
      return Future.succeededFuture(null);
    });
  }

  private static Future<String> deploy(Vertx vertx, io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP));
  }

  /** The inbound listeners' bound ports, or an empty list without the inbound role. */
  public List<Integer> inboundPorts() {
    return listeners.isEmpty() ? List.of() : listeners.get(0).ports();
  }

  /** The metrics listener's port, or -1 when it is not running on this node. */
  public int metricsPort() {
    return metricsListener == null ? -1 : metricsListener.port();
  }

  /** The admin API's port, or -1 when it is not running on this node. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /**
   * Loads the certificate and key files again now and swaps them in for new connections: for a
   * configuration push that has just written them. Fails, keeping the certificates in use, when
   * they cannot be used; fails at once on a node without the inbound role.
   */
  public Future<List<ServerCredentials>> reloadTls(String why) {
    return tls == null ? Future.failedFuture("this node has no inbound role: no server certificates to reload")
        : tls.reload(why);
  }

  public Vertx vertx() {
    return vertx;
  }

  /** What {@code GET /status} of the admin API reports, besides the queue's counts. */
  void onStatusRequest(NodeStatus status) {
    if (admin != null) {
      admin.status(status);
    }
  }

  /** The server certificates served now; empty without the inbound role or a loaded certificate. */
  List<ServerCredentials> serverCertificates() {
    List<ServerCredentials> current = tls == null ? null : tls.current();
    return current == null ? List.of() : current;
  }

  /** What {@code POST /reload} of the admin API runs (on a worker): the launcher's SIGHUP reload. */
  void onReloadRequest(java.util.concurrent.Callable<ReloadReport> reload) {
    if (admin != null) {
      admin.reloader(reload);
    }
  }

  /**
   * The first half of a graceful stop: the listeners close at once and every session is told 421
   * 4.3.2 and closed, sessions past the end of DATA once their message is stored and has its 250;
   * the queue starts no new delivery and waits for those in flight to record their outcome. Completes when nothing is under way any more, or at {@code deadline}, and logs what it
   * waited for. Then {@link #stop()}.
   */
  public Future<Void> drain(Duration deadline) {
    readiness.stopping();
    long started = System.nanoTime();
    Future<Integer> sessions = Future.all(listeners.stream().map(l -> l.drain(deadline)).toList())
        .map(all -> all.<Integer>list().stream().mapToInt(Integer::intValue).sum());
    Future<Integer> deliveries = queue == null ? Future.succeededFuture(0) : queue.drain();
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(deadline.toMillis(), t -> done.tryComplete());
    Future.all(sessions, deliveries).onComplete(ar -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    LOG.info("stopping: listeners closed, no new deliveries; waiting up to " + deadline.toSeconds()
        + "s (node.shutdown_timeout) for sessions and deliveries under way");
    return done.future().onComplete(ar -> {
      long ms = (System.nanoTime() - started) / 1_000_000;
      String what = (sessions.succeeded() ? sessions.result() : "?") + " open session(s) and "
          + (deliveries.succeeded() ? deliveries.result() : "?") + " delivery attempt(s) in flight";
      if (sessions.isComplete() && deliveries.isComplete()) {
        LOG.info("stopping: waited " + ms + " ms for " + what + "; all finished");
      } else {
        LOG.warning("stopping: node.shutdown_timeout (" + deadline.toSeconds() + "s) reached while waiting for " + what
            + (sessions.isComplete() ? "" : "; sessions still open are cut off")
            + (deliveries.isComplete() ? "" : "; deliveries still in flight stay queued and count as possible duplicates"));
      }
    });
  }

  /**
   * Rereads what SIGHUP covers from {@code fresh}, the configuration file read again: the policy
   * files and the policy, inbound-limit and listener TLS settings are applied live, certificates
   * are reloaded; any other changed key is named as needing a restart. Never fails the node: what
   * cannot be applied is logged and the running configuration stays. Reads files on the caller's
   * thread: call it from one that may block (the signal handler's), never from an event loop.
   */
  public Future<ReloadReport> reload(PosternConfig running, PosternConfig fresh) {
    java.util.Set<String> changed = new java.util.TreeSet<>();
    java.util.Set<String> keys = new java.util.TreeSet<>(running.values().keySet());
    keys.addAll(fresh.values().keySet());
    for (String k : keys) {
      if (!java.util.Objects.equals(running.values().get(k), fresh.values().get(k))) {
        changed.add(k);
      }
    }
    java.util.Set<String> liveKeys = new java.util.HashSet<>();
    LiveSettings.PUSHABLE.forEach(s -> liveKeys.add(s.key()));
    liveKeys.add(Settings.POLICY_ACCESS_MAP.key());
    liveKeys.add(Settings.POLICY_TLS_POLICY_MAP.key());
    liveKeys.add(Settings.TLS_CERT_CHAIN.key());
    liveKeys.add(Settings.TLS_KEY.key());
    liveKeys.add(Settings.TLS_MORE_CERTIFICATES.key());
    // Read again by the listener's reload with the certificates (client-certificate checks).
    liveKeys.add(Settings.TLS_CA_FILE.key());
    liveKeys.add(Settings.TLS_CA_PATH.key());
    liveKeys.add(Settings.TLS_CRL_FILE.key());
    List<String> applied = new ArrayList<>();
    List<String> restart = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    for (String k : changed) {
      if (!liveKeys.contains(k)) {
        LOG.warning("reload: " + k + " changed; it takes effect at the next restart");
        restart.add(k);
      } else {
        applied.add(k);
      }
    }
    Future<?> rules = policy == null ? Future.succeededFuture() : reloadPolicy(fresh);
    if (admin != null) {
      rules.onSuccess(v -> admin.page.configure(fresh.policy())); // the admin page explains what now applies
    }
    String sockets = LiveSettings.listenerChange(running.inbound().listeners(), fresh.inbound().listeners());
    Future<?> inbound;
    if (live == null) {
      inbound = Future.succeededFuture();
    } else if (sockets != null) {
      // What is listened on is made at start: keep the listeners as they are, certificates aside.
      LOG.warning("reload: inbound.listeners changed; it takes effect at the next restart (" + sockets
          + "); the listeners keep their settings, certificates are reread");
      applied.remove(Settings.INBOUND_LISTENERS.key());
      restart.remove(Settings.INBOUND_LISTENERS.key());
      restart.add(Settings.INBOUND_LISTENERS.key() + " (" + sockets + ")");
      inbound = tls.reload("SIGHUP");
    } else {
      inbound = live.prepare(fresh.inbound(), fresh.tls()).compose(live::install)
          .onSuccess(v -> LOG.info("reload: listener limits, TLS settings and certificates reread"));
    }
    return Future.join(rules, inbound).transform(ar -> {
      if (rules.failed()) {
        LOG.warning("reload: policy kept as it was: " + rules.cause().getMessage());
        kept.add("policy kept as it was: " + rules.cause().getMessage());
      } else if (policy != null) {
        applied.add("policy files reread");
      }
      if (inbound.failed()) {
        LOG.warning("reload: listener kept as it was: " + inbound.cause().getMessage());
        kept.add("listener kept as it was: " + inbound.cause().getMessage());
      } else if (live != null) {
        applied.add(sockets == null ? "listener limits, TLS settings and certificates reread" : "certificates reread");
      }
      return Future.succeededFuture(new ReloadReport(List.of(), applied, restart, kept));
    });
  }

  private Future<?> reloadPolicy(PosternConfig fresh) {
    try {
      return policy.reload(fresh.policy(), policyFiles(fresh));
    } catch (IOException e) {
      return Future.failedFuture("cannot read a policy file: " + e.getMessage());
    }
  }

  /** The policy files {@code config} names, read now (the caller's thread may block). */
  private static List<org.postern.policy.PolicyFile> policyFiles(PosternConfig config) throws IOException {
    List<org.postern.policy.PolicyFile> files = new ArrayList<>();
    if (!config.policy().accessMap().isEmpty()) {
      files.add(new org.postern.policy.PolicyFile(org.postern.policy.PolicyFile.Kind.ACCESS_MAP,
          config.policy().accessMap(), java.nio.file.Files.readString(Path.of(config.policy().accessMap()))));
    }
    if (!config.policy().tlsPolicyMap().isEmpty()) {
      files.add(new org.postern.policy.PolicyFile(org.postern.policy.PolicyFile.Kind.TLS_POLICY_MAP,
          config.policy().tlsPolicyMap(), java.nio.file.Files.readString(Path.of(config.policy().tlsPolicyMap()))));
    }
    return files;
  }

  /** Closes every verticle and the Vert.x instance (a clustered one leaves the cluster). */
  public Future<Void> stop() {
    closeQuietly(jvmMetrics);
    return vertx.close();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.fine(() -> "closing the JVM metrics: " + e);
    }
  }
}

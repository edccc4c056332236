package org.postern.node;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.logging.Logger;
import org.postern.bus.Contracts;
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
import org.postern.tls.TlsEngine;

/** A running node: the Vert.x instance and the verticles for its roles. */
public final class Node {

  private static final Logger LOG = Logger.getLogger("postern.node");

  private final Vertx vertx;
  private final InboundVerticle inbound;
  private final AdminBridge admin;
  private final TlsReloader tls;

  private Node(Vertx vertx, InboundVerticle inbound, AdminBridge admin, TlsReloader tls) {
    this.vertx = vertx;
    this.inbound = inbound;
    this.admin = admin;
    this.tls = tls;
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
    TlsEngine engine = TlsEngine.choose(config.tls().engine(), config.tls().groups());
    if (engine.fellBack()) {
      LOG.warning("tls.engine is openssl but BoringSSL could not load; falling back to " + engine.description());
    }
    LOG.info("TLS engine: " + engine.description());
    String hostname = config.node().hostname();
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Future<List<ServerCredentials>> serverTls = roles.contains(Role.INBOUND)
        ? vertx.executeBlocking(() -> loadServerTls(config, hostname))
        : Future.succeededFuture();
    InboundVerticle[] inbound = new InboundVerticle[1];
    AdminBridge[] admin = new AdminBridge[1];
    TlsReloader[] reloader = new TlsReloader[1];
    return serverTls.compose(tlsOptions -> {
      Future<?> chain = Future.succeededFuture();
      // The listener's instances and certificate watcher exist before anything is deployed, so that
      // the configuration push verticle can apply the cluster's current push to them before they start.
      List<InboundVerticle> listeners = new ArrayList<>();
      InboundLive live = null;
      if (roles.contains(Role.INBOUND)) {
        // One instance per event loop wanted: they share the listening ports (Vert.x hands each
        // new connection to the next one) and one tally of connection limits.
        // In a cluster, a node without the queue role hands bodies to a queue node in chunks.
        InboundVerticle.Shared shared = new InboundVerticle.Shared(config.inbound(),
            cluster == null || roles.contains(Role.QUEUE));
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
        inbound[0] = listeners.get(0);
        // Expiry warnings and hot reload of the files the listener's certificates come from.
        reloader[0] = new TlsReloader(config.tls().reloadInterval(),
            ServerCredentials.files(config.tls(), Path.of(config.node().dataDir())),
            () -> ServerCredentials.loadAll(config.tls(), Path.of(config.node().dataDir()), hostname),
            fresh -> Future.all(listeners.stream().map(l -> l.updateCredentials(fresh)).toList()).mapEmpty(),
            new CertificateExpiry(metrics, config.tls().expiryWarningDays(), Clock.systemUTC()), tlsOptions);
        live = new InboundLive(vertx, listeners, shared, reloader[0], Path.of(config.node().dataDir()), hostname);
      }
      // Policy and queue come first, so the listener never accepts a client it cannot serve.
      PolicyVerticle policy = roles.contains(Role.POLICY) ? new PolicyVerticle(config.policy()) : null;
      if (policy != null) {
        chain = chain.compose(v -> deploy(vertx, policy));
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
        QueueVerticle queue = new QueueVerticle(config.queue(), hostname, Clock.systemUTC(), cluster);
        registerQueueMetrics(queue, metrics);
        chain = chain.compose(v -> deploy(vertx, queue));
        if (view != null) {
          // Other members' admin APIs reach this queue through its node's own address.
          chain = chain.compose(v -> deploy(vertx, new QueueAdminRelay(view.self(), hostname, AdminBridge.QUEUE_DEADLINE)));
        }
        // The admin API runs beside the queue it administers (postern queue); see deploy/README.md.
        if (config.node().adminListen() != null) {
          chain = chain.compose(v -> deployAdmin(vertx, config, metrics, members, view).map(a -> {
            admin[0] = a;
            return null;
          }));
        }
      }
      if (roles.contains(Role.OUTBOUND)) {
        chain = chain.compose(v -> deploy(vertx, new OutboundVerticle(config.outbound(), config.tls(), hostname, engine)));
      }
      if (roles.contains(Role.INBOUND)) {
        for (InboundVerticle verticle : listeners) {
          chain = chain.compose(v -> deploy(vertx, verticle));
        }
        chain = chain.onSuccess(v -> LOG.info("inbound listeners on " + listeners.size() + " event loop(s)"));
        chain = chain.compose(v -> deploy(vertx, reloader[0]));
      }
      return chain;
    }).map(v -> {
      LOG.info("node started with roles " + roles + " as " + hostname);
      return new Node(vertx, inbound[0], admin[0], reloader[0]);
    }).recover(e -> vertx.close().transform(ignored -> Future.failedFuture(e)));
  }

  /**
   * The queue's counters and size gauges. Micrometer holds the object it reads weakly: it reads
   * them through the queue verticle, which lives as long as the node (a supplier of their own,
   * held by nothing else, would be collected and the series would read 0 or NaN after a GC).
   */
  private static void registerQueueMetrics(QueueVerticle queue, PrometheusMeterRegistry metrics) {
    queue.replicationCounters().forEach((name, value) -> FunctionCounter.builder("postern_queue_" + name, queue,
        q -> value.getAsLong()).description("queue replication: " + name.replace('_', ' ')).register(metrics));
    queue.intakeCounters().forEach((name, value) -> FunctionCounter.builder("postern_queue_" + name, queue,
        q -> value.getAsLong()).description("bodies from inbound on other nodes: " + name.replace('_', ' '))
        .register(metrics));
    queue.sizeGauges().forEach((name, value) -> (name.equals("octets")
        ? Gauge.builder("postern_queue_octets", queue, q -> value.getAsLong()).description("octets of the queued messages")
        : Gauge.builder("postern_queue_messages", queue, q -> value.getAsLong()).tag("state", name)
            .description("queued messages by state, as counted at most 5 s ago"))
        .register(metrics));
  }

  /**
   * Loads the server credentials; on failure STARTTLS stays advertised-off and answers 454, as the
   * seeds describe for a TLS context that cannot be used. Runs on a worker thread.
   */
  private static List<ServerCredentials> loadServerTls(PosternConfig config, String hostname) {
    try {
      List<ServerCredentials> all = ServerCredentials.loadAll(config.tls(), Path.of(config.node().dataDir()), hostname);
      for (ServerCredentials creds : all) {
        LOG.info("server certificate: " + creds.source() + ", subject " + creds.leaf().getSubjectX500Principal().getName()
            + ", " + creds.keyAlgorithm() + " key, SHA-256 fingerprint " + creds.fingerprint());
      }
      return all;
    } catch (IOException | RuntimeException e) {
      LOG.severe("STARTTLS=server, error: cannot use the server certificate: " + e.getMessage()
          + "; STARTTLS will answer 454 until this is fixed");
      return null;
    }
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
    return deploy(vertx, bridge).map(id -> bridge).recover(e -> {
      LOG.severe("admin API: cannot listen on " + AdminBridge.address(config.node().adminListen().host(),
          config.node().adminListen().port()) + ": " + e.getMessage()
          + "; the node runs without it, and postern queue cannot reach it (see node.admin_listen)");
      return Future.succeededFuture(null);
    });
  }

  private static Future<String> deploy(Vertx vertx, io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.EVENT_LOOP));
  }

  /** The inbound listeners' bound ports, or an empty list without the inbound role. */
  public List<Integer> inboundPorts() {
    return inbound == null ? List.of() : inbound.ports();
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

  public Future<Void> stop() {
    return vertx.close();
  }
}

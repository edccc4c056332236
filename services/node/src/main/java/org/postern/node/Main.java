package org.postern.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.config.Settings;
import org.postern.node.cluster.BusCredentials;
import org.postern.node.cluster.ClusterJoin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code postern} command line. Expected errors print one clear message, never a stack trace. */
@Command(name = "postern", mixinStandardHelpOptions = true, version = "postern 0.1.0",
    description = "A reactive mail relay cluster.", subcommands = {Main.Run.class, AuthCommand.class,
        QueueCommand.class, ReloadCommand.class, StatusCommand.class, PolicyCommand.class, TlsCommand.class, ConfigCommand.class, CheckCommand.class, PkiCommand.class,
        org.postern.loadgen.LoadgenCommand.class, VersionCommand.class, CommandLine.HelpCommand.class,
        picocli.AutoComplete.GenerateCompletion.class, picocli.codegen.docgen.manpage.ManPageGenerator.class})
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run a node. With no --config, embedded defaults: SMTP on 127.0.0.1:2525 with STARTTLS.")
  static final class Run implements Callable<Integer> {

    private static final Logger LOG = Logger.getLogger("postern.node");

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (key = value lines).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one setting; repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--roles", paramLabel = "ROLES", defaultValue = "inbound,policy,queue,outbound",
        description = "Comma-separated roles to run (default: ${DEFAULT-VALUE}).")
    String roles;

    @Option(names = "--cluster", description = "Join a cluster (see deploy/README.md, \"Cluster\").")
    boolean cluster;

    @Option(names = "--cluster-config", paramLabel = "FILE",
        description = "Cluster settings (cluster.* keys only), read after --config and before --set.")
    Path clusterConfig;

    @Override
    public Integer call() throws Exception {
      PosternConfig cfg;
      Set<Role> roleSet;
      BusCredentials busCredentials = null;
      String nodeId = null;
      try {
        if (clusterConfig != null && !cluster) {
          throw new ConfigException("--cluster-config: given without --cluster");
        }
        cfg = ConfigLoader.load(config, clusterConfig, sets);
        roleSet = Role.parse(roles);
        if (cluster) {
          Role.checkCluster(roleSet);
          busCredentials = ClusterJoin.credentials(cfg.cluster());
          nodeId = org.postern.node.cluster.NodeIdentity.load(Path.of(cfg.node().dataDir()));
        }
        // A key file that cannot be read is a configuration error, found before anything starts.
        org.postern.node.push.OperatorKeys.trusted(
            org.postern.config.Settings.CLUSTER_OPERATOR_KEYS.parse(cfg.values().get("cluster.operator_keys")));
      } catch (ConfigException e) {
        e.problems().forEach(p -> System.err.println("postern: configuration error: " + p));
        return 2;
      } catch (IllegalArgumentException e) {
        System.err.println("postern: --roles: " + e.getMessage());
        return 2;
      }
      if (cfg.node().hostname().isEmpty()) {
        cfg = cfg.withHostname(machineName());
      }
      try {
        LogSetup.configure(cfg.node().log(), cfg.node().logLevel(), cfg.node().hostname(),
            LogSetup.Format.valueOf(cfg.values().getOrDefault("node.log_format", "text").toUpperCase(java.util.Locale.ROOT)));
      } catch (java.io.IOException e) {
        System.err.println("postern: node.log: cannot open " + cfg.node().log() + ": " + e.getMessage());
        return 2;
      }
      // One node per spool, decided before anything listens or recovers mail.
      SpoolLock lock = null;
      if (roleSet.contains(Role.QUEUE)) {
        try {
          lock = SpoolLock.acquire(Path.of(cfg.queue().spoolDir()));
        } catch (SpoolLock.Refused e) {
          LogSetup.flush();
          System.err.println("postern: cannot start: " + e.getMessage());
          return 1;
        }
      }
      Duration shutdownTimeout = Settings.NODE_SHUTDOWN_TIMEOUT.parse(
          cfg.values().get(Settings.NODE_SHUTDOWN_TIMEOUT.key()));
      Node node;
      java.time.Instant startedAt = java.time.Instant.now();
      org.postern.node.cluster.ClusterMembers[] members = new org.postern.node.cluster.ClusterMembers[1];
      try {
        PosternConfig started = cfg;
        String id = nodeId;
        Future<ClusterJoin.Joined> joined = cluster ? ClusterJoin.join(cfg.cluster(), busCredentials)
            : Future.succeededFuture(ClusterJoin.Joined.standalone(Vertx.vertx()));
        node = joined.onSuccess(j -> members[0] = j.view()).compose(j -> Node.start(j.vertx(), started, roleSet, j.members(),
                j.hazelcast() == null ? null : new org.postern.node.cluster.HazelcastView(id, j.hazelcast()), j.view()))
            .toCompletionStage().toCompletableFuture().get();
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        LogSetup.flush();
        if (cause instanceof org.postern.tls.KeyFiles.InsecureKeyFileException
            || cause instanceof org.postern.tls.PrivateKeys.EncryptedKeyFileException) {
          // A deployment mistake the operator fixes with the chmod or openssl command the message names.
          System.err.println("postern: configuration error: " + cause.getMessage());
          return 2;
        }
        System.err.println("postern: cannot start: " + cause.getMessage());
        return 1;
      }
      Lifecycle life = new Lifecycle(node, lock, shutdownTimeout, cfg);
      life.handleSignals();
      node.onReloadRequest(() -> life.reload("admin API"));
      Node running = node;
      node.onStatusRequest(new NodeStatus(cfg.node().hostname(), Main.class.getAnnotation(Command.class).version()[0], roleSet,
          cfg.inbound().listeners(), members[0], running::serverCertificates, startedAt, java.time.Clock.systemUTC()));
      life.stopped.await();
      return 0;
    }

    /**
     * What the running node does on a signal. SIGTERM (and SIGINT) stop it gracefully, then the
     * process exits 0; SIGHUP rereads the configuration file, policy files and certificates. Each
     * handler runs on a thread of its own that the JVM starts per signal, never on an event loop.
     */
    private final class Lifecycle {
      private final Node node;
      private final SpoolLock lock;
      private final Duration shutdownTimeout;
      private final PosternConfig running;
      private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
      private final Object reloading = new Object();
      final CountDownLatch stopped = new CountDownLatch(1);

      Lifecycle(Node node, SpoolLock lock, Duration shutdownTimeout, PosternConfig running) {
        this.node = node;
        this.lock = lock;
        this.shutdownTimeout = shutdownTimeout;
        this.running = running;
      }

      void handleSignals() {
        try {
          sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> stop("SIGTERM"));
          sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> stop("SIGINT"));
          sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> reload("SIGHUP"));
        } catch (IllegalArgumentException e) {
          // The JVM keeps these signals (-Xrs): stop gracefully from the shutdown hook instead.
          LOG.warning("cannot handle signals (" + e.getMessage() + "); SIGHUP will not reload");
          Runtime.getRuntime().addShutdownHook(new Thread(() -> stop("shutdown"), "postern-shutdown"));
        }
      }

      void stop(String why) {
        if (!stopping.compareAndSet(false, true)) {
          return;
        }
        LOG.info(why + ": stopping");
        try {
          node.drain(shutdownTimeout).toCompletionStage().toCompletableFuture()
              .get(shutdownTimeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          LOG.warning("stopping: the wait for work under way ended early: " + e);
        }
        try {
          // From this thread, not an event loop: the close reports back on a loop it does not stop.
          node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          LOG.warning("stop did not complete: " + e);
        }
        if (lock != null) {
          lock.release();
        }
        LOG.info("stopped");
        LogSetup.flush();
        stopped.countDown();
      }

      /** The reload SIGHUP and {@code postern reload} ask for; {@code why} names which in the log. */
      ReloadReport reload(String why) {
        if (stopping.get()) {
          return ReloadReport.refused(List.of("the node is stopping"));
        }
        synchronized (reloading) {
          LOG.info(why + ": rereading " + (config == null ? "the settings (no configuration file)" : config)
              + ", the policy files and the certificates");
          PosternConfig fresh;
          try {
            fresh = ConfigLoader.load(config, clusterConfig, sets);
          } catch (ConfigException e) {
            e.problems().forEach(p -> LOG.warning("reload: configuration error: " + p + "; nothing changed"));
            return ReloadReport.refused(e.problems());
          }
          if (fresh.node().hostname().isEmpty()) {
            fresh = fresh.withHostname(running.node().hostname());
          }
          try {
            ReloadReport report = node.reload(running, fresh).toCompletionStage().toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
            LOG.info(why + ": reload done");
            return report;
          } catch (Exception e) {
            LOG.warning("reload did not complete: " + e);
            return new ReloadReport(List.of(), List.of(), List.of(), List.of("reload did not complete: " + e));
          }
        }
      }
    }

    /** The machine's name, read once at start (never on an event loop: it may consult DNS). */
    static String machineName() {
      try {
        String name = InetAddress.getLocalHost().getHostName();
        return name.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?") ? name : "localhost";
      } catch (java.io.IOException e) {
        return "localhost";
      }
    }
  }
}

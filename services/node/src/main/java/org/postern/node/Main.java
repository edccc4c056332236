package org.postern.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;
import org.postern.node.cluster.BusCredentials;
import org.postern.node.cluster.ClusterJoin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code postern} command line. Expected errors print one clear message, never a stack trace. */
@Command(name = "postern", mixinStandardHelpOptions = true, version = "postern 0.1.0",
    description = "A reactive mail relay cluster.", subcommands = {Main.Run.class, AuthCommand.class,
        QueueCommand.class, PolicyCommand.class, ConfigCommand.class, PkiCommand.class,
        org.postern.loadgen.LoadgenCommand.class})
public final class Main implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.err);
    return 2;
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run a node. With no --config, embedded defaults: SMTP on 127.0.0.1:2525 with STARTTLS.")
  static final class Run implements Callable<Integer> {

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
        LogSetup.configure(cfg.node().log(), cfg.node().logLevel(), cfg.node().hostname());
      } catch (java.io.IOException e) {
        System.err.println("postern: node.log: cannot open " + cfg.node().log() + ": " + e.getMessage());
        return 2;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Node node;
      try {
        PosternConfig started = cfg;
        String id = nodeId;
        Future<ClusterJoin.Joined> joined = cluster ? ClusterJoin.join(cfg.cluster(), busCredentials)
            : Future.succeededFuture(ClusterJoin.Joined.standalone(Vertx.vertx()));
        node = joined.compose(j -> Node.start(j.vertx(), started, roleSet, j.members(),
                j.hazelcast() == null ? null : new org.postern.node.cluster.HazelcastView(id, j.hazelcast()), j.view()))
            .toCompletionStage().toCompletableFuture().get();
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (cause instanceof org.postern.tls.KeyFiles.InsecureKeyFileException
            || cause instanceof org.postern.tls.PrivateKeys.EncryptedKeyFileException) {
          // A deployment mistake the operator fixes with the chmod or openssl command the message names.
          LogSetup.flush();
          System.err.println("postern: configuration error: " + cause.getMessage());
          return 2;
        }
        System.err.println("postern: cannot start: " + cause.getMessage());
        return 1;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          node.stop().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
          java.util.logging.Logger.getLogger("postern.node").warning("stop did not complete: " + e);
        }
        LogSetup.flush();
        stopped.countDown();
      }, "postern-shutdown"));
      stopped.await();
      return 0;
    }

    /** The machine's name, read once at start (never on an event loop: it may consult DNS). */
    private static String machineName() {
      try {
        String name = InetAddress.getLocalHost().getHostName();
        return name.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?") ? name : "localhost";
      } catch (java.io.IOException e) {
        return "localhost";
      }
    }
  }
}

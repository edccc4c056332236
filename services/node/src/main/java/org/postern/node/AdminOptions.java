package org.postern.node;

import java.nio.file.Path;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import org.postern.config.HostPort;
import org.postern.config.PosternConfig;
import picocli.CommandLine.Option;

/**
 * Where a running node's admin API listens, and the data directory that holds its token: the
 * options {@code postern queue} and {@code postern config} share. Both come from the node's own
 * configuration ({@code --config}, or the embedded defaults as {@code postern run} uses them)
 * unless given, so an operator on the node's machine types neither.
 */
final class AdminOptions {

  @Option(names = "--config", paramLabel = "FILE",
      description = "The node's configuration file: node.admin_listen and node.data_dir come from it"
          + " (default: none, the embedded defaults 127.0.0.1:2580 and data, as 'postern run' uses).")
  Path config;

  @Option(names = "--admin", paramLabel = "HOST:PORT",
      description = "The node's admin API (default: node.admin_listen of --config).")
  String admin;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "The node's data directory, where it writes admin.token (default: node.data_dir of --config).")
  Path dataDir;

  AdminClient client() throws AdminClient.Failure {
    return client(admin, dataDir, config);
  }

  /** The client for explicit {@code admin} and {@code dataDir}, each read from {@code config} when null. */
  static AdminClient client(String admin, Path dataDir, Path config) throws AdminClient.Failure {
    if (admin != null && dataDir != null) {
      return new AdminClient(AdminClient.parseAddress(admin), dataDir);
    }
    PosternConfig cfg;
    try {
      cfg = ConfigLoader.load(config, java.util.List.of());
    } catch (ConfigException e) {
      throw new AdminClient.Failure("configuration error: " + String.join("; ", e.problems()), 2);
    }
    HostPort address;
    if (admin != null) {
      address = AdminClient.parseAddress(admin);
    } else if (cfg.node().adminListen() == null) {
      throw new AdminClient.Failure("node.admin_listen is empty in " + (config == null ? "the defaults" : config)
          + ": that node has no admin API (give --admin HOST:PORT if it listens elsewhere)", 2);
    } else {
      address = cfg.node().adminListen();
    }
    return new AdminClient(address, dataDir != null ? dataDir : Path.of(cfg.node().dataDir()));
  }
}

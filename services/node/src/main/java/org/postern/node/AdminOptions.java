package org.postern.node;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where a running node's admin API listens, and the data directory that holds its token: the
 * options {@code postern queue} and {@code postern config} share.
 */
final class AdminOptions {

  @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:2580",
      description = "The node's admin API, node.admin_listen (default: ${DEFAULT-VALUE}).")
  String admin;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
      description = "The node's node.data_dir, where it writes admin.token (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  AdminClient client() throws AdminClient.Failure {
    return new AdminClient(AdminClient.parseAddress(admin), dataDir);
  }
}

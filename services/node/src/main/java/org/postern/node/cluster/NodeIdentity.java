package org.postern.node.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.postern.bus.ReplicaIds;
import org.postern.config.ConfigException;
import org.postern.config.Settings;

/**
 * A node's stable identity: a random id written once to {@code <node.data_dir>/node-id} and read at
 * every later start. Hazelcast gives a member a new id at each start, so the replicas a queue node
 * holds for another are filed under this id instead, which survives restarts with the spool.
 * Blocking: call before any event loop runs.
 */
public final class NodeIdentity {

  static final String FILE = "node-id";

  private NodeIdentity() {}

  /** Reads the node id, creating it on the first start. */
  public static String load(Path dataDir) throws ConfigException {
    Path file = dataDir.resolve(FILE);
    try {
      Files.createDirectories(dataDir);
      try {
        Files.writeString(Files.createFile(file), UUID.randomUUID() + "\n", StandardCharsets.US_ASCII);
      } catch (FileAlreadyExistsException e) {
        // a later start: keep the id
      }
      String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
      return ReplicaIds.checkNode(id);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(Settings.NODE_DATA_DIR.key() + ": cannot use the node id in " + file + ": "
          + e.getMessage());
    }
  }
}

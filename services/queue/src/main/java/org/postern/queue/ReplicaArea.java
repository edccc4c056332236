package org.postern.queue;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postern.bus.QueueIds;
import org.postern.bus.ReplicaIds;

/**
 * Replicas this node holds for other queue nodes: {@code replica/<owner node id>/<queue id>.msg},
 * in the spool's own file format but apart from {@code active/}, so that nothing here is
 * scheduled until it is taken over. A replica is written to the spool's {@code tmp/} as chunks
 * arrive, fsync'd, renamed into place and its directory fsync'd before it is acknowledged; a
 * half-received one is discarded with the rest of {@code tmp/} at start. Beside a replica,
 * {@code <queue id>.rcpt} lists the recipients its owner reported finished, so that a takeover
 * delivers to the others only.
 *
 * <p>Every method blocks: call from a worker thread.
 */
final class ReplicaArea {

  private final Path root;
  private final Path tmp;
  /** Striped by queue id: progress reports and drops of one replica run one at a time. */
  private final Object[] locks = new Object[64];
  private final SharedDirectorySync directorySyncs = new SharedDirectorySync();

  ReplicaArea(Path spoolDir, Path tmp) throws IOException {
    this.root = spoolDir.resolve("replica");
    this.tmp = tmp;
    Files.createDirectories(root);
    java.util.Arrays.setAll(locks, i -> new Object());
  }

  /** A replica being received. */
  static final class Incoming {
    final String owner;
    final String queueId;
    final long bodyLength;
    final Path part;
    final FileChannel channel;
    long written;

    private Incoming(String owner, String queueId, long bodyLength, Path part, FileChannel channel) {
      this.owner = owner;
      this.queueId = queueId;
      this.bodyLength = bodyLength;
      this.part = part;
      this.channel = channel;
    }
  }

  /** Starts a replica: its header and envelope are written, the body follows in {@link #append}. */
  Incoming begin(String owner, SpooledMessage m, long bodyLength) throws IOException {
    ReplicaIds.checkNode(owner);
    Path part = tmp.resolve(QueueIds.check(m.queueId()) + ".replica");
    FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    try {
      Spool.writeFully(ch, ByteBuffer.wrap(Spool.head(m, bodyLength)));
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return new Incoming(owner, m.queueId(), bodyLength, part, ch);
  }

  void append(Incoming in, Buffer data) throws IOException {
    if (in.written + data.length() > in.bodyLength) {
      throw new IOException("more body than offered");
    }
    Spool.writeFully(in.channel, ByteBuffer.wrap(data.getBytes()));
    in.written += data.length();
  }

  /**
   * Makes the replica durable: fsync, rename into {@code replica/<owner>/}, fsync of that directory
   * (shared with the replicas committed at the same moment).
   */
  void commit(Incoming in) throws IOException {
    try (FileChannel ch = in.channel) {
      if (in.written != in.bodyLength) {
        throw new IOException("body of " + in.written + " octets, " + in.bodyLength + " offered");
      }
      ch.force(true);
    }
    Path dir = root.resolve(in.owner);
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Spool.syncDirectory(root);
    }
    Files.move(in.part, dir.resolve(in.queueId + ".msg"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    directorySyncs.sync(dir);
  }

  /**
   * Records the recipients the owner finished, beside the replica ({@code <queue id>.rcpt}, the
   * spool's own format), durably; false when no such replica is held.
   */
  boolean markDone(String owner, String queueId, java.util.Set<String> done) throws IOException {
    Path replica = file(owner, queueId);
    // Under the id's lock, so that a drop cannot slip between the check and the write and leave
    // a list without its replica, and two reports cannot overwrite each other.
    synchronized (lockOf(queueId)) {
      if (!Files.exists(replica)) {
        return false;
      }
      // Reports may arrive out of order; the finished set only grows, so an older report adds nothing.
      Path list = replica.resolveSibling(queueId + ".rcpt");
      java.util.Set<String> all = Spool.readDone(list);
      if (all.containsAll(done)) {
        return true;
      }
      all.addAll(done);
      Spool.writeDone(tmp.resolve(queueId + ".replica-rcpt"), list, all);
      return true;
    }
  }

  /** Directory syncs of committed replicas so far (shared ones count once). */
  long directorySyncs() {
    return directorySyncs.syncs();
  }

  private Object lockOf(String queueId) {
    return locks[Math.floorMod(queueId.hashCode(), locks.length)];
  }

  void abort(Incoming in) {
    try {
      in.channel.close();
      Files.deleteIfExists(in.part);
    } catch (IOException e) {
      // tmp/ is emptied at the next start anyway
    }
  }

  /** Every replica held, by owner node id. */
  Map<String, List<String>> list() throws IOException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    try (DirectoryStream<Path> owners = Files.newDirectoryStream(root)) {
      for (Path owner : owners) {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(owner, "*.msg")) {
          for (Path f : files) {
            ids.add(f.getFileName().toString().replace(".msg", ""));
          }
        }
        out.put(owner.getFileName().toString(), ids);
      }
    }
    return out;
  }

  /** The file of a replica. */
  Path file(String owner, String queueId) {
    return root.resolve(ReplicaIds.checkNode(owner)).resolve(QueueIds.check(queueId) + ".msg");
  }

  /**
   * Removes replicas by queue id, whichever owner they are filed under (ids are unique in the
   * cluster); returns how many existed.
   */
  int drop(List<String> queueIds) throws IOException {
    int n = 0;
    List<Path> touched = new ArrayList<>();
    try (DirectoryStream<Path> owners = Files.newDirectoryStream(root)) {
      for (Path owner : owners) {
        for (String id : queueIds) {
          boolean existed;
          synchronized (lockOf(QueueIds.check(id))) {
            Files.deleteIfExists(owner.resolve(id + ".rcpt"));
            existed = Files.deleteIfExists(owner.resolve(id + ".msg"));
          }
          if (existed) {
            n++;
            if (!touched.contains(owner)) {
              touched.add(owner);
            }
          }
        }
      }
    }
    for (Path dir : touched) {
      Spool.syncDirectory(dir);
    }
    return n;
  }
}

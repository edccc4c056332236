package org.postern.queue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import org.postern.bus.QueueIds;

/**
 * One file per message, as Postfix keeps its queue: {@code active/<id>.msg} holds a header line,
 * the envelope as JSON and the body; {@code active/<id>.rcpt} lists recipients already done;
 * an empty {@code active/<id>.hold} marks a message an operator put on hold.
 *
 * <p>Durability: a message is written to {@code tmp/}, fsync'd, renamed into {@code active/}, and
 * {@code active/} itself is fsync'd, so after a crash a message is either wholly present or absent.
 * What remains in {@code tmp/} at start was never acknowledged and is discarded, as Postfix
 * discards a queue file without its end record.
 *
 * <p>Every method blocks: call from a worker thread.
 */
public final class Spool {

  private static final Logger LOG = Logger.getLogger("postern.queue");
  private static final String MAGIC = "POSTERN-QUEUE-1";

  private final Path active;
  private final Path tmp;
  /** Time spent in fsync (files and directory), for the benchmark's "share of time in fsync". */
  private final java.util.concurrent.atomic.LongAdder syncNanos = new java.util.concurrent.atomic.LongAdder();

  public Spool(Path dir) throws IOException {
    this.active = dir.resolve("active");
    this.tmp = dir.resolve("tmp");
    Files.createDirectories(active);
    Files.createDirectories(tmp);
  }

  /**
   * A message as found on disk at recovery.
   *
   * @param wasInFlight a delivery attempt was under way when the process stopped: the next hop
   *     may already have it, so delivering it again may duplicate it
   */
  public record Loaded(SpooledMessage message, Set<String> doneRecipients, boolean wasInFlight, boolean held,
      long size) {

    /** A message that is not on hold, of unknown size. */
    public Loaded(SpooledMessage message, Set<String> doneRecipients, boolean wasInFlight) {
      this(message, doneRecipients, wasInFlight, false, 0);
    }
  }

  /** A message to store, with its body. */
  public record Write(SpooledMessage message, Buffer body) {}

  /**
   * Stores a message durably. Idempotent: if the id is already stored, nothing is written and the
   * call succeeds, because the earlier write was durable before it was acknowledged.
   */
  public void store(SpooledMessage m, Buffer body) throws IOException {
    List<IOException> r = storeAll(List.of(new Write(m, body)));
    if (r.get(0) != null) {
      throw r.get(0);
    }
  }

  /**
   * Stores several messages with shared syncs: every file is written, then every file is
   * fsync'd (after the first, the journal commit has usually taken the others' data along, so
   * the rest are cheap), then all are renamed and the directory is fsync'd once. Each message is
   * still individually durable before this returns; a failure affects only its own message.
   *
   * @return per write, null on success or the failure
   */
  public List<IOException> storeAll(List<Write> writes) {
    List<IOException> results = new ArrayList<>();
    List<FileChannel> channels = new ArrayList<>();
    for (Write w : writes) {
      results.add(null);
      channels.add(null);
    }
    boolean anyRenamed = false;
    try {
      for (int i = 0; i < writes.size(); i++) {
        Write w = writes.get(i);
        try {
          if (Files.exists(target(w))) {
            continue;
          }
          channels.set(i, open(tmp.resolve(w.message().queueId())));
          writeMessage(channels.get(i), w);
        } catch (IOException | RuntimeException e) {
          results.set(i, asIo(e));
        }
      }
      for (int i = 0; i < writes.size(); i++) {
        FileChannel ch = channels.get(i);
        if (ch == null || results.get(i) != null) {
          continue;
        }
        try {
          long t0 = System.nanoTime();
          ch.force(true);
          syncNanos.add(System.nanoTime() - t0);
          ch.close();
          Files.move(tmp.resolve(writes.get(i).message().queueId()), target(writes.get(i)), StandardCopyOption.ATOMIC_MOVE);
          anyRenamed = true;
        } catch (IOException e) {
          results.set(i, e);
        }
      }
      if (anyRenamed) {
        long t0 = System.nanoTime();
        syncDirectory(active);
        syncNanos.add(System.nanoTime() - t0);
      }
    } catch (IOException e) {
      // The directory sync failed: none of the renames is known to be durable.
      for (int i = 0; i < results.size(); i++) {
        if (results.get(i) == null) {
          results.set(i, e);
        }
      }
    } finally {
      for (FileChannel ch : channels) {
        closeQuietly(ch);
      }
    }
    return results;
  }

  /** Nanoseconds spent in fsync so far. */
  public long syncNanos() {
    return syncNanos.sum();
  }

  /** Free space where the spool lives, in octets. */
  public long usableSpace() throws IOException {
    return Files.getFileStore(active).getUsableSpace();
  }

  private Path target(Write w) {
    return active.resolve(QueueIds.check(w.message().queueId()) + ".msg");
  }

  private static FileChannel open(Path p) throws IOException {
    return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  private static void writeMessage(FileChannel ch, Write w) throws IOException {
    writeFully(ch, ByteBuffer.wrap(head(w.message(), w.body().length())));
    writeFully(ch, ByteBuffer.wrap(w.body().getBytes()));
  }

  /** A queue file's header line and envelope, which the body of {@code bodyLength} octets follows. */
  static byte[] head(SpooledMessage m, long bodyLength) {
    byte[] json = m.toJson().encode().getBytes(StandardCharsets.UTF_8);
    byte[] header = (MAGIC + " " + json.length + " " + bodyLength + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] all = java.util.Arrays.copyOf(header, header.length + json.length);
    System.arraycopy(json, 0, all, header.length, json.length);
    return all;
  }

  /** Where half-written files go; emptied at every start. */
  Path tmpDir() {
    return tmp;
  }

  /**
   * Takes a complete queue file from elsewhere on the same file system (a replica taken over) into
   * {@code active/} by an atomic rename, durably (both directories fsync'd), and loads it.
   */
  Loaded adopt(Path file) throws IOException {
    String id = QueueIds.check(file.getFileName().toString().replace(".msg", ""));
    Path target = active.resolve(id + ".msg");
    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(active);
    syncDirectory(file.getParent());
    return load(target);
  }

  private static IOException asIo(Exception e) {
    return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null && ch.isOpen()) {
      try {
        ch.close();
      } catch (IOException e) {
        LOG.fine(() -> "close: " + e);
      }
    }
  }

  /** Reads a stored message's body. */
  public Buffer body(String queueId) throws IOException {
    byte[] all = Files.readAllBytes(active.resolve(QueueIds.check(queueId) + ".msg"));
    Header h = Header.parse(all);
    return Buffer.buffer(all).slice(h.bodyOffset(), all.length);
  }

  /** Records the recipients that are finished (delivered or bounced), durably. */
  public void markDone(String queueId, Set<String> doneRecipients) throws IOException {
    JsonArray a = new JsonArray();
    doneRecipients.forEach(a::add);
    Path part = tmp.resolve(QueueIds.check(queueId) + ".rcpt");
    try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(ch, ByteBuffer.wrap(new JsonObject().put("done", a).encode().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(part, active.resolve(queueId + ".rcpt"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(active);
  }

  /**
   * Marks a delivery attempt as under way, or ended. The marker is advisory and not synced: it
   * only lets recovery count the deliveries that may be repeated after a crash.
   */
  public void markInFlight(String queueId, boolean inFlight) throws IOException {
    Path marker = active.resolve(QueueIds.check(queueId) + ".inflight");
    if (inFlight) {
      Files.write(marker, new byte[0]);
    } else {
      Files.deleteIfExists(marker);
    }
  }

  /** Removes a finished message. Idempotent. */
  public void delete(String queueId) throws IOException {
    deleteAll(List.of(queueId));
  }

  /** Removes messages, with one directory sync for all of them. Idempotent. */
  public void deleteAll(List<String> queueIds) throws IOException {
    queueIds.forEach(QueueIds::check);
    for (String queueId : queueIds) {
      // The state file goes first: a crash in between leaves a message with no progress recorded,
      // which is re-delivered (a counted duplicate), never a progress file without its message.
      // The hold marker goes last, so that a held message never becomes deliverable on the way out;
      // a marker left alone by a crash is removed at the next recovery.
      Files.deleteIfExists(active.resolve(queueId + ".rcpt"));
      Files.deleteIfExists(active.resolve(queueId + ".msg"));
      Files.deleteIfExists(active.resolve(queueId + ".inflight"));
      Files.deleteIfExists(active.resolve(queueId + ".hold"));
    }
    syncDirectory(active);
  }

  /**
   * Puts messages on hold, or releases them, durably: the marker {@code active/<id>.hold} is
   * created or removed and the directory fsync'd once for all of them, so a hold survives a crash
   * as soon as this returns.
   */
  public void setHeld(List<String> queueIds, boolean held) throws IOException {
    queueIds.forEach(QueueIds::check);
    for (String queueId : queueIds) {
      Path marker = active.resolve(queueId + ".hold");
      if (held) {
        if (!Files.exists(active.resolve(queueId + ".msg"))) {
          throw new NoSuchFileException(active.resolve(queueId + ".msg").toString());
        }
        try {
          Files.createFile(marker);
        } catch (java.nio.file.FileAlreadyExistsException e) {
          // already held
        }
      } else {
        Files.deleteIfExists(marker);
      }
    }
    syncDirectory(active);
  }

  /**
   * The header section of a stored message (up to the first empty line), at most {@code limit}
   * octets, decoded as UTF-8 (SMTPUTF8 headers) with malformed octets replaced.
   *
   * @return the text, and whether it was cut at {@code limit}
   */
  public HeaderSection headerSection(String queueId, int limit) throws IOException {
    Buffer body = body(queueId);
    int n = Math.min(body.length(), limit);
    int end = n;
    boolean truncated = body.length() > limit;
    for (int i = 0; i + 3 < body.length() && i < n; i++) {
      if (body.getByte(i) == '\r' && body.getByte(i + 1) == '\n' && body.getByte(i + 2) == '\r'
          && body.getByte(i + 3) == '\n') {
        end = i + 2;
        truncated = false;
        break;
      }
    }
    return new HeaderSection(new String(body.getBytes(0, end), StandardCharsets.UTF_8), truncated);
  }

  /** The header section of a message; {@code truncated} when it went on past the limit. */
  public record HeaderSection(String text, boolean truncated) {}

  /** Loads every stored message, discarding half-written leftovers in {@code tmp/}. */
  public List<Loaded> recover() throws IOException {
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
      for (Path p : leftovers) {
        LOG.warning(() -> "discarding incomplete queue file " + p);
        Files.deleteIfExists(p);
      }
    }
    try (DirectoryStream<Path> markers = Files.newDirectoryStream(active, "*.hold")) {
      for (Path p : markers) {
        String id = p.getFileName().toString().replace(".hold", "");
        if (!Files.exists(active.resolve(id + ".msg"))) {
          LOG.info(() -> "removing hold marker " + p + " of a message no longer queued");
          Files.deleteIfExists(p);
        }
      }
    }
    List<Loaded> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(active, "*.msg")) {
      for (Path p : files) {
        try {
          out.add(load(p));
        } catch (IOException | RuntimeException e) {
          // A corrupt file is kept aside for the operator, not deleted and not delivered.
          Path corrupt = p.resolveSibling(p.getFileName() + ".corrupt");
          LOG.severe(() -> "queue file " + p + " is unreadable (" + e.getMessage() + "); moved to " + corrupt);
          Files.move(p, corrupt, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    return out;
  }

  private Loaded load(Path p) throws IOException {
    byte[] all = Files.readAllBytes(p);
    Header h = Header.parse(all);
    JsonObject json = new JsonObject(Buffer.buffer(all).slice(h.jsonOffset(), h.bodyOffset()));
    SpooledMessage m = SpooledMessage.fromJson(json);
    String expected = p.getFileName().toString().replace(".msg", "");
    if (!m.queueId().equals(expected)) {
      throw new IOException("queue id " + m.queueId() + " does not match file name");
    }
    Set<String> done = new HashSet<>();
    try {
      JsonObject state = new JsonObject(Buffer.buffer(Files.readAllBytes(active.resolve(expected + ".rcpt"))));
      state.getJsonArray("done").forEach(v -> done.add((String) v));
    } catch (NoSuchFileException e) {
      // no recipient finished yet
    }
    boolean inFlight = Files.exists(active.resolve(expected + ".inflight"));
    Files.deleteIfExists(active.resolve(expected + ".inflight"));
    boolean held = Files.exists(active.resolve(expected + ".hold"));
    return new Loaded(m, done, inFlight, held, all.length - h.bodyOffset());
  }

  private record Header(int jsonOffset, int bodyOffset) {
    static Header parse(byte[] all) throws IOException {
      int nl = -1;
      for (int i = 0; i < Math.min(all.length, 80); i++) {
        if (all[i] == '\n') {
          nl = i;
          break;
        }
      }
      if (nl < 0) {
        throw new IOException("no header line");
      }
      String[] parts = new String(all, 0, nl, StandardCharsets.US_ASCII).split(" ");
      if (parts.length != 3 || !parts[0].equals(MAGIC)) {
        throw new IOException("bad header");
      }
      long jsonLength = Long.parseLong(parts[1]);
      long bodyLength = Long.parseLong(parts[2]);
      if (nl + 1 + jsonLength + bodyLength != all.length) {
        throw new IOException("length mismatch: file is truncated or has trailing data");
      }
      return new Header(nl + 1, (int) (nl + 1 + jsonLength));
    }
  }

  static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** fsync of a directory makes a rename or unlink in it durable (POSIX leaves it otherwise pending). */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}

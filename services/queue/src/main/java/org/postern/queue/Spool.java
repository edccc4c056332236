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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.postern.bus.MessageBody;
import org.postern.bus.QueueIds;

/**
 * The spool, in the manner of Postfix's queue directory: {@code active/<id>.msg} holds one message
 * (a {@link QueueRecord}: header line, envelope as JSON, body); {@code active/<batch>.batch} holds
 * the records of several messages stored in one commit round; per message, {@code <id>.rcpt}
 * lists recipients already done, an empty {@code <id>.hold} marks a message an operator put on
 * hold, and an empty {@code <id>.done} marks a message of a batch that is finished (a batch file
 * goes once all its messages are).
 *
 * <p>Durability: a queue file is written to {@code tmp/}, fsync'd, renamed into {@code active/},
 * and {@code active/} itself is fsync'd, so after a crash a file is either wholly present or
 * absent. What remains in {@code tmp/} at start was never acknowledged and is discarded, as Postfix
 * discards a queue file without its end record.
 *
 * <p>Why batch files: on the disks measured (deploy/README.md, "Queue"), a round's cost is its
 * fsyncs, one per file written plus one for the directory. One file per message shares only the
 * directory sync; one batch file per round shares both, so a round costs two syncs however many
 * messages it carries. A large body gains nothing from sharing and would make the batch file slow
 * to read back, so bodies over {@value #MAX_BATCHED_BODY} octets get a file of their own, and a
 * batch file holds at most {@value #MAX_BATCH_OCTETS} octets.
 *
 * <p>Every method blocks: call from a worker thread. Methods may run on several workers at once.
 */
public final class Spool {

  private static final Logger LOG = Logger.getLogger("postern.queue");
  static final int MAX_BATCHED_BODY = 256 * 1024;
  static final int MAX_BATCH_OCTETS = 1024 * 1024;
  private static final String MSG = ".msg";
  private static final String BATCH = ".batch";

  private final Path active;
  private final Path tmp;
  /** Time spent in fsync (files and directory), for the benchmark's "share of time in fsync". */
  private final java.util.concurrent.atomic.LongAdder syncNanos = new java.util.concurrent.atomic.LongAdder();
  /** Every stored, unfinished message: where its body is. Filled by stores, adoptions and recovery. */
  private final Map<String, Location> index = new ConcurrentHashMap<>();
  /** Set by {@link #recover}: from then on the index alone says what is stored. */
  private volatile boolean recovered;
  /** The unfinished messages of each batch file; each set is its own lock. */
  private final Map<Path, Batch> batches = new ConcurrentHashMap<>();

  /** Where a message's body lies, and what a sender must know of it before reading it. */
  private record Location(Path file, long bodyOffset, long bodyLength, boolean eightBit, boolean endsWithCrlf) {
    boolean inBatch() {
      return file.getFileName().toString().endsWith(BATCH);
    }
  }

  /** A batch file's messages: all of them, and those not finished. */
  private record Batch(List<String> all, Set<String> live) {}

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

  /** The name of the file in {@code active/} that holds a stored message, or null if none does. */
  public String fileOf(String queueId) {
    Location at = index.get(queueId);
    return at == null ? null : at.file().getFileName().toString();
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
   * Stores several messages with shared syncs: the small ones go into one batch file (or a few,
   * by size), each large one into a file of its own; every file is fsync'd, renamed into
   * {@code active/}, and the directory is fsync'd once. Each message is durable before this
   * returns; a failure affects only the messages of its own file (or all, if the directory sync
   * fails). Idempotent per id: one already stored, or twice in the list, is written once.
   *
   * @return per write, null on success or the failure
   */
  public List<IOException> storeAll(List<Write> writes) {
    IOException[] results = new IOException[writes.size()];
    int[] sameAs = new int[writes.size()];
    List<List<Integer>> files = group(writes, sameAs);
    List<FileChannel> channels = new ArrayList<>();
    List<Path> parts = new ArrayList<>();
    List<List<Location>> locations = new ArrayList<>();
    try {
      for (List<Integer> members : files) {
        String name = members.size() == 1 ? writes.get(members.get(0)).message().queueId() + MSG : QueueIds.next() + BATCH;
        Path part = tmp.resolve(name);
        parts.add(part);
        List<Location> where = new ArrayList<>();
        locations.add(where);
        FileChannel ch = null;
        try {
          ch = open(part);
          // One gathering write per file: a system call per record would cost more than its copy.
          ByteBuffer[] data = new ByteBuffer[members.size() * 2];
          long at = 0;
          for (int k = 0; k < members.size(); k++) {
            Write w = writes.get(members.get(k));
            byte[] head = QueueRecord.head(w.message(), w.body().length());
            data[2 * k] = ByteBuffer.wrap(head);
            data[2 * k + 1] = ByteBuffer.wrap(w.body().getBytes());
            where.add(new Location(active.resolve(name), at + head.length, w.body().length(),
                MessageBody.eightBit(w.body()), MessageBody.endsWithCrlf(w.body())));
            at += head.length + w.body().length();
          }
          for (long written = 0; written < at; ) {
            written += ch.write(data);
          }
        } catch (IOException | RuntimeException e) {
          fail(results, members, asIo(e));
        }
        channels.add(ch);
      }
      boolean anyRenamed = false;
      for (int f = 0; f < files.size(); f++) {
        List<Integer> members = files.get(f);
        FileChannel ch = channels.get(f);
        if (ch == null || results[members.get(0)] != null) {
          continue;
        }
        try {
          long t0 = System.nanoTime();
          ch.force(true);
          syncNanos.add(System.nanoTime() - t0);
          ch.close();
          Files.move(parts.get(f), active.resolve(parts.get(f).getFileName()), StandardCopyOption.ATOMIC_MOVE);
          anyRenamed = true;
        } catch (IOException e) {
          fail(results, members, e);
        }
      }
      if (anyRenamed) {
        long t0 = System.nanoTime();
        syncDirectory(active);
        syncNanos.add(System.nanoTime() - t0);
      }
    } catch (IOException e) {
      // The directory sync failed: none of the renames is known to be durable.
      for (List<Integer> members : files) {
        if (results[members.get(0)] == null) {
          fail(results, members, e);
        }
      }
    } finally {
      channels.forEach(Spool::closeQuietly);
    }
    for (int f = 0; f < files.size(); f++) {
      List<Integer> members = files.get(f);
      if (results[members.get(0)] != null) {
        try {
          Files.deleteIfExists(parts.get(f));
        } catch (IOException e) {
          LOG.fine(() -> "cleanup: " + e);
        }
        continue;
      }
      List<String> ids = new ArrayList<>();
      for (int k = 0; k < members.size(); k++) {
        String id = writes.get(members.get(k)).message().queueId();
        ids.add(id);
        index.put(id, locations.get(f).get(k));
      }
      if (members.size() > 1) {
        batches.put(active.resolve(parts.get(f).getFileName()), new Batch(List.copyOf(ids), new HashSet<>(ids)));
      }
    }
    List<IOException> out = new ArrayList<>();
    for (int i = 0; i < writes.size(); i++) {
      out.add(sameAs[i] >= 0 ? results[sameAs[i]] : results[i]);
    }
    return out;
  }

  /**
   * Which writes go into which file: each large body alone, the small ones together up to the
   * batch size. Ids already stored are skipped (their earlier store was durable); an id that comes
   * twice is written once, and {@code sameAs} points the later one at the first.
   */
  private List<List<Integer>> group(List<Write> writes, int[] sameAs) {
    Map<String, Integer> first = new HashMap<>();
    List<List<Integer>> files = new ArrayList<>();
    List<Integer> batch = new ArrayList<>();
    long batchOctets = 0;
    for (int i = 0; i < writes.size(); i++) {
      String id = QueueIds.check(writes.get(i).message().queueId());
      Integer earlier = first.putIfAbsent(id, i);
      sameAs[i] = earlier == null ? -1 : earlier;
      // After recovery the index knows every stored message; before it (a spool used without
      // recovering, as tools and tests do) the file system is asked.
      if (earlier != null || index.containsKey(id) || (!recovered && Files.exists(active.resolve(id + MSG)))) {
        continue;
      }
      int length = writes.get(i).body().length();
      // The header and envelope are counted at a typical size, so the file stays near the bound.
      int octets = length + 512;
      if (length > MAX_BATCHED_BODY) {
        files.add(List.of(i));
        continue;
      }
      if (!batch.isEmpty() && batchOctets + octets > MAX_BATCH_OCTETS) {
        files.add(batch);
        batch = new ArrayList<>();
        batchOctets = 0;
      }
      batch.add(i);
      batchOctets += octets;
    }
    if (!batch.isEmpty()) {
      files.add(batch);
    }
    return files;
  }

  private static void fail(IOException[] results, List<Integer> members, IOException e) {
    for (int i : members) {
      results[i] = e;
    }
  }

  /** Nanoseconds spent in fsync so far. */
  public long syncNanos() {
    return syncNanos.sum();
  }

  /** The size of the file system the spool lives on, in octets. */
  public long totalSpace() throws IOException {
    return Files.getFileStore(active).getTotalSpace();
  }

  /** Free space where the spool lives, in octets. */
  public long usableSpace() throws IOException {
    return Files.getFileStore(active).getUsableSpace();
  }

  private static FileChannel open(Path p) throws IOException {
    return FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** A queue file's header line and envelope, which the body of {@code bodyLength} octets follows. */
  static byte[] head(SpooledMessage m, long bodyLength) {
    return QueueRecord.head(m, bodyLength);
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
    Path target = active.resolve(id + MSG);
    // The recipients the owner reported finished come along, so they are not delivered again. The
    // list moves first: after a crash between the two moves it is already where the message will
    // be looked for when the takeover is done again.
    Path done = file.resolveSibling(id + ".rcpt");
    if (Files.exists(done)) {
      Files.move(done, active.resolve(id + ".rcpt"), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(active);
    syncDirectory(file.getParent());
    byte[] all = Files.readAllBytes(target);
    return loadOne(target, all, QueueRecord.parse(all, 0), id);
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

  /**
   * A stored message's body for a delivery, read from its file piece by piece on a worker thread
   * of {@code vertx}; null when the message is not stored (finished, or never stored).
   */
  public MessageBody deliverable(io.vertx.core.Vertx vertx, String queueId) {
    Location at = index.get(QueueIds.check(queueId));
    if (at == null) {
      return null;
    }
    return new SpoolBody(at.bodyLength(), at.eightBit(), at.endsWithCrlf(),
        (position, max) -> vertx.executeBlocking(() -> read(at, queueId, position, max), false));
  }

  /** Up to {@code max} octets of a body from {@code position}; empty at the end. */
  private static Buffer read(Location at, String queueId, long position, int max) throws IOException {
    long left = Math.max(0, at.bodyLength() - position);
    ByteBuffer piece = ByteBuffer.allocate((int) Math.min(left, max));
    try (FileChannel ch = FileChannel.open(at.file(), StandardOpenOption.READ)) {
      while (piece.hasRemaining()) {
        if (ch.read(piece, at.bodyOffset() + position + piece.position()) < 0) {
          throw new IOException(at.file() + " ends before the body of " + queueId + " does");
        }
      }
    }
    return Buffer.buffer(piece.array());
  }

  /** Reads a stored message's body. */
  public Buffer body(String queueId) throws IOException {
    Location at = index.get(QueueIds.check(queueId));
    if (at == null) {
      // Not stored through this instance (a spool opened without recovery): one file per message.
      byte[] all = Files.readAllBytes(active.resolve(queueId + MSG));
      QueueRecord r = QueueRecord.parse(all, 0);
      return Buffer.buffer(all).slice((int) r.bodyOffset(), (int) r.end());
    }
    ByteBuffer body = ByteBuffer.allocate(Math.toIntExact(at.bodyLength()));
    try (FileChannel ch = FileChannel.open(at.file(), StandardOpenOption.READ)) {
      while (body.hasRemaining()) {
        if (ch.read(body, at.bodyOffset() + body.position()) < 0) {
          throw new IOException(at.file() + " ends before the body of " + queueId);
        }
      }
    }
    return Buffer.buffer(body.array());
  }

  /** Records the recipients that are finished (delivered or bounced), durably. */
  public void markDone(String queueId, Set<String> doneRecipients) throws IOException {
    writeDone(tmp.resolve(QueueIds.check(queueId) + ".rcpt"), active.resolve(queueId + ".rcpt"), doneRecipients);
  }

  /**
   * Writes a message's finished recipients to {@code target} durably, through {@code part}: written,
   * fsync'd, renamed over the old list, directory fsync'd. A replica holder keeps the same file
   * beside its replica ({@link ReplicaArea#markDone}).
   */
  /** The finished recipients written by {@link #writeDone}; none when there is no such file. */
  static Set<String> readDone(Path file) throws IOException {
    Set<String> done = new HashSet<>();
    try {
      JsonObject state = new JsonObject(Buffer.buffer(Files.readAllBytes(file)));
      state.getJsonArray("done").forEach(v -> done.add((String) v));
    } catch (NoSuchFileException e) {
      // no recipient finished yet
    }
    return done;
  }

  static void writeDone(Path part, Path target, Set<String> doneRecipients) throws IOException {
    JsonArray a = new JsonArray();
    doneRecipients.forEach(a::add);
    try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(ch, ByteBuffer.wrap(new JsonObject().put("done", a).encode().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(target.getParent());
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

  /**
   * Removes messages, with one directory sync for all of them. Idempotent. A message of a batch
   * file gets its {@code .done} marker instead; the batch file goes when its last message does.
   */
  public void deleteAll(List<String> queueIds) throws IOException {
    queueIds.forEach(QueueIds::check);
    List<Path> emptied = new ArrayList<>();
    for (String queueId : queueIds) {
      Location at = index.remove(queueId);
      if (at != null && at.inBatch()) {
        // The marker first: a crash before the state files go leaves them behind a finished
        // message (removed at recovery), never an unfinished message without its progress.
        try {
          Files.createFile(active.resolve(queueId + ".done"));
        } catch (java.nio.file.FileAlreadyExistsException e) {
          // finished before
        }
        Files.deleteIfExists(active.resolve(queueId + ".rcpt"));
        Files.deleteIfExists(active.resolve(queueId + ".inflight"));
        Files.deleteIfExists(active.resolve(queueId + ".hold"));
        Batch batch = batches.get(at.file());
        if (batch != null) {
          synchronized (batch) {
            if (batch.live().remove(queueId) && batch.live().isEmpty()) {
              emptied.add(at.file());
            }
          }
        }
        continue;
      }
      // The state file goes first: a crash in between leaves a message with no progress recorded,
      // which is re-delivered (a counted duplicate), never a progress file without its message.
      // The hold marker goes last, so that a held message never becomes deliverable on the way out;
      // a marker left alone by a crash is removed at the next recovery.
      Files.deleteIfExists(active.resolve(queueId + ".rcpt"));
      Files.deleteIfExists(active.resolve(queueId + MSG));
      Files.deleteIfExists(active.resolve(queueId + ".inflight"));
      Files.deleteIfExists(active.resolve(queueId + ".hold"));
    }
    syncDirectory(active);
    for (Path file : emptied) {
      removeBatch(file);
    }
  }

  /**
   * Removes a batch file whose messages are all finished, then their markers. The directory is
   * synced in between: were the markers' removal durable and the file's not, its messages would
   * come back unfinished after a crash.
   */
  private void removeBatch(Path file) throws IOException {
    Batch batch = batches.remove(file);
    Files.deleteIfExists(file);
    syncDirectory(active);
    for (String id : batch == null ? List.<String>of() : batch.all()) {
      Files.deleteIfExists(active.resolve(id + ".done"));
    }
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
        if (!index.containsKey(queueId) && !Files.exists(active.resolve(queueId + MSG))) {
          throw new NoSuchFileException(active.resolve(queueId + MSG).toString());
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
    index.clear();
    batches.clear();
    List<Loaded> out = new ArrayList<>();
    Set<String> inBatches = new HashSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(active, "*{" + MSG + "," + BATCH + "}")) {
      for (Path p : files) {
        try {
          if (p.getFileName().toString().endsWith(MSG)) {
            byte[] all = Files.readAllBytes(p);
            out.add(loadOne(p, all, QueueRecord.parse(all, 0), p.getFileName().toString().replace(MSG, "")));
          } else {
            out.addAll(loadBatch(p, inBatches));
          }
        } catch (IOException | RuntimeException e) {
          // A corrupt file is kept aside for the operator, not deleted and not delivered.
          Path corrupt = p.resolveSibling(p.getFileName() + ".corrupt");
          LOG.severe(() -> "queue file " + p + " is unreadable (" + e.getMessage() + "); moved to " + corrupt);
          Files.move(p, corrupt, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    recovered = true;
    // Markers whose message is gone: a crash came between the message's removal and theirs.
    try (DirectoryStream<Path> markers = Files.newDirectoryStream(active, "*.{hold,done,inflight}")) {
      for (Path p : markers) {
        String name = p.getFileName().toString();
        String id = name.substring(0, name.lastIndexOf('.'));
        boolean orphan = name.endsWith(".done") ? !inBatches.contains(id) : !index.containsKey(id);
        if (orphan) {
          LOG.info(() -> "removing marker " + p + " of a message no longer queued");
          Files.deleteIfExists(p);
        }
      }
    }
    return out;
  }

  /** The unfinished messages of a batch file; a batch with none left is removed. */
  private List<Loaded> loadBatch(Path p, Set<String> inBatches) throws IOException {
    byte[] all = Files.readAllBytes(p);
    List<QueueRecord> records = new ArrayList<>();
    for (int at = 0; at < all.length; ) {
      QueueRecord r = QueueRecord.parse(all, at);
      QueueIds.check(r.message().queueId());
      records.add(r);
      at = Math.toIntExact(r.end());
    }
    if (records.isEmpty()) {
      throw new IOException("an empty batch file");
    }
    List<String> ids = records.stream().map(r -> r.message().queueId()).toList();
    List<Loaded> out = new ArrayList<>();
    Set<String> live = new HashSet<>();
    for (QueueRecord r : records) {
      String id = r.message().queueId();
      if (!Files.exists(active.resolve(id + ".done")) && !index.containsKey(id)) {
        out.add(loadOne(p, all, r, id));
        live.add(id);
      }
    }
    inBatches.addAll(ids);
    Batch batch = new Batch(List.copyOf(ids), live);
    batches.put(p, batch);
    if (live.isEmpty()) {
      removeBatch(p);
    }
    return out;
  }

  /** One message of a queue file, with its state files; it joins the index. */
  private Loaded loadOne(Path file, byte[] all, QueueRecord r, String expected) throws IOException {
    SpooledMessage m = r.message();
    if (!m.queueId().equals(expected)) {
      throw new IOException("queue id " + m.queueId() + " does not match file name");
    }
    if (file.getFileName().toString().endsWith(MSG) && r.end() != all.length) {
      throw new IOException("length mismatch: file is truncated or has trailing data");
    }
    Set<String> done = readDone(active.resolve(expected + ".rcpt"));
    boolean inFlight = Files.exists(active.resolve(expected + ".inflight"));
    Files.deleteIfExists(active.resolve(expected + ".inflight"));
    boolean held = Files.exists(active.resolve(expected + ".hold"));
    Buffer body = Buffer.buffer(all).slice(Math.toIntExact(r.bodyOffset()), Math.toIntExact(r.end()));
    index.put(expected, new Location(file, r.bodyOffset(), r.bodyLength(), MessageBody.eightBit(body),
        MessageBody.endsWithCrlf(body)));
    return new Loaded(m, done, inFlight, held, r.bodyLength());
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

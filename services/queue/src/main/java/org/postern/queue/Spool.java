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
 * The spool: {@code active/<name>.seg} segments hold the stored messages, each a {@link QueueRecord}
 * (header line, envelope as JSON, body) framed with its length and a CRC-32C ({@link Segments}),
 * appended by the commit rounds; a body over {@value #MAX_BATCHED_BODY} octets gets a file of its
 * own, {@code active/<id>.msg}. What happens to a stored message afterwards (recipients done, in
 * flight, on hold, finished) is not kept beside it but as records appended to the node's
 * {@link Journal} ({@code journal/}), many messages' changes to one fdatasync.
 *
 * <p>Durability: a store round appends its messages to the current segment with one write and makes
 * them durable with one fdatasync; the segment was created, and the directory synced, before it was
 * needed (a spare), so a round creates no file and syncs no directory. A message is acknowledged
 * once its round's fdatasync returned. At recovery a segment's records are read up to the first
 * frame that is cut short or fails its checksum (a crash during a round's write); what lies beyond
 * was never acknowledged and is ignored, and appends go on in a new segment.
 *
 * <p><b>At least once, never twice from the spool.</b> A record counts if it is whole and its
 * checksum matches, even if its round's fdatasync had not returned when the process died (the page
 * cache survives a killed process, or the disk kept the write before a power loss): such a message
 * was not acknowledged, yet is recovered and delivered, and its sender, having seen no 250, may send
 * it again. That is the one duplicate this spool can make; a message is never recovered twice
 * (an id found in two files, as a copy forward can leave it, is loaded once).
 *
 * <p>A file goes once the journal says all its messages are finished, a segment only once it is no
 * longer appended to. A rolled segment whose unfinished messages take at most a quarter of it is
 * copied forward ({@link #moveForward}), so that a few long-deferred messages do not keep whole
 * segments on disk. Files of earlier versions ({@code <batch>.batch}, one commit round each, and
 * {@code .msg} files of small messages) are read at recovery as before, and go as their messages
 * finish.
 *
 * <p>Why segments: on the disks measured (deploy/README.md, "What the answer to the final dot waits
 * for"), a round's cost is its syncs. A batch file per round cost two (the file's fsync, then the
 * directory's, whose p99 was 15.6 and 20 ms), an append to a file that exists one fdatasync (p99
 * 8.8 ms). A large body gains nothing from sharing and would make a segment slow to copy forward.
 *
 * <p>Every method blocks: call from a worker thread. Methods may run on several workers at once.
 */
public final class Spool implements GroupCommitter.Rounds {

  private static final Logger LOG = Logger.getLogger("postern.queue");
  static final int MAX_BATCHED_BODY = 256 * 1024;
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
  /** The unfinished messages of each queue file (segment, batch or single), under the state lock. */
  private final Map<Path, Batch> batches = new ConcurrentHashMap<>();

  /**
   * Where a message lies: its file, where its record (with its frame, in a segment) starts, where its
   * body starts, and what a sender must know of the body before reading it.
   */
  private record Location(Path file, long recordOffset, long bodyOffset, long bodyLength, boolean eightBit,
      boolean endsWithCrlf) {
    String name() {
      return file.getFileName().toString();
    }

    /** Octets the record takes in its file. */
    long octets() {
      return bodyOffset + bodyLength - recordOffset;
    }
  }

  /**
   * A queue file's unfinished messages and the octets they take; guarded by the spool's state lock.
   * A file goes when none is left (a segment only once it is no longer appended to).
   */
  private static final class Batch {
    final Set<String> live = new HashSet<>();
    long liveOctets;
    /** Octets of every record the file holds, finished or not. */
    long octets;
    /** When the segment stopped being appended to (nanoTime), or 0 while it is, or unknown. */
    long rolledAt;

    void add(String id, long recordOctets) {
      octets += recordOctets;
      if (live.add(id)) {
        liveOctets += recordOctets;
      }
    }

    boolean remove(String id, long recordOctets) {
      if (live.remove(id)) {
        liveOctets -= recordOctets;
        return true;
      }
      return false;
    }
  }

  /**
   * The delivery state the journal holds, kept in memory for compaction; also the lock that makes
   * a journal append and the change it records one step.
   */
  private static final class State {
    /** "id/file" of each message finished in a queue file not yet durably removed. */
    final Set<String> finished = new HashSet<>();
    /** Names of queue files removed since the last compaction synced the directory. */
    final Set<String> gone = new HashSet<>();
    final Map<String, Set<String>> done = new HashMap<>();
    final Set<String> held = new HashSet<>();
    final Set<String> inFlight = new HashSet<>();

    void forget(String id) {
      done.remove(id);
      held.remove(id);
      inFlight.remove(id);
    }

    void clear() {
      finished.clear();
      gone.clear();
      done.clear();
      held.clear();
      inFlight.clear();
    }
  }

  /**
   * Most octets of bodies kept in memory between their store and the end of their first delivery
   * attempt, so that the first attempt, which finishes most mail, reads no file and hands nothing
   * to a worker thread. Beyond it (a backlog) bodies are read from their files.
   */
  static final long FRESH_OCTETS = 32L * 1024 * 1024;

  private final Map<String, Buffer> fresh = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong freshOctets = new java.util.concurrent.atomic.AtomicLong();

  private void keepFresh(String id, Buffer body) {
    if (body.length() <= MAX_BATCHED_BODY && freshOctets.addAndGet(body.length()) <= FRESH_OCTETS) {
      if (fresh.putIfAbsent(id, body) == null) {
        return;
      }
    }
    freshOctets.addAndGet(-body.length());
  }

  private void dropFresh(String id) {
    Buffer b = fresh.remove(id);
    if (b != null) {
      freshOctets.addAndGet(-b.length());
    }
  }

  /** The journal is compacted once its segment grows past this many octets. */
  static final long COMPACT_AT = 8L * 1024 * 1024;

  /** Segments are rolled at this many octets ({@code queue.segment_size}). */
  static final long SEGMENT_SIZE = 4L * 1024 * 1024;
  /**
   * A rolled segment is copied forward no sooner than this after its roll: by then the deliveries
   * of its messages' first attempts are over, and what is left is deferred or held.
   */
  static final long MOVE_AFTER_NANOS = 5_000_000_000L;

  private final State state = new State();
  private final Journal journal;
  private final Segments segments;
  private final long compactAt;
  private final long moveAfterNanos;
  private final Journal.Steps steps;
  private volatile long lastUpkeep = System.nanoTime();

  public Spool(Path dir) throws IOException {
    this(dir, COMPACT_AT, Journal.Steps.NONE);
  }

  /** A spool whose journal is compacted at {@code compactAt} octets, with a test's crash points. */
  Spool(Path dir, long compactAt, Journal.Steps steps) throws IOException {
    this(dir, compactAt, SEGMENT_SIZE, MOVE_AFTER_NANOS, steps);
  }

  /**
   * A spool whose journal is compacted at {@code compactAt} octets, whose segments roll at
   * {@code segmentSize} and are copied forward {@code moveAfterNanos} after their roll at the
   * earliest.
   */
  Spool(Path dir, long compactAt, long segmentSize, long moveAfterNanos, Journal.Steps steps) throws IOException {
    this.active = dir.resolve("active");
    this.tmp = dir.resolve("tmp");
    Files.createDirectories(active);
    Files.createDirectories(tmp);
    this.journal = new Journal(dir.resolve("journal"), steps);
    this.segments = new Segments(active, segmentSize, syncNanos);
    this.compactAt = compactAt;
    this.moveAfterNanos = moveAfterNanos;
    this.steps = steps;
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
   * Stores several messages with shared syncs: the small ones are appended to the current segment
   * with one write and one fdatasync ({@link Segments}), each large one goes into a file of its own
   * (written to {@code tmp/}, fsync'd, renamed into {@code active/}, the directory fsync'd). Each
   * message is durable before this returns; a failure affects only the messages of its own file.
   * Idempotent per id: one already stored, or twice in the list, is written once.
   *
   * @return per write, null on success or the failure
   */
  public List<IOException> storeAll(List<Write> writes) {
    IOException[] results = new IOException[writes.size()];
    int[] sameAs = new int[writes.size()];
    List<Integer> small = new ArrayList<>();
    List<Integer> large = new ArrayList<>();
    group(writes, sameAs, small, large);
    List<Stored> stored = new ArrayList<>();
    for (int i : large) {
      try {
        stored.add(storeAlone(writes.get(i), i));
      } catch (IOException | RuntimeException e) {
        results[i] = asIo(e);
      }
    }
    Path appendedTo = null;
    if (!small.isEmpty()) {
      try {
        Stored s = append(writes, small);
        appendedTo = s.file();
        stored.add(s);
      } catch (IOException | RuntimeException e) {
        fail(results, small, asIo(e));
      }
    }
    try {
      register(writes, results, stored);
    } finally {
      if (appendedTo != null) {
        segments.settle(appendedTo);
      }
    }
    List<IOException> out = new ArrayList<>();
    for (int i = 0; i < writes.size(); i++) {
      out.add(sameAs[i] >= 0 ? results[sameAs[i]] : results[i]);
    }
    return out;
  }

  /**
   * Records stored messages in the index and their files' batches; first, for an id stored anew in a
   * file that once held it finished, the journal learns of it.
   */
  private void register(List<Write> writes, IOException[] results, List<Stored> stored) {
    List<JsonArray> revived = new ArrayList<>();
    synchronized (state) {
      for (Stored s : stored) {
        for (int k : s.members()) {
          String id = writes.get(k).message().queueId();
          if (state.finished.contains(key(id, s.name()))) {
            // The same id in the same file, finished before (a message ceded and taken back): the
            // journal must learn that this copy is new, or its replay would finish it again.
            revived.add(new JsonArray().add("S").add(id).add(s.name()));
          }
        }
      }
      if (!revived.isEmpty()) {
        try {
          journal.append(revived, true);
          revived.forEach(r -> state.finished.remove(key(r.getString(1), r.getString(2))));
        } catch (IOException e) {
          stored.forEach(s -> fail(results, s.members(), e));
          stored.clear();
        }
      }
      for (Stored s : stored) {
        Batch batch = batches.computeIfAbsent(s.file(), f -> new Batch());
        for (int k = 0; k < s.members().size(); k++) {
          Write w = writes.get(s.members().get(k));
          String id = w.message().queueId();
          Location at = s.where().get(k);
          index.put(id, at);
          batch.add(id, at.octets());
          keepFresh(id, w.body());
        }
      }
    }
  }

  /** Messages a store put into one file, and where each lies. */
  private record Stored(Path file, List<Integer> members, List<Location> where) {
    String name() {
      return file.getFileName().toString();
    }
  }

  /** The small messages of a round, appended to the current segment: one write, one fdatasync. */
  private Stored append(List<Write> writes, List<Integer> members) throws IOException {
    // One gathering write: a system call per record would cost more than its copy.
    ByteBuffer[] data = new ByteBuffer[members.size() * 3];
    long[] frames = new long[members.size()];
    long at = 0;
    for (int k = 0; k < members.size(); k++) {
      Write w = writes.get(members.get(k));
      byte[] head = QueueRecord.head(w.message(), w.body().length());
      byte[] body = w.body().getBytes();
      data[3 * k] = Segments.frame(head, body);
      data[3 * k + 1] = ByteBuffer.wrap(head);
      data[3 * k + 2] = ByteBuffer.wrap(body);
      frames[k] = at;
      at += Segments.FRAME + head.length + body.length;
    }
    Segments.Appended done = segments.append(data);
    List<Location> where = new ArrayList<>();
    for (int k = 0; k < members.size(); k++) {
      Write w = writes.get(members.get(k));
      long frame = done.base() + frames[k];
      where.add(new Location(done.file(), frame, frame + data[3 * k].capacity() + data[3 * k + 1].capacity(),
          w.body().length(), MessageBody.eightBit(w.body()), MessageBody.endsWithCrlf(w.body())));
    }
    return new Stored(done.file(), members, where);
  }

  /**
   * A large message into a file of its own, {@code active/<id>.msg}: it gains nothing from sharing
   * a sync, and a segment holding it would be slow to copy forward.
   */
  private Stored storeAlone(Write w, int member) throws IOException {
    String name = w.message().queueId() + MSG;
    Path part = tmp.resolve(name);
    byte[] head = QueueRecord.head(w.message(), w.body().length());
    try (FileChannel ch = open(part)) {
      ByteBuffer[] data = {ByteBuffer.wrap(head), ByteBuffer.wrap(w.body().getBytes())};
      for (long written = 0; written < head.length + w.body().length(); ) {
        written += ch.write(data);
      }
      long t0 = System.nanoTime();
      ch.force(true);
      syncNanos.add(System.nanoTime() - t0);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(part);
      throw e;
    }
    Path target = active.resolve(name);
    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
    long t0 = System.nanoTime();
    syncDirectory(active);
    syncNanos.add(System.nanoTime() - t0);
    return new Stored(target, List.of(member), List.of(new Location(target, 0, head.length, w.body().length(),
        MessageBody.eightBit(w.body()), MessageBody.endsWithCrlf(w.body()))));
  }

  /**
   * Which writes go into the segment ({@code small}) and which into files of their own
   * ({@code large}). Ids already stored are skipped (their earlier store was durable); an id that
   * comes twice is written once, and {@code sameAs} points the later one at the first.
   */
  private void group(List<Write> writes, int[] sameAs, List<Integer> small, List<Integer> large) {
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < writes.size(); i++) {
      String id = QueueIds.check(writes.get(i).message().queueId());
      Integer earlier = first.putIfAbsent(id, i);
      sameAs[i] = earlier == null ? -1 : earlier;
      // After recovery the index knows every stored message; before it (a spool used without
      // recovering, as tools and tests do) the file system is asked.
      if (earlier != null || index.containsKey(id) || (!recovered && Files.exists(active.resolve(id + MSG)))) {
        continue;
      }
      (writes.get(i).body().length() > MAX_BATCHED_BODY ? large : small).add(i);
    }
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
    // The recipients the owner reported finished come along, so they are not delivered again. They
    // go into the journal first: after a crash before the move the replica is still where it was,
    // with its list, and the takeover done again writes them again.
    Path doneFile = file.resolveSibling(id + ".rcpt");
    Set<String> done = readDone(doneFile);
    synchronized (state) {
      List<JsonArray> records = new ArrayList<>();
      if (state.finished.contains(key(id, target.getFileName().toString()))) {
        records.add(new JsonArray().add("S").add(id).add(target.getFileName().toString()));
      }
      if (!done.isEmpty()) {
        records.add(new JsonArray().add("R").add(id).add(new JsonArray(List.copyOf(done))));
      }
      journal.append(records, true);
      state.finished.remove(key(id, target.getFileName().toString()));
    }
    Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(active);
    syncDirectory(file.getParent());
    Files.deleteIfExists(doneFile);
    byte[] all = Files.readAllBytes(target);
    QueueRecord r = QueueRecord.parse(all, 0);
    if (!r.message().queueId().equals(id) || r.end() != all.length) {
      throw new IOException(target + " is not a complete queue file of " + id);
    }
    synchronized (state) {
      Batch batch = new Batch();
      batches.put(target, batch);
      return loadOne(target, all, r, 0, done, false, false, batch);
    }
  }

  private static IOException asIo(Exception e) {
    return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
  }

  /**
   * A stored message's body for a delivery: from memory if it was stored by this process and not
   * yet tried (see {@link #FRESH_OCTETS}), else read from its file piece by piece on a worker thread
   * of {@code vertx}; null when the message is not stored (finished, or never stored). Does not
   * block: the index in memory says where the body is.
   */
  public MessageBody deliverable(io.vertx.core.Vertx vertx, String queueId) {
    Location at = index.get(QueueIds.check(queueId));
    if (at == null) {
      return null;
    }
    Buffer kept = fresh.get(queueId);
    if (kept != null) {
      return new SpoolBody(at.bodyLength(), at.eightBit(), at.endsWithCrlf(), (position, max) ->
          io.vertx.core.Future.succeededFuture(kept.slice((int) Math.min(position, kept.length()),
              (int) Math.min(kept.length(), position + max))));
    }
    return new SpoolBody(at.bodyLength(), at.eightBit(), at.endsWithCrlf(),
        (position, max) -> vertx.executeBlocking(() -> read(at, queueId, position, max), false));
  }

  /**
   * Up to {@code max} octets of a body from {@code position}; empty at the end. A segment may have
   * been copied forward and removed since {@code at} was looked up: the body is then read where the
   * index says it is now.
   */
  private Buffer read(Location at, String queueId, long position, int max) throws IOException {
    long left = Math.max(0, at.bodyLength() - position);
    ByteBuffer piece = ByteBuffer.allocate((int) Math.min(left, max));
    try {
      readAt(at, queueId, piece, position);
    } catch (NoSuchFileException e) {
      Location now = index.get(queueId);
      if (now == null || now.equals(at)) {
        throw e;
      }
      piece.clear();
      readAt(now, queueId, piece, position);
    }
    return Buffer.buffer(piece.array());
  }

  private static void readAt(Location at, String queueId, ByteBuffer into, long position) throws IOException {
    try (FileChannel ch = FileChannel.open(at.file(), StandardOpenOption.READ)) {
      while (into.hasRemaining()) {
        if (ch.read(into, at.bodyOffset() + position + into.position()) < 0) {
          throw new IOException(at.file() + " ends before the body of " + queueId + " does");
        }
      }
    }
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
    return read(at, queueId, 0, Math.toIntExact(at.bodyLength()));
  }

  /** A change of a stored message's delivery state, written as one journal record. */
  public sealed interface Mark permits Done, Finished, InFlight, Held {
    String queueId();

    /** Whether the record must be on stable storage before its round completes. */
    default boolean durable() {
      return true;
    }
  }

  /** The recipients of a message that are finished (delivered or bounced), all of them. */
  public record Done(String queueId, Set<String> recipients) implements Mark {}

  /** A message is finished and leaves the spool. */
  public record Finished(String queueId) implements Mark {}

  /**
   * A delivery attempt is under way, or ended. Neither waits for a sync of its own: the start is
   * written (in the page cache, so a killed process keeps it) before the delivery begins, and the
   * next round's fdatasync makes it durable; only a power loss in between can lose it, and then
   * recovery undercounts the possible duplicates, as with the marker files before the journal. A
   * lost end makes recovery count a delivery as possibly repeated that was not.
   */
  public record InFlight(String queueId, boolean on) implements Mark {
    @Override
    public boolean durable() {
      return false;
    }
  }

  /** An operator put a message on hold, or released it. */
  public record Held(String queueId, boolean on) implements Mark {}

  /** What a commit round did: per write, null or its failure; the marks' failure or null. */
  public record Round(List<IOException> writes, IOException marks) {}

  /**
   * One commit round: stores the messages ({@link #storeAll}), then appends the marks to the
   * journal with one fdatasync for all of them, then removes the files whose messages are now all
   * finished. The marks are applied in order; one about a message that is not stored is skipped,
   * so finishing twice is harmless.
   */
  public Round commit(List<Write> writes, List<? extends Mark> marks) {
    List<IOException> stored = writes.isEmpty() ? List.of() : storeAll(writes);
    IOException failed = null;
    try {
      apply(marks);
    } catch (IOException e) {
      failed = e;
    }
    return new Round(stored, failed);
  }

  private void apply(List<? extends Mark> marks) throws IOException {
    if (marks.isEmpty()) {
      return;
    }
    marks.forEach(m -> QueueIds.check(m.queueId()));
    List<Path> emptied = new ArrayList<>();
    boolean syncLater;
    synchronized (state) {
      List<JsonArray> records = new ArrayList<>();
      boolean sync = false;
      for (Mark m : marks) {
        Location at = index.get(m.queueId());
        if (at == null) {
          continue;
        }
        JsonArray r;
        if (m instanceof Done d) {
          r = new JsonArray().add("R").add(d.queueId()).add(new JsonArray(List.copyOf(d.recipients())));
        } else if (m instanceof Finished) {
          r = new JsonArray().add("F").add(m.queueId()).add(at.name());
        } else if (m instanceof InFlight i) {
          r = new JsonArray().add(i.on() ? "I" : "N").add(i.queueId());
        } else {
          r = new JsonArray().add(((Held) m).on() ? "H" : "U").add(m.queueId());
        }
        records.add(r);
        sync |= m.durable();
      }
      // Written under the lock, synced after it: a round's fdatasync does not hold up the in-flight
      // marks written meanwhile, nor a compaction (whose snapshot, synced, covers these records).
      syncLater = journal.write(records, sync);
      for (Mark m : marks) {
        String id = m.queueId();
        if (!(m instanceof InFlight i0 && i0.on())) {
          dropFresh(id); // the first attempt is over (or the message held, or finished)
        }
        if (m instanceof Done d) {
          if (index.containsKey(id)) {
            state.done.put(id, Set.copyOf(d.recipients()));
          }
        } else if (m instanceof InFlight i) {
          if (i.on() && index.containsKey(id)) {
            state.inFlight.add(id);
          } else {
            state.inFlight.remove(id);
          }
        } else if (m instanceof Held h) {
          if (h.on() && index.containsKey(id)) {
            state.held.add(id);
          } else {
            state.held.remove(id);
          }
        } else {
          Location at = index.remove(id);
          if (at == null) {
            continue;
          }
          state.forget(id);
          state.finished.add(key(id, at.name()));
          Batch batch = batches.get(at.file());
          if (batch != null && batch.remove(id, at.octets()) && batch.live.isEmpty() && !segments.inUse(at.file())) {
            emptied.add(at.file());
          }
        }
      }
    }
    if (syncLater) {
      journal.sync();
    }
    // Only now that the finished records are durable may their files go.
    for (Path file : emptied) {
      removeFile(file);
    }
  }

  /**
   * Unlinks a file whose messages are all finished, without a directory sync: should the unlink be
   * lost in a crash, the journal still says its messages are finished, and it is removed again. Their
   * records stay in the journal until a compaction has synced the directory.
   */
  private void removeFile(Path file) throws IOException {
    batches.remove(file);
    Files.deleteIfExists(file);
    synchronized (state) {
      state.gone.add(file.getFileName().toString());
    }
  }

  private static String key(String id, String file) {
    return id + "/" + file;
  }

  /** Records the recipients that are finished (delivered or bounced), durably. */
  public void markDone(String queueId, Set<String> doneRecipients) throws IOException {
    apply(List.of(new Done(queueId, doneRecipients)));
  }

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

  /**
   * Writes a message's finished recipients to {@code target} durably, through {@code part}: written,
   * fsync'd, renamed over the old list, directory fsync'd. A replica holder keeps such a file beside
   * its replica ({@link ReplicaArea#markDone}).
   */
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
   * Marks a delivery attempt as under way (synced), or ended (not synced): recovery counts the
   * deliveries that may be repeated after a crash.
   */
  public void markInFlight(String queueId, boolean inFlight) throws IOException {
    apply(List.of(new InFlight(queueId, inFlight)));
  }

  /** Removes a finished message. Idempotent. */
  public void delete(String queueId) throws IOException {
    deleteAll(List.of(queueId));
  }

  /**
   * Finishes messages with one journal sync for all of them. Idempotent. A file goes when its last
   * message does.
   */
  public void deleteAll(List<String> queueIds) throws IOException {
    apply(queueIds.stream().map(Finished::new).toList());
  }

  /**
   * Puts messages on hold, or releases them, durably (one journal sync for all of them), so a hold
   * survives a crash as soon as this returns.
   */
  public void setHeld(List<String> queueIds, boolean held) throws IOException {
    queueIds.forEach(QueueIds::check);
    for (String queueId : queueIds) {
      if (held && !index.containsKey(queueId)) {
        throw new NoSuchFileException(active.resolve(queueId + MSG).toString());
      }
    }
    apply(queueIds.stream().map(id -> new Held(id, held)).toList());
  }

  /** Octets in the journal segment being appended to. */
  public long journalSize() {
    return journal.size();
  }

  /** Segment files created so far (the spares included). */
  public long segmentsCreated() {
    return segments.created();
  }

  /** fdatasyncs of the journal so far. */
  public long journalSyncs() {
    return journal.syncs();
  }

  /** Closes the journal for good (the queue stops): state changes after it fail. */
  public void close() throws IOException {
    segments.close();
    journal.shut();
  }

  /** Whether {@link #upkeep} has work: a spare segment to create, or a second has passed since the last. */
  public boolean upkeepDue() {
    return recovered && (segments.spareNeeded() || System.nanoTime() - lastUpkeep > 1_000_000_000L);
  }

  /**
   * The segments' upkeep, beside the rounds: creates the spare segment if a roll took it, removes
   * the rolled segments whose messages are all finished, and copies forward the few live messages
   * of rolled segments that are mostly finished ({@link #moveForward}), so that a handful of
   * long-deferred messages does not hold whole segments on disk.
   */
  public void upkeep() throws IOException {
    lastUpkeep = System.nanoTime();
    segments.prepareSpare();
    List<Path> empty = new ArrayList<>();
    List<Path> sparse = new ArrayList<>();
    long now = System.nanoTime();
    synchronized (state) {
      batches.forEach((file, batch) -> {
        if (!file.getFileName().toString().endsWith(Segments.SUFFIX) || segments.inUse(file)) {
          return;
        }
        if (batch.rolledAt == 0) {
          batch.rolledAt = now;
        }
        if (batch.live.isEmpty()) {
          empty.add(file);
        } else if (batch.liveOctets * 4 <= batch.octets && now - batch.rolledAt >= moveAfterNanos
            && batch.live.stream().noneMatch(state.inFlight::contains)) {
          sparse.add(file);
        }
      });
    }
    if (!empty.isEmpty()) {
      journal.sync(); // the finished records that emptied them, before the files go
      for (Path file : empty) {
        removeFile(file);
      }
    }
    for (Path file : sparse) {
      moveForward(file);
    }
  }

  /**
   * Copies a rolled segment's live messages, frame for frame, to the segment appended to now (one
   * write and one fdatasync, as a store round), then journals each old copy as moved
   * ({@code ["M", id, old file]}: replay treats it as finished, keeping the message's state) and
   * removes the old segment. A crash before the move's records are synced leaves both copies and
   * neither moved: recovery delivers the first it finds, once. A message finished meanwhile gets its
   * new copy finished too.
   */
  void moveForward(Path old) throws IOException {
    List<String> ids = new ArrayList<>();
    List<Location> from = new ArrayList<>();
    synchronized (state) {
      Batch b = batches.get(old);
      if (b == null) {
        return;
      }
      for (String id : b.live) {
        Location at = index.get(id);
        if (at != null && at.file().equals(old)) {
          ids.add(id);
          from.add(at);
        }
      }
    }
    ByteBuffer[] data = new ByteBuffer[ids.size()];
    try {
      for (int k = 0; k < ids.size(); k++) {
        Location at = from.get(k);
        data[k] = ByteBuffer.wrap(Segments.frameAt(old, at.recordOffset(), at.bodyOffset() + at.bodyLength()).getBytes());
      }
    } catch (NoSuchFileException e) {
      return; // its last messages finished meanwhile, and it went with them
    }
    Segments.Appended done = ids.isEmpty() ? null : segments.append(data);
    boolean syncLater;
    try {
      steps.reached("copied");
      syncLater = recordMoves(old, ids, from, done);
    } finally {
      if (done != null) {
        segments.settle(done.file());
      }
    }
    if (syncLater) {
      journal.sync();
    }
    steps.reached("moved");
    boolean emptied;
    synchronized (state) {
      Batch ob = batches.get(old);
      emptied = ob != null && ob.live.isEmpty();
    }
    if (emptied) {
      removeFile(old);
    }
    LOG.info(() -> "segment " + old.getFileName() + ": " + ids.size() + " unfinished message(s) copied forward"
        + (done == null ? "" : " to " + done.file().getFileName()));
  }

  /**
   * The index learns where copied messages are now, and the journal that the old copies are moved
   * (or, for a message finished meanwhile, that its new copy is finished too).
   *
   * @return whether the journal still needs a sync
   */
  private boolean recordMoves(Path old, List<String> ids, List<Location> from, Segments.Appended done)
      throws IOException {
    Batch ob;
    synchronized (state) {
      ob = batches.get(old);
      List<JsonArray> records = new ArrayList<>();
      long pos = done == null ? 0 : done.base();
      for (int k = 0; k < ids.size(); k++) {
        String id = ids.get(k);
        Location at = from.get(k);
        Location moved = new Location(done.file(), pos, pos + (at.bodyOffset() - at.recordOffset()), at.bodyLength(),
            at.eightBit(), at.endsWithCrlf());
        pos += at.octets();
        Batch nb = batches.computeIfAbsent(done.file(), f -> new Batch());
        if (at.equals(index.get(id))) {
          index.put(id, moved);
          nb.add(id, moved.octets());
          if (ob != null) {
            ob.remove(id, at.octets());
          }
          records.add(new JsonArray().add("M").add(id).add(at.name()));
          state.finished.add(key(id, at.name()));
        } else {
          nb.octets += moved.octets();
          records.add(new JsonArray().add("F").add(id).add(moved.name()));
          state.finished.add(key(id, moved.name()));
        }
      }
      return journal.write(records, true);
    }
  }

  /** The journal size at which {@link #compactIfLarge} compacts. */
  public long compactAt() {
    return compactAt;
  }

  /** Compacts the journal if it has grown past {@code compactAt} octets; true if it did. */
  public boolean compactIfLarge() throws IOException {
    if (journal.size() < compactAt) {
      return false;
    }
    long before = journal.size();
    compact();
    LOG.info(() -> "journal compacted: " + before + " octets to " + journal.size() + " (" + index.size()
        + " messages queued)");
    return true;
  }

  /**
   * Replaces the journal by the live state (see {@link Journal#rewrite}). The spool directory is
   * synced first, so the files removed so far are durably gone and their finished records can go.
   */
  void compact() throws IOException {
    synchronized (state) {
      Set<String> gone = Set.copyOf(state.gone);
      syncDirectory(active);
      List<JsonArray> records = new ArrayList<>();
      for (String k : state.finished) {
        if (!gone.contains(k.substring(k.indexOf('/') + 1))) {
          int slash = k.indexOf('/');
          records.add(new JsonArray().add("F").add(k.substring(0, slash)).add(k.substring(slash + 1)));
        }
      }
      state.done.forEach((id, rcpts) -> records.add(new JsonArray().add("R").add(id).add(new JsonArray(List.copyOf(rcpts)))));
      state.held.forEach(id -> records.add(new JsonArray().add("H").add(id)));
      state.inFlight.forEach(id -> records.add(new JsonArray().add("I").add(id)));
      journal.rewrite(records);
      state.finished.removeIf(k -> gone.contains(k.substring(k.indexOf('/') + 1)));
      state.gone.removeAll(gone);
    }
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

  /**
   * Loads every stored message, discarding half-written leftovers in {@code tmp/}: the queue files
   * give the messages, the journal's replay their state, and the journal is then compacted to that
   * state (which also drops a torn tail and reports an in-flight mark only once). Marker files of
   * the spool format before the journal ({@code .rcpt}, {@code .hold}, {@code .done},
   * {@code .inflight}) are read once, written into the journal and removed.
   */
  public List<Loaded> recover() throws IOException {
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
      for (Path p : leftovers) {
        LOG.warning(() -> "discarding incomplete queue file " + p);
        Files.deleteIfExists(p);
      }
    }
    synchronized (state) {
      segments.close();
      index.clear();
      batches.clear();
      state.clear();
      Replayed replayed = replay(journal.replay());
      Legacy legacy = legacy();
      List<Loaded> out = new ArrayList<>();
      // Oldest first (names are queue ids, which sort by time): of a message found in two files,
      // the older copy is the one delivered.
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> found = Files.newDirectoryStream(active, "*{" + MSG + "," + BATCH + "," + Segments.SUFFIX + "}")) {
        found.forEach(files::add);
      }
      files.sort(java.util.Comparator.comparing(p -> p.getFileName().toString()));
      for (Path p : files) {
        try {
          out.addAll(load(p, replayed, legacy));
        } catch (IOException | RuntimeException e) {
          // A corrupt file is kept aside for the operator, not deleted and not delivered.
          Path corrupt = p.resolveSibling(p.getFileName() + ".corrupt");
          LOG.severe(() -> "queue file " + p + " is unreadable (" + e.getMessage() + "); moved to " + corrupt);
          Files.move(p, corrupt, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      // The in-flight marks are reported once, in the Loaded records: the new journal holds none.
      state.inFlight.clear();
      compact();
      journal.keepOpen();
      segments.keepOpen();
      recovered = true;
      for (Path marker : legacy.files) {
        Files.deleteIfExists(marker);
      }
      return out;
    }
  }

  /** The state the journal's records leave. */
  private record Replayed(Set<String> finished, Map<String, Set<String>> done, Set<String> held,
      Set<String> inFlight) {}

  private static Replayed replay(List<JsonArray> records) {
    Replayed r = new Replayed(new HashSet<>(), new HashMap<>(), new HashSet<>(), new HashSet<>());
    for (JsonArray record : records) {
      String type = record.getString(0);
      if (Journal.SNAPSHOT.equals(type)) {
        continue;
      }
      String id = record.getString(1);
      switch (type) {
        case "S" -> r.finished.remove(key(id, record.getString(2)));
        case "M" -> r.finished.add(key(id, record.getString(2)));
        case "F" -> {
          r.finished.add(key(id, record.getString(2)));
          r.done.remove(id);
          r.held.remove(id);
          r.inFlight.remove(id);
        }
        case "R" -> {
          Set<String> done = new HashSet<>();
          record.getJsonArray(2).forEach(v -> done.add((String) v));
          r.done.put(id, done);
        }
        case "H" -> r.held.add(id);
        case "U" -> r.held.remove(id);
        case "I" -> r.inFlight.add(id);
        case "N" -> r.inFlight.remove(id);
        default -> LOG.warning(() -> "journal: unknown record " + record.encode() + " ignored");
      }
    }
    return r;
  }

  /** Marker files of the spool format before the journal, read once at recovery. */
  private record Legacy(List<Path> files, Set<String> finished, Set<String> held, Set<String> inFlight,
      Set<String> withDone) {}

  private Legacy legacy() throws IOException {
    Legacy l = new Legacy(new ArrayList<>(), new HashSet<>(), new HashSet<>(), new HashSet<>(), new HashSet<>());
    try (DirectoryStream<Path> markers = Files.newDirectoryStream(active, "*.{hold,done,inflight,rcpt}")) {
      for (Path p : markers) {
        String name = p.getFileName().toString();
        String id = name.substring(0, name.lastIndexOf('.'));
        l.files.add(p);
        switch (name.substring(name.lastIndexOf('.') + 1)) {
          case "done" -> l.finished.add(id);
          case "hold" -> l.held.add(id);
          case "inflight" -> l.inFlight.add(id);
          default -> l.withDone.add(id);
        }
      }
    }
    return l;
  }

  /** The unfinished messages of a queue file; a file with none left is removed. */
  private List<Loaded> load(Path p, Replayed replayed, Legacy legacy) throws IOException {
    byte[] all = Files.readAllBytes(p);
    String name = p.getFileName().toString();
    boolean single = name.endsWith(MSG);
    List<QueueRecord> records = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    if (name.endsWith(Segments.SUFFIX)) {
      Segments.Read read = Segments.read(p, all);
      records.addAll(read.records());
      starts.addAll(read.frames());
      if (records.isEmpty()) {
        // A spare never used, or a segment whose only round was cut short: nothing acknowledged.
        Files.delete(p);
        return List.of();
      }
    } else {
      for (int at = 0; at < all.length; ) {
        QueueRecord r = QueueRecord.parse(all, at);
        QueueIds.check(r.message().queueId());
        records.add(r);
        starts.add((long) at);
        at = Math.toIntExact(r.end());
        if (single) {
          if (!r.message().queueId().equals(name.substring(0, name.length() - MSG.length()))) {
            throw new IOException("queue id " + r.message().queueId() + " does not match file name");
          }
          if (at != all.length) {
            throw new IOException("length mismatch: file is truncated or has trailing data");
          }
        }
      }
      if (records.isEmpty()) {
        throw new IOException("an empty batch file");
      }
    }
    List<Loaded> out = new ArrayList<>();
    Batch batch = new Batch();
    batch.rolledAt = System.nanoTime();
    batches.put(p, batch);
    for (int k = 0; k < records.size(); k++) {
      QueueRecord r = records.get(k);
      String id = QueueIds.check(r.message().queueId());
      boolean finished = replayed.finished.contains(key(id, name)) || (!single && legacy.finished.contains(id));
      if (finished) {
        state.finished.add(key(id, name));
        continue;
      }
      if (index.containsKey(id)) {
        // The same message in two files (a copy forward cut short by a crash, or a message taken
        // back): the first found is delivered, and this copy is finished, so it never comes back.
        state.finished.add(key(id, name));
        continue;
      }
      Set<String> done = replayed.done.containsKey(id) ? replayed.done.get(id)
          : legacy.withDone.contains(id) ? readDone(active.resolve(id + ".rcpt")) : Set.of();
      boolean inFlight = replayed.inFlight.contains(id) || legacy.inFlight.contains(id);
      boolean held = replayed.held.contains(id) || legacy.held.contains(id);
      out.add(loadOne(p, all, r, starts.get(k), done, inFlight, held, batch));
    }
    batch.octets = all.length;
    if (batch.live.isEmpty()) {
      removeFile(p);
    }
    return out;
  }

  /** One message of a queue file, with its state; it joins the index and its file's batch. */
  private Loaded loadOne(Path file, byte[] all, QueueRecord r, long recordOffset, Set<String> done, boolean inFlight,
      boolean held, Batch batch) {
    SpooledMessage m = r.message();
    String id = m.queueId();
    Buffer body = Buffer.buffer(all).slice(Math.toIntExact(r.bodyOffset()), Math.toIntExact(r.end()));
    Location at = new Location(file, recordOffset, r.bodyOffset(), r.bodyLength(), MessageBody.eightBit(body),
        MessageBody.endsWithCrlf(body));
    index.put(id, at);
    batch.add(id, at.octets());
    if (!done.isEmpty()) {
      state.done.put(id, Set.copyOf(done));
    }
    if (held) {
      state.held.add(id);
    }
    return new Loaded(m, new HashSet<>(done), inFlight, held, r.bodyLength());
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

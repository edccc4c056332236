package org.postern.queue;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import java.util.zip.CRC32C;
import org.postern.bus.QueueIds;

/**
 * The spool's message segments: {@code active/<name>.seg}, long-lived files that the store rounds
 * append {@link QueueRecord}s to, each framed as its length (4 octets), a CRC-32C of the record (4
 * octets) and the record. A round is one gathering write and one fdatasync of the segment; no file
 * is created and no directory synced on its way. A segment is rolled once it holds
 * {@code rollAt} octets: appends go on in the spare, a file created empty and made durable in the
 * directory beforehand, off the rounds' path ({@link #prepareSpare}).
 *
 * <p>At recovery a frame cut short, with a length that runs past the end, or failing its checksum
 * ends the segment: a crash in the middle of a round's write leaves it, and no such round was
 * acknowledged. Appends never follow such a tail: every start appends to a new segment.
 *
 * <p>Thread-safe: appends, rolls and the spare's preparation are serialised by this object's lock.
 */
final class Segments {

  private static final Logger LOG = Logger.getLogger("postern.queue");
  static final String SUFFIX = ".seg";
  /** Length and checksum before each record. */
  static final int FRAME = 8;

  private final Path dir;
  private final long rollAt;
  private final java.util.concurrent.atomic.LongAdder syncNanos;
  /** Set once recovered: the segment stays open between rounds, and rolls into the spare. */
  private volatile boolean keepOpen;
  // Written under this object's lock; read without it (inUse, spareNeeded), so that neither the
  // event loop nor a state change ever waits for a round's fdatasync, which runs under the lock.
  private volatile Path current;
  private volatile Path spare;
  private FileChannel out;
  private long size;
  private final java.util.concurrent.atomic.AtomicLong created = new java.util.concurrent.atomic.AtomicLong();
  /**
   * Appends whose callers have not yet put their messages in the index ({@link #settle}): until
   * they have, the segment must not look finished and be removed, even if a roll took it.
   */
  private final java.util.Map<Path, Integer> unsettled = new java.util.concurrent.ConcurrentHashMap<>();

  Segments(Path dir, long rollAt, java.util.concurrent.atomic.LongAdder syncNanos) {
    this.dir = dir;
    this.rollAt = rollAt;
    this.syncNanos = syncNanos;
  }

  /** Where a round's records went: the segment, and the offset of the first one's frame. */
  record Appended(Path file, long base) {}

  /** A record's frame header for the record {@code head} + {@code body}. */
  static ByteBuffer frame(byte[] head, byte[] body) {
    CRC32C c = new CRC32C();
    c.update(head);
    c.update(body);
    return ByteBuffer.allocate(FRAME).putInt(head.length + body.length).putInt((int) c.getValue()).flip();
  }

  /**
   * Appends framed records with one write and makes them durable with one fdatasync (the file's
   * length included). A segment that failed a write or a sync is given up: the next round goes to
   * a new one, so nothing is ever appended after a tail whose state is unknown.
   */
  synchronized Appended append(ByteBuffer[] data) throws IOException {
    long total = 0;
    for (ByteBuffer b : data) {
      total += b.remaining();
    }
    if (out == null || size >= rollAt || !keepOpen) {
      roll();
    }
    Path file = current;
    long base = size;
    try {
      for (long written = 0; written < total; ) {
        written += out.write(data);
      }
      long t0 = System.nanoTime();
      out.force(false);
      syncNanos.add(System.nanoTime() - t0);
      size += total;
    } catch (IOException | RuntimeException e) {
      giveUp();
      throw e;
    }
    unsettled.merge(file, 1, Integer::sum);
    if (!keepOpen) {
      giveUp();
    }
    return new Appended(file, base);
  }

  /** Switches to the spare (or, without one, a segment created now) as the one appended to. */
  private void roll() throws IOException {
    giveUp();
    Path next = spare != null ? spare : create();
    current = next;
    spare = null;
    out = FileChannel.open(current, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    size = out.size();
  }

  private void giveUp() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        LOG.fine(() -> "close: " + e);
      }
    }
    out = null;
    current = null;
  }

  /** A new, empty segment, durable in the directory. */
  private Path create() throws IOException {
    Path p = dir.resolve(QueueIds.next() + SUFFIX);
    Files.newByteChannel(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
    long t0 = System.nanoTime();
    Spool.syncDirectory(dir);
    syncNanos.add(System.nanoTime() - t0);
    created.incrementAndGet();
    return p;
  }

  /** From now on the segment stays open between rounds: this is the only writer. */
  synchronized void keepOpen() throws IOException {
    keepOpen = true;
    prepareSpare();
  }

  /** Whether the spare is missing (taken by a roll) and {@link #prepareSpare} has work to do. */
  boolean spareNeeded() {
    return keepOpen && spare == null;
  }

  /** Creates the spare segment if there is none; the rounds go on meanwhile in the current one. */
  void prepareSpare() throws IOException {
    synchronized (this) {
      if (spare != null) {
        return;
      }
    }
    // Created outside the lock, so that a round's append does not wait for the directory sync.
    Path p = create();
    synchronized (this) {
      if (spare == null) {
        spare = p;
        return;
      }
    }
    Files.deleteIfExists(p);
  }

  /**
   * Whether {@code file} is appended to now or is the spare: it must not be removed. A roll under
   * way may make a file look in use a moment longer, never less.
   */
  boolean inUse(Path file) {
    return file.equals(current) || file.equals(spare) || unsettled.containsKey(file);
  }

  /** The caller of an {@link #append} to {@code file} has recorded its messages (or given them up). */
  void settle(Path file) {
    unsettled.computeIfPresent(file, (f, n) -> n == 1 ? null : n - 1);
  }

  /** Segments created so far, spares included. */
  long created() {
    return created.get();
  }

  /** Closes the segment appended to; appends after it open the spare. */
  synchronized void close() {
    giveUp();
  }

  /** The complete records of a segment's content, in order, and where the valid part ends. */
  record Read(List<QueueRecord> records, List<Long> frames, int end) {}

  /** Reads a segment: every record up to the first frame that is cut short or damaged. */
  static Read read(Path p, byte[] all) {
    List<QueueRecord> records = new ArrayList<>();
    List<Long> frames = new ArrayList<>();
    int at = 0;
    while (at < all.length) {
      QueueRecord r = parse(all, at);
      if (r == null) {
        int where = at;
        LOG.warning(() -> p + ": " + (all.length - where) + " octets of an incomplete or damaged record at "
            + where + " ignored (a crash during a store round, never acknowledged)");
        break;
      }
      records.add(r);
      frames.add((long) at);
      at = Math.toIntExact(r.end());
    }
    return new Read(records, frames, at);
  }

  /** The record framed at {@code at}, or null if it is cut short or its checksum does not match. */
  private static QueueRecord parse(byte[] all, int at) {
    if (all.length - at < FRAME) {
      return null;
    }
    ByteBuffer frame = ByteBuffer.wrap(all, at, FRAME);
    int length = frame.getInt();
    int crc = frame.getInt();
    // A zero length is what a hole or zeroed tail would read as: never a record.
    if (length <= 0 || length > all.length - at - FRAME) {
      return null;
    }
    CRC32C c = new CRC32C();
    c.update(all, at + FRAME, length);
    if ((int) c.getValue() != crc) {
      return null;
    }
    try {
      QueueRecord r = QueueRecord.parse(all, at + FRAME);
      return r.end() == at + FRAME + length ? r : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The octets of the frame at {@code offset} up to {@code end}, for copying it forward as it is. */
  static Buffer frameAt(Path file, long offset, long end) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(end - offset));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          throw new IOException(file + " ends inside the record at " + offset);
        }
      }
    }
    return Buffer.buffer(b.array());
  }
}

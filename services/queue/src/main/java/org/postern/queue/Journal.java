package org.postern.queue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * The spool's state journal: {@code journal/<seq>.log} segments of small records, appended by
 * one writer at a time and replayed in order at start. A record is framed as its payload's length
 * (4 octets), a CRC-32C of the payload (4 octets) and the payload, a JSON array; a record that is
 * cut short or fails its checksum ends the segment, as a crash in the middle of an append leaves
 * it (such a record was never synced, so nothing was acknowledged on its strength).
 *
 * <p>Compaction replaces every segment by one holding the live state, written as a new segment:
 * to {@code journal/next.tmp}, fsync'd, renamed to the next sequence number, the directory fsync'd,
 * and only then are the older segments deleted. Such a segment begins with a {@code ["snapshot"]}
 * record, and replay starts at the newest segment that does. A crash at any step leaves either the
 * old segments alone (the temporary file is discarded at start), or old ones that replay skips
 * beside the new one.
 *
 * <p>Thread-safe: appends and compactions are serialised by this object's lock.
 */
final class Journal {

  private static final Logger LOG = Logger.getLogger("postern.queue");
  private static final String SUFFIX = ".log";
  static final String SNAPSHOT = "snapshot";

  /** Where a test stops a compaction to play a crash at that step. */
  interface Steps {
    Steps NONE = step -> { };

    void reached(String step) throws IOException;
  }

  private final Path dir;
  private final Steps steps;
  private FileChannel out;
  /** Set once recovered: until then every append opens the newest segment, as another spool
   * instance on the same directory (a tool, a test) may have compacted it meanwhile. */
  private boolean keepOpen;
  /** Set by {@link #close}: the spool is shut, and a late change must not open a segment again. */
  private boolean closed;
  private IOException broken;
  private long seq;
  private long size;
  private long syncs;

  Journal(Path dir, Steps steps) throws IOException {
    this.dir = dir;
    this.steps = steps;
    Files.createDirectories(dir);
  }

  /** The segments in replay order: by sequence number. */
  private TreeMap<Long, Path> segments() throws IOException {
    TreeMap<Long, Path> found = new TreeMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        try {
          found.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), p);
        } catch (NumberFormatException e) {
          LOG.warning(() -> "ignoring " + p + ": not a journal segment");
        }
      }
    }
    return found;
  }

  /** Every complete record of every segment, oldest first; a torn or corrupt tail is skipped. */
  synchronized List<JsonArray> replay() throws IOException {
    Files.deleteIfExists(dir.resolve("next.tmp"));
    List<JsonArray> records = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();
    List<Path> paths = new ArrayList<>(segments().values());
    int from = 0;
    for (int i = 0; i < paths.size(); i++) {
      byte[] all = Files.readAllBytes(paths.get(i));
      contents.add(all);
      JsonArray first = parse(all, 0);
      if (first != null && SNAPSHOT.equals(first.getValue(0))) {
        from = i;
      }
    }
    for (int i = from; i < paths.size(); i++) {
      Path p = paths.get(i);
      byte[] all = contents.get(i);
      int at = 0;
      while (at < all.length) {
        JsonArray r = parse(all, at);
        if (r == null) {
          int where = at;
          LOG.warning(() -> p + ": " + (all.length - where) + " octets of an incomplete or damaged record at "
              + where + " ignored (a crash during an append)");
          break;
        }
        records.add(r);
        at += 8 + ByteBuffer.wrap(all, at, 4).getInt();
      }
    }
    return records;
  }

  /** The record at {@code at}, or null if it is cut short or its checksum does not match. */
  private static JsonArray parse(byte[] all, int at) {
    if (all.length - at < 8) {
      return null;
    }
    ByteBuffer frame = ByteBuffer.wrap(all, at, 8);
    int length = frame.getInt();
    int crc = frame.getInt();
    if (length < 0 || length > all.length - at - 8) {
      return null;
    }
    CRC32C c = new CRC32C();
    c.update(all, at + 8, length);
    if ((int) c.getValue() != crc) {
      return null;
    }
    try {
      return new JsonArray(Buffer.buffer(new String(all, at + 8, length, StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static ByteBuffer frame(JsonArray record) {
    byte[] payload = record.encode().getBytes(StandardCharsets.UTF_8);
    CRC32C c = new CRC32C();
    c.update(payload);
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
    b.putInt(payload.length).putInt((int) c.getValue()).put(payload).flip();
    return b;
  }

  /**
   * Appends records with one write, and makes them durable with one fdatasync if {@code sync}. A
   * spool that was not recovered appends to the newest segment (tools and tests); a recovered one
   * to the segment its recovery wrote.
   */
  void append(List<JsonArray> records, boolean sync) throws IOException {
    if (write(records, sync)) {
      sync();
    }
  }

  /**
   * Appends records with one write. A journal that is not kept open (not recovered) also syncs
   * here if {@code sync}; a kept-open one leaves the sync to {@link #sync}, which its caller may
   * run outside its own locks, so that other writers are not held up by the fdatasync.
   *
   * @return whether {@link #sync} is still needed
   */
  synchronized boolean write(List<JsonArray> records, boolean sync) throws IOException {
    if (broken != null) {
      throw new IOException("the spool's journal failed to sync earlier: " + broken.getMessage(), broken);
    }
    if (records.isEmpty()) {
      return false;
    }
    if (closed) {
      throw new IOException("the spool's journal is closed (the queue stopped)");
    }
    if (out == null) {
      TreeMap<Long, Path> all = segments();
      seq = all.isEmpty() ? 1 : all.lastKey();
      out = FileChannel.open(dir.resolve(name(seq)), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      size = out.size();
    }
    ByteBuffer[] frames = records.stream().map(Journal::frame).toArray(ByteBuffer[]::new);
    long total = 0;
    for (ByteBuffer f : frames) {
      total += f.remaining();
    }
    try {
      for (long written = 0; written < total; ) {
        written += out.write(frames);
      }
      size += total;
      if (sync && !keepOpen) {
        out.force(false);
        syncs++;
      }
    } finally {
      if (!keepOpen) {
        close();
      }
    }
    return sync && keepOpen;
  }

  /**
   * Makes everything written so far durable: one fdatasync of the segment being appended to. If a
   * compaction replaced that segment meanwhile, the records are durable already: the compaction
   * wrote the state they led to, and synced it, before it closed the old segment. A failed sync
   * breaks the journal for good (the page cache can no longer be trusted to hold what it wrote).
   */
  void sync() throws IOException {
    FileChannel ch;
    synchronized (this) {
      if (broken != null) {
        throw new IOException("the spool's journal failed to sync earlier: " + broken.getMessage(), broken);
      }
      ch = out;
    }
    if (ch == null) {
      return; // closed by a compaction or at stop, after its state was synced
    }
    try {
      ch.force(false);
    } catch (java.nio.channels.ClosedChannelException e) {
      return;
    } catch (IOException e) {
      synchronized (this) {
        broken = e;
      }
      throw e;
    }
    synchronized (this) {
      syncs++;
    }
  }

  /** From now on the segment stays open between appends: this is the only writer. */
  synchronized void keepOpen() {
    keepOpen = true;
  }

  /** Octets in the segment being appended to. */
  synchronized long size() {
    return size;
  }

  /** fdatasyncs of appends so far. */
  synchronized long syncs() {
    return syncs;
  }

  /**
   * Replaces every segment by one holding {@code state}, crash-safely (see the class comment);
   * appends then go to the new segment.
   */
  synchronized void rewrite(List<JsonArray> state) throws IOException {
    if (closed) {
      throw new IOException("the spool's journal is closed (the queue stopped)");
    }
    TreeMap<Long, Path> old = segments();
    long next = (old.isEmpty() ? 0 : old.lastKey()) + 1;
    Path part = dir.resolve("next.tmp");
    FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    long total = 0;
    try {
      List<JsonArray> all = new ArrayList<>();
      all.add(new JsonArray().add(SNAPSHOT));
      all.addAll(state);
      ByteBuffer[] frames = all.stream().map(Journal::frame).toArray(ByteBuffer[]::new);
      for (ByteBuffer f : frames) {
        total += f.remaining();
      }
      for (long written = 0; written < total; ) {
        written += ch.write(frames);
      }
      steps.reached("written");
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    steps.reached("synced");
    Files.move(part, dir.resolve(name(next)), StandardCopyOption.ATOMIC_MOVE);
    steps.reached("renamed");
    Spool.syncDirectory(dir);
    steps.reached("directory synced");
    if (out != null) {
      out.close();
    }
    out = ch;
    seq = next;
    if (!keepOpen) {
      close();
    }
    size = total;
    for (Path p : old.values()) {
      Files.deleteIfExists(p);
      steps.reached("deleted " + p.getFileName());
    }
  }

  /** Closes the journal for good: appends after it fail. */
  synchronized void shut() throws IOException {
    closed = true;
    close();
  }

  /** Closes the segment being appended to, synced first (a {@link #sync} still to come counts on it). */
  synchronized void close() throws IOException {
    if (out != null) {
      if (keepOpen) {
        out.force(false);
      }
      out.close();
      out = null;
    }
  }

  private static String name(long seq) {
    return String.format("%016d%s", seq, SUFFIX);
  }
}

package org.postern.node;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The log file, for logrotate in either style. Opened for appending (O_APPEND), so after a
 * {@code copytruncate} the next write lands at the new end, offset 0, with no hole of zeros. After
 * a {@code create} rotation (the file renamed, a new one made or not) the file we hold is no longer
 * the one at the path: that is told by its identity (device and inode, the file key), checked
 * before every batch (one stat(2); the writer writes at most 200 batches a second), so the first
 * batch after the move opens the path anew; {@link #reopenSoon()} (SIGUSR1) reopens it in any case.
 * Used by the log writer thread only, never an event loop: every call here is file I/O.
 */
final class LogFile extends OutputStream {

  private final Path path;
  private FileOutputStream out;
  private Object key;
  private volatile boolean reopen;

  LogFile(Path path) throws IOException {
    this.path = path;
    open();
  }

  /** Makes the next write open the path anew (the operator's SIGUSR1, logrotate's postrotate). */
  void reopenSoon() {
    reopen = true;
  }

  private void open() throws IOException {
    FileOutputStream next = new FileOutputStream(path.toFile(), true);
    FileOutputStream old = out;
    out = next;
    key = identity();
    if (old != null) {
      old.close();
    }
  }

  private Object identity() throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
  }

  /** Whether the path now names another file than ours, or none. */
  private boolean moved() throws IOException {
    try {
      return !Objects.equals(identity(), key);
    } catch (NoSuchFileException e) {
      return true;
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (reopen || moved()) {
      reopen = false;
      open();
    }
    out.write(b, off, len);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}

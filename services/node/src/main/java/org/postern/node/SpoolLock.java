package org.postern.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One node per spool: an exclusive lock on {@code <queue.spool_dir>/lock}, held for the life of the
 * process. Two nodes on one spool would recover, and deliver, the same mail, and overwrite each
 * other's admin token. The kernel releases the lock on any exit, kill -9 included, so a stale
 * lock file never keeps a node from starting; the pid written into it only names the holder.
 * Taken on the launcher's thread, before any event loop serves.
 */
final class SpoolLock {

  /** Why the spool cannot be locked: the message names the file and the cause, for the operator. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  private final FileChannel channel;
  private final FileLock lock;

  private SpoolLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Creates the spool directory if needed and locks it, or says who holds it. */
  static SpoolLock acquire(Path spoolDir) throws Refused {
    Path file = spoolDir.resolve("lock");
    try {
      Files.createDirectories(spoolDir);
    } catch (IOException e) {
      for (Path p = spoolDir; p != null; p = p.getParent()) {
        if (Files.exists(p) && !Files.isDirectory(p)) {
          throw new Refused("queue.spool_dir: cannot create " + spoolDir + ": " + p + " exists and is not a directory");
        }
      }
      throw new Refused("queue.spool_dir: cannot create " + spoolDir + ": " + describe(e));
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new Refused("queue.spool_dir: cannot open " + file + ": " + describe(e));
    }
    try {
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null; // this very process holds it (a second node started in one JVM, as tests do)
      }
      if (lock == null) {
        String holder = holder(ch);
        ch.close();
        throw new Refused("queue.spool_dir: " + spoolDir + " is in use by another node (" + holder + ", lock " + file
            + "); one node per spool: stop it, or give this node its own queue.spool_dir");
      }
      // The holder's pid, for the message another node would print; the lock, not this text, decides.
      ch.truncate(0);
      ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      ch.force(false);
      return new SpoolLock(ch, lock);
    } catch (IOException e) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // Already failing; the first error is the one to report.
      }
      throw new Refused("queue.spool_dir: cannot lock " + file + ": " + describe(e));
    }
  }

  private static String holder(FileChannel ch) {
    try {
      ByteBuffer b = ByteBuffer.allocate(32);
      ch.read(b, 0);
      String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
      return pid.matches("\\d+") ? "pid " + pid : "pid unknown";
    } catch (IOException e) {
      return "pid unknown";
    }
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return String.valueOf(e.getMessage());
  }

  /** For a clean stop; any other exit releases the lock as well. */
  void release() {
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // The kernel drops the lock with the process anyway.
    }
  }
}

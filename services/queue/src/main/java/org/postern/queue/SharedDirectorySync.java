package org.postern.queue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Directory syncs shared by the worker threads that need one at the same time: a thread that
 * renamed a file into a directory asks for a sync; if one is running, it waits for the next, and
 * the first thread to find none running performs it for every request made before it began. Ten
 * replicas committed together then cost ten file syncs and one or two directory syncs, not twenty
 * syncs. The spool batches whole commit rounds ({@link GroupCommitter}); replicas arrive one by
 * one on worker threads, so they share the directory sync this way instead.
 *
 * <p>Thread-safe; {@link #sync} blocks, call it from a worker thread.
 */
final class SharedDirectorySync {

  /** Per directory: requests counted, requests covered by a completed sync, one sync at a time. */
  private static final class State {
    long requested;
    long completed;
    boolean running;
  }

  /** How a directory is synced: {@link Spool#syncDirectory}, or a test's stand-in. */
  interface Syncer {
    void sync(Path dir) throws IOException;
  }

  private final Map<Path, State> states = new HashMap<>();
  private final Syncer syncer;
  private long syncs;

  SharedDirectorySync() {
    this(Spool::syncDirectory);
  }

  SharedDirectorySync(Syncer syncer) {
    this.syncer = syncer;
  }

  /** Returns once {@code dir} has been synced after this call began (by this thread or another). */
  void sync(Path dir) throws IOException {
    State st;
    long mine;
    synchronized (this) {
      st = states.computeIfAbsent(dir, d -> new State());
      mine = ++st.requested;
    }
    while (true) {
      long covers;
      synchronized (this) {
        while (st.running && st.completed < mine) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a sync of " + dir);
          }
        }
        if (st.completed >= mine) {
          return;
        }
        st.running = true;
        // Every request counted so far was made after its rename: this sync covers them all.
        covers = st.requested;
      }
      IOException failure = null;
      try {
        syncer.sync(dir);
      } catch (IOException e) {
        failure = e;
      }
      synchronized (this) {
        st.running = false;
        syncs++;
        if (failure == null) {
          st.completed = Math.max(st.completed, covers);
        }
        notifyAll();
      }
      if (failure != null) {
        // The others waiting try again themselves; each caller learns of its own failure.
        throw failure;
      }
    }
  }

  /** Syncs of {@code dir} asked for so far. */
  synchronized long requested(Path dir) {
    State st = states.get(dir);
    return st == null ? 0 : st.requested;
  }

  /** Directory syncs performed so far. */
  synchronized long syncs() {
    return syncs;
  }
}

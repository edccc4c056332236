package org.postern.loadgen;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The live progress line on stderr, once a second, written by its own thread (never by an event
 * loop). On a terminal it rewrites one line; otherwise it prints one line per second.
 */
final class Progress implements AutoCloseable {

  /** What the line shows. */
  record Snapshot(Duration elapsed, long open, long held, long setUp, long ok, long failed, long handshakes) {}

  private final ScheduledExecutorService timer;
  private final PrintStream out;
  private final boolean terminal;
  private Snapshot last;

  Progress(Supplier<Snapshot> source, PrintStream out) {
    this.out = out;
    this.terminal = System.console() != null;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "loadgen-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(() -> print(source.get()), 1, 1, TimeUnit.SECONDS);
  }

  private synchronized void print(Snapshot s) {
    double dt = last == null ? s.elapsed().toNanos() / 1e9 : (s.elapsed().toNanos() - last.elapsed().toNanos()) / 1e9;
    long okDelta = s.ok() - (last == null ? 0 : last.ok());
    long tlsDelta = s.handshakes() - (last == null ? 0 : last.handshakes());
    last = s;
    String line = String.format(Locale.ROOT,
        "loadgen %5.0fs  open %6d  held %6d  set up %7d  ok %8d  failed %6d  %8.1f msg/s  %7.1f tls/s",
        s.elapsed().toNanos() / 1e9, s.open(), s.held(), s.setUp(), s.ok(), s.failed(),
        dt > 0 ? okDelta / dt : 0, dt > 0 ? tlsDelta / dt : 0);
    if (terminal) {
      out.print("\r" + line);
    } else {
      out.println(line);
    }
    out.flush();
  }

  @Override
  public synchronized void close() {
    timer.shutdownNow();
    if (terminal && last != null) {
      out.println();
    }
  }
}

package org.postern.node;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Logging: one line per event, in the shape mail operators grep
 * ({@code 2026-11-24T03:00:00.123Z mx postern/inbound[1234]: ...}).
 *
 * <p>Lines are handed to a writer thread through a bounded queue, because a log write is file I/O
 * and must not run on an event loop. If the queue is full the line is dropped and counted rather
 * than blocking mail flow; the count is reported by the next line that gets through.
 */
public final class LogSetup {

  private static volatile AsyncLineHandler installed;

  /**
   * Held strongly: the LogManager keeps loggers only weakly, and a collected "postern" logger
   * takes its level with it, leaving every postern.* logger at the libraries' WARNING.
   */
  private static final Logger POSTERN = Logger.getLogger("postern");

  private LogSetup() {}

  /** Writes out every line logged so far; the node calls this last when it stops. */
  public static void flush() {
    AsyncLineHandler h = installed;
    if (h != null) {
      h.flush();
    }
  }

  /**
   * @param destination {@code stderr}, {@code stdout} or a file path (appended)
   * @param level error, warn, info or debug
   */
  public static void configure(String destination, String level, String hostname) throws IOException {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    OutputStream out = switch (destination) {
      case "stderr" -> System.err;
      case "stdout" -> System.out;
      default -> new FileOutputStream(destination, true);
    };
    AsyncLineHandler handler = new AsyncLineHandler(new PrintStream(out, true, StandardCharsets.UTF_8), hostname);
    installed = handler;
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
    Level l = switch (level) {
      case "error" -> Level.SEVERE;
      case "warn" -> Level.WARNING;
      case "debug" -> Level.FINE;
      default -> Level.INFO;
    };
    root.setLevel(Level.WARNING); // libraries: warnings and errors only
    POSTERN.setLevel(l);
  }

  static final class AsyncLineHandler extends Handler {
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(65536);
    private final AtomicLong dropped = new AtomicLong();
    private final PrintStream out;
    private final String prefix;
    private final String pid;

    AsyncLineHandler(PrintStream out, String hostname) {
      this.out = out;
      this.prefix = " " + hostname + " postern/";
      this.pid = "[" + ProcessHandle.current().pid() + "]: ";
      Thread writer = new Thread(this::drain, "postern-log-writer");
      writer.setDaemon(true);
      writer.start();
      // No shutdown hook of its own: the node flushes after it has stopped. JUL's own shutdown
      // hook may still reset the handlers first (it closes them, which flushes what is queued),
      // so a line logged while stopping can be lost; figures that matter are logged periodically.
    }

    @Override
    public void publish(LogRecord r) {
      if (!isLoggable(r)) {
        return;
      }
      String name = r.getLoggerName() == null ? "node" : r.getLoggerName();
      String component = name.startsWith("postern.") ? name.substring(8) : "lib:" + name;
      StringBuilder sb = new StringBuilder(160).append(Instant.ofEpochMilli(r.getMillis())).append(prefix)
          .append(component).append(pid);
      if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
        sb.append("error: ");
      } else if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
        sb.append("warning: ");
      }
      sb.append(r.getMessage());
      if (r.getThrown() != null) {
        sb.append(" (").append(r.getThrown()).append(')');
      }
      long lost = dropped.getAndSet(0);
      if (lost > 0) {
        queue.offer("[" + lost + " log lines dropped: log writer too slow]");
      }
      if (!queue.offer(sb.toString())) {
        dropped.incrementAndGet();
      }
    }

    private void drain() {
      while (true) {
        try {
          out.println(queue.take());
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /** Drains the queue on the calling thread; only at shutdown, never on an event loop. */
    @Override
    public void flush() {
      for (String line; (line = queue.poll()) != null; ) {
        out.println(line);
      }
      out.flush();
    }

    @Override
    public void close() {
      flush();
    }
  }
}

package org.postern.node;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Logging: one line per event, in the shape mail operators grep and Postfix's log tools read
 * ({@code 2026-11-24T03:00:00.123Z mx postern/smtpd[1234]: ...}): the program names are Postfix's
 * for the same jobs ({@link #PROGRAMS}), so that {@code pflogsumm --syslog-name=postern} counts
 * what inbound received and outbound delivered.
 *
 * <p>Lines are handed to a writer thread through a bounded queue, because a log write is file I/O
 * and must not run on an event loop. If the queue is full the line is dropped and counted rather
 * than blocking mail flow; the count is reported by the next line that gets through. The writer
 * takes everything queued at once, a few milliseconds after the first line, and writes it with one
 * {@code write(2)}: under load a node logs four lines per message, and a system call per line cost
 * more than the line's formatting.
 */
public final class LogSetup {

  private static volatile AsyncLineHandler installed;

  /**
   * Held strongly: the LogManager keeps loggers only weakly, and a collected "postern" logger
   * takes its level with it, leaving every postern.* logger at the libraries' WARNING.
   */
  private static final Logger POSTERN = Logger.getLogger("postern");

  /**
   * Logger names to the Postfix program that does the same job; pflogsumm tells a received message
   * by {@code smtpd} and a queued one by any other program. Other loggers keep their own name.
   */
  static final java.util.Map<String, String> PROGRAMS = java.util.Map.of(
      "postern.inbound", "smtpd",
      "postern.outbound", "smtp",
      "postern.queue", "qmgr",
      "postern.cleanup", "cleanup");

  private LogSetup() {}

  /** The program name a logger's lines carry after {@code postern/}. */
  static String program(String loggerName) {
    if (loggerName == null) {
      return "node";
    }
    String mapped = PROGRAMS.get(loggerName);
    if (mapped != null) {
      return mapped;
    }
    return loggerName.startsWith("postern.") ? loggerName.substring(8) : "lib:" + loggerName;
  }

  /** Writes out every line logged so far; the node calls this last when it stops. */
  public static void flush() {
    AsyncLineHandler h = installed;
    if (h != null) {
      h.flush();
    }
  }

  /** {@code node.log_format}: Postfix's text lines, or one JSON object per line with the same fields. */
  public enum Format {
    TEXT,
    JSON
  }

  /**
   * @param destination {@code stderr}, {@code stdout} or a file path (appended; reopened on
   *     SIGUSR1 and when logrotate has moved it)
   * @param level error, warn, info or debug
   */
  public static void configure(String destination, String level, String hostname, Format format) throws IOException {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    // The raw descriptors, not System.err/System.out: a PrintStream over a small buffer would cut
    // a batch into several writes, and its autoflush would write line by line again.
    OutputStream out = switch (destination) {
      case "stderr" -> new FileOutputStream(FileDescriptor.err);
      case "stdout" -> new FileOutputStream(FileDescriptor.out);
      default -> reopenOnSignal(new LogFile(java.nio.file.Path.of(destination)), destination);
    };
    AsyncLineHandler handler = new AsyncLineHandler(out, hostname, AsyncLineHandler.CAPACITY, format);
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

  /**
   * SIGUSR1 reopens the file at the next write (logrotate's postrotate), as it does for Postfix's
   * postlog and nginx; the JVM runs the handler on a thread of its own.
   */
  private static OutputStream reopenOnSignal(LogFile file, String path) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("USR1"), s -> {
        file.reopenSoon();
        Logger.getLogger("postern.node").info(() -> "SIGUSR1: reopening the log file " + path);
      });
    } catch (IllegalArgumentException e) {
      Logger.getLogger("postern.node").warning("cannot handle SIGUSR1 (" + e.getMessage()
          + "): the log file is reopened only when it has been moved");
    }
    return file;
  }

  static final class AsyncLineHandler extends Handler {
    static final int CAPACITY = 65536;
    /** Lines per write at most, so that a full queue does not become one 13 MB buffer. */
    static final int MAX_BATCH = 4096;
    /** How long the writer waits after the first line of a batch for more to join it. */
    static final long LINGER_MILLIS = 5;
    /** How long a stopping node waits for a stuck destination before it gives up its last lines. */
    private static final long FLUSH_WAIT_SECONDS = 10;
    private static final byte[] NEWLINE = System.lineSeparator().getBytes(StandardCharsets.UTF_8);

    /** A flush request travels through the queue, so that it is answered after every line before it. */
    private record FlushMark(CountDownLatch written) {}

    private final BlockingQueue<Object> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final OutputStream out;
    private final String prefix;
    private final String pid;
    private final String hostname;
    private final long pidNumber;
    private final Format format;
    private final Thread writer;

    AsyncLineHandler(OutputStream out, String hostname, int capacity) {
      this(out, hostname, capacity, Format.TEXT);
    }

    /** @param out written to by the writer thread only, with one {@code write} call per batch */
    AsyncLineHandler(OutputStream out, String hostname, int capacity, Format format) {
      this.queue = new ArrayBlockingQueue<>(capacity);
      this.out = out;
      this.hostname = hostname;
      this.format = format;
      this.pidNumber = ProcessHandle.current().pid();
      this.prefix = " " + hostname + " postern/";
      this.pid = "[" + pidNumber + "]: ";
      writer = new Thread(this::drain, "postern-log-writer");
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
      String component = program(r.getLoggerName());
      String severity = r.getLevel().intValue() >= Level.SEVERE.intValue() ? "error"
          : r.getLevel().intValue() >= Level.WARNING.intValue() ? "warning"
          : r.getLevel().intValue() >= Level.INFO.intValue() ? "info" : "debug";
      String message = r.getThrown() == null ? r.getMessage() : r.getMessage() + " (" + r.getThrown() + ")";
      String time = Instant.ofEpochMilli(r.getMillis()).toString();
      CharSequence sb;
      if (format == Format.JSON) {
        sb = JsonLogLine.format(time, hostname, "postern/" + component, pidNumber, severity, message);
      } else {
        // Postfix's severity words: "warning: ", "error: "; info and debug lines have none.
        sb = new StringBuilder(160).append(time).append(prefix).append(component).append(pid)
            .append(severity.equals("error") || severity.equals("warning") ? severity + ": " : "").append(message);
      }
      // The count is taken back only once its report is queued: while the queue stays full, the
      // drops keep adding up instead of being lost with a report that did not fit either.
      long lost = dropped.get();
      if (lost > 0 && queue.offer("[" + lost + " log lines dropped: log writer too slow]")) {
        dropped.addAndGet(-lost);
      }
      if (!queue.offer(sb.toString())) {
        dropped.incrementAndGet();
      }
    }

    private void drain() {
      List<Object> batch = new ArrayList<>();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
      while (true) {
        try {
          batch.add(queue.take());
          // Gathers what the next few milliseconds bring: the writes per second stay at most
          // 1000 / LINGER_MILLIS whatever the mail rate, and while the writer sleeps here rather
          // than waits in take(), a publishing event loop has no thread to wake (no futex call).
          Thread.sleep(LINGER_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
        queue.drainTo(batch, MAX_BATCH - 1);
        List<CountDownLatch> answered = new ArrayList<>();
        for (Object o : batch) {
          if (o instanceof String line) {
            bytes.writeBytes(line.getBytes(StandardCharsets.UTF_8));
            bytes.writeBytes(NEWLINE);
          } else if (o instanceof FlushMark mark) {
            answered.add(mark.written());
          }
        }
        batch.clear();
        try {
          if (bytes.size() > 0) {
            bytes.writeTo(out); // one write(byte[], off, len): one write(2) on a FileOutputStream
            out.flush();
          }
        } catch (IOException e) {
          // Nowhere left to report it; the lines are lost, as PrintStream lost them before.
        }
        if (bytes.size() > 1024 * 1024) {
          bytes = new ByteArrayOutputStream(64 * 1024); // give back what a burst made it grow to
        } else {
          bytes.reset();
        }
        answered.forEach(CountDownLatch::countDown);
      }
    }

    /**
     * Waits until the writer has written every line published before the call; only when the
     * node stops, never on an event loop. Gives up after {@value #FLUSH_WAIT_SECONDS} seconds if
     * the destination does not take the lines (a stalled pipe, say).
     */
    @Override
    public void flush() {
      if (!writer.isAlive()) {
        return;
      }
      FlushMark mark = new FlushMark(new CountDownLatch(1));
      try {
        if (queue.offer(mark, FLUSH_WAIT_SECONDS, TimeUnit.SECONDS)) {
          mark.written().await(FLUSH_WAIT_SECONDS, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      flush();
    }
  }
}

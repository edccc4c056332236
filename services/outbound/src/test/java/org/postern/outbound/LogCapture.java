package org.postern.outbound;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The outbound log as a test sees it: every message from now until {@link #close}. */
final class LogCapture implements AutoCloseable {

  /** Held, so the logger (weakly kept by the LogManager) cannot be collected with our handler. */
  private final Logger logger = Logger.getLogger(OutboundVerticle.LOGGER);
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord record) {
      lines.add(record.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  LogCapture() {
    logger.addHandler(handler);
  }

  List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  String text() {
    return String.join("\n", lines());
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
  }
}

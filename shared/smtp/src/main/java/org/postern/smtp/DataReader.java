package org.postern.smtp;

import java.io.ByteArrayOutputStream;

/**
 * Reads the lines of a DATA section (each passed without its CRLF) until the lone {@code .},
 * removing dot-stuffing (RFC 5321 §4.5.2) and restoring CRLF line ends.
 *
 * <p>Only {@code <CRLF>.<CRLF>} ends the data: the caller splits on CRLF alone, so a bare CR or LF
 * arrives here inside a line. Such a message is refused as a whole rather than "repaired", because
 * different readings of bare line ends by different MTAs are what SMTP smuggling exploits.
 */
public final class DataReader {

  /** How the data section ended. */
  public enum Outcome {
    COMPLETE,
    TOO_BIG,
    LINE_TOO_LONG,
    BARE_LINE_END,
    /** The node's {@link BodyMemory} had no room for the rest of it. */
    NO_MEMORY
  }

  /** RFC 5321 §4.5.3.1.6: 1000 octets per text line, CRLF included. */
  public static final int MAX_LINE = 998;

  private final long maxSize;
  private final BodyMemory.Lease memory;
  private final ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
  private long size;
  private Outcome outcome = Outcome.COMPLETE;
  private boolean done;

  /** A reader whose memory only the SIZE limit bounds. */
  public DataReader(long maxSize) {
    this(maxSize, BodyMemory.unlimited().lease());
  }

  /** A reader that takes what it keeps from {@code memory}, the session's lease. */
  public DataReader(long maxSize, BodyMemory.Lease memory) {
    this.maxSize = maxSize;
    this.memory = memory;
  }

  /**
   * Feeds one line. Returns true when this line was the terminating dot; the reader then takes no
   * more lines.
   */
  public boolean line(byte[] line) {
    if (done) {
      throw new IllegalStateException("data already complete");
    }
    if (line.length == 1 && line[0] == '.') {
      done = true;
      return true;
    }
    int offset = line.length > 0 && line[0] == '.' ? 1 : 0;
    int length = line.length - offset;
    if (outcome != Outcome.COMPLETE) {
      return false; // keep reading to the end, storing nothing, so the reply comes at the right time
    }
    for (byte b : line) {
      if (b == '\r' || b == '\n') {
        outcome = Outcome.BARE_LINE_END;
        return false;
      }
    }
    // The stuffed dot is transport framing, not text: it does not count towards the limit.
    if (length > MAX_LINE) {
      outcome = Outcome.LINE_TOO_LONG;
      return false;
    }
    size += length + 2;
    if (size > maxSize) {
      outcome = Outcome.TOO_BIG;
      body.reset();
      return false;
    }
    if (!memory.take(length + 2L)) {
      outcome = Outcome.NO_MEMORY;
      body.reset();
      memory.releaseAll();
      return false;
    }
    body.write(line, offset, length);
    body.write('\r');
    body.write('\n');
    return false;
  }

  public boolean isDone() {
    return done;
  }

  public Outcome outcome() {
    return outcome;
  }

  /** The message as received, with CRLF line ends; empty unless the outcome is COMPLETE. */
  public byte[] body() {
    return outcome == Outcome.COMPLETE ? body.toByteArray() : new byte[0];
  }
}

package org.postern.loadgen;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The generated message: exactly {@code size} octets of content (headers, blank line, body of
 * 76-character lines ending in CRLF), including lines that begin with a dot and a line that is a
 * single dot, so that dot-stuffing is exercised on every message.
 */
public final class MessageBody {

  /** The smallest content: the headers, the blank line and a few short lines. */
  public static final int MIN_SIZE = 64;

  private static final int LINE = 76;

  private MessageBody() {}

  /** The message content as the server must store it (before dot-stuffing). */
  public static byte[] content(int size, String from, String to) {
    if (size < MIN_SIZE) {
      throw new IllegalArgumentException("size below " + MIN_SIZE);
    }
    String header = "From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: postern loadgen\r\n\r\n";
    if (header.length() + 6 > size) {
      header = "Subject: loadgen\r\n\r\n";
    }
    StringBuilder sb = new StringBuilder(size).append(header);
    // A line that is a single dot: without stuffing it would end the message early.
    sb.append(".\r\n");
    int n = 0;
    while (size - sb.length() > 0) {
      int left = size - sb.length();
      int len;
      if (left >= LINE + 2 + 3) {
        len = LINE;
      } else if (left > LINE + 2) {
        // Leave at least a 1-character line at the end.
        len = left - 2 - 3;
      } else {
        len = left - 2;
      }
      if (len < 1) {
        // Only possible with left == 2: an empty line.
        sb.append("\r\n");
        continue;
      }
      StringBuilder line = new StringBuilder(len);
      if (n % 10 == 3) {
        line.append('.');
      }
      for (int i = line.length(); i < len; i++) {
        line.append((char) ('a' + (i + n) % 26));
      }
      sb.append(line).append("\r\n");
      n++;
    }
    byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
    if (b.length != size) {
      throw new IllegalStateException("generated " + b.length + " octets instead of " + size);
    }
    return b;
  }

  /** The DATA section to send: {@code content} dot-stuffed, then the terminating {@code .CRLF}. */
  public static Buffer wire(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + content.length / 64 + 8);
    boolean lineStart = true;
    for (byte c : content) {
      if (lineStart && c == '.') {
        out.write('.');
      }
      out.write(c);
      lineStart = c == '\n';
    }
    if (!lineStart) {
      out.write('\r');
      out.write('\n');
    }
    out.write('.');
    out.write('\r');
    out.write('\n');
    return Buffer.buffer(out.toByteArray());
  }
}

package org.postern.outbound;

import io.vertx.core.buffer.Buffer;

/**
 * The DATA section's transparency (RFC 5321 §4.5.2) and its terminating {@code .CRLF}, applied to
 * a body that arrives in pieces: whether a piece starts a line, and how the body ended, carry over
 * from one piece to the next.
 */
final class DotStuffing {

  private boolean lineStart = true;
  private byte last = -1;
  private byte beforeLast = -1;
  private long seen;

  /** A piece of the body, with a '.' doubled at the start of every line. */
  Buffer piece(Buffer body) {
    byte[] bytes = body.getBytes();
    Buffer out = Buffer.buffer(bytes.length + bytes.length / 64 + 2);
    int from = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (lineStart && bytes[i] == '.') {
        out.appendBytes(bytes, from, i - from).appendByte((byte) '.');
        from = i;
      }
      lineStart = bytes[i] == '\n';
    }
    out.appendBytes(bytes, from, bytes.length - from);
    if (bytes.length >= 2) {
      beforeLast = bytes[bytes.length - 2];
      last = bytes[bytes.length - 1];
    } else if (bytes.length == 1) {
      beforeLast = last;
      last = bytes[0];
    }
    seen += bytes.length;
    return out;
  }

  /** What ends the data: CRLF when the last line lacks it, then {@code .CRLF}. */
  Buffer end() {
    boolean endsWithCrlf = beforeLast == '\r' && last == '\n';
    // Otherwise the terminator would join the last line and the server would wait forever.
    return Buffer.buffer(seen > 0 && !endsWithCrlf ? "\r\n.\r\n" : ".\r\n");
  }
}

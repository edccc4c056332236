package org.postern.outbound;

import io.vertx.core.buffer.Buffer;

/** The DATA section's transparency (RFC 5321 §4.5.2) and its terminating {@code .CRLF}. */
final class DotStuffing {

  private DotStuffing() {}

  /**
   * The bytes to send after the 354: every line that starts with '.' gets another '.', the last
   * line is completed with CRLF when the body lacks it, and {@code .CRLF} ends the data.
   */
  static Buffer encode(Buffer body) {
    byte[] bytes = body.getBytes();
    Buffer out = Buffer.buffer(bytes.length + bytes.length / 64 + 5);
    int from = 0;
    boolean lineStart = true;
    for (int i = 0; i < bytes.length; i++) {
      if (lineStart && bytes[i] == '.') {
        out.appendBytes(bytes, from, i - from).appendByte((byte) '.');
        from = i;
      }
      lineStart = bytes[i] == '\n';
    }
    out.appendBytes(bytes, from, bytes.length - from);
    int n = bytes.length;
    boolean endsWithCrlf = n >= 2 && bytes[n - 2] == '\r' && bytes[n - 1] == '\n';
    if (n > 0 && !endsWithCrlf) {
      // Otherwise the terminator would join the last line and the server would wait forever.
      out.appendString("\r\n");
    }
    return out.appendString(".\r\n");
  }
}

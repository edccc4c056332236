package org.postern.outbound;

import io.vertx.core.buffer.Buffer;

/** Whether content needs more than 7-bit ASCII, and so 8BITMIME (RFC 6152). */
final class EightBit {

  private EightBit() {}

  static boolean contains(Buffer body) {
    for (int i = 0, n = body.length(); i < n; i++) {
      if (body.getByte(i) < 0) {
        return true;
      }
    }
    return false;
  }
}

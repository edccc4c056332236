package org.postern.outbound;

import io.vertx.core.buffer.Buffer;

/** Whether content or an address needs more than 7-bit ASCII (8BITMIME, SMTPUTF8). */
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

  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7f) {
        return false;
      }
    }
    return true;
  }
}

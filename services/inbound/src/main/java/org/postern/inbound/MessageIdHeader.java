package org.postern.inbound;

import java.nio.charset.StandardCharsets;

/**
 * The Message-ID of a received message, for the log's {@code message-id=} line (Postfix's cleanup
 * logs it, and operators grep for it when a user quotes one). Only the header section is read, a
 * folded value is joined, and what the log gets is bounded and printable: the text is the
 * client's.
 */
final class MessageIdHeader {

  /** Longer values are cut: RFC 5322 ids are short, and a log line is no place for a novel. */
  static final int MAX = 200;

  private MessageIdHeader() {}

  /** @return the header's value, or null when the header section has no Message-ID */
  static String of(byte[] message) {
    int i = 0;
    while (i < message.length) {
      int end = lineEnd(message, i);
      if (end == i) {
        return null; // the empty line: the header section ended without one
      }
      if (end - i >= 11 && new String(message, i, 11, StandardCharsets.US_ASCII).equalsIgnoreCase("message-id:")) {
        StringBuilder value = new StringBuilder(new String(message, i + 11, end - i - 11, StandardCharsets.UTF_8));
        int next = skipEol(message, end);
        while (next < message.length && (message[next] == ' ' || message[next] == '\t')) {
          int e = lineEnd(message, next);
          value.append(new String(message, next, e - next, StandardCharsets.UTF_8));
          next = skipEol(message, e);
        }
        String v = value.toString().replaceAll("[\\p{Cntrl}\\s]+", " ").strip();
        return v.length() > MAX ? v.substring(0, MAX) : v;
      }
      i = skipEol(message, end);
    }
    return null;
  }

  private static int lineEnd(byte[] m, int from) {
    int i = from;
    while (i < m.length && m[i] != '\r' && m[i] != '\n') {
      i++;
    }
    return i;
  }

  private static int skipEol(byte[] m, int end) {
    if (end < m.length && m[end] == '\r') {
      end++;
    }
    if (end < m.length && m[end] == '\n') {
      end++;
    }
    return end;
  }
}

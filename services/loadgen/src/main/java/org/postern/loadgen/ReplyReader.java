package org.postern.loadgen;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the bytes a server sends into replies (RFC 5321 §4.2): lines ending in CRLF (a bare LF is
 * tolerated), {@code NNN-text} continuing and {@code NNN text} ending a reply, every line of one
 * reply with the same code.
 */
final class ReplyReader {

  /** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; leave room for servers that exceed it. */
  static final int MAX_LINE = 4096;

  private Buffer partial = Buffer.buffer();
  private final List<String> lines = new ArrayList<>();
  private int code = -1;
  private final ArrayDeque<SmtpReply> ready = new ArrayDeque<>();

  /**
   * @throws LoadErrors.Protocol for a malformed or over-long line
   */
  void feed(Buffer data) {
    int start = 0;
    int n = data.length();
    for (int i = 0; i < n; i++) {
      if (data.getByte(i) == '\n') {
        Buffer line;
        if (partial.length() > 0) {
          partial.appendBuffer(data, start, i - start);
          line = partial;
          partial = Buffer.buffer();
        } else {
          line = data.slice(start, i);
        }
        line(line);
        start = i + 1;
      }
    }
    if (start < n) {
      partial.appendBuffer(data, start, n - start);
      if (partial.length() > MAX_LINE) {
        throw new LoadErrors.Protocol("reply line longer than " + MAX_LINE + " octets");
      }
    }
  }

  private void line(Buffer raw) {
    int len = raw.length();
    if (len > 0 && raw.getByte(len - 1) == '\r') {
      len--;
    }
    if (len > MAX_LINE) {
      throw new LoadErrors.Protocol("reply line longer than " + MAX_LINE + " octets");
    }
    String s = raw.getString(0, len, StandardCharsets.ISO_8859_1.name());
    if (s.length() < 3 || !Character.isDigit(s.charAt(0)) || !Character.isDigit(s.charAt(1))
        || !Character.isDigit(s.charAt(2)) || (s.length() > 3 && s.charAt(3) != ' ' && s.charAt(3) != '-')) {
      throw new LoadErrors.Protocol("malformed reply line: " + abbreviate(s));
    }
    int c = Integer.parseInt(s.substring(0, 3));
    if (code >= 0 && c != code) {
      throw new LoadErrors.Protocol("reply code changed within a multi-line reply: " + abbreviate(s));
    }
    code = c;
    lines.add(s.length() > 4 ? s.substring(4) : "");
    boolean last = s.length() == 3 || s.charAt(3) == ' ';
    if (last) {
      ready.add(new SmtpReply(code, lines));
      lines.clear();
      code = -1;
    }
  }

  /** The next complete reply, or null. */
  SmtpReply poll() {
    return ready.poll();
  }

  boolean hasReply() {
    return !ready.isEmpty();
  }

  /** Forgets everything received so far (after STARTTLS: it was not protected). */
  void clear() {
    partial = Buffer.buffer();
    lines.clear();
    code = -1;
    ready.clear();
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}

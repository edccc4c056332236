package org.postern.loadgen;

import java.util.List;

/**
 * One SMTP reply, possibly multi-line.
 *
 * @param code the three-digit code
 * @param lines the text after the code and separator, one entry per line
 */
record SmtpReply(int code, List<String> lines) {

  SmtpReply {
    lines = List.copyOf(lines);
  }

  /** The last line's text, which is what logs and errors show. */
  String text() {
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  /** Whether a multi-line EHLO reply lists {@code keyword} (case-insensitive, first word of a line). */
  boolean hasExtension(String keyword) {
    for (int i = 1; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      int sp = l.indexOf(' ');
      if ((sp < 0 ? l : l.substring(0, sp)).equalsIgnoreCase(keyword)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return code + " " + text();
  }
}

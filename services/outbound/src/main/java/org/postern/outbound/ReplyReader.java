package org.postern.outbound;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postern.smtp.Reply;

/**
 * Assembles SMTP replies from the lines a server sends (RFC 5321 §4.2): {@code 250-text} lines
 * continue a reply, {@code 250 text} (or a bare {@code 250}) ends it. Pure, so every malformation
 * can be tested as a table; it knows nothing of sockets.
 */
final class ReplyReader {

  /** No sane reply has more lines; an endless EHLO response must not exhaust memory. */
  static final int MAX_LINES = 200;

  // RFC 3463 / RFC 2034: the enhanced code leads the text, followed by a space or the end.
  private static final Pattern ENHANCED = Pattern.compile("^([245]\\.\\d{1,3}\\.\\d{1,3})(?: |$)");

  private int code = -1;
  private final List<String> texts = new ArrayList<>();

  /**
   * Feeds one line, without its CRLF.
   *
   * @return the reply when {@code line} was its last line, else empty
   * @throws SmtpProtocolException when the line is not a reply line, or breaks the reply it
   *     continues
   */
  Optional<Reply> accept(String line) {
    if (line.length() < 3 || !isDigit(line.charAt(0), '2', '5') || !isDigit(line.charAt(1), '0', '9')
        || !isDigit(line.charAt(2), '0', '9')) {
      throw malformed("not an SMTP reply line", line);
    }
    if (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-') {
      throw malformed("reply code not followed by a space or '-'", line);
    }
    if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
      throw malformed("bare CR or LF in a reply", line);
    }
    int lineCode = Integer.parseInt(line.substring(0, 3));
    if (code >= 0 && lineCode != code) {
      throw malformed("reply code changed from " + code + " in a multi-line reply", line);
    }
    if (texts.size() >= MAX_LINES) {
      throw malformed("reply longer than " + MAX_LINES + " lines", line);
    }
    code = lineCode;
    texts.add(line.length() > 4 ? line.substring(4) : "");
    boolean last = line.length() == 3 || line.charAt(3) == ' ';
    if (!last) {
      return Optional.empty();
    }
    Reply reply = build(code, texts);
    code = -1;
    texts.clear();
    return Optional.of(reply);
  }

  /** True while a multi-line reply is incomplete. */
  boolean inProgress() {
    return code >= 0;
  }

  private static Reply build(int code, List<String> texts) {
    String enhanced = null;
    Matcher m = ENHANCED.matcher(texts.get(0));
    // A code whose class disagrees with the reply (or any code on a 3xx reply, for which RFC 3463
    // defines no class) is text, not an enhanced status.
    if (m.find() && m.group(1).charAt(0) - '0' == code / 100) {
      enhanced = m.group(1);
    }
    if (enhanced == null) {
      return new Reply(code, null, texts);
    }
    List<String> stripped = new ArrayList<>(texts.size());
    for (String t : texts) {
      if (t.startsWith(enhanced + " ")) {
        stripped.add(t.substring(enhanced.length() + 1));
      } else if (t.equals(enhanced)) {
        stripped.add("");
      } else {
        stripped.add(t);
      }
    }
    return new Reply(code, enhanced, stripped);
  }

  private static boolean isDigit(char c, char min, char max) {
    return c >= min && c <= max;
  }

  private static SmtpProtocolException malformed(String why, String line) {
    String shown = line.length() > 80 ? line.substring(0, 80) + "..." : line;
    return new SmtpProtocolException(why + ": '" + Replies.printable(shown) + "'");
  }
}

package org.postern.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One SMTP reply: a three-digit code, an optional enhanced status code (RFC 3463) and one or more
 * lines of text.
 *
 * <p>The enhanced code is optional only because the greeting and the EHLO response carry none
 * (RFC 2034 §3); every other reply Postern sends has one.
 */
public record Reply(int code, String enhanced, List<String> lines) {

  private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

  public Reply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code out of range: " + code);
    }
    if (enhanced != null) {
      if (!ENHANCED.matcher(enhanced).matches()) {
        throw new IllegalArgumentException("malformed enhanced status code: " + enhanced);
      }
      // RFC 3463 §2: the class of the enhanced code must agree with the reply's class.
      int enhancedClass = enhanced.charAt(0) - '0';
      int replyClass = code / 100;
      if (replyClass != 3 && enhancedClass != replyClass) {
        throw new IllegalArgumentException("enhanced code " + enhanced + " disagrees with " + code);
      }
    }
    Objects.requireNonNull(lines, "lines");
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("a reply needs at least one line");
    }
    for (String line : lines) {
      if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("reply text must not contain line breaks");
      }
    }
    lines = List.copyOf(lines);
  }

  /** A one-line reply with an enhanced status code. */
  public static Reply of(int code, String enhanced, String text) {
    return new Reply(code, enhanced, List.of(text));
  }

  /** A one-line reply without an enhanced status code (greeting, HELO). */
  public static Reply plain(int code, String text) {
    return new Reply(code, null, List.of(text));
  }

  public boolean isPositive() {
    return code < 400;
  }

  public boolean isTransient() {
    return code >= 400 && code < 500;
  }

  public boolean isPermanent() {
    return code >= 500;
  }

  /** The first line's text, for logs. */
  public String text() {
    return lines.get(0);
  }

  /** The reply as it goes on the wire: continuation lines use {@code code-}, the last {@code code }. */
  public String toWire() {
    StringBuilder sb = new StringBuilder(64);
    for (int i = 0; i < lines.size(); i++) {
      sb.append(code).append(i == lines.size() - 1 ? ' ' : '-');
      if (enhanced != null) {
        sb.append(enhanced).append(' ');
      }
      sb.append(lines.get(i)).append("\r\n");
    }
    return sb.toString();
  }

  /** The reply on one line, as logs show a remote or local reply. */
  @Override
  public String toString() {
    return code + (enhanced == null ? "" : " " + enhanced) + " " + String.join(" / ", lines);
  }

  /** Builds a multi-line reply such as the EHLO response. */
  public static Reply multiline(int code, String enhanced, List<String> lines) {
    return new Reply(code, enhanced, new ArrayList<>(lines));
  }
}

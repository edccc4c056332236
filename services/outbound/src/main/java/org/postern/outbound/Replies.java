package org.postern.outbound;

import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postern.bus.DeliveryReport.Status;
import org.postern.smtp.Reply;

/** Our own replies (for failures that have no remote reply), and how replies map to results. */
final class Replies {

  /** Remote text and exception messages are echoed into logs and bounces: keep them short. */
  private static final int MAX_TEXT = 300;
  /** A Java class name at the front of a message, as libraries put it ("javax.net.ssl.SSLException: "). */
  private static final Pattern CLASS_NAME =
      Pattern.compile("^(?:[a-z][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)(?::\\s*|$)");

  private Replies() {}

  /** A reply we make up, with its text made safe to put in a reply line. */
  static Reply ours(int code, String enhanced, String text) {
    String t = printable(text);
    return Reply.of(code, enhanced, t.length() > MAX_TEXT ? t.substring(0, MAX_TEXT) + "..." : t);
  }

  /** A 5xx made transient: used when a permanent-looking answer must not bounce the message. */
  static Reply softened(Reply r) {
    if (!r.isPermanent()) {
      return r;
    }
    String enhanced = r.enhanced() == null ? null : "4" + r.enhanced().substring(1);
    return new Reply(r.code() - 100, enhanced, r.lines());
  }

  /** 2xx sent, 5xx bounced, anything else (4xx, or a reply out of place) deferred. */
  static Status status(Reply r) {
    if (r.isPositive()) {
      return Status.SENT;
    }
    return r.isPermanent() ? Status.BOUNCED : Status.DEFERRED;
  }

  /**
   * The result of a recipient or transaction stage: a 4xx or 5xx stands as it is; a reply of the
   * wrong class for the stage (say a 354 to RCPT) is a protocol error, so the recipient is
   * deferred rather than counted as accepted.
   */
  static Reply refusalOrProtocolError(Reply r, String stage, String relay) {
    if (r.isTransient() || r.isPermanent()) {
      return r;
    }
    return ours(451, "4.5.0", "protocol error: unexpected reply to " + stage + " from " + relay + ": " + r);
  }

  /** Why a conversation failed, as a 4xx reply naming the relay and the stage. */
  static Reply conversationFailed(Throwable t, String relay, String stage) {
    if (t instanceof SmtpConnectionException c && c.kind() == SmtpConnectionException.Kind.TIMEOUT) {
      return ours(451, "4.4.2", "conversation with " + relay + " timed out while " + stage);
    }
    if (t instanceof SmtpConnectionException) {
      return ours(451, "4.4.2", "lost connection with " + relay + " while " + stage);
    }
    if (t instanceof SmtpProtocolException) {
      return ours(451, "4.5.0", "protocol error from " + relay + " while " + stage + ": " + t.getMessage());
    }
    return ours(451, "4.4.2", "conversation with " + relay + " failed while " + stage + ": " + reason(t));
  }

  /**
   * Why something failed, as a postmaster reads it: the message of the failure or of what caused
   * it, without Java class names and never "null". Netty's failures without a message (a closed
   * channel, a timeout) and its "not an SSL/TLS record" with a hex dump become plain sentences.
   */
  static String reason(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ClosedChannelException) {
        return "the connection was closed by the other side";
      }
      if (c instanceof TimeoutException) {
        return "no answer in time";
      }
      if (c instanceof UnknownHostException) {
        return "host name not found";
      }
      String m = c.getMessage() == null ? "" : withoutClassNames(c.getMessage());
      if (m.startsWith("not an SSL/TLS record")) {
        return "the server answered with something that is not TLS";
      }
      if (!m.isEmpty()) {
        // Netty appends the address ("Connection refused: /127.0.0.1:25"); the reply names it already.
        int addr = m.indexOf(": /");
        return addr > 0 ? m.substring(0, addr) : m;
      }
    }
    return "it failed without giving a reason";
  }

  /** The message without the Java class names libraries put in front ("javax.net.ssl.SSLException: "). */
  private static String withoutClassNames(String message) {
    String m = message.strip();
    for (Matcher c = CLASS_NAME.matcher(m); c.lookingAt(); c = CLASS_NAME.matcher(m)) {
      m = m.substring(c.end()).strip();
    }
    return m;
  }

  /** Control characters (CR and LF among them) become spaces. */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return sb.toString();
  }
}

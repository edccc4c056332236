package org.postern.outbound;

import org.postern.bus.DeliveryReport.Status;
import org.postern.smtp.Reply;

/** Our own replies (for failures that have no remote reply), and how replies map to results. */
final class Replies {

  /** Remote text and exception messages are echoed into logs and bounces: keep them short. */
  private static final int MAX_TEXT = 300;

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

  /** An exception's message for a reply: short, one line, never "null". */
  static String reason(Throwable t) {
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      return t.getClass().getSimpleName();
    }
    // Netty appends the address ("Connection refused: /127.0.0.1:25"); the reply names it already.
    int addr = m.indexOf(": /");
    return addr > 0 ? m.substring(0, addr) : m;
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

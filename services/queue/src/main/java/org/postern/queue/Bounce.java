package org.postern.queue;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;

/**
 * Delivery status notifications as RFC 3464 defines them: a {@code multipart/report} with a
 * human-readable part, a {@code message/delivery-status} part with one block per recipient, and
 * the original message (when RET and the size allow) or its headers.
 */
public final class Bounce {

  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  /** What the notice reports (RFC 3464 §2.3.3's Action). */
  public enum Kind {
    /** Delivery failed permanently, or the message expired. */
    FAILED,
    /** Delivery is late and still being retried. */
    DELAYED,
    /** Delivered to a next hop that does not support DSN, so no further notice will come. */
    RELAYED
  }

  /** One recipient the notice is about, the reply behind it, and its RCPT parameters. */
  public record Failure(Path recipient, Reply reply, String relay, Map<String, String> rcptParams) {
    public Failure(Path recipient, Reply reply, String relay) {
      this(recipient, reply, relay, Map.of());
    }
  }

  /** What the notice is built from. */
  public record Report(Kind kind, String hostname, String queueId, Path sender, ZonedDateTime arrival,
      ZonedDateTime willRetryUntil, List<Failure> recipients, Map<String, String> mailParams, byte[] original,
      int returnLimit) {}

  private Bounce() {}

  /** The notice, with CRLF line ends, ready to be queued with the null sender. */
  public static byte[] build(Report r, ZonedDateTime now, String noticeId) {
    String boundary = r.queueId() + "/" + r.hostname();
    StringBuilder sb = new StringBuilder(2048);
    line(sb, "From: MAILER-DAEMON@" + r.hostname() + " (Mail Delivery System)");
    line(sb, "To: " + r.sender().mailbox());
    line(sb, "Subject: " + switch (r.kind()) {
      case FAILED -> "Undelivered Mail Returned to Sender";
      case DELAYED -> "Delayed Mail (still being retried)";
      case RELAYED -> "Successful Mail Delivery Report";
    });
    line(sb, "Date: " + DATE.format(now));
    line(sb, "Message-ID: <" + noticeId + "@" + r.hostname() + ">");
    line(sb, "Auto-Submitted: auto-replied");
    line(sb, "MIME-Version: 1.0");
    line(sb, "Content-Type: multipart/report; report-type=delivery-status;");
    line(sb, "\tboundary=\"" + boundary + "\"");
    line(sb, "");
    line(sb, "This is a MIME-encapsulated message.");
    line(sb, "");
    line(sb, "--" + boundary);
    line(sb, "Content-Description: Notification");
    line(sb, "Content-Type: text/plain; charset=us-ascii");
    line(sb, "");
    line(sb, "This is the mail system at host " + r.hostname() + ".");
    line(sb, "");
    switch (r.kind()) {
      case FAILED -> {
        line(sb, "I'm sorry to have to inform you that your message could not");
        line(sb, "be delivered to one or more recipients.");
      }
      case DELAYED -> {
        line(sb, "Your message could not be delivered yet. The mail system will");
        line(sb, "keep trying until " + DATE.format(r.willRetryUntil()) + ".");
      }
      case RELAYED -> {
        line(sb, "Your message was delivered to a mail server that does not");
        line(sb, "report delivery status; no further notice will follow.");
      }
    }
    line(sb, "");
    for (Failure f : r.recipients()) {
      line(sb, f.recipient() + ": " + ("none".equals(f.relay()) ? "" : "host " + f.relay() + " said: ") + f.reply());
    }
    line(sb, "");
    line(sb, "--" + boundary);
    line(sb, "Content-Description: Delivery report");
    line(sb, "Content-Type: message/delivery-status");
    line(sb, "");
    line(sb, "Reporting-MTA: dns; " + r.hostname());
    line(sb, "X-Postern-Queue-ID: " + r.queueId());
    String envid = r.mailParams().get("ENVID");
    if (envid != null) {
      line(sb, "Original-Envelope-Id: " + xtextDecode(envid));
    }
    line(sb, "Arrival-Date: " + DATE.format(r.arrival()));
    for (Failure f : r.recipients()) {
      line(sb, "");
      String orcpt = f.rcptParams().get("ORCPT");
      if (orcpt != null) {
        int semi = orcpt.indexOf(';');
        line(sb, "Original-Recipient: " + orcpt.substring(0, semi) + ";" + xtextDecode(orcpt.substring(semi + 1)));
      }
      line(sb, "Final-Recipient: rfc822; " + f.recipient().mailbox());
      line(sb, "Action: " + r.kind().name().toLowerCase(Locale.ROOT));
      line(sb, "Status: " + status(r.kind(), f.reply()));
      if (!"none".equals(f.relay())) {
        line(sb, "Remote-MTA: dns; " + f.relay());
      }
      line(sb, "Diagnostic-Code: smtp; " + f.reply());
      if (r.kind() == Kind.DELAYED) {
        line(sb, "Will-Retry-Until: " + DATE.format(r.willRetryUntil()));
      }
    }
    line(sb, "");
    line(sb, "--" + boundary);
    // RFC 3461 §4.3: RET=FULL (and, as Postfix does, no RET) returns the message with a failure;
    // RET=HDRS, a delay or a success returns only its headers, as does a message over the limit.
    boolean full = r.kind() == Kind.FAILED && !"HDRS".equals(r.mailParams().get("RET"))
        && r.original().length <= r.returnLimit();
    if (full) {
      line(sb, "Content-Description: Undelivered Message");
      line(sb, "Content-Type: message/rfc822");
      line(sb, "");
      sb.append(new String(r.original(), StandardCharsets.ISO_8859_1));
      if (r.original().length > 0 && r.original()[r.original().length - 1] != '\n') {
        line(sb, "");
      }
    } else {
      line(sb, "Content-Description: " + (r.kind() == Kind.FAILED ? "Undelivered" : "Original") + " Message Headers");
      line(sb, "Content-Type: text/rfc822-headers");
      line(sb, "");
      sb.append(new String(r.original(), 0, headerLength(r.original()), StandardCharsets.ISO_8859_1));
    }
    line(sb, "");
    line(sb, "--" + boundary + "--");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * The Status field: the reply's enhanced code, in the class the notice reports (a failure from
   * an expired, temporarily failing recipient becomes 5.x.x; a delay stays 4.x.x).
   */
  private static String status(Kind kind, Reply reply) {
    String detail = reply.enhanced() == null ? ".0.0" : reply.enhanced().substring(1);
    return switch (kind) {
      case FAILED -> "5" + detail;
      case DELAYED -> "4" + detail;
      case RELAYED -> "2" + detail;
    };
  }

  /** RFC 3461 §4: {@code +XX} is the octet XX. */
  static String xtextDecode(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '+' && i + 2 < s.length()) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Length of the header section including its final CRLF, not the blank line after it. */
  static int headerLength(byte[] m) {
    for (int i = 0; i + 3 < m.length; i++) {
      if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') {
        return i + 2;
      }
    }
    return m.length;
  }

  private static void line(StringBuilder sb, String s) {
    sb.append(s).append("\r\n");
  }

  static ZonedDateTime utc(java.time.Instant i) {
    return i.atZone(ZoneOffset.UTC);
  }
}

package org.postern.queue;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;

/**
 * A non-delivery report as RFC 3464 defines it: a {@code multipart/report} with a human-readable
 * part, a {@code message/delivery-status} part with one block per failed recipient, and the
 * original message's headers.
 */
public final class Bounce {

  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  /** One recipient that failed, and the reply that made it fail. */
  public record Failure(Path recipient, Reply reply, String relay) {}

  private Bounce() {}

  /**
   * @param original the original message, whose header section is quoted
   * @return the report, with CRLF line ends, ready to be queued with the null sender
   */
  public static byte[] build(String hostname, String queueId, Path sender, ZonedDateTime arrival,
      List<Failure> failures, byte[] original, ZonedDateTime now, String bounceId) {
    String boundary = queueId + "/" + hostname;
    StringBuilder sb = new StringBuilder(2048);
    line(sb, "From: MAILER-DAEMON@" + hostname + " (Mail Delivery System)");
    line(sb, "To: " + sender.mailbox());
    line(sb, "Subject: Undelivered Mail Returned to Sender");
    line(sb, "Date: " + DATE.format(now));
    line(sb, "Message-ID: <" + bounceId + "@" + hostname + ">");
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
    line(sb, "This is the mail system at host " + hostname + ".");
    line(sb, "");
    line(sb, "I'm sorry to have to inform you that your message could not");
    line(sb, "be delivered to one or more recipients.");
    line(sb, "");
    for (Failure f : failures) {
      line(sb, f.recipient() + ": " + ("none".equals(f.relay()) ? "" : "host " + f.relay() + " said: ")
          + f.reply());
    }
    line(sb, "");
    line(sb, "--" + boundary);
    line(sb, "Content-Description: Delivery report");
    line(sb, "Content-Type: message/delivery-status");
    line(sb, "");
    line(sb, "Reporting-MTA: dns; " + hostname);
    line(sb, "X-Postern-Queue-ID: " + queueId);
    line(sb, "Arrival-Date: " + DATE.format(arrival));
    for (Failure f : failures) {
      line(sb, "");
      line(sb, "Final-Recipient: rfc822; " + f.recipient().mailbox());
      line(sb, "Action: failed");
      line(sb, "Status: " + (f.reply().enhanced() == null ? "5.0.0" : toPermanent(f.reply().enhanced())));
      if (!"none".equals(f.relay())) {
        line(sb, "Remote-MTA: dns; " + f.relay());
      }
      line(sb, "Diagnostic-Code: smtp; " + f.reply());
    }
    line(sb, "");
    line(sb, "--" + boundary);
    line(sb, "Content-Description: Undelivered Message Headers");
    line(sb, "Content-Type: text/rfc822-headers");
    line(sb, "");
    sb.append(new String(original, 0, headerLength(original), StandardCharsets.ISO_8859_1));
    line(sb, "");
    line(sb, "--" + boundary + "--");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** An expired, temporarily failing recipient bounces with the 5.x.x form of its last status. */
  private static String toPermanent(String enhanced) {
    return "5" + enhanced.substring(1);
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

package org.postern.smtp;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The Received header (RFC 5321 §4.4) in the form Postfix writes it, because operators grep for
 * it: the TLS facts on their own lines, then {@code by}, {@code with}, {@code id} and {@code for}.
 *
 * <pre>
 * Received: from client.example (unknown [192.0.2.1])
 *         (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
 *         (No client certificate requested)
 *         by mx.example.net (Postern) with ESMTPS id 4F2A19C0B7E1
 *         for &lt;rcpt@example.net&gt;; Tue, 24 Nov 2026 03:00:00 +0000 (UTC)
 * </pre>
 */
public final class ReceivedHeader {

  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  private static final DateTimeFormatter ZONE = DateTimeFormatter.ofPattern("zzz", Locale.ROOT);

  private ReceivedHeader() {}

  /**
   * @param helo the name the client gave in HELO/EHLO
   * @param clientName the client's verified reverse name, or null when unknown
   * @param clientIp the client's address
   * @param tls the session's TLS facts, or null for plaintext
   * @param clientCertRequested whether the listener asked for a client certificate
   * @param byHost our host name
   * @param protocol SMTP, ESMTP, ESMTPS or ESMTPSA (RFC 3848)
   * @param queueId the queue id
   * @param recipients the envelope recipients; the {@code for} clause appears only for exactly one
   * @param when the time of receipt
   * @return the header with CRLF line ends and folding, ending in CRLF
   */
  public static String format(
      String helo,
      String clientName,
      String clientIp,
      TlsFacts tls,
      boolean clientCertRequested,
      String byHost,
      String protocol,
      String queueId,
      List<Path> recipients,
      ZonedDateTime when) {
    StringBuilder sb = new StringBuilder(256);
    sb.append("Received: from ").append(helo)
        .append(" (").append(clientName == null ? "unknown" : clientName)
        .append(" [").append(clientIp).append("])\r\n");
    if (tls != null) {
      sb.append("\t(using ").append(tls.version()).append(" with cipher ").append(tls.cipher())
          .append(" (").append(tls.bits()).append(" bits))\r\n");
      sb.append('\t').append(clientCertificateClause(tls, clientCertRequested)).append("\r\n");
    }
    sb.append("\tby ").append(byHost).append(" (Postern) with ").append(protocol)
        .append(" id ").append(queueId);
    if (recipients.size() == 1) {
      sb.append("\r\n\tfor ").append(recipients.get(0));
    }
    // The abbreviation in force at that instant (CEST in summer, not CET); UTC for a zero offset.
    String zone = when.getOffset().getTotalSeconds() == 0 && when.getZone() instanceof java.time.ZoneOffset
        ? "UTC" : ZONE.format(when);
    sb.append("; ").append(DATE.format(when)).append(" (").append(zone).append(")\r\n");
    return sb.toString();
  }

  static String clientCertificateClause(TlsFacts tls, boolean requested) {
    if (!requested || tls.verify() == Verify.NOT) {
      return "(No client certificate requested)";
    }
    if (tls.verify() == Verify.NO || tls.cnSubject().isEmpty()) {
      return "(Client did not present a certificate)";
    }
    String verdict = tls.verify() == Verify.OK ? "verified OK" : "not verified";
    return "(Client CN \"" + tls.cnSubject() + "\", Issuer \"" + tls.cnIssuer() + "\" (" + verdict + "))";
  }
}

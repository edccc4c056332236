package org.postern.outbound;

import java.util.Locale;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * Postfix's one line per recipient attempt, which log tools already parse:
 * {@code 0123456789ABCDEF: to=<u@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=0.42,
 * tls=TLSv1.3/TLS_AES_256_GCM_SHA384/256/FAIL, dsn=2.0.0, status=sent (250 2.0.0 Ok)}. The TLS
 * facts are version/cipher/bits/verify, or {@code none}. A message that went over a reused
 * connection adds {@code conn_use=N} after the relay, as Postfix does.
 */
final class DeliveryLog {

  private DeliveryLog() {}

  /**
   * @param delaySeconds time since outbound took the request
   * @param tls the session's TLS facts, or null for plaintext or no session
   * @param connUse the transaction's number on its connection, 0 when there was none
   */
  static String line(String queueId, RecipientResult result, double delaySeconds, TlsFacts tls, int connUse) {
    Reply reply = result.reply();
    String dsn = reply.enhanced() != null ? reply.enhanced()
        : reply.code() / 100 + ".0.0";
    return queueId + ": to=" + result.recipient()
        + ", relay=" + result.relay()
        + (connUse > 1 ? ", conn_use=" + connUse : "")
        + ", delay=" + String.format(Locale.ROOT, "%.2f", delaySeconds)
        + ", tls=" + tls(tls)
        + ", dsn=" + dsn
        + ", status=" + result.status().name().toLowerCase(Locale.ROOT)
        + " (" + result.reply() + ")";
  }

  static String tls(TlsFacts tls) {
    if (tls == null) {
      return "none";
    }
    return tls.version() + "/" + tls.cipher() + "/" + tls.cipherBits() + "/" + tls.verify();
  }
}

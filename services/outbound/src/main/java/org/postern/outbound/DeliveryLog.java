package org.postern.outbound;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * Postfix's one line per recipient attempt, in Postfix's field order, which log tools already
 * parse (pflogsumm's pattern is {@code to=, relay=, [conn_use=,] delay=, delays=, dsn=, status=}):
 * {@code 0123456789ABCDEF: to=<u@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=0.42,
 * delays=0.1/0/0.21/0.11, dsn=2.0.0, status=sent (250 2.0.0 Ok), tls=TLSv1.3/TLS_AES_256_GCM_SHA384/256/FAIL}.
 * Our TLS facts (version/cipher/bits/verify, or {@code none}) come last, after the reply, where
 * they break no parser. A message that went over a reused connection adds {@code conn_use=N}
 * after the relay, as Postfix does.
 */
final class DeliveryLog {

  private DeliveryLog() {}

  /**
   * Postfix's {@code delays=a/b/c/d}, in seconds: a, the message's time in the queue before
   * outbound took this attempt (since arrival, earlier attempts included); b, outbound waiting for
   * a slot for the destination; c, setting up the session (policy, routing, connect, EHLO, TLS;
   * near 0 over a reused one); d, the transaction. Their sum is {@code delay=}.
   */
  record Delays(double a, double b, double c, double d) {
    double total() {
      return a + b + c + d;
    }
  }

  /**
   * @param delays since the message's arrival, in four parts
   * @param tls the session's TLS facts, or null for plaintext or no session
   * @param connUse the transaction's number on its connection, 0 when there was none
   */
  static String line(String queueId, RecipientResult result, Delays delays, TlsFacts tls, int connUse) {
    Reply reply = result.reply();
    String dsn = reply.enhanced() != null ? reply.enhanced()
        : reply.code() / 100 + ".0.0";
    return queueId + ": to=" + result.recipient()
        + ", relay=" + result.relay()
        + (connUse > 1 ? ", conn_use=" + connUse : "")
        + ", delay=" + String.format(Locale.ROOT, "%.2f", delays.total())
        + ", delays=" + part(delays.a()) + "/" + part(delays.b()) + "/" + part(delays.c()) + "/" + part(delays.d())
        + ", dsn=" + dsn
        + ", status=" + result.status().name().toLowerCase(Locale.ROOT)
        + " (" + result.reply() + ")"
        + ", tls=" + tls(tls);
  }

  /** As Postfix writes each part: two decimals below a second, else two significant digits, 0 below 0.01. */
  static String part(double seconds) {
    if (seconds < 0.01) {
      return "0";
    }
    if (seconds >= 100) {
      return Long.toString(Math.round(seconds));
    }
    BigDecimal d = new BigDecimal(seconds);
    d = seconds < 1 ? d.setScale(2, RoundingMode.HALF_UP) : d.round(new MathContext(2));
    return d.stripTrailingZeros().toPlainString();
  }

  static String tls(TlsFacts tls) {
    if (tls == null) {
      return "none";
    }
    return tls.version() + "/" + tls.cipher() + "/" + tls.cipherBits() + "/" + tls.verify();
  }
}

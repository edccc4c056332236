package org.postern.queue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.postern.bus.DeliveryReport;
import org.postern.smtp.TlsFacts;

/**
 * One delivery attempt of a message to one destination, as outbound reported it: when, the next
 * hop, the TLS session it had (version, cipher, bits, verify, peer certificate), and each
 * recipient's status and reply. Kept in memory for the operator ({@code postern queue show}, the
 * admin page), a few per message and since the node started, as the attempt count is: the spool
 * journal records outcomes, not the way there, so a restart forgets them.
 */
record Attempt(Instant at, String relay, TlsFacts tls, List<DeliveryReport.RecipientResult> results) {

  /** How many attempts a message keeps, newest last; older ones are dropped. */
  static final int KEPT = 10;

  Attempt {
    results = List.copyOf(results);
  }

  static Attempt of(Instant at, DeliveryReport report) {
    String relay = report.results().isEmpty() ? "none" : report.results().get(0).relay();
    return new Attempt(at, relay, report.tls(), report.results());
  }

  JsonObject toJson() {
    JsonObject tlsJson = null;
    if (tls != null) {
      tlsJson = new JsonObject().put("version", tls.version()).put("cipher", tls.cipher())
          .put("bits", tls.cipherBits()).put("verify", tls.verify().name())
          .put("peerSubject", tls.certSubject()).put("peerIssuer", tls.certIssuer());
    }
    JsonArray rs = new JsonArray();
    for (DeliveryReport.RecipientResult r : results) {
      rs.add(new JsonObject().put("recipient", r.recipient().mailbox())
          .put("status", r.status().name().toLowerCase(Locale.ROOT)).put("reply", r.reply().toString()));
    }
    return new JsonObject().put("at", at.toString()).put("relay", relay).put("tls", tlsJson).put("results", rs);
  }
}

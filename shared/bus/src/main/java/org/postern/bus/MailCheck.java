package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.smtp.Path;
import org.postern.smtp.TlsFacts;

/**
 * Inbound asks policy at MAIL: may this client, in this session, send mail from this sender
 * (sendmail's {@code From:} entries of the access map)?
 *
 * @param clientName the client's forward-confirmed host name, or null when unknown
 * @param tls the session's TLS facts, or null in plaintext
 * @param authUser the user the client authenticated as (AUTH), or null
 * @param sender the reverse path; the null path {@code <>} of bounces too
 */
public record MailCheck(String clientIp, String clientName, String helo, TlsFacts tls, String authUser, Path sender) {

  public static final String ADDRESS = "postern.policy.mail.v1";

  public MailCheck {
    Peers.checkSession(clientIp, clientName, helo, authUser);
    if (sender == null) {
      throw new IllegalArgumentException("a sender (possibly <>) is required");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("clientIp", clientIp).put("clientName", clientName).put("helo", helo)
        .put("tls", Json.tls(tls)).put("authUser", authUser).put("sender", Json.path(sender));
  }

  public static MailCheck fromJson(JsonObject o) {
    return new MailCheck(Json.string(o, "clientIp"), Json.optString(o, "clientName"), Json.string(o, "helo"),
        Json.tls(o, "tls"), Json.optString(o, "authUser"), Json.path(o, "sender"));
  }

  public static final JsonCodec<MailCheck> CODEC =
      new JsonCodec<>(ADDRESS, MailCheck.class, MailCheck::toJson, MailCheck::fromJson);
}

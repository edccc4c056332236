package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.config.IpLiterals;
import org.postern.smtp.Path;
import org.postern.smtp.TlsFacts;

/**
 * Inbound asks policy at RCPT: may this client, in this session, send to this recipient?
 *
 * @param tls the session's TLS facts, or null in plaintext
 * @param authUser the user the client authenticated as (AUTH), or null
 */
public record RelayCheck(String clientIp, String helo, TlsFacts tls, String authUser, Path sender, Path recipient) {

  public static final String ADDRESS = "postern.policy.relay.v1";

  public RelayCheck {
    if (clientIp == null || !IpLiterals.isLiteral(clientIp)) {
      throw new IllegalArgumentException("clientIp must be an IP literal: " + clientIp);
    }
    if (helo == null || helo.length() > 255) {
      throw new IllegalArgumentException("bad helo");
    }
    if (authUser != null && (authUser.isEmpty() || authUser.length() > 255)) {
      throw new IllegalArgumentException("bad authUser");
    }
    if (sender == null || recipient == null || recipient.isNull()) {
      throw new IllegalArgumentException("sender and a non-null recipient are required");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("clientIp", clientIp).put("helo", helo).put("tls", Json.tls(tls))
        .put("authUser", authUser).put("sender", Json.path(sender)).put("recipient", Json.path(recipient));
  }

  public static RelayCheck fromJson(JsonObject o) {
    return new RelayCheck(Json.string(o, "clientIp"), Json.string(o, "helo"), Json.tls(o, "tls"),
        Json.optString(o, "authUser"), Json.path(o, "sender"), Json.path(o, "recipient"));
  }

  public static final JsonCodec<RelayCheck> CODEC =
      new JsonCodec<>(ADDRESS, RelayCheck.class, RelayCheck::toJson, RelayCheck::fromJson);
}

package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.smtp.Path;
import org.postern.smtp.TlsFacts;

/**
 * Inbound asks policy at RCPT: may this client, in this session, send to this recipient?
 *
 * @param clientName the client's forward-confirmed host name, or null when unknown
 * @param tls the session's TLS facts, or null in plaintext
 * @param authUser the user the client authenticated as (AUTH), or null
 */
public record RelayCheck(String clientIp, String clientName, String helo, TlsFacts tls, String authUser, Path sender, Path recipient) {

  public static final String ADDRESS = "postern.policy.relay.v1";

  public RelayCheck {
    Peers.checkSession(clientIp, clientName, helo, authUser);
    if (sender == null || recipient == null || recipient.isNull()) {
      throw new IllegalArgumentException("sender and a non-null recipient are required");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("clientIp", clientIp).put("clientName", clientName).put("helo", helo).put("tls", Json.tls(tls))
        .put("authUser", authUser).put("sender", Json.path(sender)).put("recipient", Json.path(recipient));
  }

  public static RelayCheck fromJson(JsonObject o) {
    return new RelayCheck(Json.string(o, "clientIp"), Json.optString(o, "clientName"), Json.string(o, "helo"), Json.tls(o, "tls"),
        Json.optString(o, "authUser"), Json.path(o, "sender"), Json.path(o, "recipient"));
  }

  public static final JsonCodec<RelayCheck> CODEC =
      new JsonCodec<>(ADDRESS, RelayCheck.class, RelayCheck::toJson, RelayCheck::fromJson);
}

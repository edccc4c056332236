package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.config.IpLiterals;

/**
 * Inbound asks policy, when a client connects: may it talk to us, and must it use TLS?
 *
 * @param clientIp the client's address (a literal)
 * @param clientName the client's forward-confirmed host name, or null when unknown
 * @param listenerRequiresTls whether the listener itself is {@code tls = required}
 */
public record SessionCheck(String clientIp, String clientName, boolean listenerRequiresTls) {

  public static final String ADDRESS = "postern.policy.session.v1";

  public SessionCheck {
    if (clientIp == null || !IpLiterals.isLiteral(clientIp)) {
      throw new IllegalArgumentException("clientIp must be an IP literal: " + clientIp);
    }
    Peers.checkClientName(clientName);
  }

  public JsonObject toJson() {
    return new JsonObject().put("clientIp", clientIp).put("clientName", clientName).put("listenerRequiresTls", listenerRequiresTls);
  }

  public static SessionCheck fromJson(JsonObject o) {
    return new SessionCheck(Json.string(o, "clientIp"), Json.optString(o, "clientName"), Boolean.TRUE.equals(o.getBoolean("listenerRequiresTls")));
  }

  public static final JsonCodec<SessionCheck> CODEC =
      new JsonCodec<>(ADDRESS, SessionCheck.class, SessionCheck::toJson, SessionCheck::fromJson);
}

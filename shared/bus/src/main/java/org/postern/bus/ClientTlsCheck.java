package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.config.IpLiterals;
import org.postern.smtp.TlsFacts;

/**
 * Inbound asks policy after a STARTTLS handshake: is this TLS good enough for this client
 * (sendmail's tls_client rule set, fed by TLS_Clt entries)?
 *
 * @param clientName the client's forward-confirmed host name, or null when unknown
 */
public record ClientTlsCheck(String clientIp, String clientName, TlsFacts tls) {

  public static final String ADDRESS = "postern.policy.client-tls.v1";

  public ClientTlsCheck {
    if (clientIp == null || !IpLiterals.isLiteral(clientIp) || tls == null) {
      throw new IllegalArgumentException("an IP literal and the TLS facts are required");
    }
    Peers.checkClientName(clientName);
  }

  public JsonObject toJson() {
    return new JsonObject().put("clientIp", clientIp).put("clientName", clientName).put("tls", Json.tls(tls));
  }

  public static ClientTlsCheck fromJson(JsonObject o) {
    return new ClientTlsCheck(Json.string(o, "clientIp"), Json.optString(o, "clientName"), Json.tls(o, "tls"));
  }

  public static final JsonCodec<ClientTlsCheck> CODEC =
      new JsonCodec<>(ADDRESS, ClientTlsCheck.class, ClientTlsCheck::toJson, ClientTlsCheck::fromJson);
}

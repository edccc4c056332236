package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.config.Values;

/** Outbound asks policy, before connecting: what TLS does mail for this domain need? */
public record DestinationTlsCheck(String domain) {

  public static final String ADDRESS = "postern.policy.destination-tls.v1";

  public DestinationTlsCheck {
    Values.domain().apply(domain);
  }

  public JsonObject toJson() {
    return new JsonObject().put("domain", domain);
  }

  public static DestinationTlsCheck fromJson(JsonObject o) {
    return new DestinationTlsCheck(Json.string(o, "domain"));
  }

  public static final JsonCodec<DestinationTlsCheck> CODEC =
      new JsonCodec<>(ADDRESS, DestinationTlsCheck.class, DestinationTlsCheck::toJson, DestinationTlsCheck::fromJson);
}

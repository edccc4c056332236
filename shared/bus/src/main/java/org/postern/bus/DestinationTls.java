package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.smtp.TlsLevel;

/** Policy's answer to a {@link DestinationTlsCheck}: the level, and the rule that chose it. */
public record DestinationTls(TlsLevel level, String rule) {

  public DestinationTls {
    if (level == null || rule == null || rule.isBlank()) {
      throw new IllegalArgumentException("level and rule are required");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("level", level.name()).put("rule", rule);
  }

  public static DestinationTls fromJson(JsonObject o) {
    return new DestinationTls(Json.enumValue(o, "level", TlsLevel.class), Json.string(o, "rule"));
  }

  public static final JsonCodec<DestinationTls> CODEC =
      new JsonCodec<>("postern.policy.destination-tls-answer.v1", DestinationTls.class, DestinationTls::toJson,
          DestinationTls::fromJson);
}

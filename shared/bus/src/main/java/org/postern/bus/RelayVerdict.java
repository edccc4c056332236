package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.smtp.Reply;

/**
 * Policy's answer to a {@link RelayCheck}: the reply the client gets at RCPT and the rule behind
 * it, which inbound logs with every refusal.
 */
public record RelayVerdict(Decision decision, Reply reply, String rule) {

  public RelayVerdict {
    Verdicts.check(decision, reply, rule);
    if (reply == null) {
      throw new IllegalArgumentException("a relay verdict always carries the RCPT reply");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("decision", decision.name()).put("reply", Json.reply(reply)).put("rule", rule);
  }

  public static RelayVerdict fromJson(JsonObject o) {
    return new RelayVerdict(Json.enumValue(o, "decision", Decision.class), Json.reply(o, "reply"),
        Json.string(o, "rule"));
  }

  public static final JsonCodec<RelayVerdict> CODEC =
      new JsonCodec<>("postern.policy.relay-verdict.v1", RelayVerdict.class, RelayVerdict::toJson,
          RelayVerdict::fromJson);
}

package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.smtp.Reply;

/**
 * Policy's answer to a {@link ClientTlsCheck}. When not ACCEPT, the reply is what every command
 * but QUIT gets for the rest of the session (RFC 3207 §4.1).
 */
public record TlsVerdict(Decision decision, Reply reply, String rule) {

  public TlsVerdict {
    Verdicts.check(decision, reply, rule);
  }

  public JsonObject toJson() {
    return new JsonObject().put("decision", decision.name()).put("reply", Json.reply(reply)).put("rule", rule);
  }

  public static TlsVerdict fromJson(JsonObject o) {
    return new TlsVerdict(Json.enumValue(o, "decision", Decision.class), Json.reply(o, "reply"), Json.string(o, "rule"));
  }

  public static final JsonCodec<TlsVerdict> CODEC =
      new JsonCodec<>("postern.policy.tls-verdict.v1", TlsVerdict.class, TlsVerdict::toJson, TlsVerdict::fromJson);
}

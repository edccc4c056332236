package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.smtp.Reply;

/**
 * Policy's answer to a {@link MailCheck}. An accept carries no reply (the session gives its own
 * {@code 250}); a refusal carries the reply the client gets at MAIL.
 */
public record SenderVerdict(Decision decision, Reply reply, String rule) {

  public SenderVerdict {
    Verdicts.check(decision, reply, rule);
  }

  public JsonObject toJson() {
    return new JsonObject().put("decision", decision.name()).put("reply", Json.reply(reply)).put("rule", rule);
  }

  public static SenderVerdict fromJson(JsonObject o) {
    return new SenderVerdict(Json.enumValue(o, "decision", Decision.class), Json.reply(o, "reply"),
        Json.string(o, "rule"));
  }

  public static final JsonCodec<SenderVerdict> CODEC =
      new JsonCodec<>("postern.policy.sender-verdict.v1", SenderVerdict.class, SenderVerdict::toJson,
          SenderVerdict::fromJson);
}

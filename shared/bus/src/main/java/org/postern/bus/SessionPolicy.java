package org.postern.bus;

import io.vertx.core.json.JsonObject;
import org.postern.smtp.Reply;

/**
 * Policy's answer to a {@link SessionCheck}.
 *
 * @param decision whether the session may go on
 * @param reply the reply to send when it may not (a 4xx or 5xx), else null
 * @param requireTls whether commands must wait for STARTTLS
 * @param rule the rule that decided, e.g. {@code config:inbound.listeners} or {@code access:12}
 */
public record SessionPolicy(Decision decision, Reply reply, boolean requireTls, String rule) {

  public SessionPolicy {
    Verdicts.check(decision, reply, rule);
  }

  public JsonObject toJson() {
    return new JsonObject().put("decision", decision.name()).put("reply", Json.reply(reply))
        .put("requireTls", requireTls).put("rule", rule);
  }

  public static SessionPolicy fromJson(JsonObject o) {
    return new SessionPolicy(Json.enumValue(o, "decision", Decision.class), Json.reply(o, "reply"),
        Boolean.TRUE.equals(o.getBoolean("requireTls")), Json.string(o, "rule"));
  }

  public static final JsonCodec<SessionPolicy> CODEC =
      new JsonCodec<>("postern.policy.session-policy.v1", SessionPolicy.class, SessionPolicy::toJson,
          SessionPolicy::fromJson);
}

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
 * @param offerTls whether EHLO offers STARTTLS to this client (sendmail's Srv_Features {@code s}/{@code S})
 * @param requestClientCert whether the handshake asks this client for a certificate, when the
 *     listener asks at all (Srv_Features {@code v}/{@code V})
 * @param featuresRule the Srv_Features entry that set the two, or null when none applies
 */
public record SessionPolicy(Decision decision, Reply reply, boolean requireTls, String rule, boolean offerTls,
    boolean requestClientCert, String featuresRule) {

  public SessionPolicy {
    Verdicts.check(decision, reply, rule);
  }

  /** The listener's features unchanged: no Srv_Features entry for this client. */
  public SessionPolicy(Decision decision, Reply reply, boolean requireTls, String rule) {
    this(decision, reply, requireTls, rule, true, true, null);
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("decision", decision.name()).put("reply", Json.reply(reply))
        .put("requireTls", requireTls).put("rule", rule);
    if (featuresRule != null) {
      o.put("offerTls", offerTls).put("requestClientCert", requestClientCert).put("featuresRule", featuresRule);
    }
    return o;
  }

  /** A record from a node without Srv_Features (no such fields) means the listener's defaults. */
  public static SessionPolicy fromJson(JsonObject o) {
    return new SessionPolicy(Json.enumValue(o, "decision", Decision.class), Json.reply(o, "reply"),
        Boolean.TRUE.equals(o.getBoolean("requireTls")), Json.string(o, "rule"),
        !Boolean.FALSE.equals(o.getBoolean("offerTls")), !Boolean.FALSE.equals(o.getBoolean("requestClientCert")),
        Json.optString(o, "featuresRule"));
  }

  public static final JsonCodec<SessionPolicy> CODEC =
      new JsonCodec<>("postern.policy.session-policy.v1", SessionPolicy.class, SessionPolicy::toJson,
          SessionPolicy::fromJson);
}

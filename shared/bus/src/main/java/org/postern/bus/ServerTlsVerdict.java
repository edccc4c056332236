package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Policy's answer to a {@link ServerTlsCheck}: a verdict on the session with this server, and one
 * per recipient, in the check's order. A refused session is abandoned before MAIL (a 4xx tries the
 * next address, a 5xx fails the delivery); a refused recipient is not sent and gets its refusal,
 * while the others go on.
 */
public record ServerTlsVerdict(TlsVerdict session, List<TlsVerdict> recipients) {

  public ServerTlsVerdict {
    if (session == null || recipients == null || recipients.isEmpty()
        || recipients.size() > ServerTlsCheck.MAX_RECIPIENTS) {
      throw new IllegalArgumentException("a session verdict and one verdict per recipient are required");
    }
    recipients = List.copyOf(recipients);
  }

  public JsonObject toJson() {
    JsonArray a = new JsonArray();
    recipients.forEach(v -> a.add(v.toJson()));
    return new JsonObject().put("session", session.toJson()).put("recipients", a);
  }

  public static ServerTlsVerdict fromJson(JsonObject o) {
    List<TlsVerdict> list = new ArrayList<>();
    for (Object v : Json.array(o, "recipients")) {
      if (!(v instanceof JsonObject j)) {
        throw new IllegalArgumentException("field 'recipients' must hold verdicts");
      }
      list.add(TlsVerdict.fromJson(j));
    }
    return new ServerTlsVerdict(TlsVerdict.fromJson(Json.object(o, "session")), list);
  }

  public static final JsonCodec<ServerTlsVerdict> CODEC =
      new JsonCodec<>("postern.policy.server-tls-verdict.v1", ServerTlsVerdict.class, ServerTlsVerdict::toJson,
          ServerTlsVerdict::fromJson);
}

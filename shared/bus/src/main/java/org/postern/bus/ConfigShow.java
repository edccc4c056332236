package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * Asks every node which configuration version is in force ({@code postern config show}); each
 * answers with a {@link ConfigPushResult} of outcome {@code CURRENT}, sent to {@link #replyTo()}.
 */
public record ConfigShow(String replyTo) {

  public static final String ADDRESS = "postern.config.show.v1";

  /** The prefix of every reply address; the rest is a random UUID. */
  public static final String REPLIES = "postern.config.replies.";

  public ConfigShow {
    if (replyTo == null || !replyTo.matches("postern\\.config\\.replies\\.[0-9a-f-]{36}")) {
      throw new IllegalArgumentException("replyTo must be postern.config.replies.<uuid>");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("replyTo", replyTo);
  }

  public static ConfigShow fromJson(JsonObject o) {
    return new ConfigShow(Json.string(o, "replyTo"));
  }

  public static final JsonCodec<ConfigShow> CODEC =
      new JsonCodec<>(ADDRESS, ConfigShow.class, ConfigShow::toJson, ConfigShow::fromJson);
}

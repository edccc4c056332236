package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One node's answer to a {@link ConfigPush} or a {@link ConfigShow}: what it did, and the
 * configuration version in force on it afterwards.
 *
 * @param node the node's name ({@code node.hostname})
 * @param version the version now in force, 0 for the node's own files (no push applied)
 * @param author the key id that signed it, empty for version 0
 * @param issuedAt when it was signed (milliseconds since the epoch), 0 for version 0
 * @param problems why it refused, one line each ({@code file:line: reason} where there is a line);
 *     empty unless {@link Outcome#REFUSED}
 */
public record ConfigPushResult(String node, Outcome outcome, long version, String author, long issuedAt,
    List<String> problems) {

  /** What the node did. */
  public enum Outcome {
    /** Verified, validated and now in force. */
    APPLIED,
    /** Nothing changed on this node; {@link #problems()} says why. */
    REFUSED,
    /** An answer to {@link ConfigShow}: what is in force. */
    CURRENT
  }

  private static final int MAX_PROBLEMS = 100;
  private static final int MAX_LINE = 1000;

  public ConfigPushResult {
    if (node == null || node.isEmpty() || node.length() > 255) {
      throw new IllegalArgumentException("a node name of 1 to 255 characters is required");
    }
    if (outcome == null) {
      throw new IllegalArgumentException("an outcome is required");
    }
    if (version < 0 || issuedAt < 0) {
      throw new IllegalArgumentException("version and issuedAt must not be negative");
    }
    author = author == null ? "" : author;
    if (!author.isEmpty() && !author.matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("author must be a key id of 16 lower-case hex digits");
    }
    List<String> bounded = new ArrayList<>();
    for (String p : problems == null ? List.<String>of() : problems) {
      if (bounded.size() == MAX_PROBLEMS) {
        bounded.add("... and more");
        break;
      }
      String line = p == null ? "" : p.replaceAll("[\\r\\n]+", " ");
      bounded.add(line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "..." : line);
    }
    problems = List.copyOf(bounded);
    if ((outcome == Outcome.REFUSED) == problems.isEmpty()) {
      throw new IllegalArgumentException("a refusal, and only a refusal, carries its problems");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("node", node).put("outcome", outcome.name()).put("version", version)
        .put("author", author).put("issuedAt", issuedAt).put("problems", new JsonArray(problems));
  }

  public static ConfigPushResult fromJson(JsonObject o) {
    List<String> problems = new ArrayList<>();
    for (Object p : Json.array(o, "problems")) {
      if (!(p instanceof String s)) {
        throw new IllegalArgumentException("field 'problems' must hold strings");
      }
      problems.add(s);
    }
    return new ConfigPushResult(Json.string(o, "node"), Json.enumValue(o, "outcome", Outcome.class),
        Json.number(o, "version"), Json.string(o, "author"), Json.number(o, "issuedAt"), problems);
  }

  public static final JsonCodec<ConfigPushResult> CODEC = new JsonCodec<>("postern.config.result.v1",
      ConfigPushResult.class, ConfigPushResult::toJson, ConfigPushResult::fromJson);
}

package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.postern.smtp.TlsLevel;

/**
 * Policy's answer to a {@link DestinationTlsCheck} or a {@link TargetTlsCheck}: the level, the
 * rule that chose it, and, for levels {@code verify} and {@code secure}, the {@code match=}
 * patterns of that rule (Postfix's {@code hostname}, {@code nexthop}, {@code dot-nexthop}, a name
 * or a {@code .domain}) which the server certificate must satisfy. No patterns means the level's
 * default: {@code hostname} for verify, {@code nexthop} and {@code dot-nexthop} for secure.
 */
public record DestinationTls(TlsLevel level, String rule, List<String> match) {

  /**
   * The rule of an answer that no policy entry chose (policy.destination_tls_level applied):
   * outbound may then let the destination's own MTA-STS policy decide.
   */
  public static final String DEFAULT_RULE = "config:policy.destination_tls_level";

  /** Patterns per rule: a policy line holds a few; a few hundred is a mistake or an attack. */
  public static final int MAX_PATTERNS = 100;

  public DestinationTls {
    if (level == null || rule == null || rule.isBlank()) {
      throw new IllegalArgumentException("level and rule are required");
    }
    match = List.copyOf(match == null ? List.of() : match);
    if (match.size() > MAX_PATTERNS) {
      throw new IllegalArgumentException("at most " + MAX_PATTERNS + " match patterns, got " + match.size());
    }
    for (String p : match) {
      if (p.isEmpty() || p.length() > 255 || !p.matches("[A-Za-z0-9.*_-]+")) {
        throw new IllegalArgumentException("a match pattern is a name, .domain, hostname, nexthop or dot-nexthop");
      }
    }
  }

  /** The level's default patterns apply. */
  public DestinationTls(TlsLevel level, String rule) {
    this(level, rule, List.of());
  }

  /** Whether the level is the configured default rather than a policy entry's. */
  public boolean byDefault() {
    return rule.equals(DEFAULT_RULE) || rule.startsWith(DEFAULT_RULE + "=");
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("level", level.name()).put("rule", rule);
    if (!match.isEmpty()) {
      o.put("match", new JsonArray(match));
    }
    return o;
  }

  public static DestinationTls fromJson(JsonObject o) {
    List<String> match = new ArrayList<>();
    if (o.getValue("match") != null) {
      for (Object p : Json.array(o, "match")) {
        if (!(p instanceof String s)) {
          throw new IllegalArgumentException("field 'match' must hold strings");
        }
        match.add(s);
      }
    }
    return new DestinationTls(Json.enumValue(o, "level", TlsLevel.class), Json.string(o, "rule"), match);
  }

  public static final JsonCodec<DestinationTls> CODEC =
      new JsonCodec<>("postern.policy.destination-tls-answer.v1", DestinationTls.class, DestinationTls::toJson,
          DestinationTls::fromJson);
}

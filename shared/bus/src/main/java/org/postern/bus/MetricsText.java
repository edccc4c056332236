package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * A member's answer to a {@link MetricsScrape}: its metrics in the Prometheus text format (0.0.4),
 * as its own {@code GET /metrics} would serve them.
 *
 * @param node the member's {@code node.hostname}, which becomes the {@code node} label
 */
public record MetricsText(String node, String text) {

  /** A node's metrics are some kilobytes; anything near this is not a metrics page. */
  public static final int MAX_TEXT = 4 * 1024 * 1024;

  public MetricsText {
    if (node == null || !node.matches("[A-Za-z0-9.:_-]{1,255}")) {
      throw new IllegalArgumentException("not a node name: " + node);
    }
    if (text == null || text.length() > MAX_TEXT) {
      throw new IllegalArgumentException("metrics text missing or over " + MAX_TEXT + " characters");
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("node", node).put("text", text);
  }

  public static MetricsText fromJson(JsonObject o) {
    return new MetricsText(Json.string(o, "node"), Json.string(o, "text"));
  }

  public static final JsonCodec<MetricsText> CODEC =
      new JsonCodec<>("postern.node.metrics-text.v1", MetricsText.class, MetricsText::toJson, MetricsText::fromJson);
}

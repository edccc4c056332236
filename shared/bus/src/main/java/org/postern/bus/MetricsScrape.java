package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * The admin API asks a cluster member for its metrics, to serve the cluster's in one scrape
 * ({@code GET /metrics/cluster}). Every member answers on its own address
 * ({@link #nodeAddress(String)}), whatever its roles, with a {@link MetricsText}: a node without
 * the queue role runs no admin API, and this is how its metrics (certificate expiry, say) reach
 * the operator.
 */
public record MetricsScrape() {

  public static final String ADDRESS = "postern.node.metrics.v1";

  /** The address on which the member {@code nodeId} (its Vert.x node id) answers. */
  public static String nodeAddress(String nodeId) {
    // Same shape of node id as the queue's per-node address; checked there.
    return QueueAdminRequest.nodeAddress(nodeId).replace(QueueAdminRequest.ADDRESS, ADDRESS);
  }

  public JsonObject toJson() {
    return new JsonObject();
  }

  public static MetricsScrape fromJson(JsonObject o) {
    return new MetricsScrape();
  }

  public static final JsonCodec<MetricsScrape> CODEC =
      new JsonCodec<>("postern.node.metrics-scrape.v1", MetricsScrape.class, MetricsScrape::toJson,
          MetricsScrape::fromJson);
}

package org.postern.node.cluster;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import org.postern.bus.MetricsScrape;
import org.postern.bus.MetricsText;

/**
 * On every cluster member, whatever its roles: answers {@link MetricsScrape} on this node's own
 * address with its metrics page, so that the admin API of any queue node can serve the whole
 * cluster's ({@code GET /metrics/cluster}, {@link ClusterMetrics}).
 *
 * <p>SECURITY. Only cluster members reach this address (the event bus demands a node certificate);
 * what it gives away is what {@code GET /metrics} gives without a token.
 */
public final class MetricsRelay extends VerticleBase {

  private final String address;
  private final String nodeName;
  private final PrometheusMeterRegistry metrics;

  /**
   * @param nodeId this node's Vert.x node id
   * @param nodeName this node's {@code node.hostname}
   */
  public MetricsRelay(String nodeId, String nodeName, PrometheusMeterRegistry metrics) {
    this.address = MetricsScrape.nodeAddress(nodeId);
    this.nodeName = nodeName;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Object>consumer(address, this::answer).completion();
  }

  private void answer(Message<Object> m) {
    if (!(m.body() instanceof MetricsScrape)) {
      m.fail(400, "expected MetricsScrape");
      return;
    }
    m.reply(new MetricsText(nodeName, metrics.scrape()));
  }
}

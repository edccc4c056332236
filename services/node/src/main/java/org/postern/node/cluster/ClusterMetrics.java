package org.postern.node.cluster;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;
import org.postern.bus.Contracts;
import org.postern.bus.MetricsScrape;
import org.postern.bus.MetricsText;

/**
 * The cluster's metrics in one page ({@code GET /metrics/cluster}): asks every member Hazelcast
 * lists for its page at once ({@link MetricsRelay}), each within {@link #DEADLINE}, and merges the
 * pages with a {@code node} label on every sample ({@link PrometheusMerge}). A member that does not
 * answer is not left out silently: {@code postern_cluster_member_up} is 0 for it. On a standalone
 * node the page is this node's alone, labelled the same way, so one scrape configuration serves
 * both.
 */
public final class ClusterMetrics {

  private static final Logger LOG = Logger.getLogger("postern.admin");

  /** A scrape must answer well within a scraper's own timeout (Prometheus's default is 10 s). */
  public static final Duration DEADLINE = Duration.ofSeconds(5);

  /** How long to look up the address of a member that did not answer. */
  private static final Duration DESCRIBE_DEADLINE = Duration.ofSeconds(2);

  private final Vertx vertx;
  private final ClusterMembers view;
  private final String nodeName;
  private final PrometheusMeterRegistry local;

  /**
   * @param view the cluster's members, or null on a standalone node
   * @param nodeName this node's {@code node.hostname}, its label when standalone
   * @param local this node's metrics, used when standalone
   */
  public ClusterMetrics(Vertx vertx, ClusterMembers view, String nodeName, PrometheusMeterRegistry local) {
    this.vertx = vertx;
    this.view = view;
    this.nodeName = nodeName;
    this.local = local;
  }

  /** The merged page; never fails (members that did not answer are marked in it). */
  public Future<String> scrape() {
    if (view == null) {
      return Future.succeededFuture(
          PrometheusMerge.merge(List.of(new PrometheusMerge.Page(nodeName, local.scrape(), true))).text());
    }
    List<Future<PrometheusMerge.Page>> asks = view.nodes().stream().map(this::ask).toList();
    return Future.join(asks).transform(ignored -> {
      PrometheusMerge.Merged merged = PrometheusMerge.merge(asks.stream().map(Future::result).toList());
      if (merged.dropped() > 0) {
        LOG.warning("cluster metrics: dropped " + merged.dropped() + " malformed line(s) from members' pages");
      }
      return Future.succeededFuture(merged.text());
    });
  }

  /** One member's page, or a page marked unanswered that names it; never fails. */
  private Future<PrometheusMerge.Page> ask(String id) {
    return Contracts.request(vertx, MetricsScrape.nodeAddress(id), new MetricsScrape(), DEADLINE, MetricsText.class)
        .map(t -> new PrometheusMerge.Page(t.node(), t.text(), true))
        .recover(e -> view.describeWithin(vertx, id, DESCRIBE_DEADLINE)
            .map(member -> new PrometheusMerge.Page(member != null ? member : "node id " + id, "", false)));
  }
}

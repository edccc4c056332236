package org.postern.node.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import java.time.Duration;
import java.util.List;

/**
 * The cluster as the cluster manager (Hazelcast) sees it now: this node's Vert.x node id and every
 * member's. Postern keeps no membership of its own; each call reads Hazelcast's.
 */
public final class ClusterMembers {

  private final ClusterManager manager;

  ClusterMembers(ClusterManager manager) {
    this.manager = manager;
  }

  /** This node's id. */
  public String self() {
    return manager.getNodeId();
  }

  /** Every member's node id, this node's included. */
  public List<String> nodes() {
    return List.copyOf(manager.getNodes());
  }

  /**
   * The event-bus address ({@code host:port}) a member published, for telling the operator which
   * member did not answer; fails when the member has left.
   */
  public Future<String> describe(String nodeId) {
    Promise<NodeInfo> info = Promise.promise();
    manager.getNodeInfo(nodeId, info);
    return info.future().map(i -> (i.host().contains(":") ? "[" + i.host() + "]" : i.host()) + ":" + i.port());
  }

  /**
   * As {@link #describe}, waiting {@code deadline} at most (Hazelcast may ask the silent member
   * itself); null when the address is not known by then. Never fails.
   */
  public Future<String> describeWithin(Vertx vertx, String nodeId, Duration deadline) {
    Promise<String> described = Promise.promise();
    long timer = vertx.setTimer(deadline.toMillis(), t -> described.tryComplete(null));
    describe(nodeId).onComplete(ar -> {
      vertx.cancelTimer(timer);
      described.tryComplete(ar.succeeded() ? ar.result() : null);
    });
    return described.future();
  }
}

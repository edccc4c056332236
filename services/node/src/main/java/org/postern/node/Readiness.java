package org.postern.node;

import io.vertx.core.Future;

/**
 * Whether this node should be sent traffic ({@code GET /health/ready}): not while its roles are
 * still being deployed (the queue recovering its spool, the listeners opening) nor once it has
 * begun to stop. Liveness is a different question (the process answers at all) and needs no state.
 *
 * <p>Threading: written by the start chain and the stop on any thread, read by the metrics
 * listener's event loop; a volatile reference is all it needs.
 */
final class Readiness {

  /** Null once ready; otherwise why not, as the operator will read it in the 503's body. */
  private volatile String notReady = "starting";

  /**
   * The start has reached {@code stage} (e.g. "queue: recovering the spool"); not ready yet.
   * Returns a completed future, to be a step of the start chain.
   */
  Future<Void> starting(String stage) {
    notReady = "starting: " + stage;
    return Future.succeededFuture();
  }

  /** Every role has deployed and the queue has recovered. */
  void ready() {
    notReady = null;
  }

  /** A stop has begun: the listeners close, so a load balancer should stop sending clients here. */
  void stopping() {
    notReady = "stopping";
  }

  /** Why this node is not ready, or null when it is. */
  String notReady() {
    return notReady;
  }
}

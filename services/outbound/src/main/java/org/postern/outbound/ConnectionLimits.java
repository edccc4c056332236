package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * How much outbound delivery may do at once: deliveries per destination
 * (outbound.destination_concurrency), a pause between deliveries to one destination
 * (outbound.destination_rate_delay, which also means one at a time, as in Postfix), and open
 * connections on this node, idle cached ones included (outbound.max_connections). Waiting is
 * queued, never refused: the queue's own delivery deadline bounds it. Used on one event loop.
 */
final class ConnectionLimits {

  private final Vertx vertx;
  private final int perDestination;
  private final long rateDelayNanos;
  private final Gate connections;
  private final Map<String, Destination> destinations = new HashMap<>();

  private static final class Destination {
    final Gate gate;
    long nextStart;

    Destination(Gate gate, long now) {
      this.gate = gate;
      this.nextStart = now;
    }
  }

  ConnectionLimits(Vertx vertx, int perDestination, Duration rateDelay, int maxConnections) {
    this.vertx = vertx;
    this.rateDelayNanos = rateDelay.toNanos();
    this.perDestination = rateDelayNanos > 0 ? 1 : perDestination;
    this.connections = new Gate(maxConnections);
  }

  /**
   * A delivery slot for {@code destination}, after the rate delay; run the returned release once
   * the delivery is over.
   */
  Future<Runnable> destination(String destination) {
    Destination d = destinations.computeIfAbsent(destination,
        k -> new Destination(new Gate(perDestination), System.nanoTime()));
    return d.gate.acquire().compose(v -> {
      long now = System.nanoTime();
      long wait = d.nextStart - now;
      d.nextStart = Math.max(now, d.nextStart) + rateDelayNanos;
      Runnable release = once(() -> {
        d.gate.release();
        // A destination without deliveries or a pending pause is forgotten, so the map stays small.
        if (d.gate.unused() && d.nextStart - System.nanoTime() <= 0) {
          destinations.remove(destination, d);
        }
      });
      if (wait <= 0) {
        return Future.succeededFuture(release);
      }
      Promise<Runnable> p = Promise.promise();
      // Rounded up: a timer that fires a fraction of a millisecond early would break the promise.
      vertx.setTimer(Math.max(1, (wait + 999_999) / 1_000_000), id -> p.complete(release));
      return p.future();
    });
  }

  /**
   * A connection slot; run the returned release when the connection has closed. When every slot
   * is taken, {@code evictIdle} is asked to close an idle cached connection, whose slot then
   * passes to this request.
   */
  Future<Runnable> connection(BooleanSupplier evictIdle) {
    boolean wasFull = connections.full();
    Future<Void> slot = connections.acquire();
    if (wasFull) {
      evictIdle.getAsBoolean();
    }
    return slot.map(v -> once(connections::release));
  }

  /** Open connections, for tests and the log. */
  int openConnections() {
    return connections.used();
  }

  private static Runnable once(Runnable r) {
    boolean[] done = {false};
    return () -> {
      if (!done[0]) {
        done[0] = true;
        r.run();
      }
    };
  }
}

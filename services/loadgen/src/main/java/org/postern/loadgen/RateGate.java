package org.postern.loadgen;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Caps starts per second across all event loops: each start takes the next free slot, one slot
 * every {@code 1/rate} seconds, and waits (on a timer, never blocking) until its slot comes. A
 * start that finds its slot in the past goes at once, so an idle gap does not build up a burst.
 */
final class RateGate {

  private final long intervalNanos;
  private final AtomicLong nextSlot = new AtomicLong(System.nanoTime());

  /** @param perSecond 0 for no cap */
  RateGate(double perSecond) {
    this.intervalNanos = perSecond <= 0 ? 0 : Math.max(1, (long) (TimeUnit.SECONDS.toNanos(1) / perSecond));
  }

  /** Completes, on the caller's context, when the caller may start. */
  Future<Void> acquire(Vertx vertx) {
    if (intervalNanos == 0) {
      return Future.succeededFuture();
    }
    long now = System.nanoTime();
    long slot = nextSlot.getAndAccumulate(now, (prev, n) -> Math.max(prev, n) + intervalNanos);
    long slotStart = Math.max(slot, now);
    long waitMillis = TimeUnit.NANOSECONDS.toMillis(slotStart - now);
    if (waitMillis < 1) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    vertx.setTimer(waitMillis, id -> p.complete());
    return p.future();
  }
}

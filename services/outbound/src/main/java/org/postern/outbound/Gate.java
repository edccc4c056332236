package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;

/**
 * A counting limit with a first-come queue: {@link #acquire} completes when a slot is free,
 * {@link #release} hands the slot to the longest waiter. Used on one event loop only.
 */
final class Gate {

  private final int capacity;
  private final ArrayDeque<Promise<Void>> waiters = new ArrayDeque<>();
  private int used;

  Gate(int capacity) {
    this.capacity = capacity;
  }

  Future<Void> acquire() {
    if (used < capacity) {
      used++;
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiters.add(p);
    return p.future();
  }

  void release() {
    Promise<Void> next = waiters.poll();
    if (next != null) {
      // The slot passes on without being counted free in between.
      next.complete();
    } else if (used > 0) {
      used--;
    }
  }

  boolean full() {
    return used >= capacity;
  }

  /** Nothing held and nobody waiting: the gate can be dropped. */
  boolean unused() {
    return used == 0 && waiters.isEmpty();
  }

  int used() {
    return used;
  }
}

package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The ready side of the queue, as KumoMTA splits it: one FIFO per destination domain, each with
 * its own limit on deliveries under way. Retry timing lives elsewhere (the scheduled side: a timer
 * per message); when a message is due, its deliveries land here, so a slow or unreachable domain
 * fills only its own queue and never holds up mail for others.
 *
 * <p>Used from the queue verticle's event loop only.
 */
final class ReadyQueues {

  private record Task(Supplier<Future<Void>> work, Promise<Void> done) {}

  private static final class Destination {
    final ArrayDeque<Task> waiting = new ArrayDeque<>();
    int active;
  }

  private final int concurrency;
  private final Map<String, Destination> destinations = new HashMap<>();

  /**
   * @param concurrency deliveries under way at once per destination (Postfix's
   *     default_destination_concurrency_limit)
   */
  ReadyQueues(int concurrency) {
    this.concurrency = concurrency;
  }

  /** Queues a delivery for {@code domain}; completes when it has run. */
  Future<Void> submit(String domain, Supplier<Future<Void>> work) {
    Promise<Void> done = Promise.promise();
    destinations.computeIfAbsent(domain, d -> new Destination()).waiting.add(new Task(work, done));
    pump(domain);
    return done.future();
  }

  private void pump(String domain) {
    Destination d = destinations.get(domain);
    while (d.active < concurrency && !d.waiting.isEmpty()) {
      Task t = d.waiting.poll();
      d.active++;
      Future<Void> run;
      try {
        run = t.work().get();
      } catch (RuntimeException e) {
        run = Future.failedFuture(e);
      }
      run.onComplete(ar -> {
        d.active--;
        t.done().handle(ar);
        if (d.active == 0 && d.waiting.isEmpty()) {
          destinations.remove(domain);
        } else {
          pump(domain);
        }
      });
    }
  }

  /** Deliveries waiting or under way, per destination, for the admin view. */
  Map<String, Integer> load() {
    Map<String, Integer> out = new HashMap<>();
    destinations.forEach((k, v) -> out.put(k, v.active + v.waiting.size()));
    return out;
  }
}

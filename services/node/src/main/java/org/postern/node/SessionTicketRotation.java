package org.postern.node;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.util.logging.Logger;
import org.postern.tls.SessionTickets;

/**
 * Moves the listener's contexts to the next session ticket key when a key period begins (see
 * {@link SessionTickets}). The timer is set for the period's boundary; the keys go in on a worker,
 * because installing them waits for each context's lock.
 */
final class SessionTicketRotation extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.tls");

  private final SessionTickets tickets;
  private final Clock clock;
  private long timer = -1;

  SessionTicketRotation(SessionTickets tickets, Clock clock) {
    this.tickets = tickets;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    // A period may have begun since the keys were loaded at start.
    return vertx.executeBlocking(() -> tickets.rotate(clock.instant()), false).onComplete(ar -> schedule());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  private void schedule() {
    timer = vertx.setTimer(tickets.untilNextPeriod(clock.instant()).toMillis(), t -> vertx
        .executeBlocking(() -> tickets.rotate(clock.instant()), false)
        .onSuccess(changed -> {
          if (changed) {
            LOG.fine("TLS session tickets: new key period; the previous key still opens its tickets");
          }
        })
        .onFailure(e -> LOG.warning("TLS session tickets: cannot install the new key: " + e.getMessage()
            + "; the previous one stays in use"))
        .onComplete(ar -> schedule()));
  }
}

package org.postern.queue;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The scheduled side of the queue, as KumoMTA splits it: when each message is next due, a timer
 * per message waiting out its back-off, and the gates a due message must pass before it is handed
 * to the ready side ({@link Dispatcher}, which owns the per-destination {@link ReadyQueues}). It
 * never delivers, and the ready side never keeps time: a slow destination fills its own ready
 * queue, and a message waiting out its back-off takes no place in any.
 *
 * <p>The gates: an operator's hold or delete (no attempt, no timer), {@code queue.defer_deliveries}
 * (only an operator's flush goes), a node that has not started every role yet (due messages wait
 * for {@link #startDeliveries}), a node that is stopping (nothing new starts; the spool keeps it for
 * the restart), and an attempt already under way.
 *
 * <p>Threading: the queue verticle's event loop only; timers fire there. Callers on other threads
 * (the node's start and stop) hop to that context first.
 */
final class Scheduler {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private final Vertx vertx;
  private final Clock clock;
  private final Backoff backoff;
  private final boolean deferDeliveries;
  private final Consumer<Scheduled> dispatch;
  /** Until {@link #startDeliveries}: attempts due meanwhile wait here. */
  private boolean deliveriesHeld;
  private final List<Scheduled> waitingForStart = new ArrayList<>();
  /** Set by {@link #stop}: no new delivery attempt starts. */
  private boolean stopping;

  /**
   * @param deferDeliveries {@code queue.defer_deliveries}: nothing goes but an operator's flush
   * @param holdUntilStarted no attempt starts until {@link #startDeliveries}
   * @param dispatch starts an attempt of a due message (the ready side)
   */
  Scheduler(Vertx vertx, Clock clock, Backoff backoff, boolean deferDeliveries, boolean holdUntilStarted,
      Consumer<Scheduled> dispatch) {
    this.vertx = vertx;
    this.clock = clock;
    this.backoff = backoff;
    this.deferDeliveries = deferDeliveries;
    this.deliveriesHeld = holdUntilStarted;
    this.dispatch = dispatch;
  }

  /** Due after {@code delay} (now when zero or less), unless a gate keeps it back. */
  void schedule(Scheduled s, Duration delay) {
    cancel(s);
    if (s.held || s.deleted) {
      return; // an operator's release (or nothing, after a delete) schedules it again
    }
    if (deferDeliveries && !s.flushed) {
      return; // queue.defer_deliveries: only an operator's flush sends it
    }
    s.flushed = false;
    if (delay.isZero() || delay.isNegative()) {
      // Due now (a new message, a release, a flush): the next turn of the loop, not a 1 ms timer
      // per message. due() checks hold, delete and in-flight again when it runs.
      vertx.runOnContext(v -> due(s));
      return;
    }
    s.nextAttempt = clock.instant().plus(delay);
    s.timer = vertx.setTimer(Math.max(1, delay.toMillis()), t -> {
      s.timer = Scheduled.NO_TIMER;
      s.nextAttempt = null;
      due(s);
    });
  }

  /** No timer for {@code s} any more (a hold, a delete, or a new schedule replacing it). */
  void cancel(Scheduled s) {
    if (s.timer != Scheduled.NO_TIMER) {
      vertx.cancelTimer(s.timer);
      s.timer = Scheduled.NO_TIMER;
    }
    s.nextAttempt = null;
  }

  /**
   * The back-off after the attempt that just ended, counted from the operator's last requeue or
   * release, if any.
   */
  Duration retryDelay(Scheduled s) {
    return backoff.after(s.attempts - s.backoffBase);
  }

  /** Every role of the node listens: the deliveries held back since start go now. */
  void startDeliveries() {
    deliveriesHeld = false;
    if (!waitingForStart.isEmpty()) {
      LOG.info("delivery starts: " + waitingForStart.size() + " message(s) were waiting for the node to start");
    }
    List<Scheduled> due = List.copyOf(waitingForStart);
    waitingForStart.clear();
    due.forEach(this::due);
  }

  /** The node is stopping: no new attempt starts; what is queued stays in the spool. */
  void stop() {
    stopping = true;
  }

  /** A message's time has come: to the ready side, if every gate lets it through. */
  private void due(Scheduled s) {
    if (s.inFlight || s.held || s.deleted || stopping) {
      return; // stopping: it stays in the spool and is delivered after the restart
    }
    if (deliveriesHeld) {
      if (!waitingForStart.contains(s)) {
        waitingForStart.add(s);
      }
      return;
    }
    dispatch.accept(s);
  }
}

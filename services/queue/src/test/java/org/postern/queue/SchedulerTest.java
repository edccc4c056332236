package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postern.bus.ClientInfo;
import org.postern.smtp.Envelope;
import org.postern.smtp.Path;

/**
 * The scheduled side on its own: which messages reach the ready side, when, and in what order,
 * with a recording stand-in for the dispatcher (no spool, no sockets, no outbound). Everything
 * runs on one event-loop context, as in the queue; "after a turn" is a task queued behind the
 * scheduler's own, so no test waits on a clock except the one whose timer is 1 ms.
 */
class SchedulerTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private Vertx vertx;
  private Context loop;
  private final List<String> dispatched = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    loop = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private Scheduler scheduler(boolean defer, boolean holdUntilStarted) {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofHours(1), () -> 0L);
    return new Scheduler(vertx, Clock.fixed(NOW, ZoneOffset.UTC), backoff, defer, holdUntilStarted,
        s -> dispatched.add(s.message.queueId()));
  }

  private static Scheduled message(String id) {
    Envelope env = new Envelope(Path.parseMailbox("a@example.org"), List.of(Path.parseMailbox("b@example.net")),
        Map.of());
    return new Scheduled(new SpooledMessage(id, env, new ClientInfo("127.0.0.1", "client.test", "ESMTP", null), NOW),
        10);
  }

  /** Runs {@code step} on the loop, then waits for one more turn: what was due now has gone by then. */
  private void onLoop(Runnable step) throws Exception {
    CompletableFuture<Void> ran = new CompletableFuture<>();
    loop.runOnContext(v -> {
      try {
        step.run();
      } catch (Throwable e) {
        ran.completeExceptionally(e);
        return;
      }
      loop.runOnContext(w -> ran.complete(null));
    });
    ran.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aMessageDueNowGoesOnTheNextTurnNotInTheCallersTurn() throws Exception {
    Scheduler sched = scheduler(false, false);
    Scheduled a = message("A");
    List<String> inTheSameTurn = new CopyOnWriteArrayList<>();
    onLoop(() -> {
      sched.schedule(a, Duration.ZERO);
      inTheSameTurn.addAll(dispatched);
    });
    assertEquals(List.of(), inTheSameTurn);
    assertEquals(List.of("A"), dispatched);
    assertNull(a.nextAttempt, "no timer for a message due now");
    assertEquals(Scheduled.NO_TIMER, a.timer);
  }

  @Test
  void heldDeletedAndInFlightMessagesDoNotReachTheReadySide() throws Exception {
    Scheduler sched = scheduler(false, false);
    Scheduled held = message("H");
    held.held = true;
    Scheduled deleted = message("D");
    deleted.deleted = true;
    Scheduled busy = message("B");
    busy.inFlight = true;
    onLoop(() -> {
      sched.schedule(held, Duration.ofMinutes(5));
      sched.schedule(deleted, Duration.ofMinutes(5));
      sched.schedule(busy, Duration.ZERO);
    });
    assertEquals(List.of(), dispatched);
    assertEquals(Scheduled.NO_TIMER, held.timer, "a held message keeps no timer");
    assertNull(held.nextAttempt);
    assertEquals(Scheduled.NO_TIMER, deleted.timer);
  }

  @Test
  void untilTheNodeStartsDueMessagesWaitAndThenGoInOrderOnceEach() throws Exception {
    Scheduler sched = scheduler(false, true);
    Scheduled a = message("A");
    Scheduled b = message("B");
    onLoop(() -> {
      sched.schedule(a, Duration.ZERO);
      sched.schedule(b, Duration.ZERO);
      sched.schedule(a, Duration.ZERO);
    });
    assertEquals(List.of(), dispatched, "held back until every role listens");
    onLoop(sched::startDeliveries);
    assertEquals(List.of("A", "B"), dispatched);
    onLoop(() -> sched.schedule(b, Duration.ZERO));
    assertEquals(List.of("A", "B", "B"), dispatched, "once started, due means dispatched");
  }

  @Test
  void underDeferDeliveriesOnlyAnOperatorsFlushGoes() throws Exception {
    Scheduler sched = scheduler(true, false);
    Scheduled a = message("A");
    Scheduled b = message("B");
    b.flushed = true;
    onLoop(() -> {
      sched.schedule(a, Duration.ZERO);
      sched.schedule(b, Duration.ZERO);
    });
    assertEquals(List.of("B"), dispatched);
    assertFalse(b.flushed, "a flush sends it once");
    onLoop(() -> sched.schedule(b, Duration.ZERO));
    assertEquals(List.of("B"), dispatched);
  }

  @Test
  void aStoppingNodeStartsNoAttempt() throws Exception {
    Scheduler sched = scheduler(false, false);
    Scheduled a = message("A");
    onLoop(() -> {
      sched.schedule(a, Duration.ZERO);
      sched.stop();
    });
    assertEquals(List.of(), dispatched);
  }

  @Test
  void aRetryWaitsOnItsTimerUntilItFiresOrIsCancelled() throws Exception {
    Scheduler sched = scheduler(false, false);
    Scheduled later = message("L");
    Scheduled soon = message("S");
    CompletableFuture<String> fired = new CompletableFuture<>();
    Scheduler firing = new Scheduler(vertx, Clock.fixed(NOW, ZoneOffset.UTC),
        new Backoff(Duration.ofSeconds(1), Duration.ofHours(1), () -> 0L), false, false,
        s -> fired.complete(s.message.queueId()));
    onLoop(() -> {
      sched.schedule(later, Duration.ofHours(1));
      firing.schedule(soon, Duration.ofMillis(1));
    });
    assertEquals(List.of(), dispatched);
    assertEquals(NOW.plus(Duration.ofHours(1)), later.nextAttempt, "the operator sees when it is due");
    assertNotEquals(Scheduled.NO_TIMER, later.timer);
    onLoop(() -> sched.cancel(later));
    assertEquals(Scheduled.NO_TIMER, later.timer);
    assertNull(later.nextAttempt);
    assertEquals("S", fired.get(10, TimeUnit.SECONDS));
  }

  @Test
  void theBackOffCountsFromTheOperatorsLastRequeue() {
    Scheduler sched = scheduler(false, false);
    Scheduled a = message("A");
    a.attempts = 3;
    // Jitter 0.9 with this random: 1 s, 2 s, 4 s, ...
    assertEquals(Duration.ofMillis(3600), sched.retryDelay(a));
    a.backoffBase = 2;
    assertEquals(Duration.ofMillis(900), sched.retryDelay(a));
  }
}

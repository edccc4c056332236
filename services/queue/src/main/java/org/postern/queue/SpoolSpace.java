package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.logging.Logger;
import org.postern.bus.SpaceReservation;
import org.postern.config.QueueConfig;

/**
 * {@code queue.min_free_space}: how much room the spool's file system has, and who has a claim on
 * it. The free space is read every second on a worker (never on the event loop) and lowered at
 * once by every message stored in between, so a burst of stores cannot pass the threshold on a
 * stale reading. Inbound reserves room at MAIL ({@link SpaceReservation}): a reservation is
 * granted only while the free space, less every reservation held, stays above the threshold, so
 * sessions arriving together cannot all be let through; each is released when its transaction
 * ends, or forgotten after {@link SpaceReservation#LIFETIME_SECONDS}.
 *
 * <p>Runs on the queue verticle's event loop.
 */
final class SpoolSpace {

  private static final Logger LOG = Logger.getLogger("postern.queue");
  /** Counted per stored message beyond its body: the record's header and envelope, page rounding. */
  static final long OVERHEAD = 8 * 1024;

  private record Held(long octets, Instant expires) {}

  private final Vertx vertx;
  private final Spool spool;
  private final QueueConfig config;
  private final Clock clock;
  private final Map<String, Held> reservations = new HashMap<>();
  private long reserved;
  /** Last reading less what was stored since; unknown (no refusal) until the first reading. */
  private long free = Long.MAX_VALUE;
  private Future<Void> firstReading = Future.succeededFuture();

  SpoolSpace(Vertx vertx, Spool spool, QueueConfig config, Clock clock) {
    this.vertx = vertx;
    this.spool = spool;
    this.config = config;
    this.clock = clock;
  }

  /** Takes the first reading, warns when the file system can never satisfy the threshold, then reads every second. */
  void start() {
    vertx.executeBlocking(spool::totalSpace, false).onSuccess(total -> {
      if (total < config.minFreeSpace()) {
        LOG.warning("the file system of queue.spool_dir " + config.spoolDir() + " holds " + total
            + " octets in all, less than queue.min_free_space " + config.minFreeSpace()
            + ": every message will be refused with 452 4.3.1 (lower queue.min_free_space or move the spool)");
      }
    });
    firstReading = measure();
    vertx.setPeriodic(1000, t -> measure());
  }

  /**
   * Consumes reservations and releases, once the first reading is in (so no burst at start is
   * judged on no figure at all); cluster-wide, so that inbound on a node without a queue can ask.
   */
  Future<Void> listen() {
    return firstReading.compose(v -> vertx.eventBus().<Object>consumer(SpaceReservation.ADDRESS, this::reserve).completion())
        .compose(v -> vertx.eventBus().<Object>consumer(SpaceReservation.RELEASE_ADDRESS, this::release).completion());
  }

  /** Whether a message of {@code octets} may be stored now. */
  boolean admits(long octets) {
    // 0 turns the check off: a write that does not fit then fails (451) and leaves nothing behind.
    return config.minFreeSpace() == 0 || free - octets - OVERHEAD >= config.minFreeSpace();
  }

  /** A message of {@code octets} was stored: its room is gone before the next reading says so. */
  void stored(long octets) {
    free -= octets + OVERHEAD;
  }

  /** The last figure, for the log. */
  long free() {
    return free;
  }

  /** Octets reserved now (expired reservations are dropped first). */
  long reserved() {
    expire();
    return reserved;
  }

  /** A new reading; never fails (a failed reading keeps the last figure, and is logged). */
  private Future<Void> measure() {
    return vertx.executeBlocking(spool::usableSpace, false)
        .onSuccess(f -> {
          free = f;
          expire();
        })
        .onFailure(e -> LOG.warning(() -> "cannot measure free space in " + config.spoolDir() + ": " + e.getMessage()))
        .<Void>mapEmpty().otherwiseEmpty();
  }

  private void reserve(Message<Object> m) {
    if (!(m.body() instanceof SpaceReservation r) || r.kind() != SpaceReservation.Kind.RESERVE) {
      m.fail(400, "expected a SpaceReservation to RESERVE");
      return;
    }
    expire();
    if (config.minFreeSpace() > 0 && free - reserved - r.octets() - OVERHEAD < config.minFreeSpace()) {
      LOG.info(() -> "space reservation of " + r.octets() + " octets refused: " + free + " free in " + config.spoolDir()
          + ", " + reserved + " reserved, queue.min_free_space " + config.minFreeSpace());
      m.fail(452, "4.3.1 Insufficient system storage");
      return;
    }
    Held previous = reservations.put(r.id(), new Held(r.octets() + OVERHEAD,
        clock.instant().plusSeconds(SpaceReservation.LIFETIME_SECONDS)));
    reserved += r.octets() + OVERHEAD - (previous == null ? 0 : previous.octets());
    m.reply(new SpaceReservation(SpaceReservation.Kind.GRANTED, r.id(), r.octets()));
  }

  private void release(Message<Object> m) {
    if (m.body() instanceof SpaceReservation r && r.kind() == SpaceReservation.Kind.RELEASE) {
      Held h = reservations.remove(r.id());
      if (h != null) {
        reserved -= h.octets();
      }
    }
  }

  private void expire() {
    Instant now = clock.instant();
    for (Iterator<Held> it = reservations.values().iterator(); it.hasNext(); ) {
      Held h = it.next();
      if (!h.expires().isAfter(now)) {
        reserved -= h.octets();
        it.remove();
      }
    }
  }
}

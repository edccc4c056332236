package org.postern.bus;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Names for space reservations ({@link SpaceReservation}): this process's random prefix, drawn
 * once, and a counter. Unique across the nodes that share a queue, as a random UUID per
 * reservation was, without a draw from the shared SecureRandom (a lock and, now and then, a read of
 * the system's random source) on an event loop for every MAIL.
 */
final class ReservationIds {

  private static final String PREFIX = prefix();
  private static final AtomicLong COUNTER = new AtomicLong();

  private ReservationIds() {}

  /** Letters, digits and dashes, at most 50 characters, as {@link SpaceReservation} wants. */
  static String next() {
    return PREFIX + Long.toHexString(COUNTER.incrementAndGet());
  }

  private static String prefix() {
    SecureRandom random = new SecureRandom();
    return Long.toHexString(random.nextLong()) + "-" + Long.toHexString(random.nextLong()) + "-";
  }
}

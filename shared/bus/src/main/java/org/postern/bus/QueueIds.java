package org.postern.bus;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Queue ids: 16 upper-case hex digits, unique across nodes without coordination (48 bits of
 * milliseconds and 16 random bits, then incremented per id). Inbound assigns the id, so it can
 * appear in the Received header and the 250 reply, and so a retried enqueue of the same message is
 * recognised by the queue.
 */
public final class QueueIds {

  private static final Pattern FORMAT = Pattern.compile("[0-9A-F]{16}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final AtomicLong LAST = new AtomicLong();

  private QueueIds() {}

  public static String next() {
    long candidate = (System.currentTimeMillis() << 16) | (RANDOM.nextInt() & 0xffff);
    return String.format("%016X", LAST.updateAndGet(prev -> Math.max(candidate, prev + 1)));
  }

  /** Checks an id that arrived from elsewhere; ids become file names, so this is a security check. */
  public static String check(String id) {
    if (id == null || !FORMAT.matcher(id).matches()) {
      throw new IllegalArgumentException("malformed queue id: " + id);
    }
    return id;
  }
}

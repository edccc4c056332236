package org.postern.bus;

import java.util.concurrent.ThreadLocalRandom;
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
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final AtomicLong LAST = new AtomicLong();

  private QueueIds() {}

  public static String next() {
    // The random bits only keep nodes apart, they guard nothing: no need for a SecureRandom, whose
    // lock every event loop would take once per message.
    long candidate = (System.currentTimeMillis() << 16) | (ThreadLocalRandom.current().nextInt() & 0xffff);
    return hex(LAST.updateAndGet(prev -> Math.max(candidate, prev + 1)));
  }

  /** As {@code String.format("%016X", id)}, without a Formatter per id. */
  static String hex(long id) {
    char[] out = new char[16];
    for (int i = 15; i >= 0; i--) {
      out[i] = HEX[(int) (id & 0xf)];
      id >>>= 4;
    }
    return new String(out);
  }

  /** Checks an id that arrived from elsewhere; ids become file names, so this is a security check. */
  public static String check(String id) {
    if (id == null || !FORMAT.matcher(id).matches()) {
      throw new IllegalArgumentException("malformed queue id: " + id);
    }
    return id;
  }
}

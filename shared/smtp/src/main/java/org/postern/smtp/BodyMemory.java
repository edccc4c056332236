package org.postern.smtp;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The octets of message text a node holds in memory at once, across all its sessions: bodies
 * being received with DATA or BDAT and bodies waiting for the queue's receipt. The SIZE limit
 * bounds one message; this bounds their sum, so that many clients sending large messages at the
 * same moment get {@code 452 4.3.1} and try again later, instead of exhausting the heap and taking
 * down every session on the node, those already told 250 included.
 *
 * <p>Thread-safe: the sessions of every event loop share one. A session takes from it through its
 * own {@link Lease}, in steps of {@value #STEP} octets, so that the shared counter is touched
 * twice for most messages rather than once per line.
 */
public final class BodyMemory {

  /**
   * Octets a lease reserves at a time: small, because every session under way rounds up to it
   * (8,000 sessions of 4 KB messages reserve 64 MiB), and large enough that the shared counter is
   * touched once per 8 KiB of text.
   */
  public static final int STEP = 8 * 1024;

  private final long limit;
  private final AtomicLong used = new AtomicLong();

  public BodyMemory(long limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    this.limit = limit;
  }

  /** No limit beyond the heap: for tools and tests that do not exercise it. */
  public static BodyMemory unlimited() {
    return new BodyMemory(Long.MAX_VALUE);
  }

  public long limit() {
    return limit;
  }

  /** Octets reserved by all sessions now. */
  public long used() {
    return used.get();
  }

  /** A new session's share, empty. */
  public Lease lease() {
    return new Lease();
  }

  private boolean reserve(long n) {
    while (true) {
      long now = used.get();
      long after = now + n;
      if (after > limit || after < 0) {
        return false;
      }
      if (used.compareAndSet(now, after)) {
        return true;
      }
    }
  }

  /**
   * What one session holds of the budget. Not thread-safe: it belongs to its session's event loop.
   * Everything is given back at once, when the message is queued or refused, on RSET, and when the
   * connection closes.
   */
  public final class Lease {
    private long reserved;
    private long held;

    private Lease() {}

    /** Takes {@code n} more octets for the message under way; false when the node has no room. */
    public boolean take(long n) {
      long missing = held + n - reserved;
      if (missing > 0) {
        // A whole step when it fits; near the limit, exactly what is missing.
        long step = Math.max(missing, STEP);
        if (reserve(step)) {
          reserved += step;
        } else if (step > missing && reserve(missing)) {
          reserved += missing;
        } else {
          return false;
        }
      }
      held += n;
      return true;
    }

    /** Whether a new message could take its first octets now. */
    public boolean roomLeft() {
      return held < reserved || used.get() < limit;
    }

    /** Octets this session holds. */
    public long held() {
      return held;
    }

    /** Gives back everything this session holds; harmless when it holds nothing. */
    public void releaseAll() {
      if (reserved > 0) {
        used.addAndGet(-reserved);
      }
      reserved = 0;
      held = 0;
    }
  }
}

package org.postern.outbound;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Next hops whose TLS handshake failed at an opportunistic level, remembered for a while so that
 * the next deliveries go to them in plaintext at once instead of failing the handshake again
 * (Postfix, Exim and sendmail all ended up doing this). Keyed by address and port: the broken
 * thing is a server, not a name. Used on one event loop only.
 */
final class BrokenTlsPeers {

  private final Map<String, Long> until = new HashMap<>();
  private final long memoryNanos;
  private final LongSupplier clock;
  private long handshakeFailures;

  BrokenTlsPeers(Duration memory) {
    this(memory, System::nanoTime);
  }

  BrokenTlsPeers(Duration memory, LongSupplier clock) {
    this.memoryNanos = memory.toNanos();
    this.clock = clock;
  }

  /** Records a failed handshake with {@code target}; returns the failures counted so far. */
  long failed(Target target) {
    handshakeFailures++;
    if (memoryNanos > 0) {
      until.put(key(target), clock.getAsLong() + memoryNanos);
    }
    return handshakeFailures;
  }

  /** Whether {@code target} failed a handshake within the memory time. */
  boolean isBroken(Target target) {
    Long expiry = until.get(key(target));
    if (expiry == null) {
      return false;
    }
    if (clock.getAsLong() - expiry >= 0) {
      until.remove(key(target));
      return false;
    }
    return true;
  }

  /** Handshake failures since start, for the log. */
  long failures() {
    return handshakeFailures;
  }

  private static String key(Target t) {
    return t.address();
  }
}

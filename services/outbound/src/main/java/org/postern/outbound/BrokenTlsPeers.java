package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Next hops whose TLS handshake failed at an opportunistic level, remembered for a while so that
 * the next deliveries go to them in plaintext at once instead of failing the handshake again
 * (Postfix, Exim and sendmail all ended up doing this). Keyed by address and port: the broken
 * thing is a server, not a name. Used on one event loop only.
 *
 * <p>In a cluster the memory is also kept in a cluster-wide map ({@link #SHARED_MAP}, Hazelcast),
 * each entry expiring with the memory time, so that what one outbound node learns spares the
 * others the same failed handshake. A look-up there waits at most {@link #SHARED_LOOKUP_DEADLINE}:
 * after that, or when the map fails, this node's own memory decides alone.
 */
final class BrokenTlsPeers {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  /** The cluster-wide map: next hop to the end of its memory, in epoch milliseconds. */
  static final String SHARED_MAP = "postern.outbound.broken-tls.v1";

  /** The longest a delivery waits for the cluster's memory before going on with its own. */
  static final Duration SHARED_LOOKUP_DEADLINE = Duration.ofMillis(250);

  /** Where the memory of a broken peer came from. */
  enum Remembered {
    /** Not remembered as broken. */
    NO,
    /** This node saw the handshake fail. */
    HERE,
    /** Another node of the cluster did. */
    CLUSTER
  }

  private final Map<String, Long> until = new HashMap<>();
  private final long memoryNanos;
  private final LongSupplier clock;
  private long handshakeFailures;
  private Vertx vertx;
  private AsyncMap<String, Long> shared;

  BrokenTlsPeers(Duration memory) {
    this(memory, System::nanoTime);
  }

  BrokenTlsPeers(Duration memory, LongSupplier clock) {
    this.memoryNanos = memory.toNanos();
    this.clock = clock;
  }

  /** Shares the memory through {@code map}, a cluster-wide map; standalone nodes never call this. */
  void share(Vertx vertx, AsyncMap<String, Long> map) {
    this.vertx = vertx;
    this.shared = memoryNanos > 0 ? map : null;
  }

  /** Records a failed handshake with {@code target}; returns the failures counted so far. */
  long failed(Target target) {
    handshakeFailures++;
    if (memoryNanos > 0) {
      until.put(key(target), clock.getAsLong() + memoryNanos);
      if (shared != null) {
        long ttl = Duration.ofNanos(memoryNanos).toMillis();
        shared.put(key(target), System.currentTimeMillis() + ttl, ttl).onFailure(e -> LOG.warning(
            "cannot share with the cluster that " + target.relay() + " failed a TLS handshake: " + Replies.reason(e)
                + "; this node remembers it alone"));
      }
    }
    return handshakeFailures;
  }

  /**
   * Whether {@code target} failed a handshake within the memory time, here or, in a cluster, on
   * another node; answers within {@link #SHARED_LOOKUP_DEADLINE} and never fails.
   */
  Future<Remembered> lookup(Target target) {
    if (isBroken(target)) {
      return Future.succeededFuture(Remembered.HERE);
    }
    if (shared == null) {
      return Future.succeededFuture(Remembered.NO);
    }
    Promise<Remembered> answer = Promise.promise();
    long timer = vertx.setTimer(SHARED_LOOKUP_DEADLINE.toMillis(), t -> {
      if (answer.tryComplete(Remembered.NO)) {
        LOG.fine(() -> "the cluster's memory of broken TLS peers did not answer within "
            + SHARED_LOOKUP_DEADLINE.toMillis() + " ms for " + target.relay() + "; going on without it");
      }
    });
    shared.get(key(target)).onComplete(ar -> {
      vertx.cancelTimer(timer);
      // Anything on Hazelcast's network can write this map: accept a time only, and no longer
      // than this node's own memory time.
      Object value = ar.succeeded() ? ar.result() : null;
      long left = value instanceof Long expiry
          ? Math.min(expiry - System.currentTimeMillis(), Duration.ofNanos(memoryNanos).toMillis()) : 0;
      if (left > 0 && answer.tryComplete(Remembered.CLUSTER)) {
        // Remembered here too, for as long as the cluster remembers it.
        until.put(key(target), clock.getAsLong() + Duration.ofMillis(left).toNanos());
      } else {
        answer.tryComplete(Remembered.NO);
      }
    });
    return answer.future();
  }

  /** Whether {@code target} failed a handshake within the memory time, as this node remembers. */
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

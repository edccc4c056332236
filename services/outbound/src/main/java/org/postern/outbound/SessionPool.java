package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Idle SMTP sessions kept for the next message to the same next hop (Postfix's connection cache):
 * after a transaction a session waits here up to outbound.connection_idle_timeout; the next
 * delivery to that address and TLS level takes it, checks it with RSET, and skips the connect,
 * greeting, EHLO and TLS handshake. To a server that offers PIPELINING the RSET goes at the head
 * of the next transaction's group instead of a round trip of its own (KumoMTA does the same);
 * a session that fails it is closed there and the delivery takes the next ({@link StaleSession}). After outbound.connection_reuse_limit transactions a
 * session is closed. Used on one event loop only.
 */
final class SessionPool {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  private final Vertx vertx;
  private final int reuseLimit;
  private final long idleMillis;
  /** Idle sessions by key, oldest first within a key; insertion order across keys for eviction. */
  private final Map<String, ArrayDeque<Idle>> idle = new LinkedHashMap<>();

  private record Idle(OpenSession session, long timer) {}

  SessionPool(Vertx vertx, int reuseLimit, Duration idleTimeout) {
    this.vertx = vertx;
    this.reuseLimit = reuseLimit;
    this.idleMillis = idleTimeout.toMillis();
  }

  /**
   * An idle session to {@code key} that answered RSET with 250, or null when there is none. A
   * session that fails the RSET is closed and the next one tried. With PIPELINING the RSET is left
   * to the transaction ({@link OpenSession#rsetPending}).
   */
  Future<OpenSession> take(String key) {
    ArrayDeque<Idle> q = idle.get(key);
    Idle i = q == null ? null : q.pollLast();
    if (q != null && q.isEmpty()) {
      idle.remove(key);
    }
    if (i == null) {
      return Future.succeededFuture(null);
    }
    vertx.cancelTimer(i.timer());
    OpenSession s = i.session();
    if (!s.conn.usable()) {
      return take(key);
    }
    if (s.capabilities.has("PIPELINING")) {
      s.rsetPending = true;
      return Future.succeededFuture(s);
    }
    return s.conn.command("RSET").transform(ar -> {
      if (ar.succeeded() && ar.result().code() == 250) {
        return Future.succeededFuture(s);
      }
      LOG.fine(() -> "cached session to " + s.target.relay() + " failed RSET; closing it");
      s.conn.quit();
      return take(key);
    });
  }

  /** Keeps {@code s} for the next message if it is healthy and not used up; else ends it. */
  void offer(OpenSession s) {
    if (!s.conn.usable() || s.transactions >= reuseLimit) {
      s.conn.quit();
      return;
    }
    String key = s.poolKey();
    long timer = vertx.setTimer(idleMillis, id -> expire(key, s));
    idle.computeIfAbsent(key, k -> new ArrayDeque<>()).add(new Idle(s, timer));
  }

  /** Closes the longest-idle session, if any, to free its connection slot. */
  boolean evictOne() {
    for (Map.Entry<String, ArrayDeque<Idle>> e : idle.entrySet()) {
      Idle i = e.getValue().poll();
      if (i != null) {
        if (e.getValue().isEmpty()) {
          idle.remove(e.getKey());
        }
        vertx.cancelTimer(i.timer());
        i.session().conn.quit();
        return true;
      }
    }
    return false;
  }

  /** Ends every idle session (at stop). */
  Future<Void> close() {
    List<Future<Void>> quits = new ArrayList<>();
    for (ArrayDeque<Idle> q : idle.values()) {
      for (Idle i : q) {
        vertx.cancelTimer(i.timer());
        quits.add(i.session().conn.quit());
      }
    }
    idle.clear();
    return Future.join(quits).mapEmpty();
  }

  private void expire(String key, OpenSession s) {
    ArrayDeque<Idle> q = idle.get(key);
    if (q != null && q.removeIf(i -> i.session() == s)) {
      if (q.isEmpty()) {
        idle.remove(key);
      }
      s.conn.quit();
    }
  }
}

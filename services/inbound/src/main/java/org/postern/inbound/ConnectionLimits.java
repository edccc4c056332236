package org.postern.inbound;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.postern.config.InboundConfig;

/**
 * Per-listener admission: total sessions, sessions per client address, and new sessions per
 * address per minute (what Postfix's anvil counts). One per listener, shared by the listener's
 * event loops ({@code inbound.event_loops}), hence synchronized: every call is a few map
 * operations, once per connection.
 */
final class ConnectionLimits {

  /** Replaced by a configuration push; read and written under this object's lock only. */
  private InboundConfig config;
  private final Map<String, Integer> perIp = new HashMap<>();
  private final Map<String, long[]> rate = new HashMap<>(); // ip -> {window start ms, count}
  private int total;

  ConnectionLimits(InboundConfig config) {
    this.config = config;
  }

  /**
   * New limits, from the next {@link #admit} on: all three switch together, under the lock, so no
   * admission sees half of them. Sessions over a lowered limit are not closed; they are counted.
   */
  synchronized void limits(InboundConfig newConfig) {
    config = newConfig;
  }

  /**
   * Admits a new session, or says which limit it is over. A client in
   * {@code inbound.client_limit_exceptions} is held to the listener's total only (Postfix exempts
   * {@code $mynetworks} the same way): its sessions are counted, not limited.
   */
  synchronized String admit(String ip, long nowMillis) {
    if (total >= config.maxConnections()) {
      return "too many connections";
    }
    if (config.exemptFromClientLimits(ip)) {
      total++;
      perIp.merge(ip, 1, Integer::sum);
      return null;
    }
    if (perIp.getOrDefault(ip, 0) >= config.maxConnectionsPerIp()) {
      return "too many connections from " + ip;
    }
    if (config.connectionRatePerIp() > 0) {
      long[] w = rate.computeIfAbsent(ip, k -> new long[] {nowMillis, 0});
      if (nowMillis - w[0] >= 60_000) {
        w[0] = nowMillis;
        w[1] = 0;
      }
      if (w[1] >= config.connectionRatePerIp()) {
        return "too many connections per minute from " + ip;
      }
      w[1]++;
    }
    total++;
    perIp.merge(ip, 1, Integer::sum);
    return null;
  }

  synchronized void release(String ip) {
    total--;
    perIp.computeIfPresent(ip, (k, n) -> n == 1 ? null : n - 1);
  }

  /** Postfix's stress mode: past 80% of the session limit, clients get shorter timeouts. */
  synchronized boolean underStress() {
    return total * 5L > config.maxConnections() * 4L;
  }

  synchronized int total() {
    return total;
  }

  /** Forgets rate windows that have ended, so the map does not grow with every address ever seen. */
  synchronized void prune(long nowMillis) {
    for (Iterator<long[]> it = rate.values().iterator(); it.hasNext(); ) {
      if (nowMillis - it.next()[0] >= 60_000) {
        it.remove();
      }
    }
  }
}

package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Duration;
import java.util.Set;

/**
 * Who delivers a message that more than one node holds, decided atomically in a cluster map
 * (Hazelcast's, through Vert.x's {@code SharedData}): a survivor taking over a dead owner's
 * replica, and an owner that comes back with its old spool, both claim before they deliver. The
 * value is {@code "<node id> <member id>"}; a claim whose member is no longer live may be taken by
 * another node (its claimer died too), always by compare-and-set, so two nodes never both win.
 */
final class Claims {

  /** The cluster map's name. */
  static final String MAP = "postern.queue.claims";

  /** The outcome of a claim: ours, or held by {@code holder} (a live node's id). */
  record Outcome(boolean ours, String holder) {}

  private final AsyncMap<String, String> map;
  private final long ttlMillis;

  /**
   * @param ttl how long a claim is remembered: past {@code queue.max_lifetime} the message is gone
   *     from every spool anyway
   */
  Claims(AsyncMap<String, String> map, Duration ttl) {
    this.map = map;
    this.ttlMillis = Math.max(1, ttl.toMillis());
  }

  /** The node id that has claimed {@code queueId}, or null when no node has. */
  Future<String> claimer(String queueId) {
    return map.get(queueId).map(current -> current == null ? null : current.split(" ", 2)[0]);
  }

  /** Claims {@code queueId} for this node (node id, member id), given the members live now. */
  Future<Outcome> claim(String queueId, String node, String member, Set<String> liveMembers) {
    return claim(queueId, node + " " + member, node, liveMembers, 3);
  }

  private Future<Outcome> claim(String queueId, String mine, String node, Set<String> live, int tries) {
    if (tries == 0) {
      return Future.failedFuture("claim of " + queueId + " kept changing under us");
    }
    return map.get(queueId).compose(current -> {
      if (current == null) {
        return map.putIfAbsent(queueId, mine, ttlMillis).compose(prev -> prev == null
            ? Future.succeededFuture(new Outcome(true, node)) : claim(queueId, mine, node, live, tries - 1));
      }
      if (current.equals(mine)) {
        return Future.succeededFuture(new Outcome(true, node));
      }
      String[] holder = current.split(" ", 2);
      boolean holderLive = holder.length == 2 && live.contains(holder[1]);
      if (holder[0].equals(node) || !holderLive) {
        // Our own claim from before a restart, or a claimer that died: take it over by compare-and-set.
        return map.replaceIfPresent(queueId, current, mine, ttlMillis).compose(done -> done
            ? Future.succeededFuture(new Outcome(true, node)) : claim(queueId, mine, node, live, tries - 1));
      }
      return Future.succeededFuture(new Outcome(false, holder[0]));
    });
  }
}

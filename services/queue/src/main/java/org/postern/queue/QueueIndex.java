package org.postern.queue;

import io.vertx.core.Future;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The queue's index in memory: every message this node owns, by queue id, with its schedule, and
 * the writes still under way, so that a retried request joins the first write instead of racing
 * it. Rebuilt from the spool at start; what the spool says is the truth after a crash.
 *
 * <p>Threading: the queue verticle's event loop only (every class that shares it runs there).
 */
final class QueueIndex {

  private final Map<String, Scheduled> messages = new HashMap<>();
  private final Map<String, Future<Void>> storing = new HashMap<>();

  Scheduled get(String queueId) {
    return messages.get(queueId);
  }

  /** Whether the message is queued here (stored and not finished). */
  boolean contains(String queueId) {
    return messages.containsKey(queueId);
  }

  /** Queued here, or being stored: what replication must not take over nor discard. */
  boolean holds(String queueId) {
    return messages.containsKey(queueId) || storing.containsKey(queueId);
  }

  void put(Scheduled s) {
    messages.put(s.message.queueId(), s);
  }

  Scheduled putIfAbsent(String queueId, Function<String, Scheduled> create) {
    return messages.computeIfAbsent(queueId, create);
  }

  void remove(String queueId) {
    messages.remove(queueId);
  }

  /** The live view: callers on the event loop iterate it without copying. */
  Collection<Scheduled> all() {
    return messages.values();
  }

  /** The write under way for {@code queueId}, or null. */
  Future<Void> storing(String queueId) {
    return storing.get(queueId);
  }

  void storing(String queueId, Future<Void> write) {
    storing.put(queueId, write);
  }

  void stored(String queueId) {
    storing.remove(queueId);
  }

  /** The writes under way now, for a drain to wait on. */
  List<Future<Void>> writesUnderWay() {
    return List.copyOf(storing.values());
  }
}

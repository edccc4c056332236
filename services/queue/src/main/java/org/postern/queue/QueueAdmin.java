package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;
import org.postern.bus.QueueAdminReply;
import org.postern.bus.QueueAdminRequest;
import org.postern.config.QueueConfig;

/**
 * The operator's commands on this node's queue, as Postfix's {@code postqueue}/{@code postsuper}
 * offer them: list, show, hold, release, delete, requeue and flush, by queue id or for every
 * message (optionally those with a recipient pending in one domain). The views' JSON is
 * {@link AdminViews}'; a change is durable in the spool before the answer goes back.
 *
 * <p>Trust: {@link QueueAdminRequest} is consumed locally (a node's admin API administers that
 * node's spool only); its type is checked, and a queue id names a message only through the index,
 * never a file directly.
 *
 * <p>Threading: the queue verticle's event loop; spool changes run on a worker.
 */
final class QueueAdmin {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  /** Largest header section {@code show} returns; the rest is cut and flagged. */
  static final int SHOW_HEADER_LIMIT = 64 * 1024;

  private final Vertx vertx;
  private final QueueConfig config;
  private final Spool spool;
  private final QueueIndex index;
  private final Scheduler scheduler;
  private final ReplicaUpkeep replicas;

  QueueAdmin(Vertx vertx, QueueConfig config, Spool spool, QueueIndex index, Scheduler scheduler,
      ReplicaUpkeep replicas) {
    this.vertx = vertx;
    this.config = config;
    this.spool = spool;
    this.index = index;
    this.scheduler = scheduler;
    this.replicas = replicas;
  }

  /** Consumes {@link QueueAdminRequest#ADDRESS}, locally. */
  Future<Void> listen() {
    return vertx.eventBus().<QueueAdminRequest>localConsumer(QueueAdminRequest.ADDRESS, this::admin).completion();
  }

  private void admin(Message<QueueAdminRequest> m) {
    Object body = m.body();
    if (!(body instanceof QueueAdminRequest)) {
      m.fail(400, "expected QueueAdminRequest");
      return;
    }
    QueueAdminRequest req = (QueueAdminRequest) body;
    List<Scheduled> targets;
    if (req.isQueueId()) {
      Scheduled s = index.get(req.target());
      if (s == null || s.deleted) {
        m.fail(404, "no message with queue id " + req.target() + " in the queue");
        return;
      }
      targets = List.of(s);
    } else {
      String domain = req.domain();
      targets = AdminViews.sorted(index.all().stream()
          .filter(s -> !s.deleted && (domain == null || s.pendingIn(domain))).toList());
    }
    Future<JsonObject> result = switch (req.action()) {
      case LIST -> Future.succeededFuture(AdminViews.list(targets));
      case SHOW -> show(targets.get(0));
      case HOLD -> hold(targets);
      case RELEASE -> release(targets);
      case DELETE -> delete(targets);
      case FLUSH, REQUEUE -> requeue(targets);
    };
    String what = req.action().name().toLowerCase(Locale.ROOT) + " " + req.target();
    result.onSuccess(r -> {
      if (req.action() == QueueAdminRequest.Action.LIST || req.action() == QueueAdminRequest.Action.SHOW) {
        LOG.fine(() -> "operator: " + what);
      } else {
        LOG.info(() -> "operator: " + what + ": " + r.getJsonArray("changed").size() + " message(s) changed, "
            + r.getJsonArray("skipped").size() + " skipped");
      }
      m.reply(new QueueAdminReply(r.put("action", req.action().name().toLowerCase(Locale.ROOT))
          .put("target", req.target())));
    }).onFailure(e -> {
      LOG.severe(() -> "operator: " + what + ": failed: " + e.getMessage());
      m.fail(500, what + " failed: " + e.getMessage());
    });
  }

  private Future<JsonObject> show(Scheduled s) {
    String id = s.message.queueId();
    return vertx.executeBlocking(() -> spool.headerSection(id, SHOW_HEADER_LIMIT), false).map(h -> {
      JsonObject envelope = s.message.toJson();
      return new JsonObject().put("message", AdminViews.entry(s, true)
          .put("envelope", envelope)
          .put("headers", h.text())
          .put("headersTruncated", h.truncated()));
    });
  }

  /** {@code {"changed": [ids], "skipped": [{"queueId", "reason"}]}}. */
  private static JsonObject outcome(List<Scheduled> changed, Map<String, String> skipped) {
    JsonArray c = new JsonArray();
    changed.forEach(s -> c.add(s.message.queueId()));
    JsonArray k = new JsonArray();
    skipped.forEach((id, why) -> k.add(new JsonObject().put("queueId", id).put("reason", why)));
    return new JsonObject().put("changed", c).put("skipped", k);
  }

  /**
   * Postfix's {@code postsuper -h}: no attempt starts until released. The hold takes effect at
   * once in memory (an attempt already under way finishes) and is durable before the answer.
   */
  private Future<JsonObject> hold(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (Scheduled s : targets) {
      if (s.held) {
        skipped.put(s.message.queueId(), "already on hold");
        continue;
      }
      s.held = true;
      scheduler.cancel(s);
      changed.add(s);
    }
    List<String> ids = changed.stream().map(s -> s.message.queueId()).toList();
    return blocking(ids, () -> spool.setHeld(ids, true)).map(v -> {
      changed.forEach(s -> LOG.info(() -> s.message.queueId() + ": placed on hold by operator"
          + (s.inFlight ? " (the delivery attempt under way goes on)" : "")));
      return outcome(changed, skipped);
    });
  }

  /** Postfix's {@code postsuper -H}: the hold record is ended, then an attempt is scheduled now. */
  private Future<JsonObject> release(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (Scheduled s : targets) {
      if (s.held) {
        changed.add(s);
      } else {
        skipped.put(s.message.queueId(), "not on hold");
      }
    }
    List<String> ids = changed.stream().map(s -> s.message.queueId()).toList();
    return blocking(ids, () -> spool.setHeld(ids, false)).map(v -> {
      for (Scheduled s : changed) {
        s.held = false;
        s.backoffBase = s.attempts;
        if (!s.deleted && index.contains(s.message.queueId())) {
          scheduler.schedule(s, Duration.ZERO);
        }
        LOG.info(() -> s.message.queueId() + ": released from hold by operator");
      }
      return outcome(changed, skipped);
    });
  }

  /**
   * Postfix's {@code postsuper -d}: the message goes without a bounce. An attempt already under
   * way ends without effect (its next hop may still have taken the mail).
   */
  private Future<JsonObject> delete(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>(targets);
    for (Scheduled s : changed) {
      s.deleted = true;
      scheduler.cancel(s);
    }
    List<String> ids = changed.stream().map(s -> s.message.queueId()).toList();
    return blocking(ids, () -> spool.deleteAll(ids)).map(v -> {
      for (Scheduled s : changed) {
        index.remove(s.message.queueId());
        replicas.drop(s);
        LOG.info(() -> s.message.queueId() + ": removed by operator"
            + (s.inFlight ? " (a delivery attempt was under way)" : ""));
      }
      return outcome(changed, Map.of());
    }).onFailure(e -> {
      // Still on disk, so still queued: back to the schedule.
      for (Scheduled s : changed) {
        s.deleted = false;
        scheduler.schedule(s, config.minBackoff());
      }
    });
  }

  /**
   * Postfix's {@code postqueue -f} and {@code postsuper -r}: an attempt now, with the back-off
   * starting again from {@code queue.min_backoff}. Held messages stay held (release them), and a
   * message being delivered is left to its attempt.
   */
  private Future<JsonObject> requeue(List<Scheduled> targets) {
    List<Scheduled> changed = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (Scheduled s : targets) {
      if (s.held) {
        skipped.put(s.message.queueId(), "on hold (release it instead)");
      } else if (s.inFlight) {
        skipped.put(s.message.queueId(), "a delivery attempt is under way");
      } else {
        s.backoffBase = s.attempts;
        s.flushed = true;
        scheduler.schedule(s, Duration.ZERO);
        changed.add(s);
        LOG.info(() -> s.message.queueId() + ": requeued by operator");
      }
    }
    return Future.succeededFuture(outcome(changed, skipped));
  }

  /** Runs spool I/O for {@code ids} on a worker; nothing to do for none. */
  private Future<Void> blocking(List<String> ids, SpoolTask task) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      task.run();
      return null;
    }, false);
  }

  @FunctionalInterface
  private interface SpoolTask {
    void run() throws IOException;
  }
}

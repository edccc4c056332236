package org.postern.node.cluster;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.postern.bus.QueueAdminRequest;
import org.postern.bus.QueueAdminRequest.Action;

/**
 * Merges the queue nodes' answers into one, as if the cluster had one queue: the listing with
 * every node's messages and the counts summed, {@code show} from the node that holds the message,
 * the changes of every node. Every member appears in {@code "nodes"} with what it answered, so a
 * node that did not answer is reported, never silently left out; {@code "complete"} is false then.
 * The shape is described in {@code deploy/README.md} ("Cluster-wide queue views").
 */
final class QueueAnswers {

  private QueueAnswers() {}

  /**
   * The merged answer.
   *
   * @throws ReplyException (a recipient failure with an HTTP-like code) when there is nothing to
   *     answer: no queue node answered (504), none runs a queue (503), or no node holds the message
   *     asked for (404, or 504 when a node that may hold it did not answer)
   */
  static JsonObject merge(QueueAdminRequest request, List<NodeAnswer> answers) {
    List<NodeAnswer> ok = answers.stream().filter(a -> a.outcome() == NodeAnswer.Outcome.OK).toList();
    List<NodeAnswer> missing = answers.stream().filter(NodeAnswer::missing).toList();
    if (ok.isEmpty()) {
      throw nothingToAnswer(request, answers, missing);
    }
    JsonObject merged = switch (request.action()) {
      case LIST -> list(ok);
      case SHOW -> ok.get(0).result().copy();
      default -> changes(ok);
    };
    return merged.put("action", ok.get(0).result().getString("action")).put("target", request.target())
        .put("nodes", nodes(request.action(), answers)).put("complete", missing.isEmpty());
  }

  private static ReplyException nothingToAnswer(QueueAdminRequest request, List<NodeAnswer> answers,
      List<NodeAnswer> missing) {
    boolean anyQueue = answers.stream().anyMatch(a -> a.outcome() != NodeAnswer.Outcome.NO_QUEUE);
    if (!anyQueue) {
      return fail(503, "no member of the cluster runs the queue (" + answers.size() + " asked)");
    }
    String unanswered = missing.stream().map(a -> a.name() + ": " + a.error()).collect(Collectors.joining("; "));
    if (request.isQueueId()) {
      long asked = answers.stream().filter(a -> a.outcome() != NodeAnswer.Outcome.NO_QUEUE).count();
      return missing.isEmpty()
          ? fail(404, "no message with queue id " + request.target() + " in the queue of any node (" + asked
              + " queue node" + (asked == 1 ? "" : "s") + " asked)")
          : fail(504, "no node that answered holds queue id " + request.target() + "; no answer from " + unanswered);
    }
    return fail(504, "no queue node answered: " + unanswered);
  }

  private static ReplyException fail(int code, String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, message);
  }

  /** Every node's messages, tagged with the node, in order of arrival; counts and destinations summed. */
  private static JsonObject list(List<NodeAnswer> ok) {
    List<JsonObject> messages = new ArrayList<>();
    JsonObject counts = new JsonObject();
    Map<String, int[]> destinations = new TreeMap<>();
    for (NodeAnswer a : ok) {
      String node = a.result().getString("node");
      for (Object o : a.result().getJsonArray("messages", new JsonArray())) {
        if (o instanceof JsonObject m) {
          messages.add(m.copy().put("node", node));
        }
      }
      sum(counts, a.result().getJsonObject("counts", new JsonObject()));
      for (Map.Entry<String, Object> d : a.result().getJsonObject("destinations", new JsonObject())) {
        if (d.getValue() instanceof JsonObject c) {
          int[] sum = destinations.computeIfAbsent(d.getKey(), k -> new int[2]);
          sum[0] += c.getInteger("messages", 0);
          sum[1] += c.getInteger("recipients", 0);
        }
      }
    }
    messages.sort(Comparator.comparing((JsonObject m) -> Instant.parse(m.getString("arrival")))
        .thenComparing(m -> m.getString("queueId")));
    JsonObject dest = new JsonObject();
    destinations.forEach((d, c) -> dest.put(d, new JsonObject().put("messages", c[0]).put("recipients", c[1])));
    return new JsonObject().put("messages", new JsonArray(new ArrayList<>(messages))).put("counts", counts)
        .put("destinations", dest);
  }

  private static void sum(JsonObject into, JsonObject counts) {
    for (Map.Entry<String, Object> e : counts) {
      if (e.getValue() instanceof Number n) {
        into.put(e.getKey(), into.getLong(e.getKey(), 0L) + n.longValue());
      }
    }
  }

  /** Every node's changed and skipped messages; a skipped one names its node. */
  private static JsonObject changes(List<NodeAnswer> ok) {
    JsonArray changed = new JsonArray();
    JsonObject changedOn = new JsonObject();
    JsonArray skipped = new JsonArray();
    for (NodeAnswer a : ok) {
      for (Object id : a.result().getJsonArray("changed", new JsonArray())) {
        changed.add(id);
        changedOn.put(String.valueOf(id), a.result().getString("node"));
      }
      for (Object o : a.result().getJsonArray("skipped", new JsonArray())) {
        if (o instanceof JsonObject s) {
          skipped.add(s.copy().put("node", a.result().getString("node")));
        }
      }
    }
    return new JsonObject().put("changed", changed).put("changedOn", changedOn).put("skipped", skipped);
  }

  /** One entry per member: its name, what it answered, and its own figures. */
  private static JsonArray nodes(Action action, List<NodeAnswer> answers) {
    JsonArray out = new JsonArray();
    answers.stream().sorted(Comparator.comparing((NodeAnswer a) -> a.outcome() != NodeAnswer.Outcome.OK)
            .thenComparing(NodeAnswer::name))
        .forEach(a -> {
          JsonObject n = new JsonObject().put("id", a.id())
              .put("node", a.result() == null ? null : a.result().getString("node"))
              .put("member", a.member()).put("status", a.outcome().json());
          if (a.error() != null) {
            n.put("error", a.error());
          }
          if (a.outcome() == NodeAnswer.Outcome.OK) {
            if (action == Action.LIST) {
              n.put("counts", a.result().getJsonObject("counts"));
            } else if (action != Action.SHOW) {
              n.put("changed", a.result().getJsonArray("changed", new JsonArray()).size())
                  .put("skipped", a.result().getJsonArray("skipped", new JsonArray()).size());
            }
          }
          out.add(n);
        });
    return out;
  }
}

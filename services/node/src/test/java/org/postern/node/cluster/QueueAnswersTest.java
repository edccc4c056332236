package org.postern.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postern.bus.QueueAdminRequest;
import org.postern.bus.QueueAdminRequest.Action;

/** Merging the queue nodes' answers: sums, tags, and members that are missing from the answer. */
class QueueAnswersTest {

  private static final String ID_B = "00000000000000B1";
  private static final String ID_C = "00000000000000C1";

  private static JsonObject message(String id, String arrival, String state, String domain) {
    return new JsonObject().put("queueId", id).put("arrival", arrival).put("size", 1000).put("sender", "s@example.org")
        .put("state", state).put("attempts", 1).put("nextAttempt", null)
        .put("recipients", new JsonArray().add(new JsonObject().put("address", "r@" + domain).put("domain", domain)));
  }

  private static JsonObject listed(String node, JsonObject... messages) {
    JsonObject counts = new JsonObject().put("total", messages.length).put("active", 0).put("deferred", 0).put("held", 0)
        .put("octets", 1000L * messages.length);
    JsonObject dest = new JsonObject();
    for (JsonObject m : messages) {
      counts.put(m.getString("state"), counts.getInteger(m.getString("state")) + 1);
      String d = m.getJsonArray("recipients").getJsonObject(0).getString("domain");
      JsonObject c = dest.getJsonObject(d, new JsonObject().put("messages", 0).put("recipients", 0));
      dest.put(d, c.put("messages", c.getInteger("messages") + 1).put("recipients", c.getInteger("recipients") + 1));
    }
    return new JsonObject().put("messages", new JsonArray(List.of((Object[]) messages))).put("counts", counts)
        .put("destinations", dest).put("action", "list").put("target", "ALL").put("node", node);
  }

  private static NodeAnswer missing(String id, NodeAnswer.Outcome outcome, String error) {
    return new NodeAnswer(id, "127.0.0.1:7001", outcome, null, error);
  }

  @Test
  void aListingHasEveryNodesMessagesInArrivalOrderWithSummedCountsAndEveryMember() {
    JsonObject b = listed("node-b", message(ID_B, "2025-01-01T10:00:02Z", "deferred", "example.net"));
    JsonObject c = listed("node-c", message(ID_C, "2025-01-01T10:00:01.5Z", "held", "example.net"),
        message("00000000000000C2", "2025-01-01T10:00:03Z", "deferred", "example.com"));
    JsonObject merged = QueueAnswers.merge(new QueueAdminRequest(Action.LIST, "ALL"), List.of(
        NodeAnswer.ok("id-b", b), NodeAnswer.ok("id-c", c),
        missing("id-a", NodeAnswer.Outcome.NO_QUEUE, "runs no queue")));

    JsonArray messages = merged.getJsonArray("messages");
    assertEquals(List.of(ID_C, ID_B, "00000000000000C2"),
        messages.stream().map(m -> ((JsonObject) m).getString("queueId")).toList());
    assertEquals("node-c", messages.getJsonObject(0).getString("node"));
    assertEquals("node-b", messages.getJsonObject(1).getString("node"));
    JsonObject counts = merged.getJsonObject("counts");
    assertEquals(3L, counts.getLong("total"));
    assertEquals(2L, counts.getLong("deferred"));
    assertEquals(1L, counts.getLong("held"));
    assertEquals(3000L, counts.getLong("octets"));
    assertEquals(2, merged.getJsonObject("destinations").getJsonObject("example.net").getInteger("messages"));
    assertEquals(1, merged.getJsonObject("destinations").getJsonObject("example.com").getInteger("messages"));
    JsonArray nodes = merged.getJsonArray("nodes");
    assertEquals(3, nodes.size());
    assertEquals("node-b", nodes.getJsonObject(0).getString("node"));
    assertEquals(1L, nodes.getJsonObject(0).getJsonObject("counts").getLong("total"));
    assertEquals(2L, nodes.getJsonObject(1).getJsonObject("counts").getLong("total"));
    assertEquals("no_queue", nodes.getJsonObject(2).getString("status"));
    assertTrue(merged.getBoolean("complete"), "a member without a queue misses nothing");
  }

  @Test
  void aMemberThatDidNotAnswerIsListedAndMakesTheAnswerIncomplete() {
    JsonObject b = listed("node-b", message(ID_B, "2025-01-01T10:00:02Z", "deferred", "example.net"));
    JsonObject merged = QueueAnswers.merge(new QueueAdminRequest(Action.LIST, "ALL"), List.of(
        NodeAnswer.ok("id-b", b), missing("id-c", NodeAnswer.Outcome.NO_ANSWER, "no answer within 10s")));

    assertFalse(merged.getBoolean("complete"));
    assertEquals(1L, merged.getJsonObject("counts").getLong("total"));
    JsonObject c = merged.getJsonArray("nodes").getJsonObject(1);
    assertEquals("no_answer", c.getString("status"));
    assertEquals("127.0.0.1:7001", c.getString("member"));
    assertEquals("no answer within 10s", c.getString("error"));
  }

  @Test
  void showComesFromTheNodeThatHoldsTheMessage() {
    JsonObject shown = new JsonObject().put("message", message(ID_C, "2025-01-01T10:00:01Z", "held", "example.net"))
        .put("action", "show").put("target", ID_C).put("node", "node-c");
    QueueAdminRequest show = new QueueAdminRequest(Action.SHOW, ID_C);
    JsonObject merged = QueueAnswers.merge(show, List.of(
        missing("id-b", NodeAnswer.Outcome.NOT_HERE, "no message"), NodeAnswer.ok("id-c", shown)));
    assertEquals("node-c", merged.getString("node"));
    assertEquals(ID_C, merged.getJsonObject("message").getString("queueId"));
    assertTrue(merged.getBoolean("complete"));
  }

  @Test
  void aMessageNoNodeHoldsIs404UnlessANodeThatMightHoldItDidNotAnswer() {
    QueueAdminRequest hold = new QueueAdminRequest(Action.HOLD, ID_C);
    ReplyException none = assertThrows(ReplyException.class, () -> QueueAnswers.merge(hold, List.of(
        missing("id-b", NodeAnswer.Outcome.NOT_HERE, "no message"), missing("id-c", NodeAnswer.Outcome.NOT_HERE, "no"),
        missing("id-a", NodeAnswer.Outcome.NO_QUEUE, "runs no queue"))));
    assertEquals(404, none.failureCode());
    assertTrue(none.getMessage().contains("2 queue nodes asked"), none.getMessage());

    ReplyException unsure = assertThrows(ReplyException.class, () -> QueueAnswers.merge(hold, List.of(
        missing("id-b", NodeAnswer.Outcome.NOT_HERE, "no message"),
        missing("id-c", NodeAnswer.Outcome.NO_ANSWER, "no answer within 60s"))));
    assertEquals(504, unsure.failureCode());
    assertTrue(unsure.getMessage().contains("127.0.0.1:7001 (node id id-c): no answer within 60s"), unsure.getMessage());

    ReplyException noQueue = assertThrows(ReplyException.class, () -> QueueAnswers.merge(
        new QueueAdminRequest(Action.LIST, "ALL"), List.of(missing("id-a", NodeAnswer.Outcome.NO_QUEUE, "runs no queue"))));
    assertEquals(503, noQueue.failureCode());
  }

  @Test
  void changesOfEveryNodeAreJoinedAndSayWhereTheyHappened() {
    JsonObject b = new JsonObject().put("changed", new JsonArray().add(ID_B)).put("skipped", new JsonArray())
        .put("action", "hold").put("target", "ALL").put("node", "node-b");
    JsonObject c = new JsonObject().put("changed", new JsonArray())
        .put("skipped", new JsonArray().add(new JsonObject().put("queueId", ID_C).put("reason", "already on hold")))
        .put("action", "hold").put("target", "ALL").put("node", "node-c");
    JsonObject merged = QueueAnswers.merge(new QueueAdminRequest(Action.HOLD, "ALL"),
        List.of(NodeAnswer.ok("id-b", b), NodeAnswer.ok("id-c", c)));
    assertEquals(new JsonArray().add(ID_B), merged.getJsonArray("changed"));
    assertEquals("node-b", merged.getJsonObject("changedOn").getString(ID_B));
    assertEquals("node-c", merged.getJsonArray("skipped").getJsonObject(0).getString("node"));
    assertEquals("hold", merged.getString("action"));
  }
}

package org.postern.node.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.postern.bus.Contracts;
import org.postern.bus.QueueAdminReply;
import org.postern.bus.QueueAdminRequest;
import org.postern.bus.QueueAdminRequest.Action;

/**
 * The admin API's queue in a cluster: sends each request to every member's queue address
 * ({@link QueueAdminRequest#nodeAddress}) at once, each with its deadline, and merges the answers
 * ({@link QueueAnswers}). Members come from the cluster manager at each request; a member nothing
 * consumes the address of (Vert.x answers NO_HANDLERS) runs no queue.
 */
public final class ClusterQueueAdmin {

  /** How long {@code list} and {@code show} wait for each node: they only read memory. */
  public static final Duration VIEW_DEADLINE = Duration.ofSeconds(10);

  /** How long to look up the address of a member that did not answer. */
  private static final Duration DESCRIBE_DEADLINE = Duration.ofSeconds(2);

  private final Vertx vertx;
  private final ClusterMembers view;
  private final Duration changeDeadline;

  /** @param changeDeadline how long a change (hold, delete of many messages) may take on each node */
  public ClusterQueueAdmin(Vertx vertx, ClusterMembers view, Duration changeDeadline) {
    this.vertx = vertx;
    this.view = view;
    this.changeDeadline = changeDeadline;
  }

  /** The cluster's answer, or a failure as {@link QueueAnswers#merge} describes. */
  public Future<JsonObject> call(QueueAdminRequest request) {
    Duration deadline = request.action() == Action.LIST || request.action() == Action.SHOW
        ? VIEW_DEADLINE : changeDeadline;
    List<Future<NodeAnswer>> asks = view.nodes().stream().map(id -> ask(id, request, deadline)).toList();
    return Future.join(asks).transform(ignored -> {
      List<NodeAnswer> answers = asks.stream().map(Future::result).toList();
      try {
        return Future.succeededFuture(QueueAnswers.merge(request, answers));
      } catch (ReplyException e) {
        return Future.failedFuture(e);
      }
    });
  }

  /** One member's answer; never fails. */
  private Future<NodeAnswer> ask(String id, QueueAdminRequest request, Duration deadline) {
    return Contracts.request(vertx, QueueAdminRequest.nodeAddress(id), request, deadline, QueueAdminReply.class)
        .map(reply -> NodeAnswer.ok(id, reply.result()))
        .recover(e -> {
          NodeAnswer answer = classify(id, e, deadline);
          // The member's address tells the operator which one is meant; a member that left has none.
          return view.describeWithin(vertx, id, DESCRIBE_DEADLINE)
              .map(member -> member != null ? answer.withMember(member) : answer);
        });
  }

  private static NodeAnswer classify(String id, Throwable e, Duration deadline) {
    if (e instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new NodeAnswer(id, null, NodeAnswer.Outcome.NO_QUEUE, null, "runs no queue");
      }
      if (re.failureType() == ReplyFailure.TIMEOUT || re.failureCode() == 504) {
        return new NodeAnswer(id, null, NodeAnswer.Outcome.NO_ANSWER, null,
            "no answer within " + deadline.toSeconds() + "s");
      }
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() == 404) {
        return new NodeAnswer(id, null, NodeAnswer.Outcome.NOT_HERE, null, re.getMessage());
      }
    }
    return new NodeAnswer(id, null, NodeAnswer.Outcome.FAILED, null, e.getMessage() == null ? e.toString() : e.getMessage());
  }
}

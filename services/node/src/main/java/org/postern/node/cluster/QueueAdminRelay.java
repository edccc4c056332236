package org.postern.node.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import org.postern.bus.Contracts;
import org.postern.bus.QueueAdminReply;
import org.postern.bus.QueueAdminRequest;

/**
 * On a queue node of a cluster: takes {@link QueueAdminRequest}s from other nodes' admin APIs on
 * this node's own address ({@link QueueAdminRequest#nodeAddress}) and hands them to the local
 * queue, which consumes admin requests locally only. The answer carries this node's name.
 *
 * <p>SECURITY. Only cluster members reach this address (the event bus demands a node certificate);
 * the request is still checked by its record, and the queue checks it again.
 */
public final class QueueAdminRelay extends VerticleBase {

  private final String address;
  private final String nodeName;
  private final Duration deadline;

  /**
   * @param nodeId this node's Vert.x node id
   * @param nodeName this node's {@code node.hostname}, added to every answer as {@code "node"}
   * @param deadline how long the local queue may take
   */
  public QueueAdminRelay(String nodeId, String nodeName, Duration deadline) {
    this.address = QueueAdminRequest.nodeAddress(nodeId);
    this.nodeName = nodeName;
    this.deadline = deadline;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Object>consumer(address, this::relay).completion();
  }

  private void relay(Message<Object> m) {
    if (!(m.body() instanceof QueueAdminRequest request)) {
      m.fail(400, "expected QueueAdminRequest");
      return;
    }
    Contracts.request(vertx, QueueAdminRequest.ADDRESS, request, deadline, QueueAdminReply.class)
        .onSuccess(reply -> m.reply(new QueueAdminReply(reply.result().put("node", nodeName))))
        .onFailure(e -> {
          if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
            m.fail(re.failureCode(), re.getMessage());
          } else if (e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
            m.fail(503, "the queue of " + nodeName + " is not running");
          } else {
            m.fail(504, "the queue of " + nodeName + " did not answer within " + deadline.toSeconds() + "s");
          }
        });
  }
}

package org.postern.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * How inbound hands a message to the queue, by where the queue runs.
 *
 * <ul>
 *   <li>{@link #local}: this node runs the queue; the {@link EnqueueRequest} goes to this node's
 *       queue only, and the body is passed by reference (no copy, no encoding).
 *   <li>{@link #remote}: this node has no queue. A body of at most {@link EnqueueInline#MAX_BODY}
 *       octets goes with its envelope in one request to any queue node ({@link EnqueueInline}).
 *       A larger one: an {@link EnqueueOffer} to the queue nodes picks one, the body goes to that
 *       node in chunks ({@link BodyTransfer}: bounded event-bus messages with back-pressure, never
 *       the whole body in one), and the {@link EnqueueCommit} follows to the same node, which
 *       answers once the message is durable.
 * </ul>
 *
 * Either way the future succeeds only with the queue's {@link EnqueueReceipt}; any failure (no
 * queue, a refused or broken transfer, a timeout) fails it, and inbound answers 4xx.
 *
 * <p>Room in the spool is reserved the same way at MAIL ({@link SpaceReservation}): from this
 * node's queue, or from some queue node, which in a cluster of several is not always the one that
 * stores the message (the reservations then spread over the queue nodes as the messages do).
 */
public interface QueueHandoff {

  /** Longest wait for a reservation: the queue answers from memory. */
  Duration RESERVE_TIMEOUT = Duration.ofSeconds(5);

  /** Hands {@code request} to a queue; completes with its receipt once the message is durable. */
  Future<EnqueueReceipt> enqueue(EnqueueRequest request);

  /**
   * Reserves {@code octets} in the spool for the transaction that starts; completes with the
   * reservation to {@link #release}, or with null when no queue answered (an older queue, or none
   * within {@link #RESERVE_TIMEOUT}: the queue still checks its free space when it stores). Fails
   * with the queue's {@code 452 4.3.1} when there is no room.
   */
  default Future<SpaceReservation> reserve(long octets) {
    return Future.succeededFuture(null);
  }

  /** Gives a reservation back (the transaction ended); null is nothing to give back. */
  default void release(SpaceReservation reservation) {}

  /** To this node's queue, by reference; {@code deadline} bounds the wait for the receipt. */
  static QueueHandoff local(Vertx vertx, Duration deadline) {
    return new Spaced(vertx, true) {
      @Override
      public Future<EnqueueReceipt> enqueue(EnqueueRequest request) {
        return Contracts.requestLocal(vertx, EnqueueRequest.ADDRESS, request, deadline, EnqueueReceipt.class);
      }
    };
  }

  /** Reservations from this node's queue ({@code local}) or from any queue node. */
  abstract class Spaced implements QueueHandoff {
    private static final Logger LOG = Logger.getLogger("postern.bus");
    private final Vertx vertx;
    private final boolean local;

    Spaced(Vertx vertx, boolean local) {
      this.vertx = vertx;
      this.local = local;
    }

    @Override
    public Future<SpaceReservation> reserve(long octets) {
      SpaceReservation ask = new SpaceReservation(SpaceReservation.Kind.RESERVE, ReservationIds.next(), octets);
      Future<SpaceReservation> answer = local
          ? Contracts.requestLocal(vertx, SpaceReservation.ADDRESS, ask, RESERVE_TIMEOUT, SpaceReservation.class)
          : Contracts.request(vertx, SpaceReservation.ADDRESS, ask, RESERVE_TIMEOUT, SpaceReservation.class);
      return answer.recover(e -> {
        if (e instanceof io.vertx.core.eventbus.ReplyException r
            && r.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE) {
          return Future.failedFuture(e); // the queue's own refusal
        }
        LOG.fine(() -> "no queue answered a space reservation (" + e.getMessage() + "); going on without one");
        return Future.succeededFuture(null);
      });
    }

    @Override
    public void release(SpaceReservation reservation) {
      if (reservation != null) {
        vertx.eventBus().publish(SpaceReservation.RELEASE_ADDRESS,
            new SpaceReservation(SpaceReservation.Kind.RELEASE, reservation.id(), 0),
            new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(local));
      }
    }
  }

  /**
   * To a queue node of the cluster, a small body inline and a larger one in chunks; {@code deadline} bounds the offer and the
   * wait for the receipt, and each chunk waits at most {@code transfer}'s acknowledgement timeout.
   */
  static QueueHandoff remote(Vertx vertx, Duration deadline, BodyTransfer.Options transfer) {
    Logger log = Logger.getLogger("postern.bus");
    return new Spaced(vertx, false) {
      @Override
      public Future<EnqueueReceipt> enqueue(EnqueueRequest request) {
        String id = request.queueId();
        long length = request.body().length();
        if (length <= EnqueueInline.MAX_BODY) {
          return Contracts.request(vertx, EnqueueInline.ADDRESS, new EnqueueInline(request), deadline,
              EnqueueReceipt.class);
        }
        return Contracts.request(vertx, EnqueueOffer.ADDRESS, new EnqueueOffer(id, length), deadline,
            EnqueueTarget.class).compose(target -> {
              if (!target.queueId().equals(id)) {
                return Future.failedFuture(new IllegalStateException("queue node " + target.node()
                    + " answered an offer for " + id + " with " + target.queueId()));
              }
              return BodyTransfer.send(vertx, target.bodyAddress(), id, request.body(), transfer)
                  .onSuccess(v -> log.fine(() -> id + ": body of " + length + " octets sent to queue node "
                      + target.node() + " in " + chunks(length, transfer.chunkSize()) + " chunk(s)"))
                  .compose(v -> Contracts.request(vertx, target.commitAddress(),
                      new EnqueueCommit(id, request.envelope(), request.client(), length), deadline,
                      EnqueueReceipt.class));
            });
      }
    };
  }

  /** How many chunks a body of {@code length} octets crosses in (an empty body still takes one). */
  static long chunks(long length, int chunkSize) {
    return Math.max(1, (length + chunkSize - 1) / chunkSize);
  }
}

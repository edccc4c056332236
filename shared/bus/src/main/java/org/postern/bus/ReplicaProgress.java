package org.postern.bus;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.postern.smtp.Path;

/**
 * The owner of a message tells the node holding its replica which recipients are finished
 * (delivered or bounced), after each delivery attempt that finished some but not all of them, and
 * when it makes a new replica of a message partly delivered. The holder keeps the list beside the
 * replica, durably, and answers {@link ReplicaIds} {@code HELD} with the queue id (or with none
 * when it holds no such replica). If the owner dies, the node that takes the message over
 * delivers it to the other recipients only, instead of to every recipient again.
 *
 * <p>Best effort: a progress report that is lost leaves the holder with an older list, and the
 * recipients finished since then are possible duplicates after a takeover, as they were before.
 *
 * @param owner the stable node id of the owner (see {@link ReplicaIds#checkNode})
 * @param done every recipient finished so far (not only the latest)
 */
public record ReplicaProgress(String owner, String queueId, List<Path> done) {

  public ReplicaProgress {
    ReplicaIds.checkNode(owner);
    QueueIds.check(queueId);
    if (done == null || done.isEmpty() || done.size() > ServerTlsCheck.MAX_RECIPIENTS
        || done.stream().anyMatch(p -> p == null || p.isNull())) {
      throw new IllegalArgumentException("between 1 and " + ServerTlsCheck.MAX_RECIPIENTS + " recipients, none null");
    }
    done = List.copyOf(done);
  }

  public JsonObject toJson() {
    return new JsonObject().put("owner", owner).put("queueId", queueId).put("done", Json.paths(done));
  }

  public static ReplicaProgress fromJson(JsonObject o) {
    return new ReplicaProgress(Json.string(o, "owner"), Json.string(o, "queueId"), Json.paths(o, "done"));
  }

  public static final JsonCodec<ReplicaProgress> CODEC =
      new JsonCodec<>("postern.queue.replica-progress.v1", ReplicaProgress.class, ReplicaProgress::toJson,
          ReplicaProgress::fromJson);
}

package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.logging.Logger;
import org.postern.bus.BodyTransfer;
import org.postern.bus.EnqueueCommit;
import org.postern.bus.EnqueueInline;
import org.postern.bus.EnqueueOffer;
import org.postern.bus.EnqueueReceipt;
import org.postern.bus.EnqueueRequest;
import org.postern.bus.EnqueueTarget;

/**
 * Takes messages from inbound on other nodes (a clustered queue node). A small one comes whole in
 * an {@link EnqueueInline} and is stored at once. For a larger one, an {@link EnqueueOffer}
 * arrives on the load-balanced offer address, this node answers with its own addresses
 * ({@link EnqueueTarget}), the body arrives there in chunks and is written as it comes to
 * {@code tmp/<id>.incoming} in the spool with Vert.x's async file (never on the event loop, and
 * never more than the transfer's window in memory), and the {@link EnqueueCommit} then stores the
 * message as a local {@link EnqueueRequest} would be: durable and replicated before the receipt,
 * idempotent on the queue id.
 *
 * <p>Trust: an offer, a body or a commit is refused unless it follows the one before it for the
 * same queue id on this node, and the body must have the length offered. A transfer that fails,
 * stops, or is not followed by its commit within the transfer's idle timeout leaves no message and
 * no file; what a crash leaves in {@code tmp/} is discarded at the next start with the rest of it.
 *
 * <p>Runs on the queue verticle's event loop.
 */
final class ChunkedIntake {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  /** Counters, read by tests and the metrics registry from any thread. */
  static final class Counts {
    final LongAdder bodies = new LongAdder();
    final LongAdder chunks = new LongAdder();
    final LongAdder abandoned = new LongAdder();
    final LongAdder inline = new LongAdder();
  }

  private record Received(Path file, long timer) {}

  private final Vertx vertx;
  private final String node;
  private final Path tmp;
  private final Function<EnqueueRequest, Future<EnqueueReceipt>> store;
  private final Predicate<String> holds;
  private final BodyTransfer.Options options;
  private final Counts counts;
  private final Map<String, EnqueueOffer> offered = new HashMap<>();
  private final Map<String, Received> received = new HashMap<>();

  ChunkedIntake(Vertx vertx, String node, Path tmp, Function<EnqueueRequest, Future<EnqueueReceipt>> store,
      Predicate<String> holds, BodyTransfer.Options options, Counts counts) {
    this.vertx = vertx;
    this.node = node;
    this.tmp = tmp;
    this.store = store;
    this.holds = holds;
    this.options = options;
    this.counts = counts;
  }

  /** Registers the body and commit addresses, then (only then) the offer and inline addresses. */
  Future<Void> start() {
    return BodyTransfer.receive(vertx, EnqueueTarget.bodyAddress(node), this::open, options)
        .compose(c -> vertx.eventBus().<Object>consumer(EnqueueTarget.commitAddress(node), this::commit).completion())
        .compose(v -> vertx.eventBus().<Object>consumer(EnqueueOffer.ADDRESS, this::offer).completion())
        .compose(v -> vertx.eventBus().<Object>consumer(EnqueueInline.ADDRESS, this::inline).completion());
  }

  /** A small message whole, in one request: stored as a local one would be. */
  private void inline(Message<Object> m) {
    if (!(m.body() instanceof EnqueueInline inline)) {
      m.fail(400, "expected EnqueueInline");
      return;
    }
    counts.inline.increment();
    QueueVerticle.answer(m, store.apply(inline.request()));
  }

  private void offer(Message<Object> m) {
    if (!(m.body() instanceof EnqueueOffer offer)) {
      m.fail(400, "expected EnqueueOffer");
      return;
    }
    offered.put(offer.queueId(), offer);
    // An offer whose body never comes is forgotten.
    vertx.setTimer(options.idleTimeout().toMillis(), t -> offered.remove(offer.queueId(), offer));
    m.reply(new EnqueueTarget(offer.queueId(), node));
  }

  private Future<BodyTransfer.Sink> open(String queueId, long total) {
    EnqueueOffer offer = offered.remove(queueId);
    if (offer == null) {
      return Future.failedFuture("no enqueue offer for " + queueId + " on " + node);
    }
    if (offer.bodyLength() != total) {
      return Future.failedFuture("body of " + total + " octets, " + offer.bodyLength() + " offered");
    }
    Received old = received.remove(queueId);
    if (old != null) {
      discard(old, queueId, "a new transfer replaced it");
    }
    Path file = tmp.resolve(queueId + ".incoming");
    OpenOptions create = new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true)
        .setPerms("rw-------");
    return vertx.fileSystem().open(file.toString(), create).map(f -> new IncomingBody(queueId, total, file, f));
  }

  /** One body being written to its temporary file. */
  private final class IncomingBody implements BodyTransfer.Sink {
    private final String queueId;
    private final long total;
    private final Path file;
    private final AsyncFile out;
    private long chunks;
    private long written;

    IncomingBody(String queueId, long total, Path file, AsyncFile out) {
      this.queueId = queueId;
      this.total = total;
      this.file = file;
      this.out = out;
    }

    @Override
    public Future<Void> write(Buffer data) {
      chunks++;
      written += data.length();
      return out.write(data);
    }

    @Override
    public Future<Void> end() {
      return out.close().onSuccess(v -> {
        counts.bodies.increment();
        counts.chunks.add(chunks);
        LOG.info(() -> queueId + ": body of " + written + " octets received on " + node + " in " + chunks
            + " chunk(s) of at most " + options.chunkSize() + " octets; waiting for its envelope");
        // A body whose commit never comes is removed; the sender's commit request has the same bound.
        long timer = vertx.setTimer(options.idleTimeout().toMillis(), t -> {
          Received r = received.get(queueId);
          if (r != null && r.file().equals(file)) {
            received.remove(queueId);
            discard(r, queueId, "no envelope followed the body");
          }
        });
        received.put(queueId, new Received(file, timer));
      });
    }

    @Override
    public void abort(String reason) {
      counts.abandoned.increment();
      LOG.warning(() -> queueId + ": chunked body abandoned after " + written + " of " + total + " octets: " + reason);
      out.close().eventually(() -> vertx.fileSystem().delete(file.toString()));
    }
  }

  private void commit(Message<Object> m) {
    if (!(m.body() instanceof EnqueueCommit commit)) {
      m.fail(400, "expected EnqueueCommit");
      return;
    }
    String id = commit.queueId();
    Received r = received.remove(id);
    if (r == null) {
      if (holds.test(id)) {
        m.reply(new EnqueueReceipt(id)); // a repeated commit: stored the first time
      } else {
        m.fail(451, "4.3.0 Error: message body not received");
      }
      return;
    }
    vertx.cancelTimer(r.timer());
    Future<EnqueueReceipt> receipt = vertx.fileSystem().readFile(r.file().toString())
        .compose(body -> {
          try {
            return Future.succeededFuture(commit.withBody(body));
          } catch (IllegalArgumentException e) {
            LOG.warning(() -> id + ": refused: " + e.getMessage());
            return Future.<EnqueueRequest>failedFuture(new io.vertx.core.eventbus.ReplyException(
                io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, 451, "4.3.0 Error: message body incomplete"));
          }
        })
        .compose(store)
        .eventually(() -> vertx.fileSystem().delete(r.file().toString()).recover(e -> Future.succeededFuture()));
    QueueVerticle.answer(m, receipt);
  }

  private void discard(Received r, String queueId, String why) {
    vertx.cancelTimer(r.timer());
    counts.abandoned.increment();
    LOG.warning(() -> queueId + ": chunked body discarded: " + why);
    vertx.fileSystem().delete(r.file().toString()).onFailure(e -> LOG.warning(() -> "cannot remove " + r.file()
        + ": " + e.getMessage()));
  }
}

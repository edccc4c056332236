package org.postern.bus;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Moves a message body to another node in bounded chunks with back-pressure, never as one
 * event-bus message: the sender cuts the body into {@link BodyChunk}s of at most
 * {@link Options#chunkSize()} octets and keeps at most {@link Options#window()} of them
 * unacknowledged; the receiver writes each chunk to a {@link Sink} in order and acknowledges it
 * ({@link BodyChunkAck}) only once written, so neither side ever holds more than a window of
 * chunks, whatever the body's size.
 *
 * <p>The receiver trusts nothing: a chunk that does not start where the previous one ended (a
 * lost, repeated or reordered chunk), a changed total, more unacknowledged chunks than the window,
 * or a transfer left idle past {@link Options#idleTimeout()} aborts the transfer and its sink. The
 * sender fails on any refusal, timeout or wrong acknowledgement; a retry starts a new transfer from
 * offset 0 (under the same id once the old one has been aborted).
 *
 * <p>Addresses are the caller's: each use names its own (for example
 * {@code postern.queue.replica-body.v1.<node>}).
 */
public final class BodyTransfer {

  private static final Logger LOG = Logger.getLogger("postern.bus");

  private BodyTransfer() {}

  /**
   * How a transfer runs.
   *
   * @param chunkSize octets per chunk, 1 to {@link BodyChunk#MAX_CHUNK}
   * @param window chunks in flight at most (sent and not yet acknowledged), 1 to 64
   * @param ackTimeout sender: how long one chunk may wait for its acknowledgement
   * @param idleTimeout receiver: how long a transfer may wait for its next chunk before it is aborted
   */
  public record Options(int chunkSize, int window, Duration ackTimeout, Duration idleTimeout) {

    public Options {
      if (chunkSize < 1 || chunkSize > BodyChunk.MAX_CHUNK) {
        throw new IllegalArgumentException("chunk size must be 1.." + BodyChunk.MAX_CHUNK + ": " + chunkSize);
      }
      if (window < 1 || window > 64) {
        throw new IllegalArgumentException("window must be 1..64: " + window);
      }
      if (ackTimeout == null || ackTimeout.isNegative() || ackTimeout.isZero() || idleTimeout == null
          || idleTimeout.isNegative() || idleTimeout.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive");
      }
    }

    /** 256 KiB chunks, four in flight, 30 s per acknowledgement, 60 s of idleness. */
    public static Options defaults() {
      return new Options(BodyChunk.MAX_CHUNK, 4, Duration.ofSeconds(30), Duration.ofSeconds(60));
    }

    public Options withChunkSize(int size) {
      return new Options(size, window, ackTimeout, idleTimeout);
    }

    public Options withWindow(int w) {
      return new Options(chunkSize, w, ackTimeout, idleTimeout);
    }
  }

  /** Where a receiver writes one transfer's body. Calls never overlap: each waits for the last. */
  public interface Sink {

    /** Writes the next octets; the chunk is acknowledged when this completes. */
    Future<Void> write(Buffer data);

    /** The whole body was written; the last chunk is acknowledged when this completes. */
    Future<Void> end();

    /** The transfer failed or was refused: discard what was written. */
    void abort(String reason);
  }

  /** Opens the sink of a new transfer, or refuses it (a failed future is the sender's failure). */
  @FunctionalInterface
  public interface Opener {
    Future<Sink> open(String transferId, long total);
  }

  /**
   * Sends {@code body} to the receiver at {@code address}. Completes once the receiver has
   * acknowledged the last chunk, that is once its sink has ended.
   */
  public static Future<Void> send(Vertx vertx, String address, String transferId, Buffer body, Options options) {
    BodyChunk.checkTransferId(transferId);
    return new Sending(vertx, address, transferId, body, options).start();
  }

  /** Receives transfers at {@code address}; completes once the consumer is registered (cluster-wide). */
  public static Future<MessageConsumer<BodyChunk>> receive(Vertx vertx, String address, Opener opener,
      Options options) {
    Receiving r = new Receiving(vertx, opener, options);
    MessageConsumer<BodyChunk> consumer = vertx.eventBus().consumer(address, r::chunk);
    return consumer.completion().map(v -> consumer);
  }

  /** One outgoing transfer; runs on the caller's context. */
  private static final class Sending {
    private final Vertx vertx;
    private final String address;
    private final String id;
    private final Buffer body;
    private final Options options;
    private final Promise<Void> done = Promise.promise();
    private long next;
    private int inFlight;
    private boolean sentLast;

    Sending(Vertx vertx, String address, String id, Buffer body, Options options) {
      this.vertx = vertx;
      this.address = address;
      this.id = id;
      this.body = body;
      this.options = options;
    }

    Future<Void> start() {
      pump();
      return done.future();
    }

    private void pump() {
      while (!done.future().isComplete() && !sentLast && inFlight < options.window()) {
        int from = (int) next;
        int to = (int) Math.min(body.length(), next + options.chunkSize());
        // slice shares the body's memory: a chunk copies nothing until it is encoded for the wire.
        BodyChunk chunk = new BodyChunk(id, from, body.length(), body.slice(from, to));
        next = to;
        sentLast = chunk.last();
        inFlight++;
        Contracts.request(vertx, address, chunk, options.ackTimeout(), BodyChunkAck.class).onComplete(ar -> {
          inFlight--;
          if (ar.failed()) {
            done.tryFail(ar.cause());
          } else if (ar.result().received() != chunk.end() || !ar.result().transferId().equals(id)) {
            done.tryFail(new IllegalStateException(id + ": receiver acknowledged " + ar.result().received()
                + " octets, expected " + chunk.end()));
          } else if (chunk.last()) {
            done.tryComplete();
          } else {
            pump();
          }
        });
      }
    }
  }

  /** The receiving side of one address: the transfers open on it, by id; runs on its consumer's context. */
  private static final class Receiving {
    private final Vertx vertx;
    private final Opener opener;
    private final Options options;
    private final Map<String, Incoming> open = new HashMap<>();

    private static final class Incoming {
      final String id;
      final long total;
      final Future<Sink> sink;
      long expected;
      int pending;
      /** The idle timer; -1 when none is set (Vert.x timer ids start at 0). */
      long timer = -1;
      Future<Void> tail = Future.succeededFuture();

      Incoming(String id, long total, Future<Sink> sink) {
        this.id = id;
        this.total = total;
        this.sink = sink;
      }
    }

    Receiving(Vertx vertx, Opener opener, Options options) {
      this.vertx = vertx;
      this.opener = opener;
      this.options = options;
    }

    void chunk(Message<BodyChunk> m) {
      if (!(((Object) m.body()) instanceof BodyChunk c)) {
        m.fail(400, "expected BodyChunk");
        return;
      }
      Incoming in = open.get(c.transferId());
      if (in == null) {
        if (c.offset() != 0) {
          m.fail(409, "4.3.0 transfer " + c.transferId() + " is not open: chunk at offset " + c.offset()
              + " arrived without its predecessors (lost chunk, or the transfer was aborted)");
          return;
        }
        Future<Sink> sink;
        try {
          sink = opener.open(c.transferId(), c.total());
        } catch (RuntimeException e) {
          sink = Future.failedFuture(e);
        }
        in = new Incoming(c.transferId(), c.total(), sink);
        open.put(in.id, in);
      } else if (c.offset() != in.expected || c.total() != in.total) {
        String why = "chunk at offset " + c.offset() + " of " + c.total() + " octets, expected offset " + in.expected
            + " of " + in.total + ": a chunk was lost, repeated or reordered";
        abort(in, why);
        m.fail(409, "4.3.0 transfer " + c.transferId() + ": " + why);
        return;
      } else if (in.pending >= options.window()) {
        String why = "more than " + options.window() + " unacknowledged chunks";
        abort(in, why);
        m.fail(429, "4.3.0 transfer " + c.transferId() + ": " + why);
        return;
      }
      Incoming t = in;
      t.expected = c.end();
      t.pending++;
      restartIdleTimer(t);
      t.tail = t.tail.compose(v -> t.sink).compose(s -> s.write(c.data()).compose(v -> c.last() ? s.end()
          : Future.succeededFuture()));
      t.tail.onComplete(ar -> {
        t.pending--;
        if (ar.failed()) {
          abort(t, ar.cause().getMessage());
          m.fail(451, "4.3.0 transfer " + t.id + " failed: " + ar.cause().getMessage());
          return;
        }
        if (c.last()) {
          cancelIdleTimer(t);
          open.remove(t.id, t);
        }
        m.reply(new BodyChunkAck(t.id, c.end()));
      });
    }

    private void cancelIdleTimer(Incoming t) {
      if (t.timer >= 0) {
        vertx.cancelTimer(t.timer);
        t.timer = -1;
      }
    }

    private void restartIdleTimer(Incoming t) {
      cancelIdleTimer(t);
      t.timer = vertx.setTimer(options.idleTimeout().toMillis(),
          x -> abort(t, "no chunk for " + options.idleTimeout().toMillis() + " ms"));
    }

    private void abort(Incoming t, String reason) {
      cancelIdleTimer(t);
      if (open.remove(t.id, t)) {
        LOG.info(() -> "body transfer " + t.id + " aborted after " + t.expected + " of " + t.total + " octets: " + reason);
        t.sink.onSuccess(s -> s.abort(reason));
      }
    }
  }
}

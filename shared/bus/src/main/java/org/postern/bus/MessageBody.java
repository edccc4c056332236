package org.postern.bus;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * A message body that outbound reads piece by piece, so that a delivery never needs the whole
 * body in memory: the queue hands over one that reads its spool file, on a worker thread. It goes
 * by reference to the outbound of the same node only ({@link DeliveryRequest}), never over the
 * network.
 *
 * <p>What outbound must know before it sends anything (the SIZE it declares, whether 8BITMIME is
 * needed, whether the last line needs completing) was worked out when the message was stored, so
 * the body is read exactly once per attempt, in order.
 */
public interface MessageBody {

  /** Octets in the body. */
  long length();

  /** Whether some octet is over 127, so the content needs 8BITMIME (RFC 6152). */
  boolean eightBit();

  /** Whether the body ends with CRLF (otherwise the sender completes its last line). */
  boolean endsWithCrlf();

  /**
   * Up to {@code max} octets from {@code position}; an empty buffer at or past the end. Completes
   * on the caller's context.
   */
  Future<Buffer> read(long position, int max);

  /** The body whole, when it is already in memory (a test's, or a body from the wire); else null. */
  default Buffer inMemory() {
    return null;
  }

  /** A body held in memory. */
  static MessageBody of(Buffer body) {
    return new InMemory(body, eightBit(body), endsWithCrlf(body));
  }

  /** Whether {@code body} has an octet over 127. */
  static boolean eightBit(Buffer body) {
    for (int i = 0, n = body.length(); i < n; i++) {
      if (body.getByte(i) < 0) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code body} ends with CRLF. */
  static boolean endsWithCrlf(Buffer body) {
    int n = body.length();
    return n >= 2 && body.getByte(n - 2) == '\r' && body.getByte(n - 1) == '\n';
  }

  /** A body in memory; reads are slices of it. */
  record InMemory(Buffer body, boolean eightBit, boolean endsWithCrlf) implements MessageBody {
    @Override
    public long length() {
      return body.length();
    }

    @Override
    public Future<Buffer> read(long position, int max) {
      int from = (int) Math.min(position, body.length());
      return Future.succeededFuture(body.slice(from, (int) Math.min(body.length(), (long) from + max)));
    }

    @Override
    public Buffer inMemory() {
      return body;
    }
  }
}

package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import org.postern.bus.MessageBody;

/**
 * A body in the spool, handed to this node's outbound for one delivery attempt: outbound reads it
 * piece by piece, each piece from the file on a worker thread, so a large message is never whole
 * in memory on its way out.
 */
record SpoolBody(long length, boolean eightBit, boolean endsWithCrlf, Reader reader) implements MessageBody {

  /** Reads a piece of the body from its file. */
  interface Reader {
    Future<Buffer> read(long position, int max);
  }

  @Override
  public Future<Buffer> read(long position, int max) {
    return reader.read(position, max);
  }
}

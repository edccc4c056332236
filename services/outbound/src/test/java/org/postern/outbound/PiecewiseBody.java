package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.postern.bus.MessageBody;

/**
 * A body in a file, read as the queue's spool body is read (positional reads on a worker thread),
 * in pieces smaller than asked for, so that every piece boundary a sender must carry state across
 * (a line start, a CR before its LF) is crossed somewhere. Counts what outbound asked for.
 */
final class PiecewiseBody implements MessageBody {

  private final Vertx vertx;
  private final Path file;
  private final long length;
  private final int pieceAtMost;
  private final boolean eightBit;
  private final boolean endsWithCrlf;
  final AtomicInteger reads = new AtomicInteger();
  final AtomicLong largestAsked = new AtomicLong();

  PiecewiseBody(Vertx vertx, Path file, int pieceAtMost) throws IOException {
    this.vertx = vertx;
    this.file = file;
    this.pieceAtMost = pieceAtMost;
    Buffer whole = Buffer.buffer(Files.readAllBytes(file));
    this.length = whole.length();
    this.eightBit = MessageBody.eightBit(whole);
    this.endsWithCrlf = MessageBody.endsWithCrlf(whole);
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public boolean eightBit() {
    return eightBit;
  }

  @Override
  public boolean endsWithCrlf() {
    return endsWithCrlf;
  }

  @Override
  public Future<Buffer> read(long position, int max) {
    reads.incrementAndGet();
    largestAsked.accumulateAndGet(max, Math::max);
    return vertx.executeBlocking(() -> {
      ByteBuffer piece = ByteBuffer.allocate((int) Math.min(Math.min(max, pieceAtMost), Math.max(0, length - position)));
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        while (piece.hasRemaining() && ch.read(piece, position + piece.position()) > 0) {
          // until the piece is full
        }
      }
      return Buffer.buffer(piece.array());
    }, false);
  }
}

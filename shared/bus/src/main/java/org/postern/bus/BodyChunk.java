package org.postern.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * One bounded piece of a message body on its way to another node (see {@link BodyTransfer}). The
 * offset and the declared total let the receiver detect a lost, repeated or reordered chunk: each
 * chunk must start where the previous one ended, and the last one ends at {@code total}.
 *
 * @param transferId names the transfer on the receiving address (a queue id, for instance)
 * @param offset where {@code data} starts in the body
 * @param total the whole body's length, the same in every chunk of one transfer
 * @param data at most {@link #MAX_CHUNK} octets; empty only for an empty body
 */
public record BodyChunk(String transferId, long offset, long total, Buffer data) {

  /** The most octets one event-bus message carries: a 50 MB body crosses as 200 of these. */
  public static final int MAX_CHUNK = 256 * 1024;

  private static final Pattern TRANSFER_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  public BodyChunk {
    checkTransferId(transferId);
    if (data == null) {
      throw new IllegalArgumentException("data is required");
    }
    if (total < 0 || total > EnqueueRequest.MAX_BODY) {
      throw new IllegalArgumentException("total out of range: " + total);
    }
    if (data.length() > MAX_CHUNK) {
      throw new IllegalArgumentException("chunk of " + data.length() + " octets exceeds " + MAX_CHUNK);
    }
    if (offset < 0 || offset + data.length() > total) {
      throw new IllegalArgumentException("chunk [" + offset + ", " + (offset + data.length()) + ") outside a body of "
          + total + " octets");
    }
    if (data.length() == 0 && total != 0) {
      throw new IllegalArgumentException("empty chunk in a non-empty body");
    }
  }

  /** Transfer ids name files and map keys on the receiver: letters, digits, dot, dash, underscore. */
  public static String checkTransferId(String transferId) {
    if (transferId == null || !TRANSFER_ID.matcher(transferId).matches()) {
      throw new IllegalArgumentException("malformed transfer id: " + transferId);
    }
    return transferId;
  }

  /** Whether this chunk ends the body. */
  public boolean last() {
    return offset + data.length() == total;
  }

  /** The offset the next chunk must start at. */
  public long end() {
    return offset + data.length();
  }

  /**
   * Binary on the wire (a body in JSON would grow by a third in base64): transfer id, offset,
   * total, data. Decoding runs the constructor, so a malformed chunk never reaches a handler.
   */
  public static final MessageCodec<BodyChunk, BodyChunk> CODEC = new MessageCodec<>() {
    @Override
    public void encodeToWire(Buffer buffer, BodyChunk c) {
      byte[] id = c.transferId.getBytes(StandardCharsets.US_ASCII);
      buffer.appendInt(id.length).appendBytes(id).appendLong(c.offset).appendLong(c.total)
          .appendInt(c.data.length()).appendBuffer(c.data);
    }

    @Override
    public BodyChunk decodeFromWire(int pos, Buffer buffer) {
      int idLength = buffer.getInt(pos);
      if (idLength < 1 || idLength > 100) {
        throw new IllegalArgumentException("body chunk: bad transfer id length " + idLength);
      }
      int p = pos + 4;
      String id = buffer.getString(p, p + idLength, "US-ASCII");
      p += idLength;
      long offset = buffer.getLong(p);
      long total = buffer.getLong(p + 8);
      int length = buffer.getInt(p + 16);
      p += 20;
      if (length < 0 || length > MAX_CHUNK || p + length > buffer.length()) {
        throw new IllegalArgumentException("body chunk: bad data length " + length);
      }
      return new BodyChunk(id, offset, total, buffer.getBuffer(p, p + length));
    }

    @Override
    public BodyChunk transform(BodyChunk c) {
      return c;
    }

    @Override
    public String name() {
      return "postern.body.chunk.v1";
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  };
}

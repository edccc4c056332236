package org.postern.queue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One stored message as it sits in a queue file: a header line {@code POSTERN-QUEUE-1 <json
 * octets> <body octets>}, the envelope as JSON, then the body. A {@code .msg} file holds one
 * record; a {@code .batch} file holds the records of one commit round back to back. The lengths in
 * the header make a truncated or padded record detectable.
 *
 * @param offset where the record starts in its file
 * @param bodyOffset where its body starts in its file
 * @param end where the next record starts
 */
record QueueRecord(SpooledMessage message, long offset, long bodyOffset, long bodyLength, long end) {

  private static final String MAGIC = "POSTERN-QUEUE-1";
  /** A header line is far shorter; a longer one means the file is not a queue file. */
  private static final int MAX_HEADER = 80;

  /** A record's header line and envelope, which the body of {@code bodyLength} octets follows. */
  static byte[] head(SpooledMessage m, long bodyLength) {
    byte[] json = m.toJson().encode().getBytes(StandardCharsets.UTF_8);
    byte[] header = (MAGIC + " " + json.length + " " + bodyLength + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] all = java.util.Arrays.copyOf(header, header.length + json.length);
    System.arraycopy(json, 0, all, header.length, json.length);
    return all;
  }

  /** Parses the record at {@code offset} of a file's content; it must lie wholly inside. */
  static QueueRecord parse(byte[] file, int offset) throws IOException {
    int nl = -1;
    for (int i = offset; i < Math.min(file.length, offset + MAX_HEADER); i++) {
      if (file[i] == '\n') {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      throw new IOException("no header line at offset " + offset);
    }
    String[] parts = new String(file, offset, nl - offset, StandardCharsets.US_ASCII).split(" ");
    if (parts.length != 3 || !parts[0].equals(MAGIC)) {
      throw new IOException("bad header at offset " + offset);
    }
    long jsonLength;
    long bodyLength;
    try {
      jsonLength = Long.parseLong(parts[1]);
      bodyLength = Long.parseLong(parts[2]);
    } catch (NumberFormatException e) {
      throw new IOException("bad lengths at offset " + offset);
    }
    long bodyOffset = nl + 1 + jsonLength;
    long end = bodyOffset + bodyLength;
    if (jsonLength < 0 || bodyLength < 0 || end > file.length) {
      throw new IOException("record at offset " + offset + " is truncated");
    }
    JsonObject json = new JsonObject(Buffer.buffer(file).slice(nl + 1, (int) bodyOffset));
    return new QueueRecord(SpooledMessage.fromJson(json), offset, bodyOffset, bodyLength, end);
  }
}

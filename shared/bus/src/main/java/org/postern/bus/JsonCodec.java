package org.postern.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * A codec that puts a contract record on the wire as length-prefixed JSON and validates it on the
 * way back in by running the record's constructor. Within one JVM the record itself is passed:
 * records are immutable and were validated when built.
 */
public final class JsonCodec<T> implements MessageCodec<T, T> {

  private final String name;
  private final Class<T> type;
  private final Function<T, JsonObject> encoder;
  private final Function<JsonObject, T> decoder;

  public JsonCodec(String name, Class<T> type, Function<T, JsonObject> encoder, Function<JsonObject, T> decoder) {
    this.name = name;
    this.type = type;
    this.encoder = encoder;
    this.decoder = decoder;
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    Buffer json = encoder.apply(value).toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    if (length < 0 || pos + 4 + length > buffer.length()) {
      throw new IllegalArgumentException(name + ": truncated message");
    }
    return decoder.apply(new JsonObject(buffer.slice(pos + 4, pos + 4 + length)));
  }

  @Override
  public T transform(T value) {
    return value;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  /** Round-trips a value through the wire format, as a remote node would see it. */
  public T roundTrip(T value) {
    Buffer b = Buffer.buffer();
    encodeToWire(b, value);
    return decodeFromWire(0, b);
  }
}

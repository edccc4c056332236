package org.postern.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.time.Duration;
import java.util.List;

/** Registers the contract codecs, and sends requests with a deadline and a checked answer type. */
public final class Contracts {

  /** Every contract's codec. */
  public static final List<JsonCodec<?>> CODECS = List.of(
      SessionCheck.CODEC, SessionPolicy.CODEC, RelayCheck.CODEC, RelayVerdict.CODEC,
      ClientTlsCheck.CODEC, TlsVerdict.CODEC, DestinationTlsCheck.CODEC, DestinationTls.CODEC, EnqueueRequest.CODEC, EnqueueReceipt.CODEC,
      DeliveryRequest.CODEC, DeliveryReport.CODEC);

  private Contracts() {}

  /** Registers every codec as the default for its record type; call once per Vertx instance. */
  public static void register(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    for (JsonCodec<?> codec : CODECS) {
      registerOne(bus, codec);
    }
  }

  private static <T> void registerOne(EventBus bus, JsonCodec<T> codec) {
    bus.registerDefaultCodec(codec.type(), codec);
  }

  /**
   * Sends {@code request} to {@code address} and expects an answer of type {@code answerType}
   * within {@code deadline}. A timeout, a failure reply, or an answer of the wrong type fails the
   * future: the caller turns that into a temporary failure, never into an accept.
   */
  public static <R> Future<R> request(Vertx vertx, String address, Object request, Duration deadline,
      Class<R> answerType) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(deadline.toMillis());
    return vertx.eventBus().request(address, request, options).compose(msg -> {
      Object body = msg.body();
      if (!answerType.isInstance(body)) {
        return Future.failedFuture(new IllegalStateException(
            address + " answered " + (body == null ? "null" : body.getClass().getSimpleName())
                + " instead of " + answerType.getSimpleName()));
      }
      return Future.succeededFuture(answerType.cast(body));
    });
  }
}

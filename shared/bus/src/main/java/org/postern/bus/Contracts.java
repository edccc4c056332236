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
      SessionCheck.CODEC, SessionPolicy.CODEC, MailCheck.CODEC, SenderVerdict.CODEC, RelayCheck.CODEC, RelayVerdict.CODEC,
      ClientTlsCheck.CODEC, TlsVerdict.CODEC, DestinationTlsCheck.CODEC, DestinationTls.CODEC, TargetTlsCheck.CODEC,
      ServerTlsCheck.CODEC, ServerTlsVerdict.CODEC, EnqueueRequest.CODEC, EnqueueReceipt.CODEC,
      DeliveryRequest.CODEC, DeliveryReport.CODEC, QueueAdminRequest.CODEC, QueueAdminReply.CODEC,
      ConfigPush.CODEC, ConfigPushResult.CODEC, ConfigShow.CODEC, BodyChunkAck.CODEC, ReplicaOffer.CODEC, ReplicaIds.CODEC,
      EnqueueOffer.CODEC, EnqueueTarget.CODEC, EnqueueCommit.CODEC, MetricsScrape.CODEC, MetricsText.CODEC,
      ReplicaProgress.CODEC, EnqueueInline.CODEC, SpaceReservation.CODEC);

  private Contracts() {}

  /** Registers every codec as the default for its record type; call once per Vertx instance. */
  public static void register(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    for (JsonCodec<?> codec : CODECS) {
      registerOne(bus, codec);
    }
    bus.registerDefaultCodec(BodyChunk.class, BodyChunk.CODEC);
  }

  private static <T> void registerOne(EventBus bus, JsonCodec<T> codec) {
    bus.registerDefaultCodec(codec.type(), codec);
  }

  /**
   * The SMTP reply a service's failure stands for, when it failed with a code in 400..599 and a
   * message {@code "x.y.z text"} whose class agrees; otherwise {@code fallback}. A malformed
   * failure from the bus is never passed on to a client.
   */
  public static org.postern.smtp.Reply replyOf(Throwable failure, org.postern.smtp.Reply fallback) {
    if (failure instanceof io.vertx.core.eventbus.ReplyException re
        && re.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE
        && re.failureCode() >= 400 && re.failureCode() < 600 && re.getMessage() != null) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("([245]\\.\\d{1,3}\\.\\d{1,3}) ([\\x20-\\x7e]{1,200})")
          .matcher(re.getMessage());
      if (m.matches()) {
        try {
          return org.postern.smtp.Reply.of(re.failureCode(), m.group(1), m.group(2));
        } catch (IllegalArgumentException e) {
          return fallback;
        }
      }
    }
    return fallback;
  }

  /**
   * Sends {@code request} to {@code address} and expects an answer of type {@code answerType}
   * within {@code deadline}. A timeout, a failure reply, or an answer of the wrong type fails the
   * future: the caller turns that into a temporary failure, never into an accept.
   */
  public static <R> Future<R> request(Vertx vertx, String address, Object request, Duration deadline,
      Class<R> answerType) {
    return request(vertx, address, request, new DeliveryOptions().setSendTimeout(deadline.toMillis()), answerType);
  }

  /**
   * As {@link #request}, to a consumer of this node only: in a cluster the request never leaves
   * the JVM, so the record (a message body included) is handed over by reference, never encoded.
   * Without a local consumer it fails at once (NO_HANDLERS), whatever other nodes consume.
   */
  public static <R> Future<R> requestLocal(Vertx vertx, String address, Object request, Duration deadline,
      Class<R> answerType) {
    return request(vertx, address, request,
        new DeliveryOptions().setSendTimeout(deadline.toMillis()).setLocalOnly(true), answerType);
  }

  private static <R> Future<R> request(Vertx vertx, String address, Object request, DeliveryOptions options,
      Class<R> answerType) {
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

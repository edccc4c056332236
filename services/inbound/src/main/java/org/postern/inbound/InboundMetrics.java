package org.postern.inbound;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.postern.smtp.Reply;
import org.postern.tls.TlsHandshakeMeter;

/**
 * What the listeners count, for {@code GET /metrics}: sessions (open now, accepted, refused by a
 * connection limit), messages received, every 4xx and 5xx reply by the command it answered and its
 * code, STARTTLS handshakes, and the time from the end of the message text to our 250.
 *
 * <p>Cost, since the message path is counted: every meter a message touches is bound once, here;
 * a message costs two counter increments and a histogram record, with no tag built and no lookup.
 * Only a rejection looks its counter up (by command and code), and a handshake (by version and
 * cipher). Shared by every instance of the listener; thread-safe.
 */
public final class InboundMetrics {

  /** Rejection series beyond this many (codes an access map invents) share one. */
  private static final int MAX_REJECTION_SERIES = 200;

  private final MeterRegistry registry;
  private final LongAdder open = new LongAdder();
  private final Counter sessions;
  private final Counter refused;
  private final Counter received;
  private final Timer dataToReply;
  private final TlsHandshakeMeter tls;
  private final ConcurrentMap<String, Counter> rejections = new ConcurrentHashMap<>();

  /** Counted nowhere: for listeners started without a node (tests). */
  public InboundMetrics() {
    this(new SimpleMeterRegistry());
  }

  public InboundMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("postern_inbound_connections", open, LongAdder::sum)
        .description("SMTP sessions open now").register(registry);
    sessions = Counter.builder("postern_inbound_connections_accepted")
        .description("SMTP connections accepted (not refused by a connection limit)").register(registry);
    refused = Counter.builder("postern_inbound_connections_refused")
        .description("SMTP connections refused with 421 by a connection limit (inbound.max_connections and the per-client limits)")
        .register(registry);
    received = Counter.builder("postern_inbound_messages_received")
        .description("messages accepted (250 after DATA or BDAT LAST), each stored by the queue").register(registry);
    dataToReply = Timer.builder("postern_inbound_data_to_reply")
        .description("from the end of the message text to the 250 (the queue's durable write)")
        .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
            Duration.ofSeconds(10))
        .register(registry);
    tls = new TlsHandshakeMeter(registry, TlsHandshakeMeter.Side.INBOUND);
  }

  void accepted() {
    sessions.increment();
    open.increment();
  }

  void closed() {
    open.decrement();
  }

  void refusedByLimit() {
    refused.increment();
  }

  /** A message stored, {@code nanos} after its text ended. */
  void received(long nanos) {
    received.increment();
    dataToReply.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A 4xx or 5xx reply to {@code command} (a verb, or CONNECT for the greeting's place). */
  void rejected(String command, Reply reply) {
    String key = command + ' ' + reply.code() + ' ' + reply.enhanced();
    Counter c = rejections.get(key);
    if (c == null) {
      boolean full = rejections.size() >= MAX_REJECTION_SERIES;
      c = rejections.computeIfAbsent(full ? "other" : key, k -> Counter.builder("postern_inbound_rejections")
          .description("4xx and 5xx replies by the command they answered, reply code and enhanced status code")
          .tag("command", full ? "other" : command).tag("code", full ? "other" : String.valueOf(reply.code()))
          .tag("status", full ? "other" : reply.enhanced() == null ? "" : reply.enhanced()).register(registry));
    }
    c.increment();
  }

  TlsHandshakeMeter tls() {
    return tls;
  }
}

package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postern.bus.DeliveryReport;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;

/** Outbound's answers counted per recipient and result, and the delay since arrival of what was delivered. */
class QueueMetricsTest {

  private final Instant now = Instant.parse("2026-01-01T12:00:00Z");
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final QueueMetrics metrics = new QueueMetrics(registry, Clock.fixed(now, ZoneOffset.UTC));

  private static DeliveryReport.RecipientResult result(Path rcpt, DeliveryReport.Status status, int code) {
    return new DeliveryReport.RecipientResult(rcpt, status, Reply.of(code, (code / 100) + ".0.0", "x"), "sink.test");
  }

  private double deliveries(String result) {
    return registry.get("postern_queue_deliveries").tag("result", result).counter().count();
  }

  @Test
  void eachRecipientIsCountedByItsResultAndOnlyDeliveriesHaveADelay() {
    Path a = Path.parseMailbox("a@example.net");
    Path b = Path.parseMailbox("b@example.net");
    Path c = Path.parseMailbox("c@example.net");
    Path stranger = Path.parseMailbox("z@example.net");
    DeliveryReport report = new DeliveryReport("0123456789ABCDEF", List.of(
        result(a, DeliveryReport.Status.SENT, 250), result(b, DeliveryReport.Status.DEFERRED, 451),
        result(c, DeliveryReport.Status.BOUNCED, 550), result(stranger, DeliveryReport.Status.SENT, 250)));
    metrics.delivered(report, List.of(a, b, c), now.minus(Duration.ofSeconds(90)));
    metrics.expired(3);

    assertEquals(1, deliveries("delivered"), "the recipient it was not asked about is not counted");
    assertEquals(1, deliveries("deferred"));
    assertEquals(1, deliveries("bounced"));
    assertEquals(3, deliveries("expired"));
    assertEquals(1, registry.get("postern_queue_delivery_delay").timer().count());
    assertEquals(90, registry.get("postern_queue_delivery_delay").timer().totalTime(TimeUnit.SECONDS), 0.001);
  }
}

package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.MessageBody;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;

/**
 * The delivery line in Postfix's field order (what pflogsumm's pattern expects), with delays=
 * in Postfix's spelling and delay= counted from the message's arrival, not from this attempt.
 */
class DeliveryLogTest {

  @Test
  void fieldsInPostfixsOrderAndOurTlsFactsLast() {
    RecipientResult r = new RecipientResult(Path.parseMailbox("u@example.net"), Status.SENT,
        Reply.of(250, "2.0.0", "Ok"), "mx.example.net[192.0.2.1]:25");
    assertEquals("0123456789ABCDEF: to=<u@example.net>, relay=mx.example.net[192.0.2.1]:25, conn_use=2, delay=3.42,"
        + " delays=3/0/0.3/0.12, dsn=2.0.0, status=sent (250 2.0.0 Ok), tls=none",
        DeliveryLog.line("0123456789ABCDEF", r, new DeliveryLog.Delays(3, 0.001, 0.3, 0.12), null, 2));
  }

  @Test
  void partsAsPostfixWritesThem() {
    assertEquals("0", DeliveryLog.part(0.004));
    assertEquals("0.01", DeliveryLog.part(0.0149));
    assertEquals("0.42", DeliveryLog.part(0.42));
    assertEquals("2.7", DeliveryLog.part(2.71));
    assertEquals("33", DeliveryLog.part(33.2));
    assertEquals("327", DeliveryLog.part(327.4));
  }

  @Test
  void delayCountsFromArrival() {
    DeliveryRequest request = new DeliveryRequest("0123456789ABCDEF", Path.parseMailbox("a@example.org"),
        List.of(Path.parseMailbox("u@example.net")), null, Map.of(), MessageBody.of(Buffer.buffer("x")), 3,
        1_000_000L);
    long s = 1_000_000_000L; // nanoTime at the start of the attempt
    // Arrived 3600 s before outbound took it; 1 s for a slot, 2 s to set up, 0.5 s of transaction.
    DeliveryLog.Delays d = Delivery.delays(request, 1_000_000L + 3_600_000L, s, s + 1_000_000_000L,
        s + 3_000_000_000L, s + 3_500_000_000L);
    assertEquals(new DeliveryLog.Delays(3600, 1, 2, 0.5), d);
    assertEquals(3603.5, d.total(), 1e-9);
    // No transaction (every address failed): the whole rest was set-up.
    assertEquals(new DeliveryLog.Delays(3600, 1, 2.5, 0), Delivery.delays(request, 1_000_000L + 3_600_000L, s,
        s + 1_000_000_000L, 0, s + 3_500_000_000L));
  }
}

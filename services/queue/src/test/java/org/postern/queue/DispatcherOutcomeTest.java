package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.postern.bus.ClientInfo;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryReport.Status;
import org.postern.bus.QueueIds;
import org.postern.smtp.Envelope;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;

/**
 * How the end of a delivery attempt changes a message's schedule, without outbound or spool:
 * outbound's answers per recipient ({@link Dispatcher#record}) and {@code queue.max_lifetime}
 * ({@link Dispatcher#expire}).
 */
class DispatcherOutcomeTest {

  private static final String ID = QueueIds.next();
  private static final Instant ARRIVAL = Instant.parse("2026-01-01T00:00:00Z");
  private static final Path SENT = Path.parseMailbox("sent@a.example");
  private static final Path SENT_NOTIFY = Path.parseMailbox("notify@a.example");
  private static final Path SENT_PASSED_ON = Path.parseMailbox("passed@a.example");
  private static final Path BOUNCED = Path.parseMailbox("bounced@b.example");
  private static final Path DEFERRED = Path.parseMailbox("deferred@c.example");
  private static final Reply OK = Reply.of(250, "2.0.0", "ok");
  private static final Reply NO = Reply.of(550, "5.1.1", "no such user");
  private static final Reply LATER = Reply.of(451, "4.4.1", "try later");

  private static Scheduled message(List<Path> rcpts, List<Map<String, String>> params) {
    Envelope env = new Envelope(Path.parseMailbox("from@example.org"), rcpts, params, Map.of());
    return new Scheduled(new SpooledMessage(ID, env, new ClientInfo("127.0.0.1", "client.test", "ESMTP", null),
        ARRIVAL), 10);
  }

  @Test
  void outboundsAnswersAreRecordedPerRecipient() {
    Map<String, String> success = Map.of("NOTIFY", "SUCCESS,FAILURE");
    Scheduled s = message(List.of(SENT, SENT_NOTIFY, SENT_PASSED_ON, BOUNCED, DEFERRED),
        List.of(Map.of(), success, success, Map.of(), Map.of()));
    List<Path> asked = List.of(SENT, SENT_NOTIFY, SENT_PASSED_ON, BOUNCED, DEFERRED);
    Dispatcher.record(s, asked, new DeliveryReport(ID, List.of(
        new RecipientResult(SENT, Status.SENT, OK, "mx.a.example"),
        new RecipientResult(SENT_NOTIFY, Status.SENT, OK, "mx.a.example"),
        new RecipientResult(SENT_PASSED_ON, Status.SENT, OK, "mx.a.example", true),
        new RecipientResult(BOUNCED, Status.BOUNCED, NO, "mx.b.example"),
        new RecipientResult(DEFERRED, Status.DEFERRED, LATER, "mx.c.example"))));
    assertEquals(Set.of(SENT.mailbox(), SENT_NOTIFY.mailbox(), SENT_PASSED_ON.mailbox(), BOUNCED.mailbox()), s.done);
    // RFC 3461 §4.1: "relayed" only where SUCCESS was asked for and the next hop could not pass it on.
    assertEquals(List.of(SENT_NOTIFY), s.relayed.stream().map(Bounce.Failure::recipient).toList());
    assertEquals(List.of(BOUNCED), s.failures.stream().map(Bounce.Failure::recipient).toList());
    assertEquals(NO, s.failures.get(0).reply());
    assertEquals(Set.of(DEFERRED.mailbox()), s.lastDeferral.keySet());
    assertEquals(List.of(DEFERRED), s.pending());
  }

  @Test
  void anAnswerForARecipientOutboundWasNotAskedAboutIsIgnored() {
    Scheduled s = message(List.of(SENT, BOUNCED), null);
    Dispatcher.record(s, List.of(SENT), new DeliveryReport(ID, List.of(
        new RecipientResult(SENT, Status.DEFERRED, LATER, "mx.a.example"),
        new RecipientResult(BOUNCED, Status.BOUNCED, NO, "mx.b.example"))));
    assertEquals(Set.of(), s.done);
    assertEquals(List.of(), s.failures, "a bounce for a recipient of another delivery is not taken");
    assertEquals(List.of(SENT, BOUNCED), s.pending());
  }

  @Test
  void beforeItsLifetimeEndsNothingExpires() {
    Scheduled s = message(List.of(DEFERRED), null);
    assertFalse(Dispatcher.expire(s, s.pending(), ARRIVAL.plus(Duration.ofHours(1)).minusMillis(1),
        Duration.ofHours(1)));
    assertEquals(List.of(DEFERRED), s.pending());
    assertEquals(List.of(), s.failures);
  }

  @Test
  void atTheEndOfItsLifetimePendingRecipientsFailWithTheirLastReply() {
    Scheduled s = message(List.of(DEFERRED, BOUNCED), null);
    s.lastDeferral.put(DEFERRED.mailbox(), new RecipientResult(DEFERRED, Status.DEFERRED, LATER, "mx.c.example"));
    assertTrue(Dispatcher.expire(s, s.pending(), ARRIVAL.plus(Duration.ofHours(1)), Duration.ofHours(1)));
    assertEquals(List.of(), s.pending());
    assertEquals(List.of(LATER, Reply.of(451, "4.4.7", "message expired")),
        s.failures.stream().map(Bounce.Failure::reply).toList(), "4.4.7 for a recipient never tried");
    assertEquals(List.of("mx.c.example", "none"), s.failures.stream().map(Bounce.Failure::relay).toList());
  }

  @Test
  void aMessageWithNothingPendingDoesNotExpire() {
    Scheduled s = message(List.of(SENT), null);
    s.done.add(SENT.mailbox());
    assertFalse(Dispatcher.expire(s, s.pending(), ARRIVAL.plus(Duration.ofDays(10)), Duration.ofHours(1)));
    assertEquals(List.of(), s.failures);
  }
}

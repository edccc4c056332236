package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The node's budget of message text in memory, and how a session answers when it runs out. */
class BodyMemoryTest {

  @Test
  void leasesReserveInStepsAndExactlyNearTheLimit() {
    int step = BodyMemory.STEP;
    BodyMemory m = new BodyMemory(3L * step + 1_000);
    BodyMemory.Lease a = m.lease();
    assertTrue(a.take(100));
    assertEquals(step, m.used(), "a whole step at first");
    assertTrue(a.take(step - 100));
    assertEquals(step, m.used(), "within the step: the shared counter is not touched");
    assertTrue(a.take(10));
    assertEquals(2L * step, m.used());
    BodyMemory.Lease b = m.lease();
    assertTrue(b.take(step));
    assertEquals(3L * step, m.used());
    assertFalse(b.take(step), "neither a step nor what is missing fits");
    assertTrue(b.take(1_000), "near the limit: exactly what is missing");
    assertEquals(m.limit(), m.used());
    assertFalse(b.take(1));
    assertFalse(b.roomLeft());
    assertFalse(m.lease().roomLeft());
    assertTrue(a.roomLeft(), "a still has room in its own step");
    a.releaseAll();
    a.releaseAll();
    assertEquals(step + 1_000, m.used(), "a gave back once what it had");
    b.releaseAll();
    assertEquals(0, m.used());
  }

  @Test
  void concurrentLeasesNeverTakeMoreThanTheLimit() throws Exception {
    BodyMemory m = new BodyMemory(1_000_000);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Long>> taken = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        taken.add(pool.submit(() -> {
          BodyMemory.Lease l = m.lease();
          long got = 0;
          for (int i = 0; i < 20_000 && l.take(100); i++) {
            got += 100;
          }
          return got;
        }));
      }
      long sum = 0;
      for (Future<Long> f : taken) {
        sum += f.get(30, TimeUnit.SECONDS);
      }
      assertTrue(m.used() <= 1_000_000, "reserved " + m.used());
      assertTrue(sum <= 1_000_000 && sum > 1_000_000 - 4 * 100, "taken " + sum);
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- the session, without sockets ----

  private static final SessionSettings SETTINGS = new SessionSettings("mx.example", 1_000_000, 100, true, false);

  private static SmtpSession inTransaction(BodyMemory m) {
    SmtpSession s = new SmtpSession(SETTINGS, false, m.lease());
    s.greet();
    s.command(CommandParser.parse("EHLO client.example"));
    s.command(CommandParser.parse("MAIL FROM:<a@example.org>"));
    s.senderDecided(null);
    s.command(CommandParser.parse("RCPT TO:<b@example.net>"));
    s.recipientDecided(Path.parseMailbox("b@example.net"), Reply.of(250, "2.1.5", "Ok"));
    return s;
  }

  /** DATA accepted: a reader taking from the session's share, as the connection makes one. */
  private static DataReader inData(SmtpSession s) {
    assertEquals(354, reply(s.command(CommandParser.parse("DATA"))).code());
    return new DataReader(SETTINGS.maxMessageSize(), s.memory());
  }

  private static void assertNoMemory(Reply r) {
    assertEquals(452, r.code(), r::toString);
    assertEquals("4.3.1", r.enhanced(), r::toString);
  }

  private static Reply reply(List<Effect> effects) {
    return assertInstanceOf(Effect.Send.class, effects.get(0), effects::toString).reply();
  }

  private static byte[] line(int n) {
    return "y".repeat(n).getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void dataIsRefusedBeforeTheTextWhenNothingIsLeftAndTheTransactionStays() {
    BodyMemory m = new BodyMemory(1_000);
    BodyMemory.Lease other = m.lease();
    assertTrue(other.take(1_000));
    SmtpSession s = inTransaction(m);
    assertNoMemory(reply(s.command(CommandParser.parse("DATA"))));
    assertEquals(SmtpSession.State.MAIL, s.state());
    other.releaseAll();
    List<Effect> data = s.command(CommandParser.parse("DATA"));
    assertEquals(354, reply(data).code());
    assertInstanceOf(Effect.ReadData.class, data.get(1));
  }

  @Test
  void textThatRunsOutPartWayIsReadToTheEndAndRefusedAndItsShareGivenBack() {
    BodyMemory m = new BodyMemory(1_000);
    SmtpSession s = inTransaction(m);
    DataReader reader = inData(s);
    assertFalse(reader.line(line(500)));
    assertFalse(reader.line(line(500)), "over the budget: still reading");
    assertFalse(reader.line(line(10)));
    assertEquals(0, m.used(), "what it held is given back at once");
    assertTrue(reader.line(".".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(DataReader.Outcome.NO_MEMORY, reader.outcome());
    assertNoMemory(reply(s.messageRead(reader)));
    assertEquals(SmtpSession.State.GREETED, s.state(), "the transaction is over, the session goes on");
  }

  @Test
  void aQueuedMessageAndARefusedChunkGiveTheirShareBack() {
    BodyMemory m = new BodyMemory(100_000);
    SmtpSession s = inTransaction(m);
    DataReader reader = inData(s);
    reader.line(line(50));
    reader.line(".".getBytes(StandardCharsets.US_ASCII));
    assertInstanceOf(Effect.Enqueue.class, s.messageRead(reader).get(0));
    assertTrue(m.used() > 0, "held while the queue stores it");
    assertEquals(250, reply(s.queued("Q1")).code());
    assertEquals(0, m.used());

    BodyMemory small = new BodyMemory(1_000);
    SmtpSession t = inTransaction(small);
    assertInstanceOf(Effect.ReadChunk.class, t.command(CommandParser.parse("BDAT 600")).get(0));
    t.chunkData(new byte[600]);
    assertEquals(250, reply(t.chunkEnd()).code());
    assertEquals(600, small.used());
    t.command(CommandParser.parse("BDAT 600 LAST"));
    t.chunkData(new byte[600]);
    assertNoMemory(reply(t.chunkEnd()));
    assertEquals(0, small.used());
  }

  @Test
  void aSessionThatEndsGivesItsShareBack() {
    BodyMemory m = new BodyMemory(100_000);
    SmtpSession s = inTransaction(m);
    s.command(CommandParser.parse("BDAT 500"));
    s.chunkData(new byte[500]);
    s.chunkEnd();
    assertTrue(m.used() > 0);
    s.end();
    assertEquals(0, m.used());
  }
}

package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission and session limits on the wire. Waits are bounded by socket read timeouts, never by
 * sleeping: a test that expects the server to act reads until it does, or until the timeout fails
 * the test.
 */
class LimitsTest {

  @TempDir
  Path dir;

  private static final String HOST = InboundFixture.HOSTNAME;
  /** The tests' client is on loopback, which is exempt from the per-client limits by default. */
  private static final String NO_EXCEPTIONS = "inbound.client_limit_exceptions=";

  @Test
  void thirdConcurrentConnectionFromOneAddressIsRefused() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_connections_per_ip=2", NO_EXCEPTIONS).start();
        SmtpClient one = f.connect(); SmtpClient two = f.connect()) {
      one.expect(220);
      two.expect(220);
      try (SmtpClient three = f.connect()) {
        assertEquals("421 4.7.0 " + HOST + " Error: too many connections from 127.0.0.1\r\n", three.readUntilClosed());
      }
      // The first two are unaffected.
      assertEquals("250 2.0.0 Ok", one.command("NOOP").text());
      assertEquals("250 2.0.0 Ok", two.command("NOOP").text());
    }
  }

  /** Lines of 100 octets on the wire, CRLF included. */
  private static String lines(int n) {
    return ("x".repeat(98) + "\r\n").repeat(n);
  }

  private static void transaction(SmtpClient c) throws Exception {
    c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n");
    c.expect("250 2.1.0");
    c.expect("250 2.1.5");
  }

  /** Until the node holds {@code octets} of message text (bounded: the server reads as fast as it can). */
  private static void awaitHeld(InboundFixture f, long octets) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (f.shared.bodyMemory().used() < octets) {
      assertTrue(System.currentTimeMillis() < deadline, "held " + f.shared.bodyMemory().used() + " of " + octets);
      Thread.sleep(10);
    }
  }

  @Test
  void messageTextBeyondTheNodesMemoryBudgetGets452AndNothingAcceptedIsLost() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir)
        .set("inbound.max_message_size=150000", "inbound.max_body_memory=150000").start();
        SmtpClient a = f.greeted(); SmtpClient b = f.greeted()) {
      String insufficient = "452 4.3.1 Insufficient system resources, try again later";
      transaction(a);
      transaction(b);
      // a holds the whole budget with a message of the largest size allowed, not yet ended.
      a.command("DATA");
      a.send(lines(1500));
      awaitHeld(f, 150_000);
      // b is refused at DATA, before it sends any text, and keeps its transaction.
      assertEquals(insufficient, b.command("DATA").text());
      a.send(".\r\n");
      a.expect("250 2.0.0 Ok: queued as");
      assertEquals(0, f.shared.bodyMemory().used(), "a queued message gives its share back");
      assertEquals(354, b.command("DATA").code());
      b.send(lines(10) + ".\r\n");
      b.expect("250 2.0.0 Ok: queued as");

      // Running out part-way: the text is read to its end, discarded, and answered the same.
      transaction(a);
      a.command("DATA");
      a.send(lines(1499));
      awaitHeld(f, 149_900);
      transaction(b);
      assertEquals(354, b.command("DATA").code(), "100 octets are left");
      b.send(lines(10) + ".\r\n");
      assertEquals(insufficient, b.readReply().text());
      assertEquals("250 2.0.0 Ok", b.command("NOOP").text(), "the session goes on");
      a.send(".\r\n");
      a.expect("250 2.0.0 Ok: queued as");

      // BDAT: refused from the first chunk when nothing is left.
      transaction(a);
      a.command("DATA");
      a.send(lines(1500));
      awaitHeld(f, 150_000);
      transaction(b);
      b.send("BDAT 1000 LAST\r\n" + lines(10));
      assertEquals(insufficient, b.readReply().text());
      a.send(".\r\n");
      a.expect("250 2.0.0 Ok: queued as");

      List<Integer> sizes = f.spool().stream().map(m -> m.body().length).sorted().toList();
      assertEquals(4, sizes.size(), "a's three messages and b's first: " + sizes);
      assertTrue(sizes.get(0) < 2_000 && sizes.get(1) > 149_000, "b's small one, then a's: " + sizes);
    }
  }

  @Test
  void aSessionThatClosesMidDataGivesItsMemoryBack() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_body_memory=10m").start()) {
      try (SmtpClient a = f.greeted()) {
        transaction(a);
        a.command("DATA");
        a.send(lines(1000));
        awaitHeld(f, 100_000);
      }
      long deadline = System.currentTimeMillis() + 10_000;
      while (f.shared.bodyMemory().used() != 0) {
        assertTrue(System.currentTimeMillis() < deadline, "still held: " + f.shared.bodyMemory().used());
        Thread.sleep(10);
      }
    }
  }

  @Test
  void slotIsFreedWhenAConnectionCloses() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_connections_per_ip=1").start()) {
      try (SmtpClient one = f.connect()) {
        one.expect(220);
        assertEquals("221 2.0.0 Bye", one.command("QUIT").text());
        one.readUntilClosed();
      }
      // The server may see the close a moment after the client does: retry until admitted (bounded).
      long deadline = System.currentTimeMillis() + 5_000;
      while (true) {
        try (SmtpClient two = f.connect()) {
          SmtpClient.Reply r = two.readReply();
          if (r.code() == 220) {
            break;
          }
          assertTrue(System.currentTimeMillis() < deadline, "slot never freed: " + r);
        }
      }
    }
  }

  @Test
  void connectionRatePerAddressIsLimited() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.connection_rate_per_ip=2", NO_EXCEPTIONS).start()) {
      for (int i = 0; i < 2; i++) {
        try (SmtpClient c = f.connect()) {
          c.expect(220);
          assertEquals("221 2.0.0 Bye", c.command("QUIT").text());
        }
      }
      try (SmtpClient third = f.connect()) {
        assertEquals("421 4.7.0 " + HOST + " Error: too many connections per minute from 127.0.0.1\r\n",
            third.readUntilClosed());
      }
    }
  }

  @Test
  void secondConnectionOverListenerLimitIsRefused() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_connections=1").start();
        SmtpClient one = f.connect()) {
      one.expect(220);
      try (SmtpClient two = f.connect()) {
        assertEquals("421 4.7.0 " + HOST + " Error: too many connections\r\n", two.readUntilClosed());
      }
      assertEquals("250 2.0.0 Ok", one.command("NOOP").text());
    }
  }

  @Test
  void tooManyErrorsEndTheSession() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_errors=3", NO_EXCEPTIONS).start(); SmtpClient c = f.greeted()) {
      assertEquals("500 5.5.1 Error: command not recognized", c.command("ONE").text());
      assertEquals("503 5.5.1 Error: need MAIL command", c.command("DATA").text());
      c.send("THREE\r\n");
      assertEquals("500 5.5.1 Error: command not recognized\r\n421 4.7.0 " + HOST + " Error: too many errors\r\n",
          c.readUntilClosed());
    }
  }

  @Test
  void overlongCommandLinesCountAsErrors() throws Exception {
    // "500 5.5.2 Error: line too long" is an error reply like any other (README: inbound.max_errors
    // counts 4xx/5xx replies); a client must not be able to send them without limit.
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_errors=3", NO_EXCEPTIONS).start(); SmtpClient c = f.greeted()) {
      String longLine = "NOOP " + "x".repeat(600);
      c.timeout(5_000);
      assertEquals("500 5.5.2 Error: line too long", c.command(longLine).text());
      assertEquals("500 5.5.2 Error: line too long", c.command(longLine).text());
      c.send(longLine + "\r\n");
      assertEquals("500 5.5.2 Error: line too long\r\n421 4.7.0 " + HOST + " Error: too many errors\r\n",
          c.readUntilClosed());
    }
  }

  @Test
  void idleClientIsDisconnected() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.command_timeout=2s").start(); SmtpClient c = f.greeted()) {
      long t0 = System.nanoTime();
      c.timeout(6_000);
      assertEquals("421 4.4.2 " + HOST + " Error: timeout exceeded\r\n", c.readUntilClosed());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 1_500 && ms < 4_500, "timed out after " + ms + " ms, expected 2-3 s");
    }
  }

  @Test
  void underStressTheShorterTimeoutApplies() throws Exception {
    // With 5 sessions allowed, 5 open is past 80% of the limit: Postfix's stress mode.
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_connections=5", "inbound.command_timeout=60s",
        "inbound.stress_command_timeout=2s").start()) {
      java.util.List<SmtpClient> crowd = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          crowd.add(f.greeted());
        }
        SmtpClient idle = crowd.get(0);
        long t0 = System.nanoTime();
        idle.timeout(8_000);
        assertEquals("421 4.4.2 " + HOST + " Error: timeout exceeded\r\n", idle.readUntilClosed());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5_000, "under stress the idle client went after " + ms + " ms, not 60 s");
      } finally {
        for (SmtpClient c : crowd) {
          c.close();
        }
      }
    }
  }

  @Test
  void withoutStressTheNormalTimeoutApplies() throws Exception {
    // The control: 2 of 5 sessions is no stress, so a 2 s stress timeout must not apply.
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_connections=5", "inbound.command_timeout=5s",
        "inbound.stress_command_timeout=1s").start(); SmtpClient a = f.greeted(); SmtpClient b = f.greeted()) {
      a.timeout(3_000);
      assertThrows(java.net.SocketTimeoutException.class, a::readReply, "no timeout within 3 s without stress");
    }
  }

  @Test
  void activeClientIsNotDisconnected() throws Exception {
    // The control: a client that keeps talking outlives the command timeout.
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.command_timeout=1s").start(); SmtpClient c = f.greeted()) {
      long end = System.nanoTime() + 2_500_000_000L;
      while (System.nanoTime() < end) {
        assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
        // Pace by waiting on the socket for 300 ms: there is nothing to read, so this times out.
        c.timeout(300);
        try {
          c.readReply();
          throw new AssertionError("unexpected reply while idle");
        } catch (java.net.SocketTimeoutException expected) {
          // paced
        }
        c.timeout(10_000);
      }
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
    }
  }

  @Test
  void slowDataIsDisconnected() throws Exception {
    // A client that keeps sending, so the idle timeout never strikes, but far below the rate: each
    // line earns 0.2 ms against 300 ms of pacing, so the 2 s it started with run out.
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.min_data_rate=100000", "inbound.command_timeout=2s")
        .start(); SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
      c.expect(250);
      c.expect(250);
      c.expect(354);
      c.send("Subject: slow\r\n\r\n");
      SmtpClient.Reply reply = null;
      for (int i = 0; i < 30 && reply == null; i++) { // 9 s at most, against a 2 s budget
        c.send("x".repeat(18) + "\r\n");
        // Pace by waiting on the socket for 300 ms: nothing arrives until the server gives up.
        c.timeout(300);
        try {
          reply = c.readReply();
        } catch (java.net.SocketTimeoutException paced) {
          // still receiving
        }
      }
      assertEquals("421 4.4.2 " + HOST + " Error: data rate too low", reply == null ? null : reply.text());
      c.timeout(10_000);
      assertEquals("", c.readUntilClosed());
      assertEquals(0, f.spool().size());
    }
  }

  @Test
  void clientThatPausesAfter354ThenSendsFastIsNotCutOff() throws Exception {
    // The 1,000-session benchmark: a busy client (or a busy node, slow to read) leaves the text
    // unsent, or unread, for over a second after 354. That is not a slow client; as with
    // Postfix's smtpd_min_data_rate, the command timeout is its budget before the rate counts.
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
      c.expect(250);
      c.expect(250);
      c.expect(354);
      // The pause: two sweeps and more; the server must say nothing meanwhile.
      c.timeout(2_500);
      assertThrows(java.net.SocketTimeoutException.class, c::readReply, "no reply while the client pauses");
      c.timeout(10_000);
      c.send("Subject: late\r\n\r\n" + lines(40) + ".\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
    }
  }

  @Test
  void fastDataPassesTheRateCheck() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.min_data_rate=100000").start();
        SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
      c.expect(250);
      c.expect(250);
      c.expect(354);
      c.send("Subject: fast\r\n\r\nabc\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
    }
  }
}

package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unauthorised pipelining (Postfix's smtpd_forbid_unauth_pipelining): talking before the greeting,
 * or sending commands behind EHLO, ends the session with 554 5.5.0; pipelining after EHLO, as RFC
 * 2920 allows, works.
 */
class PipeliningTest {

  @TempDir
  Path dir;

  /**
   * The greeting is held (the policy's session check is delivered only when the test says so), so
   * the EHLO is certainly on the server's side before the greeting could go out.
   */
  @Test
  void commandBeforeGreetingIsRefused() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).holdGreeting().start(); SmtpClient c = f.connect()) {
      c.send("EHLO x\r\n");
      // The listener must have read the EHLO before the greeting is released, or the test races.
      f.awaitLog("talks before the greeting");
      f.releaseGreeting();
      c.timeout(5_000);
      String all = c.readUntilClosed();
      assertEquals("554 5.5.0 Error: SMTP protocol synchronization\r\n", all,
          "a client that talks first gets no greeting, only the refusal");
      f.awaitLog("sent commands before the greeting");
    }
  }

  @Test
  void clientThatWaitsForHeldGreetingIsServed() throws Exception {
    // The control for the test above: holding the greeting alone does not cause the refusal.
    try (InboundFixture f = InboundFixture.in(dir).holdGreeting().start(); SmtpClient c = f.connect()) {
      f.releaseGreeting();
      c.expect("220 " + InboundFixture.HOSTNAME + " ESMTP Postern");
      assertEquals(250, c.command("EHLO x").code());
    }
  }

  @Test
  void commandPipelinedBehindEhloIsRefused() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.connect()) {
      c.expect(220);
      c.send("EHLO x\r\nMAIL FROM:<a@b.example>\r\n");
      assertEquals("554 5.5.0 Error: SMTP protocol synchronization\r\n", c.readUntilClosed());
      f.awaitLog("sent commands before the EHLO reply");
      assertEquals(0, f.spool().size());
    }
  }

  @Test
  void partialCommandBehindHeloIsRefused() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.connect()) {
      c.expect(220);
      c.send("HELO x\r\nMAI");
      assertEquals("554 5.5.0 Error: SMTP protocol synchronization\r\n", c.readUntilClosed());
    }
  }

  @Test
  void ehloLastInGroupIsAllowed() throws Exception {
    // RFC 2920 §3.1: EHLO may end a group; only what follows it must wait for its reply.
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.connect()) {
      c.expect(220);
      c.send("NOOP\r\nEHLO x\r\n");
      assertEquals("250 2.0.0 Ok", c.readReply().text());
      assertEquals(250, c.readReply().code());
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
    }
  }

  @Test
  void pipeliningAfterEhloIsFine() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
      assertEquals("250 2.1.0 Ok", c.readReply().text());
      assertEquals("250 2.1.5 Ok", c.readReply().text());
      assertEquals("354 End data with <CR><LF>.<CR><LF>", c.readReply().text());
      // The text, the end and the next transaction's commands may come in one write too.
      c.send("Subject: p\r\n\r\nbody\r\n.\r\nRSET\r\nQUIT\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
      assertEquals("250 2.0.0 Ok", c.readReply().text());
      assertEquals("221 2.0.0 Bye", c.readReply().text());
      assertEquals("", c.readUntilClosed());
      assertEquals(1, f.spool().size());
    }
  }
}

package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message text on the wire: only CRLF.CRLF ends DATA (SMTP smuggling), line and size limits,
 * and BDAT chunks (RFC 3030), checked against what lands in the spool.
 */
class MessageTextTest {

  @TempDir
  Path dir;

  private static SmtpClient inData(InboundFixture f) throws Exception {
    SmtpClient c = f.greeted();
    c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
    c.expect("250 2.1.0");
    c.expect("250 2.1.5");
    c.expect(354);
    return c;
  }

  // ---- SMTP smuggling: a bare LF or CR never ends DATA ----

  @Test
  void bareLfDotBareLfDoesNotEndDataAndSmuggledMailIsNotExecuted() throws Exception {
    assertSmugglingRefused("Subject: a\r\n\r\nbody\n.\nMAIL FROM:<x@y>\r\n.\r\n");
  }

  @Test
  void bareCrDotBareCrDoesNotEndDataAndSmuggledMailIsNotExecuted() throws Exception {
    assertSmugglingRefused("Subject: a\r\n\r\nbody\r.\rMAIL FROM:<x@y>\r\n.\r\n");
  }

  @Test
  void crlfDotBareLfDoesNotEndData() throws Exception {
    assertSmugglingRefused("Subject: a\r\n\r\nbody\r\n.\nMAIL FROM:<x@y>\r\nRCPT TO:<z@y>\r\n.\r\n");
  }

  @Test
  void bareLfDotCrlfDoesNotEndData() throws Exception {
    assertSmugglingRefused("Subject: a\r\n\r\nbody\n.\r\nMAIL FROM:<x@y>\r\n.\r\n");
  }

  private void assertSmugglingRefused(String text) throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = inData(f)) {
      c.send(text);
      assertEquals("554 5.6.0 Error: bare <CR> or <LF> in message text", c.readReply().text());
      // Exactly one reply: the next one belongs to HELP, not to a smuggled MAIL (which would get
      // 250 2.1.0) or RCPT.
      assertEquals(214, c.command("HELP").code());
      // The transaction is over: a new MAIL is accepted, not "nested".
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@example.org>").text());
      assertEquals(0, f.spool().size(), "nothing may be queued");
    }
  }

  @Test
  void dotStuffingIsUndoneAndOnlyCrlfDotCrlfEnds() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = inData(f)) {
      c.send("Subject: dots\r\n\r\n..leading dot\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
      assertTrue(f.onlySpooled().bodyText().endsWith("\r\nSubject: dots\r\n\r\n.leading dot\r\n"),
          f.onlySpooled().bodyText());
    }
  }

  // ---- limits on lines and size ----

  @Test
  void commandLineOf512OctetsIsAcceptedAnd513IsRefused() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      String pad = "x".repeat(510 - "NOOP ".length());
      assertEquals("250 2.0.0 Ok", c.command("NOOP " + pad).text(), "510 octets + CRLF = 512 is allowed");
      assertEquals("500 5.5.2 Error: line too long", c.command("NOOP " + pad + "x").text());
      assertEquals("500 5.5.2 Error: line too long", c.command("MAIL FROM:<" + "a".repeat(600) + "@example.org>").text());
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text(), "the session goes on");
    }
  }

  @Test
  void dataLineOf1200OctetsRefusesTheMessageWhole() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = inData(f)) {
      c.send("Subject: long\r\n\r\n" + "y".repeat(1200) + "\r\nafter\r\n.\r\n");
      assertEquals("554 5.6.0 Error: message line longer than 998 octets", c.readReply().text());
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
      assertEquals(0, f.spool().size(), "neither cut nor queued");
    }
  }

  @Test
  void dataLineOf998OctetsIsAccepted() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = inData(f)) {
      String line = "z".repeat(998);
      c.send("Subject: limit\r\n\r\n" + line + "\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
      assertTrue(f.onlySpooled().bodyText().endsWith("\r\n\r\n" + line + "\r\n"));
    }
  }

  @Test
  void messageOverSizeLimitIsRefusedAfterData() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_message_size=2048").start();
        SmtpClient c = inData(f)) {
      StringBuilder text = new StringBuilder("Subject: big\r\n\r\n");
      for (int i = 0; i < 40; i++) {
        text.append("x".repeat(78)).append("\r\n");
      }
      c.send(text + ".\r\n");
      assertEquals("552 5.3.4 Error: message file too big", c.readReply().text());
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
      assertEquals(0, f.spool().size());
    }
  }

  @Test
  void sizeParameterOverLimitIsRefusedAtMail() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_message_size=2048").start();
        SmtpClient c = f.connect()) {
      c.expect(220);
      assertTrue(c.command("EHLO client.test").has("250-SIZE 2048"));
      assertEquals("552 5.3.4 Message size exceeds fixed limit", c.command("MAIL FROM:<a@b.example> SIZE=999999").text());
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@b.example> SIZE=2048").text());
    }
  }

  // ---- BDAT ----

  @Test
  void bdatChunkIsStoredByteForByte() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@example.org>").text());
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<b@example.net>").text());
      byte[] chunk = "ab\ncd\r\n.\r\n".getBytes(StandardCharsets.US_ASCII); // bare LF, and a "." line that is not an end
      assertEquals(10, chunk.length);
      c.send(concat("BDAT 10 LAST\r\n".getBytes(StandardCharsets.US_ASCII), chunk));
      c.expect("250 2.0.0 Ok: queued as ");
      assertArrayEquals(chunk, afterReceived(f.onlySpooled().body()));
    }
  }

  @Test
  void pipelinedBdatChunksMakeOneMessage() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nBDAT 5\r\nhelloBDAT 0 LAST\r\n");
      assertEquals("250 2.1.0 Ok", c.readReply().text());
      assertEquals("250 2.1.5 Ok", c.readReply().text());
      assertEquals("250 2.0.0 Ok: 5 octets received", c.readReply().text());
      c.expect("250 2.0.0 Ok: queued as ");
      assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), afterReceived(f.onlySpooled().body()));
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
    }
  }

  @Test
  void bdatBeforeRcptConsumesItsChunkAndSessionContinues() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@example.org>").text());
      // The chunk holds what looks like a command; it is data and must never be executed.
      c.send("BDAT 6\r\nQUIT\r\n");
      assertEquals("503 5.5.1 Error: need RCPT command", c.readReply().text());
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
      assertEquals(214, c.command("HELP").code());
      assertEquals(0, f.spool().size());
    }
  }

  @Test
  void bdatBeforeMailConsumesItsChunk() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      c.send("BDAT 18 LAST\r\nRSET\r\nHELP\r\nNOOP\r\n");
      assertEquals("503 5.5.1 Error: need MAIL command", c.readReply().text());
      assertEquals("221 2.0.0 Bye", c.command("QUIT").text());
    }
  }

  @Test
  void bdatOverSizeLimitIsRefusedAndInputStaysFramed() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_message_size=2048").start();
        SmtpClient c = f.greeted()) {
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@example.org>").text());
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<b@example.net>").text());
      byte[] chunk = new byte[3000];
      Arrays.fill(chunk, (byte) 'q');
      c.send(concat("BDAT 3000 LAST\r\n".getBytes(StandardCharsets.US_ASCII), chunk));
      assertEquals("552 5.3.4 Error: message file too big", c.readReply().text());
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
      assertEquals(0, f.spool().size());
    }
  }

  /** The body as stored, minus the Received header Postern prepends (a folded header ending in CRLF). */
  static byte[] afterReceived(byte[] body) {
    String s = new String(body, StandardCharsets.ISO_8859_1);
    assertTrue(s.startsWith("Received: from client.test ("), s);
    int i = 0;
    while (true) {
      int crlf = s.indexOf("\r\n", i);
      assertTrue(crlf >= 0, "unterminated Received header: " + s);
      i = crlf + 2;
      if (i >= s.length() || (s.charAt(i) != '\t' && s.charAt(i) != ' ')) {
        return Arrays.copyOfRange(body, i, body.length);
      }
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(a);
    out.writeBytes(b);
    return out.toByteArray();
  }
}

package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that half-closes (shutdown(SHUT_WR), as Exim does after pipelining the end of DATA and
 * QUIT) is still owed a reply to every command it sent: the end of its input must not cancel them.
 */
class HalfCloseTest {

  @TempDir
  Path dir;

  private static final Pattern QUEUED = Pattern.compile("250 2\\.0\\.0 Ok: queued as (\\w+)\r\n");

  /** A plain socket: the test needs shutdownOutput, which SmtpClient does not expose. */
  private static String session(int port, String pipelined) throws Exception {
    try (Socket s = new Socket()) {
      s.setSoTimeout(10_000);
      s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      var in = s.getInputStream();
      var out = s.getOutputStream();
      StringBuilder got = new StringBuilder();
      // Greeting, then EHLO on its own (a client must wait for the EHLO reply).
      readReplyInto(in, got);
      out.write("EHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
      readReplyInto(in, got);
      got.setLength(0);
      out.write(pipelined.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      s.shutdownOutput();
      byte[] b = new byte[4096];
      int n;
      while ((n = in.read(b)) >= 0) {
        got.append(new String(b, 0, n, StandardCharsets.US_ASCII));
      }
      return got.toString();
    }
  }

  /** Reads one reply (until a line with a space after the code). */
  private static void readReplyInto(java.io.InputStream in, StringBuilder got) throws Exception {
    StringBuilder line = new StringBuilder();
    while (true) {
      int c = in.read();
      assertTrue(c >= 0, "closed while reading a reply: " + got + line);
      line.append((char) c);
      if (c == '\n') {
        got.append(line);
        if (line.length() > 3 && line.charAt(3) == ' ') {
          return;
        }
        line.setLength(0);
      }
    }
  }

  @Test
  void dataEndAndQuitBeforeTheHalfCloseAreBothAnswered() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start()) {
      String replies = session(f.port, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
          + "Subject: half-close\r\n\r\nhi\r\n.\r\nQUIT\r\n");
      Matcher m = QUEUED.matcher(replies);
      assertTrue(m.find(), replies);
      assertEquals("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n" + m.group()
          + "221 2.0.0 Bye\r\n", replies);
      assertEquals(1, f.spool().size());
    }
  }

  @Test
  void withoutQuitTheMessageIsStillAnsweredBeforeTheClose() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start()) {
      String replies = session(f.port, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
          + "Subject: half-close\r\n\r\nhi\r\n.\r\n");
      Matcher m = QUEUED.matcher(replies);
      assertTrue(m.find(), "the 250 for the message: " + replies);
      assertEquals("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n" + m.group(), replies,
          "every reply owed, then the close");
      assertEquals(1, f.spool().size());
    }
  }

  @Test
  void aBdatMessageEndedByTheHalfCloseIsAnsweredToo() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start()) {
      String replies = session(f.port, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nBDAT 5 LAST\r\nhelloQUIT\r\n");
      assertTrue(QUEUED.matcher(replies).find(), replies);
      assertTrue(replies.endsWith("221 2.0.0 Bye\r\n"), replies);
    }
  }

  @Test
  void aHalfCloseInTheMiddleOfDataEndsTheSessionWithoutAMessage() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start()) {
      String replies = session(f.port, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
          + "Subject: cut\r\n\r\nno end");
      assertEquals("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n", replies);
      assertEquals(0, f.spool().size());
    }
  }
}

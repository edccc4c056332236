package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input the session cannot take, refused on the wire at once instead of waiting for a timeout:
 * an endless line, and a BDAT chunk announced larger than a message may be.
 */
class OversizeInputTest {

  @TempDir
  Path dir;

  @Test
  void sixtyFourKibibytesWithoutALineEndGet500AndAClose() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      // Exactly 64 KiB, then the client waits: nothing more will come to end the line.
      c.send("x".repeat(64 * 1024));
      assertEquals("500 5.5.2 Error: line too long\r\n", c.readUntilClosed());
    }
  }

  @Test
  void aLongerLineInDataIsRefusedTheSameWay() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
      c.expect("250 2.1.0");
      c.expect("250 2.1.5");
      c.expect(354);
      c.send("y".repeat(100_000));
      assertEquals("500 5.5.2 Error: line too long\r\n", c.readUntilClosed());
      assertEquals(0, f.spool().size());
    }
  }

  @Test
  void aBdatChunkAboveTheSizeLimitGets552AtOnce() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_message_size=2048").start();
        SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n");
      c.expect("250 2.1.0");
      c.expect("250 2.1.5");
      // The reply comes before any of the chunk: a client may wait for it before sending more.
      c.send("BDAT 1000000 LAST\r\n");
      assertEquals("552 5.3.4 Error: message file too big", c.readReply().text());
      // The chunk's octets are still read and dropped, so the input stays framed.
      c.send("z".repeat(1_000_000));
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
      assertEquals(0, f.spool().size());
    }
  }

  @Test
  void chunksWhoseSumPassesTheSizeLimitGet552AtTheChunkThatPassesIt() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.max_message_size=2048").start();
        SmtpClient c = f.greeted()) {
      c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n");
      c.expect("250 2.1.0");
      c.expect("250 2.1.5");
      c.send("BDAT 2000\r\n" + "a".repeat(2000));
      assertEquals("250 2.0.0 Ok: 2000 octets received", c.readReply().text());
      c.send("BDAT 100 LAST\r\n");
      assertEquals("552 5.3.4 Error: message file too big", c.readReply().text());
      c.send("b".repeat(100));
      assertEquals("503 5.5.1 Error: need MAIL command", c.command("BDAT 0 LAST").text(),
          "the refused chunk ended the transaction");
      assertEquals("221 2.0.0 Bye\r\n", c.send("QUIT\r\n").readUntilClosed());
      assertEquals(0, f.spool().size());
    }
  }
}

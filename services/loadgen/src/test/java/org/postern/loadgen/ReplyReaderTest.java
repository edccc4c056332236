package org.postern.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyReaderTest {

  @Test
  void multiLineReplySplitAcrossReads() {
    ReplyReader r = new ReplyReader();
    r.feed(Buffer.buffer("250-mx.example\r\n250-PIPEL"));
    assertNull(r.poll());
    r.feed(Buffer.buffer("INING\r\n250-STARTTLS\r\n250 8BITMIME\r\n220 next"));
    SmtpReply ehlo = r.poll();
    assertEquals(250, ehlo.code());
    assertEquals(List.of("mx.example", "PIPELINING", "STARTTLS", "8BITMIME"), ehlo.lines());
    assertTrue(ehlo.hasExtension("starttls"));
    assertNull(r.poll(), "the partial line is not a reply yet");
    r.feed(Buffer.buffer("\n"));
    assertEquals(220, r.poll().code());
  }

  @Test
  void bareCodeAndClear() {
    ReplyReader r = new ReplyReader();
    r.feed(Buffer.buffer("354\r\n250 ok\r\n"));
    assertEquals(354, r.poll().code());
    r.clear();
    assertNull(r.poll());
  }

  @Test
  void malformedAndMixedCodesAreProtocolErrors() {
    assertThrows(LoadErrors.Protocol.class, () -> new ReplyReader().feed(Buffer.buffer("hello\r\n")));
    assertThrows(LoadErrors.Protocol.class, () -> new ReplyReader().feed(Buffer.buffer("250-a\r\n251 b\r\n")));
    assertThrows(LoadErrors.Protocol.class,
        () -> new ReplyReader().feed(Buffer.buffer("250 " + "x".repeat(ReplyReader.MAX_LINE + 10))));
  }
}

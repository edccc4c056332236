package org.postern.loadgen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MessageBodyTest {

  @ParameterizedTest
  @ValueSource(ints = {64, 65, 66, 100, 139, 140, 141, 142, 143, 1000, 4096, 100_000})
  void contentHasExactlyTheSizeAndCrlfLines(int size) {
    byte[] c = MessageBody.content(size, "a@b.invalid", "c@d.invalid");
    assertEquals(size, c.length);
    String s = new String(c, StandardCharsets.US_ASCII);
    assertTrue(s.endsWith("\r\n"), "ends with CRLF");
    assertEquals(-1, s.replace("\r\n", "").indexOf('\n'), "no bare LF");
    assertEquals(-1, s.replace("\r\n", "").indexOf('\r'), "no bare CR");
    for (String line : s.split("\r\n")) {
      assertTrue(line.length() <= 998, "line within RFC 5322 limit");
    }
    assertTrue(s.contains("\r\n.\r\n"), "a line that is a single dot");
  }

  @Test
  void wireFormIsDotStuffedAndTerminated() {
    byte[] c = MessageBody.content(4096, "a@b.invalid", "c@d.invalid");
    String wire = MessageBody.wire(c).toString(StandardCharsets.US_ASCII);
    assertTrue(wire.endsWith("\r\n.\r\n"));
    // Exactly one terminator: the only "CRLF . CRLF" is the last one.
    assertEquals(wire.length() - 5, wire.indexOf("\r\n.\r\n"));
    assertTrue(wire.contains("\r\n..\r\n"), "the single-dot line is stuffed");
    assertArrayEquals(c, unstuff(wire));
  }

  @Test
  void refusesTooSmall() {
    assertThrows(IllegalArgumentException.class, () -> MessageBody.content(10, "a@b", "c@d"));
  }

  /** What a server stores (RFC 5321 §4.5.2), written independently of the generator. */
  static byte[] unstuff(String wire) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String line : wire.split("\r\n", -1)) {
      if (line.equals(".")) {
        break;
      }
      String l = line.startsWith(".") ? line.substring(1) : line;
      out.writeBytes((l + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }
}

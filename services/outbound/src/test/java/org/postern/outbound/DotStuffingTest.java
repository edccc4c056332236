package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DotStuffingTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("", ".\r\n"),
        Arguments.of("a\r\n", "a\r\n.\r\n"),
        Arguments.of("a", "a\r\n.\r\n"),
        Arguments.of(".\r\n", "..\r\n.\r\n"),
        Arguments.of(".a\r\n..b\r\nc.d\r\n", "..a\r\n...b\r\nc.d\r\n.\r\n"),
        Arguments.of("x\r\n.", "x\r\n..\r\n.\r\n"),
        // A line end split as bare CR: only LF starts a line.
        Arguments.of("x\r.y\r\n", "x\r.y\r\n.\r\n"));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void stuffsLeadingDotsAndTerminates(String body, String wire) {
    DotStuffing d = new DotStuffing();
    assertEquals(wire, d.piece(Buffer.buffer(body)).appendBuffer(d.end()).toString());
  }

  @ParameterizedTest
  @MethodSource("cases")
  void givesTheSameWireWhateverPiecesTheBodyComesIn(String body, String wire) {
    // Cut in two at every place, and in single octets: a line start or a CRLF may straddle a cut.
    for (int cut = 0; cut <= body.length(); cut++) {
      DotStuffing d = new DotStuffing();
      Buffer out = d.piece(Buffer.buffer(body.substring(0, cut))).appendBuffer(d.piece(Buffer.buffer(body.substring(cut))));
      assertEquals(wire, out.appendBuffer(d.end()).toString(), "cut at " + cut);
    }
    DotStuffing d = new DotStuffing();
    Buffer out = Buffer.buffer();
    for (char c : body.toCharArray()) {
      out.appendBuffer(d.piece(Buffer.buffer(String.valueOf(c))));
    }
    assertEquals(wire, out.appendBuffer(d.end()).toString(), "octet by octet");
  }
}

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
    assertEquals(wire, DotStuffing.encode(Buffer.buffer(body)).toString());
  }
}

package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.postern.smtp.DataReader.Outcome.BARE_LINE_END;
import static org.postern.smtp.DataReader.Outcome.COMPLETE;
import static org.postern.smtp.DataReader.Outcome.LINE_TOO_LONG;
import static org.postern.smtp.DataReader.Outcome.TOO_BIG;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The DATA section (RFC 5321 4.5.2, 4.5.3.1.6): unstuffing, CRLF, limits, bare line ends. */
class DataReaderTest {

  static final long ROOMY = 100_000;

  static Stream<Arguments> sections() {
    return Stream.of(
        row("plain lines get CRLF", ROOMY, List.of("a", "b"), COMPLETE, "a\r\nb\r\n"),
        row("an empty message", ROOMY, List.of(), COMPLETE, ""),
        row("an empty line is kept", ROOMY, List.of("", "x", ""), COMPLETE, "\r\nx\r\n\r\n"),
        row("a stuffed dot is removed", ROOMY, List.of("..x"), COMPLETE, ".x\r\n"),
        row("a stuffed lone dot", ROOMY, List.of(".."), COMPLETE, ".\r\n"),
        row("only the first dot is removed", ROOMY, List.of("...x"), COMPLETE, "..x\r\n"),
        // RFC 5321 4.5.2: a leading dot is removed whatever follows, even if the client forgot to stuff.
        row("an unstuffed leading dot is dropped", ROOMY, List.of(".x"), COMPLETE, "x\r\n"),
        row("dots elsewhere are untouched", ROOMY, List.of("a.b", "x."), COMPLETE, "a.b\r\nx.\r\n"),
        row("8-bit bytes pass unchanged", ROOMY, List.of("caf\u00e9 \u00ff"), COMPLETE, "caf\u00e9 \u00ff\r\n"),
        row("a 998-octet line", ROOMY, List.of("x".repeat(998)), COMPLETE, "x".repeat(998) + "\r\n"),
        row("a 999-octet line", ROOMY, List.of("x".repeat(999)), LINE_TOO_LONG, ""),
        row("a long line among short ones", ROOMY, List.of("a", "x".repeat(1500), "b"), LINE_TOO_LONG, ""),
        row("a bare LF", ROOMY, List.of("one\ntwo"), BARE_LINE_END, ""),
        row("a bare CR", ROOMY, List.of("one\rtwo"), BARE_LINE_END, ""),
        // The adapter splits on CRLF only, so "x\r\r\n" reaches the reader as "x\r".
        row("a CR before the CRLF", ROOMY, List.of("x\r"), BARE_LINE_END, ""),
        row("a smuggled end of data", ROOMY, List.of("a\n.\nMAIL FROM:<x@y.example>"), BARE_LINE_END, ""),
        row("exactly the size limit, CRLF counted", 10, List.of("12345678"), COMPLETE, "12345678\r\n"),
        row("one octet over the size limit", 10, List.of("123456789"), TOO_BIG, ""),
        row("the stuffed dot is not counted", 10, List.of("..2345678"), COMPLETE, ".2345678\r\n"),
        row("over the limit across lines", 10, List.of("1234", "1234"), TOO_BIG, ""),
        row("the first fault wins", 10, List.of("a\nb", "x".repeat(2000)), BARE_LINE_END, ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sections")
  void reads(String name, long maxSize, List<String> lines, DataReader.Outcome outcome, String body) {
    DataReader reader = new DataReader(maxSize);
    for (String line : lines) {
      assertFalse(reader.line(bytes(line)), "only the lone dot ends the data");
    }
    assertTrue(reader.line(bytes(".")));

    assertTrue(reader.isDone());
    assertEquals(outcome, reader.outcome());
    assertArrayEquals(bytes(body), reader.body());
  }

  // RFC 5321 4.5.3.1.6: 1000 octets per line "not counting the leading dot duplicated for transparency".
  @Test
  void theStuffedDotDoesNotCountTowardsTheLineLimit() {
    DataReader reader = new DataReader(ROOMY);
    reader.line(bytes("." + "x".repeat(998)));
    reader.line(bytes("."));

    assertEquals(COMPLETE, reader.outcome());
    assertArrayEquals(bytes("x".repeat(998) + "\r\n"), reader.body());
  }

  @Test
  void aFaultyMessageIsReadToTheEndSoTheReplyComesAfterTheDot() {
    DataReader reader = new DataReader(ROOMY);
    assertFalse(reader.line(bytes("bad\nline")));
    assertFalse(reader.line(bytes("more")));
    assertFalse(reader.isDone());
    assertTrue(reader.line(bytes(".")));
    assertEquals(BARE_LINE_END, reader.outcome());
  }

  @Test
  void takesNoLineAfterTheDot() {
    DataReader reader = new DataReader(ROOMY);
    reader.line(bytes("."));
    assertThrows(IllegalStateException.class, () -> reader.line(bytes("late")));
  }

  static Arguments row(String name, long maxSize, List<String> lines, DataReader.Outcome outcome, String body) {
    return Arguments.of(name, maxSize, lines, outcome, body);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}

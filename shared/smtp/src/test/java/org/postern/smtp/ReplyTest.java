package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The reply's wire form (RFC 5321 4.2.1, RFC 2034) and the invariants its constructor guards. */
class ReplyTest {

  static Stream<Arguments> wireForms() {
    return Stream.of(
        Arguments.of(Reply.of(250, "2.1.0", "Ok"), "250 2.1.0 Ok\r\n"),
        Arguments.of(Reply.plain(220, "mx.example ESMTP Postern"), "220 mx.example ESMTP Postern\r\n"),
        Arguments.of(Reply.of(354, null, "End data with <CR><LF>.<CR><LF>"), "354 End data with <CR><LF>.<CR><LF>\r\n"),
        Arguments.of(Reply.of(250, "2.0.0", ""), "250 2.0.0 \r\n"),
        Arguments.of(Reply.multiline(250, null, List.of("mx.example", "PIPELINING", "8BITMIME")),
            "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
        // RFC 2034 3: the enhanced code is repeated on every line of a multi-line reply.
        Arguments.of(Reply.multiline(550, "5.7.1", List.of("Rejected", "see https://example.org")),
            "550-5.7.1 Rejected\r\n550 5.7.1 see https://example.org\r\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wireForms")
  void toWire(Reply reply, String wire) {
    assertEquals(wire, reply.toWire());
  }

  @Test
  void toStringJoinsLinesForLogs() {
    assertEquals("550 5.7.1 Rejected / see https://example.org",
        Reply.multiline(550, "5.7.1", List.of("Rejected", "see https://example.org")).toString());
    assertEquals("220 mx.example ESMTP Postern", Reply.plain(220, "mx.example ESMTP Postern").toString());
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        bad("success code with a failure enhanced code", 250, "5.0.0", "Ok"),
        bad("permanent code with a success enhanced code", 550, "2.0.0", "No"),
        bad("transient code with a permanent enhanced code", 451, "5.3.0", "Later"),
        bad("permanent code with a transient enhanced code", 554, "4.7.1", "No"),
        bad("code below 200", 199, null, "x"),
        bad("code above 599", 600, null, "x"),
        bad("code zero", 0, null, "x"),
        bad("four-digit code", 2500, null, "x"),
        bad("enhanced code without detail", 550, "5.7", "x"),
        bad("enhanced class 3 does not exist", 550, "3.0.0", "x"),
        bad("enhanced subject over three digits", 550, "5.1234.0", "x"),
        bad("enhanced code not numeric", 550, "x.y.z", "x"),
        bad("CR in text", 250, "2.0.0", "Ok\rRCPT"),
        bad("LF in text", 250, "2.0.0", "Ok\n250 fake"),
        bad("CRLF in text", 250, "2.0.0", "Ok\r\n250 fake"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void refusesMalformedReplies(int code, String enhanced, String text) {
    assertThrows(IllegalArgumentException.class, () -> Reply.of(code, enhanced, text));
  }

  @Test
  void refusesLineBreaksInAnyLineOfAMultilineReply() {
    assertThrows(IllegalArgumentException.class,
        () -> Reply.multiline(250, null, List.of("mx.example", "PIPELINING\r\n250 AUTH PLAIN")));
  }

  @Test
  void refusesAReplyWithoutLines() {
    assertThrows(IllegalArgumentException.class, () -> Reply.multiline(250, null, List.of()));
    assertThrows(NullPointerException.class, () -> new Reply(250, null, null));
  }

  @Test
  void linesAreCopiedSoTheCallerCannotChangeASentReply() {
    List<String> lines = new ArrayList<>(List.of("one"));
    Reply reply = new Reply(250, "2.0.0", lines);
    lines.set(0, "two");
    lines.add("three");

    assertEquals(List.of("one"), reply.lines());
    assertThrows(UnsupportedOperationException.class, () -> reply.lines().add("x"));
  }

  @ParameterizedTest(name = "{0} positive={1} transient={2} permanent={3}")
  @CsvSource({
      "220, true, false, false",
      "250, true, false, false",
      "354, true, false, false",
      "421, false, true, false",
      "452, false, true, false",
      "500, false, false, true",
      "554, false, false, true"})
  void classifiesByFirstDigit(int code, boolean positive, boolean transientFailure, boolean permanent) {
    Reply reply = Reply.plain(code, "x");
    assertEquals(positive, reply.isPositive());
    assertEquals(transientFailure, reply.isTransient());
    assertEquals(permanent, reply.isPermanent());
  }

  static Arguments bad(String why, int code, String enhanced, String text) {
    return Arguments.of(Named.of(why, code), enhanced, text);
  }
}

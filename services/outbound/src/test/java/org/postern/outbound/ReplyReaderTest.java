package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postern.smtp.Reply;

class ReplyReaderTest {

  static Stream<Arguments> wellFormed() {
    return Stream.of(
        Arguments.of(List.of("220 mx.example ESMTP"), new Reply(220, null, List.of("mx.example ESMTP"))),
        Arguments.of(List.of("250 2.1.0 Ok"), Reply.of(250, "2.1.0", "Ok")),
        Arguments.of(List.of("451 4.3.0 try later"), Reply.of(451, "4.3.0", "try later")),
        Arguments.of(List.of("550 5.1.1 no such user"), Reply.of(550, "5.1.1", "no such user")),
        // Bare code, and a code followed by a space only: empty text (RFC 5321 §4.2 allows both).
        Arguments.of(List.of("250"), Reply.plain(250, "")),
        Arguments.of(List.of("250 "), Reply.plain(250, "")),
        // Enhanced code alone on the line.
        Arguments.of(List.of("250 2.0.0"), Reply.of(250, "2.0.0", "")),
        // Class disagrees: text, not an enhanced code.
        Arguments.of(List.of("250 5.0.0 odd"), Reply.plain(250, "5.0.0 odd")),
        Arguments.of(List.of("550 4.1.1 odd"), Reply.plain(550, "4.1.1 odd")),
        // 3xx has no enhanced class at all.
        Arguments.of(List.of("354 2.0.0 go ahead"), Reply.plain(354, "2.0.0 go ahead")),
        // Something that only looks like a code: no separator after it.
        Arguments.of(List.of("250 2.0.0x"), Reply.plain(250, "2.0.0x")),
        Arguments.of(List.of("250 2.0.1000 too long"), Reply.plain(250, "2.0.1000 too long")),
        // Multi-line EHLO reply.
        Arguments.of(List.of("250-mx.example", "250-PIPELINING", "250-STARTTLS", "250 8BITMIME"),
            new Reply(250, null, List.of("mx.example", "PIPELINING", "STARTTLS", "8BITMIME"))),
        // Multi-line with the enhanced code on every line: stripped from each.
        Arguments.of(List.of("550-5.7.1 first", "550 5.7.1 second"),
            new Reply(550, "5.7.1", List.of("first", "second"))),
        // Continuation with empty text.
        Arguments.of(List.of("250-", "250 end"), new Reply(250, null, List.of("", "end"))));
  }

  @ParameterizedTest
  @MethodSource("wellFormed")
  void assemblesReplies(List<String> lines, Reply expected) {
    ReplyReader reader = new ReplyReader();
    for (int i = 0; i < lines.size() - 1; i++) {
      assertEquals(Optional.empty(), reader.accept(lines.get(i)), "line " + i + " must not complete the reply");
      assertTrue(reader.inProgress());
    }
    assertEquals(Optional.of(expected), reader.accept(lines.get(lines.size() - 1)));
    assertFalse(reader.inProgress());
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(List.of("")),
        Arguments.of(List.of("25")),
        Arguments.of(List.of("abc hello")),
        Arguments.of(List.of("2x0 hello")),
        Arguments.of(List.of("150 one-hundred class")),
        Arguments.of(List.of("650 six-hundred class")),
        Arguments.of(List.of("250hello")),
        Arguments.of(List.of("250_hello")),
        Arguments.of(List.of("250 bare\rCR")),
        Arguments.of(List.of("250 bare\nLF")),
        Arguments.of(List.of("250-first", "251 different code")),
        Arguments.of(List.of("250-first", "garbage")));
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void rejectsMalformedLines(List<String> lines) {
    ReplyReader reader = new ReplyReader();
    for (int i = 0; i < lines.size() - 1; i++) {
      reader.accept(lines.get(i));
    }
    assertThrows(SmtpProtocolException.class, () -> reader.accept(lines.get(lines.size() - 1)));
  }

  @org.junit.jupiter.api.Test
  void rejectsEndlessReplies() {
    ReplyReader reader = new ReplyReader();
    for (int i = 0; i < ReplyReader.MAX_LINES; i++) {
      reader.accept("250-line " + i);
    }
    assertThrows(SmtpProtocolException.class, () -> reader.accept("250 one too many"));
  }

  @org.junit.jupiter.api.Test
  void readsConsecutiveRepliesIndependently() {
    ReplyReader reader = new ReplyReader();
    assertEquals(Optional.of(Reply.plain(220, "hi")), reader.accept("220 hi"));
    reader.accept("250-a");
    assertEquals(Optional.of(new Reply(250, null, List.of("a", "b"))), reader.accept("250 b"));
    assertEquals(Optional.of(Reply.of(451, "4.3.0", "x")), reader.accept("451 4.3.0 x"));
  }
}

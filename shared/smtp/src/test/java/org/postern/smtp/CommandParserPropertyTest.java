package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fixed-seed fuzzing of the parser. The seed is fixed so a failure reproduces; the line that broke
 * an invariant is in the message, escaped.
 */
class CommandParserPropertyTest {

  static final long SEED = 0x5EED_2026L;
  static final int LINES = 20_000;

  @Test
  void parseIsTotalAndRefusesForbiddenCharacters() {
    RandomLines lines = new RandomLines(SEED);
    int forbidden = 0;
    for (int i = 0; i < LINES; i++) {
      String line = lines.next();
      Command command = parse(line);
      String where = "line " + i + " '" + Show.escape(line) + "' -> " + command;
      if (hasForbiddenCharacter(line)) {
        forbidden++;
        Command.Invalid invalid = assertInstanceOf(Command.Invalid.class, command, where);
        assertEquals(500, invalid.reply().code(), where);
        assertEquals("5.5.2", invalid.reply().enhanced(), where);
      }
      if (command instanceof Command.Invalid invalid) {
        assertTrue(invalid.reply().isPermanent(), where);
        assertNotNull(invalid.reply().enhanced(), where);
      } else if (!(command instanceof Command.Unknown)) {
        assertEquals(firstWord(line), command.verb(), where);
      }
    }
    int seen = forbidden;
    assertTrue(seen > LINES / 5, () -> "the generator produced only " + seen + " hostile lines");
  }

  @Test
  void mailAndRcptSurviveRerendering() {
    RandomLines lines = new RandomLines(SEED + 1);
    int pathCommands = 0;
    for (int i = 0; i < LINES; i++) {
      String line = lines.next();
      Command command = parse(line);
      String again;
      if (command instanceof Command.Mail mail) {
        again = "MAIL FROM:" + mail.sender() + render(mail.params());
      } else if (command instanceof Command.Rcpt rcpt) {
        again = "RCPT TO:" + rcpt.recipient() + render(rcpt.params());
      } else {
        continue;
      }
      pathCommands++;
      assertEquals(command, parse(again), "'" + Show.escape(line) + "' re-rendered as '" + Show.escape(again) + "'");
    }
    int seen = pathCommands;
    assertTrue(seen > 1_000, () -> "only " + seen + " lines parsed as MAIL or RCPT; the property says little");
  }

  private static Command parse(String line) {
    try {
      Command command = CommandParser.parse(line);
      assertNotNull(command, () -> "null for '" + Show.escape(line) + "'");
      return command;
    } catch (RuntimeException e) {
      return fail("parse threw on '" + Show.escape(line) + "'", e);
    }
  }

  /** NUL, CR, LF, other C0 controls except HTAB, DEL and anything beyond ASCII. */
  /**
   * Control characters are forbidden everywhere; non-ASCII only outside the angle brackets of
   * MAIL and RCPT, where SMTPUTF8 (RFC 6531) allows UTF-8 addresses.
   */
  static boolean hasForbiddenCharacter(String line) {
    if (line.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f || c == 0xfffd)) {
      return true;
    }
    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : "";
    int open = verb.equals("MAIL") || verb.equals("RCPT") ? line.indexOf('<') : -1;
    int close = open < 0 ? -1 : line.indexOf('>', open);
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) >= 0x80 && !(i > open && i < close)) {
        return true;
      }
    }
    return false;
  }

  private static String firstWord(String line) {
    int sp = line.indexOf(' ');
    return (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
  }

  private static String render(Map<String, String> params) {
    StringBuilder sb = new StringBuilder();
    params.forEach((k, v) -> sb.append(' ').append(k).append(v.isEmpty() ? "" : "=" + v));
    return sb.toString();
  }
}

package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One command line in, one typed command (or the reply that refuses it) out. */
class CommandParserTest {

  static Stream<Arguments> accepted() {
    return Stream.of(
        row("EHLO client.example", new Command.Ehlo("client.example")),
        row("ehlo client.example", new Command.Ehlo("client.example")),
        row("EHLO [192.0.2.1]", new Command.Ehlo("[192.0.2.1]")),
        row("EHLO client.example ", new Command.Ehlo("client.example")),
        row("HELO client.example", new Command.Helo("client.example")),
        row("Helo client.example", new Command.Helo("client.example")),
        row("MAIL FROM:<a@b.example>", mail("a@b.example")),
        row("MAIL FROM: <a@b.example>", mail("a@b.example")),
        row("mail from:<a@b.example>", mail("a@b.example")),
        row("MAIL FROM:<A@B.Example>", mail("A@B.Example")),
        row("MAIL FROM:<>", new Command.Mail(Path.NULL, Map.of())),
        row("MAIL FROM:<> SIZE=100", new Command.Mail(Path.NULL, Map.of("SIZE", "100"))),
        row("MAIL FROM:<@x.example,@y.example:u@d.example>", mail("u@d.example")),
        row("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME", mail("a@b.example", "SIZE", "100", "BODY", "8BITMIME")),
        row("MAIL FROM:<a@b.example>  SIZE=100", mail("a@b.example", "SIZE", "100")),
        row("MAIL FROM:<a@b.example> size=100 body=8bitmime", mail("a@b.example", "SIZE", "100", "BODY", "8bitmime")),
        row("MAIL FROM:<a@b.example> SMTPUTF8 SMTPUTF8 BODY=8BITMIME",
            new Command.Mail(new Path("a", "b.example"), Map.of("SMTPUTF8", "", "BODY", "8BITMIME"))),
        row("MAIL FROM:<a@b.example> SMTPUTF8", mail("a@b.example", "SMTPUTF8", "")),
        row("MAIL FROM:<\"john doe\"@b.example>", new Command.Mail(new Path("\"john doe\"", "b.example"), Map.of())),
        row("MAIL FROM:<\"a>b\"@b.example>", new Command.Mail(new Path("\"a>b\"", "b.example"), Map.of())),
        row("MAIL FROM:<\"a@b\"@c.example>", new Command.Mail(new Path("\"a@b\"", "c.example"), Map.of())),
        row("MAIL FROM:<a@[192.0.2.1]>", mail("a@[192.0.2.1]")),
        row("MAIL FROM:<a@[IPv6:2001:db8::1]>", mail("a@[IPv6:2001:db8::1]")),
        row("RCPT TO:<u@example.net>", rcpt("u@example.net")),
        row("RCPT TO: <u@example.net>", rcpt("u@example.net")),
        row("rcpt to:<U@Example.NET>", rcpt("U@Example.NET")),
        row("RCPT TO:<@relay.example:u@example.net>", rcpt("u@example.net")),
        row("RCPT TO:<u@example.net> NOTIFY=NEVER", new Command.Rcpt(Path.parseMailbox("u@example.net"), Map.of("NOTIFY", "NEVER"))),
        row("DATA", new Command.Data()),
        row("data", new Command.Data()),
        row("RSET", new Command.Rset()),
        row("NOOP", new Command.Noop()),
        row("NOOP anything at all", new Command.Noop()),
        row("QUIT", new Command.Quit()),
        row("HELP", new Command.Help()),
        row("HELP MAIL", new Command.Help()),
        row("VRFY postmaster", new Command.Vrfy("postmaster")),
        row("STARTTLS", new Command.StartTls(false)),
        row("starttls", new Command.StartTls(false)),
        row("STARTTLS now", new Command.StartTls(true)),
        row("EXPN staff", new Command.Unknown("EXPN")),
        row("AUTH PLAIN AGFiAGM=", new Command.Auth("PLAIN", "AGFiAGM=")),
        row("auth login", new Command.Auth("LOGIN", null)),
        row("BDAT 10 LAST", new Command.Bdat(10, true)),
        row("BDAT 0", new Command.Bdat(0, false)),
        row("MAIL FROM:<j\u00f6rg@b\u00fccher.example> SMTPUTF8",
            new Command.Mail(new Path("j\u00f6rg", "b\u00fccher.example"), Map.of("SMTPUTF8", ""))),
        row("MAILFROM:<a@b.example>", new Command.Unknown("MAILFROM:<A@B.EXAMPLE>")),
        row("", new Command.Unknown("")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void accepts(String line, Command expected) {
    assertEquals(expected, CommandParser.parse(line));
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        row("EHLO", 501, "5.5.4"),
        row("HELO", 501, "5.5.4"),
        row("EHLO two words", 501, "5.5.4"),
        row("MAIL", 501, "5.5.4"),
        row("MAIL TO:<a@b.example>", 501, "5.5.4"),
        row("MAIL FROM:a@b.example", 501, "5.1.7"),
        row("MAIL FROM:<a@b.example", 501, "5.1.7"),
        row("MAIL FROM:a@b.example>", 501, "5.1.7"),
        row("MAIL FROM:<<a@b.example>", 501, "5.1.7"),
        row("MAIL FROM:<a@b.example>>", 501, "5.1.7"),
        row("MAIL FROM:<\"a@b.example>", 501, "5.1.7"),
        row("MAIL FROM:<a@b.example>junk", 501, "5.1.7"),
        row("MAIL FROM:<a@b.example> <c@d.example>", 501, "5.5.4"),
        row("MAIL FROM:<a@b.example> =100", 501, "5.5.4"),
        row("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", 501, "5.5.4"),
        row("MAIL FROM:<a@b.example> SIZE=1 size=2", 501, "5.5.4"),
        row("MAIL FROM:<a@>", 501, "5.1.7"),
        row("MAIL FROM:<@b.example>", 501, "5.1.7"),
        row("MAIL FROM:<a>", 501, "5.1.7"),
        row("MAIL FROM:<a..b@c.example>", 501, "5.1.7"),
        row("MAIL FROM:<a b@c.example>", 501, "5.1.7"),
        row("MAIL FROM:<a@-c.example>", 501, "5.1.7"),
        row("MAIL FROM:<a@c..example>", 501, "5.1.7"),
        row("MAIL FROM:<" + "l".repeat(65) + "@c.example>", 501, "5.1.7"),
        row("MAIL FROM:<@x.example>", 501, "5.1.7"),
        row("RCPT TO:<>", 501, "5.1.3"),
        row("RCPT TO:<> NOTIFY=NEVER", 501, "5.1.3"),
        row("RCPT TO:<u@example.net", 501, "5.1.3"),
        row("RCPT TO:u@example.net", 501, "5.1.3"),
        row("RCPT TO:<u@example.net>junk", 501, "5.1.3"),
        row("RCPT FROM:<u@example.net>", 501, "5.5.4"),
        row("RCPT", 501, "5.5.4"),
        row("DATA now", 501, "5.5.4"),
        row("RSET all", 501, "5.5.4"),
        row("QUIT now", 501, "5.5.4"),
        row("VRFY", 501, "5.5.4"),
        row("EHLO client\u0000.example", 500, "5.5.2"),
        row("\u0000", 500, "5.5.2"),
        row("MAIL FROM:<a@b.example>\r", 500, "5.5.2"),
        row("RCPT TO:<u@example.net>\rDATA", 500, "5.5.2"),
        row("NOOP\n", 500, "5.5.2"),
        row("RSET\nMAIL FROM:<a@b.example>", 500, "5.5.2"),
        row("MAIL FROM:<j\u00f6rg@b.example> SIZE=\u00e9", 500, "5.5.2"),
        row("MAIL FROM:<a@b.example\ufffd>", 500, "5.5.2"),
        row("AUTH", 501, "5.5.4"),
        row("AUTH PLAIN a b", 501, "5.5.4"),
        row("BDAT", 501, "5.5.4"),
        row("BDAT ten", 501, "5.5.4"),
        row("BDAT 10 FIRST", 501, "5.5.4"),
        row("EHLO b\u00fccher.example", 500, "5.5.2"),
        row("RCPT TO:<u@example.net> \u2028", 500, "5.5.2"),
        row("HELO client.example\u007f", 500, "5.5.2"),
        row("NOOP \u0001", 500, "5.5.2"),
        row("QUIT\u001b", 500, "5.5.2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refuses(String line, int code, String enhanced) {
    Command.Invalid invalid = assertInstanceOf(Command.Invalid.class, CommandParser.parse(line));
    assertEquals(code, invalid.reply().code(), invalid::toString);
    assertEquals(enhanced, invalid.reply().enhanced(), invalid::toString);
  }

  @Test
  void invalidCommandsNameTheirVerbForTheLog() {
    assertEquals("MAIL", ((Command.Invalid) CommandParser.parse("mail FROM:<a@b.example> SIZE=1 SIZE=2")).verb());
    assertEquals("EHLO", ((Command.Invalid) CommandParser.parse("ehlo x\u0000y")).verb());
  }

  // RFC 5321 4.5.1: "RCPT TO:<Postmaster>" without a domain MUST be supported.
  @ParameterizedTest(name = "{0}")
  @MethodSource("postmaster")
  void acceptsPostmasterWithoutDomain(String line) {
    Command.Rcpt rcpt = assertInstanceOf(Command.Rcpt.class, CommandParser.parse(line));
    assertEquals("postmaster", rcpt.recipient().localPart().toLowerCase(java.util.Locale.ROOT));
  }

  static Stream<String> postmaster() {
    return Stream.of("RCPT TO:<Postmaster>", "RCPT TO:<postmaster>", "rcpt to: <POSTMASTER>");
  }

  static Arguments row(String line, Object... expected) {
    Object[] args = new Object[expected.length + 1];
    args[0] = Named.of(line.isEmpty() ? "(empty line)" : Show.escape(line), line);
    System.arraycopy(expected, 0, args, 1, expected.length);
    return Arguments.of(args);
  }

  static Command.Mail mail(String mailbox, String... params) {
    return new Command.Mail(Path.parseMailbox(mailbox), params(params));
  }

  static Command.Rcpt rcpt(String mailbox) {
    return new Command.Rcpt(Path.parseMailbox(mailbox), Map.of());
  }

  static Map<String, String> params(String... keyValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put(keyValues[i], keyValues[i + 1]);
    }
    return map;
  }
}

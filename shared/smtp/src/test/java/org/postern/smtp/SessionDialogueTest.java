package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.postern.smtp.Dialogue.repeat;
import static org.postern.smtp.Dialogue.script;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 5321 dialogues without TLS: sequencing, limits, parameters and the DATA phase. */
class SessionDialogueTest {

  /** Small limits so that "too many" and "too big" take few lines to reach. */
  static final SessionSettings SETTINGS = new SessionSettings("mx.example", 10_000, 2, true, false);

  static final String LONG_LINE = "x".repeat(990);

  static Stream<Named<List<String>>> dialogues() {
    return Stream.of(
        dialogue("greeting names the host",
            "s: 220 mx.example ESMTP Postern"),
        dialogue("a message is queued and acknowledged with its id",
            "s: 220",
            "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<u@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
            "c: DATA", "s: 354",
            "d: Subject: hi", "d: ", "d: body", "d: .",
            "queue: ABC", "s: 250 2.0.0 Ok: queued as ABC",
            "c: QUIT", "s: 221 2.0.0 Bye", "closed"),
        dialogue("HELO is enough for a plain transaction",
            "s: 220",
            "c: HELO client.example", "s: 250 mx.example",
            "c: MAIL FROM:<> ", "s: 250 2.1.0",
            "c: RCPT TO:<u@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
            "c: DATA", "s: 354", "d: .", "queue: Q1", "s: 250 2.0.0 Ok: queued as Q1"),
        dialogue("MAIL before HELO",
            "s: 220", "c: MAIL FROM:<a@example.org>", "s: 503 5.5.1 Error: send HELO/EHLO first"),
        dialogue("RCPT before HELO",
            "s: 220", "c: RCPT TO:<u@example.net>", "s: 503 5.5.1 Error: send HELO/EHLO first"),
        dialogue("DATA before HELO",
            "s: 220", "c: DATA", "s: 503 5.5.1 Error: send HELO/EHLO first"),
        dialogue("RCPT before MAIL",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: RCPT TO:<u@example.net>", "s: 503 5.5.1 Error: need MAIL command"),
        dialogue("DATA before MAIL",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: DATA", "s: 503 5.5.1 Error: need MAIL command"),
        dialogue("DATA before RCPT",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: DATA", "s: 503 5.5.1 Error: need RCPT command"),
        dialogue("nested MAIL",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: MAIL FROM:<b@example.org>", "s: 503 5.5.1 Error: nested MAIL command"),
        dialogue("a refused sender starts no transaction; another MAIL may follow",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<x@spammer.example>", "policy: 550 5.7.1 <x@spammer.example>... Access denied",
            "s: 550 5.7.1 <x@spammer.example>... Access denied",
            "c: RCPT TO:<u@example.net>", "s: 503 5.5.1 Error: need MAIL command",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0"),
        dialogue("a sender policy cannot judge gets the temporary refusal",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "policy: 451 4.3.0 Temporary policy failure",
            "s: 451 4.3.0 Temporary policy failure",
            "c: DATA", "s: 503 5.5.1 Error: need MAIL command"),
        dialogue("a denied recipient is not added, so DATA has no recipient",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<u@elsewhere.example>", "policy: 554 5.7.1 Relay access denied",
            "s: 554 5.7.1 Relay access denied",
            "c: DATA", "s: 503 5.5.1 Error: need RCPT command"),
        dialogue("a third recipient exceeds maxRecipients=2 without asking policy",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<u1@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
            "c: RCPT TO:<u2@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
            "c: RCPT TO:<u3@example.net>", "s: 452 4.5.3 Error: too many recipients"),
        dialogue("denied recipients do not count towards the limit",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<x@elsewhere.example>", "policy: 554 5.7.1 Denied", "s: 554",
            "c: RCPT TO:<u1@example.net>", "policy: 250 2.1.5 Ok", "s: 250",
            "c: RCPT TO:<u2@example.net>", "policy: 250 2.1.5 Ok", "s: 250"),
        dialogue("unknown RCPT parameters are refused",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<u@example.net> FOO=bar", "s: 555 5.5.4"),
        dialogue("RSET clears the transaction",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<u@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
            "c: RSET", "s: 250 2.0.0 Ok",
            "c: DATA", "s: 503 5.5.1 Error: need MAIL command",
            "c: RCPT TO:<u@example.net>", "s: 503 5.5.1 Error: need MAIL command",
            "c: MAIL FROM:<b@example.org>", "s: 250 2.1.0"),
        dialogue("RSET before HELO does not greet",
            "s: 220", "c: RSET", "s: 250 2.0.0",
            "c: MAIL FROM:<a@example.org>", "s: 503 5.5.1"),
        dialogue("EHLO inside a transaction resets it (RFC 5321 4.1.4)",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<u@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
            "c: EHLO client.example", "s: 250",
            "c: DATA", "s: 503 5.5.1 Error: need MAIL command"),
        dialogue("QUIT says goodbye and closes",
            "s: 220", "c: QUIT", "s: 221 2.0.0 Bye", "closed"),
        dialogue("VRFY, HELP, NOOP and an unknown verb",
            "s: 220",
            "c: VRFY postmaster", "s: 252 2.0.0",
            "c: HELP", "s: 214 2.0.0",
            "c: NOOP", "s: 250 2.0.0 Ok",
            "c: EXPN staff", "s: 500 5.5.1 Error: command not recognized"),
        dialogue("syntax errors get the parser's reply and change nothing",
            "s: 220", "c: EHLO", "s: 501 5.5.4",
            "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:a@example.org", "s: 501 5.1.7",
            "c: MAIL FROM:<a@example.org>\u0000", "s: 500 5.5.2",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0"),
        dialogue("MAIL SIZE at the limit",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> SIZE=10000", "s: 250 2.1.0"),
        dialogue("MAIL SIZE over the limit",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> SIZE=10001",
            "s: 552 5.3.4 Message size exceeds fixed limit",
            "c: RCPT TO:<u@example.net>", "s: 503 5.5.1 Error: need MAIL command"),
        dialogue("MAIL SIZE not a number",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> SIZE=abc", "s: 501 5.5.4 Bad SIZE parameter",
            "c: MAIL FROM:<a@example.org> SIZE=-1", "s: 501 5.5.4 Bad SIZE parameter",
            "c: MAIL FROM:<a@example.org> SIZE=", "s: 501 5.5.4 Bad SIZE parameter",
            "c: MAIL FROM:<a@example.org> SIZE", "s: 501 5.5.4 Bad SIZE parameter"),
        dialogue("MAIL SIZE of 20 digits is valid syntax (RFC 1870) and merely too big",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> SIZE=99999999999999999999", "s: 552 5.3.4"),
        dialogue("MAIL BODY values",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> BODY=BINARYMIME", "s: 501 5.5.4 Bad BODY parameter",
            "c: MAIL FROM:<a@example.org> body=8bitmime", "s: 250 2.1.0"),
        dialogue("unknown MAIL parameter",
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> FOO=bar", "s: 555 5.5.4 Unsupported option: FOO"),
        dialogue("MAIL parameters after HELO are refused: no extension was offered",
            "s: 220", "c: HELO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> SIZE=100", "s: 555 5.5.4 Unsupported option: SIZE",
            "c: MAIL FROM:<a@example.org> BODY=8BITMIME", "s: 555 5.5.4 Unsupported option: BODY",
            "c: MAIL FROM:<a@example.org> FOO", "s: 555 5.5.4"),
        // After HELO, SIZE is not an extension in effect, so its value must not be judged at all.
        dialogue("a SIZE after HELO is refused as unsupported even when it is too big",
            "s: 220", "c: HELO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org> SIZE=10001", "s: 555 5.5.4 Unsupported option: SIZE"),
        dialogue("a message over the limit is refused after the final dot and the transaction reset",
            script("s: 220", "c: EHLO client.example", "s: 250",
                "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
                "c: RCPT TO:<u@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
                "c: DATA", "s: 354",
                repeat(11, "d: " + LONG_LINE),
                "d: .", "s: 552 5.3.4 Error: message file too big",
                "c: DATA", "s: 503 5.5.1 Error: need MAIL command",
                "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0")),
        dialogue("a 998-octet line is accepted",
            transaction("d: " + "y".repeat(998), "d: .", "queue: ABC", "s: 250 2.0.0")),
        dialogue("a 999-octet line is refused",
            transaction("d: " + "y".repeat(999), "d: more", "d: .",
                "s: 554 5.6.0 Error: message line longer than 998 octets")),
        dialogue("a bare LF inside a data line is refused (SMTP smuggling)",
            transaction("d: one\ntwo", "d: .", "s: 554 5.6.0 Error: bare <CR> or <LF> in message text")),
        dialogue("a bare CR inside a data line is refused (SMTP smuggling)",
            transaction("d: one\r.", "d: .", "s: 554 5.6.0")),
        dialogue("a queue failure is passed on and a new transaction may start",
            transaction("d: x", "d: .", "queue-failed: 451 4.3.0 Queue unavailable",
                "s: 451 4.3.0 Queue unavailable",
                "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dialogues")
  void dialogue(List<String> script) {
    Dialogue.run(SETTINGS, script);
  }

  @Test
  void dotUnstuffedBodyAndEnvelopeReachTheQueueByteExact() {
    Dialogue d = Dialogue.run(SETTINGS, transaction(
        "d: ..x", "d: plain", "d: ...", "d: ", "d: caf\u00e9", "d: .", "queue: ABC", "s: 250 2.0.0 Ok: queued as ABC"));

    Effect.Enqueue message = d.lastEnqueued();
    byte[] expected = ".x\r\nplain\r\n..\r\n\r\ncaf\u00e9\r\n".getBytes(StandardCharsets.ISO_8859_1);
    assertArrayEquals(expected, message.body());
    assertEquals(new Envelope(Path.parseMailbox("a@example.org"),
        List.of(Path.parseMailbox("u@example.net")), Map.of("SIZE", "100", "BODY", "8BITMIME")),
        message.envelope());
  }

  @Test
  void onlyAcceptedRecipientsReachTheEnvelope() {
    Dialogue d = Dialogue.run(SETTINGS,
        "s: 220", "c: EHLO client.example", "s: 250",
        "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
        "c: RCPT TO:<u1@example.net>", "policy: 250 2.1.5 Ok", "s: 250",
        "c: RCPT TO:<x@elsewhere.example>", "policy: 554 5.7.1 Denied", "s: 554",
        "c: RCPT TO:<u2@example.net>", "policy: 250 2.1.5 Ok", "s: 250",
        "c: RCPT TO:<u3@example.net>", "s: 452 4.5.3",
        "c: DATA", "s: 354", "d: .", "queue: ABC", "s: 250");

    assertEquals(List.of(Path.parseMailbox("u1@example.net"), Path.parseMailbox("u2@example.net")),
        d.lastEnqueued().envelope().recipients());
  }

  @Test
  void protocolFollowsTheGreeting() {
    Dialogue helo = Dialogue.run(SETTINGS, "s: 220", "c: HELO client.example", "s: 250");
    Dialogue ehlo = Dialogue.run(SETTINGS, "s: 220", "c: EHLO client.example", "s: 250");

    assertEquals("SMTP", helo.session.protocol());
    assertEquals("client.example", helo.session.helo());
    assertEquals("ESMTP", ehlo.session.protocol());
  }

  @Test
  void theSessionRefusesInputOnceClosed() {
    Dialogue d = Dialogue.run(SETTINGS, "s: 220", "c: QUIT", "s: 221", "closed");

    assertEquals(SmtpSession.State.CLOSED, d.session.state());
    assertThrows(IllegalStateException.class, () -> d.session.command(new Command.Noop()));
  }

  /** An accepted transaction up to the 354, followed by the given DATA steps. */
  static List<String> transaction(String... dataSteps) {
    return script("s: 220", "c: EHLO client.example", "s: 250",
        "c: MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME", "s: 250 2.1.0",
        "c: RCPT TO:<u@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
        "c: DATA", "s: 354 End data with <CR><LF>.<CR><LF>",
        List.of(dataSteps));
  }

  static Named<List<String>> dialogue(String name, String... script) {
    return Named.of(name, List.of(script));
  }

  static Named<List<String>> dialogue(String name, List<String> script) {
    return Named.of(name, script);
  }
}

package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 3207 dialogues: offering, starting and requiring TLS. */
class StartTlsDialogueTest {

  static final SessionSettings OFFERED = new SessionSettings("mx.example", 10_000, 2, true, false);
  static final SessionSettings UNAVAILABLE = new SessionSettings("mx.example", 10_000, 2, false, false);
  static final SessionSettings REQUIRED = new SessionSettings("mx.example", 10_000, 2, true, true);
  static final SessionSettings REQUIRED_UNAVAILABLE = new SessionSettings("mx.example", 10_000, 2, false, true);

  static final String MUST = "530 5.7.0 Must issue a STARTTLS command first";

  static Stream<Arguments> dialogues() {
    return Stream.of(
        dialogue("STARTTLS after EHLO starts the handshake", OFFERED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 220 2.0.0 Ready to start TLS", "tls: ok"),
        // RFC 3207 4.2: the client must forget everything, so the server must demand EHLO again.
        dialogue("after the handshake the session starts over", OFFERED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 220 2.0.0", "tls: ok",
            "c: MAIL FROM:<a@example.org>", "s: 503 5.5.1 Error: send HELO/EHLO first",
            "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0"),
        dialogue("a second STARTTLS is refused", OFFERED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 220 2.0.0", "tls: ok",
            "c: STARTTLS", "s: 554 5.5.1 Error: TLS already active",
            "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 554 5.5.1 Error: TLS already active"),
        dialogue("STARTTLS with an argument", OFFERED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS now", "s: 501 5.5.4 Syntax error (no parameters allowed)"),
        dialogue("STARTTLS without a TLS context", UNAVAILABLE,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 454 4.7.0 TLS not available due to temporary reason"),
        dialogue("STARTTLS before EHLO", OFFERED,
            "s: 220", "c: STARTTLS", "s: 503 5.5.1 Error: send EHLO first"),
        dialogue("STARTTLS after HELO, which offered no extensions", OFFERED,
            "s: 220", "c: HELO client.example", "s: 250",
            "c: STARTTLS", "s: 503 5.5.1 Error: send EHLO first"),
        dialogue("STARTTLS inside a MAIL transaction", OFFERED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: STARTTLS", "s: 503 5.5.1 Error: MAIL transaction in progress"),
        dialogue("a failed handshake closes the connection", OFFERED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 220 2.0.0", "tls: failed", "closed"),
        dialogue("required TLS refuses the transaction commands", REQUIRED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: " + MUST,
            "c: RCPT TO:<u@example.net>", "s: " + MUST,
            "c: DATA", "s: " + MUST,
            "c: HELP", "s: " + MUST,
            "c: VRFY postmaster", "s: " + MUST),
        dialogue("required TLS still answers the session commands", REQUIRED,
            "s: 220",
            "c: NOOP", "s: 250 2.0.0",
            "c: RSET", "s: 250 2.0.0",
            "c: HELO client.example", "s: 250",
            "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 220 2.0.0 Ready to start TLS", "tls: ok",
            "c: QUIT", "s: 221 2.0.0", "closed"),
        dialogue("required TLS: QUIT before STARTTLS", REQUIRED,
            "s: 220", "c: QUIT", "s: 221 2.0.0", "closed"),
        dialogue("required TLS lets a transaction through once TLS is up", REQUIRED,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 220 2.0.0", "tls: ok",
            "c: EHLO client.example", "s: 250",
            "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0",
            "c: RCPT TO:<u@example.net>", "policy: 250 2.1.5 Ok", "s: 250 2.1.5",
            "c: DATA", "s: 354", "d: hello", "d: .", "queue: ABC", "s: 250 2.0.0 Ok: queued as ABC"),
        dialogue("required but unavailable TLS leaves no way to send mail", REQUIRED_UNAVAILABLE,
            "s: 220", "c: EHLO client.example", "s: 250",
            "c: STARTTLS", "s: 454 4.7.0",
            "c: MAIL FROM:<a@example.org>", "s: " + MUST));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dialogues")
  void dialogue(String name, SessionSettings settings, List<String> script) {
    Dialogue.run(settings, script);
  }

  @Test
  void ehloOffersStartTlsOnlyBeforeTheHandshake() {
    Dialogue d = Dialogue.run(OFFERED,
        "s: 220", "c: EHLO client.example", "s: 250",
        "c: STARTTLS", "s: 220", "tls: ok",
        "c: EHLO client.example", "s: 250");

    assertEquals(List.of("mx.example", "PIPELINING", "SIZE 10000", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME",
        "DSN", "SMTPUTF8", "CHUNKING"), d.replies().get(1).lines());
    assertEquals(List.of("mx.example", "PIPELINING", "SIZE 10000", "ENHANCEDSTATUSCODES", "8BITMIME",
        "DSN", "SMTPUTF8", "CHUNKING"), d.lastReply().lines());
  }

  @Test
  void ehloReplyOnTheWire() {
    Dialogue d = Dialogue.run(OFFERED, "s: 220", "c: EHLO client.example", "s: 250");

    assertEquals("250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250-STARTTLS\r\n"
        + "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
        d.lastReply().toWire());
  }

  @Test
  void ehloDoesNotOfferStartTlsWithoutATlsContext() {
    Dialogue d = Dialogue.run(UNAVAILABLE, "s: 220", "c: EHLO client.example", "s: 250");

    assertFalse(d.lastReply().lines().contains("STARTTLS"), () -> d.lastReply().lines().toString());
  }

  @Test
  void handshakeForgetsTheHeloNameAndRecordsTheFacts() {
    Dialogue d = Dialogue.run(OFFERED,
        "s: 220", "c: EHLO client.example", "s: 250",
        "c: STARTTLS", "s: 220", "tls: ok");

    assertEquals(SmtpSession.State.CONNECTED, d.session.state());
    assertNull(d.session.helo());
    assertTrue(d.session.tlsActive());
    assertEquals(Dialogue.TLS13, d.session.tlsFacts());
  }

  @Test
  void protocolIsEsmtpsAfterEhloOverTls() {
    Dialogue d = Dialogue.run(OFFERED,
        "s: 220", "c: EHLO client.example", "s: 250",
        "c: STARTTLS", "s: 220", "tls: ok",
        "c: EHLO client.example", "s: 250");

    assertEquals("ESMTPS", d.session.protocol());
  }

  @Test
  void implicitTlsNeitherOffersNorAcceptsStartTls() {
    SmtpSession session = new SmtpSession(REQUIRED, true);
    Dialogue d = Dialogue.run(session, List.of(
        "s: 220", "c: EHLO client.example", "s: 250",
        "c: STARTTLS", "s: 554 5.5.1",
        "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0"));

    assertFalse(d.replies().get(1).lines().contains("STARTTLS"), () -> d.replies().get(1).lines().toString());
    assertEquals("ESMTPS", session.protocol());
  }

  @Test
  void startTlsWithheldFromThisClientIsSendmails503AndPlaintextGoesOn() {
    // Srv_Features S: the listener could, policy says not to this client (sendmail's reply).
    SmtpSession session = new SmtpSession(UNAVAILABLE, false).withholdTls();
    Dialogue d = Dialogue.run(session, List.of(
        "s: 220", "c: EHLO client.example", "s: 250",
        "c: STARTTLS", "s: 503 5.5.0 TLS not available",
        "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0"));

    assertFalse(d.replies().get(1).lines().contains("STARTTLS"), () -> d.replies().get(1).lines().toString());
  }

  static Arguments dialogue(String name, SessionSettings settings, String... script) {
    return Arguments.of(name, settings, List.of(script));
  }
}

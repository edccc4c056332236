package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Received header must match Postfix's layout byte for byte: operators grep for it. */
class ReceivedHeaderTest {

  static final ZonedDateTime WHEN = ZonedDateTime.of(2026, 11, 24, 3, 0, 0, 0, ZoneId.of("UTC"));
  static final List<Path> ONE = List.of(Path.parseMailbox("u@example.net"));
  static final List<Path> TWO = List.of(Path.parseMailbox("u@example.net"), Path.parseMailbox("v@example.net"));

  @Test
  void tls13WithOneRecipient() {
    String header = ReceivedHeader.format("client.example", null, "127.0.0.1", Dialogue.TLS13, false,
        "mx.example", "ESMTPS", "ABC", ONE, WHEN);

    assertEquals("Received: from client.example (unknown [127.0.0.1])\r\n"
        + "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
        + "\t(No client certificate requested)\r\n"
        + "\tby mx.example (Postern) with ESMTPS id ABC\r\n"
        + "\tfor <u@example.net>; Tue, 24 Nov 2026 03:00:00 +0000 (UTC)\r\n", header);
  }

  // With several recipients a "for" clause would name one and hide the others, so there is none.
  @Test
  void noForClauseWithTwoRecipients() {
    String header = ReceivedHeader.format("client.example", null, "127.0.0.1", Dialogue.TLS13, false,
        "mx.example", "ESMTPS", "ABC", TWO, WHEN);

    assertEquals("Received: from client.example (unknown [127.0.0.1])\r\n"
        + "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
        + "\t(No client certificate requested)\r\n"
        + "\tby mx.example (Postern) with ESMTPS id ABC; Tue, 24 Nov 2026 03:00:00 +0000 (UTC)\r\n", header);
  }

  @Test
  void plaintextWithAKnownClientNameAndASingleDigitDay() {
    ZonedDateTime when = ZonedDateTime.of(2026, 1, 3, 17, 5, 9, 0, ZoneId.of("UTC"));
    String header = ReceivedHeader.format("helo.example", "host.example", "192.0.2.1", null, true,
        "mx.example", "ESMTP", "Q1", ONE, when);

    assertEquals("Received: from helo.example (host.example [192.0.2.1])\r\n"
        + "\tby mx.example (Postern) with ESMTP id Q1\r\n"
        + "\tfor <u@example.net>; Sat, 3 Jan 2026 17:05:09 +0000 (UTC)\r\n", header);
  }

  // The zone comment must name the zone in effect at that instant, or it contradicts the offset.
  @Test
  void zoneCommentAgreesWithTheOffsetInSummer() {
    ZonedDateTime summer = ZonedDateTime.of(2026, 7, 24, 5, 0, 0, 0, ZoneId.of("Europe/Paris"));
    String header = ReceivedHeader.format("client.example", null, "127.0.0.1", null, false,
        "mx.example", "ESMTP", "ABC", TWO, summer);

    assertEquals("Received: from client.example (unknown [127.0.0.1])\r\n"
        + "\tby mx.example (Postern) with ESMTP id ABC; Fri, 24 Jul 2026 05:00:00 +0200 (CEST)\r\n", header);
  }

  @ParameterizedTest(name = "requested={0} verify={1} cn=''{2}''")
  @CsvSource(delimiter = '|', value = {
      "false | OK   | client.example | (No client certificate requested)",
      "true  | NOT  | ''             | (No client certificate requested)",
      "true  | NO   | ''             | (Client did not present a certificate)",
      "true  | OK   | ''             | (Client did not present a certificate)",
      "true  | OK   | client.example | (Client CN \"client.example\", Issuer \"Example CA\" (verified OK))",
      "true  | FAIL | client.example | (Client CN \"client.example\", Issuer \"Example CA\" (not verified))"})
  void clientCertificateClause(boolean requested, Verify verify, String cn, String expected) {
    TlsFacts facts = new TlsFacts("TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, 256, verify,
        "CN=" + cn, "CN=Example CA", cn, "Example CA");

    assertEquals(expected, ReceivedHeader.clientCertificateClause(facts, requested));
  }
}

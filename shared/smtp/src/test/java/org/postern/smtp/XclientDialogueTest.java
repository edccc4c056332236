package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Postfix's XCLIENT: offered and obeyed only for trusted front ends, refused with 550 5.7.0 to
 * everyone else, restarting the session with a 220 once policy has judged the named client.
 */
class XclientDialogueTest {

  static final SessionSettings SETTINGS = new SessionSettings("mx.example", 10_000, 10, false, false);

  private static Dialogue trusted(String... script) {
    return Dialogue.run(new SmtpSession(SETTINGS, false).allowXclient(), List.of(script));
  }

  @Test
  void aTrustedFrontEndIsOfferedXclientAndTheSessionRestarts() {
    Dialogue d = trusted(
        "s: 220", "c: EHLO proxy.example", "s: 250",
        "c: XCLIENT NAME=spike.example ADDR=192.0.2.7 PORT=40001 HELO=spike.example PROTO=ESMTP LOGIN=joe",
        "xclient: ok",
        "s: 220 mx.example ESMTP Postern",
        "c: MAIL FROM:<a@example.org>", "s: 503 5.5.1 Error: send HELO/EHLO first",
        "c: HELO other.example", "s: 250",
        "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0");
    assertTrue(d.replies().get(1).lines().contains("XCLIENT NAME ADDR PORT PROTO HELO LOGIN"), d.replies().get(1).toString());
    assertEquals(new Xclient.Attributes("192.0.2.7", "40001", "spike.example", "spike.example", "ESMTP", "joe"),
        d.lastClient());
    // HELO and PROTO from XCLIENT outlast the client's own HELO; LOGIN counts as authenticated.
    assertEquals("spike.example", d.session.helo());
    assertEquals("joe", d.session.authUser());
    assertEquals("ESMTPA", d.session.protocol());
  }

  @Test
  void anyoneElseGets550AndNoXclientInEhlo() {
    Dialogue d = Dialogue.run(SETTINGS,
        "s: 220", "c: EHLO client.example", "s: 250",
        "c: XCLIENT ADDR=192.0.2.7", "s: 550 5.7.0 Error: insufficient authorization",
        "c: MAIL FROM:<a@example.org>", "s: 250 2.1.0");
    assertTrue(d.replies().get(1).lines().stream().noneMatch(l -> l.startsWith("XCLIENT")));
    assertNull(d.session.authUser());
  }

  @Test
  void aRefusalOfTheNamedClientEndsTheSession() {
    trusted("s: 220", "c: XCLIENT ADDR=192.0.2.66", "xclient: 554 5.7.1 Access denied",
        "s: 554 5.7.1 Access denied", "closed");
  }

  @Test
  void notInsideATransaction() {
    trusted("s: 220", "c: EHLO proxy.example", "s: 250", "c: MAIL FROM:<a@example.org>", "s: 250",
        "c: XCLIENT ADDR=192.0.2.7", "s: 503 5.5.1 Error: MAIL transaction in progress");
  }

  @Test
  void unavailableValuesAndIpv6() {
    Dialogue d = trusted("s: 220",
        "c: xclient addr=IPV6:2001:DB8::7 name=[TEMPUNAVAIL] login=[unavailable] helo=[UNAVAILABLE] port=[UNAVAILABLE]",
        "xclient: ok", "s: 220");
    assertEquals(new Xclient.Attributes("2001:db8::7", "", "", "", null, ""), d.lastClient());
    assertNull(d.session.helo());
    assertNull(d.session.authUser());
  }

  @Test
  void xtextIsDecoded() {
    Dialogue d = trusted("s: 220", "c: XCLIENT HELO=odd+20name+2B LOGIN=a+3Db", "xclient: ok", "s: 220");
    assertEquals("odd name+", d.lastClient().helo());
    assertEquals("a=b", d.lastClient().login());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "XCLIENT                          | 501 5.5.4 Syntax: XCLIENT attribute=value...",
      "XCLIENT ADDR                     | 501 5.5.4 Syntax: XCLIENT attribute=value...",
      "XCLIENT ADDR=+ZZ                 | 501 5.5.4 Bad ADDR syntax: +ZZ",
      "XCLIENT ADDR=192.0.2.256         | 501 5.5.4 Bad ADDR syntax: 192.0.2.256",
      "XCLIENT ADDR=2001:db8::1         | 501 5.5.4 Bad ADDR syntax: 2001:db8::1",
      "XCLIENT ADDR=host.example        | 501 5.5.4 Bad ADDR syntax: host.example",
      "XCLIENT PORT=65536               | 501 5.5.4 Bad PORT syntax: 65536",
      "XCLIENT PROTO=LMTP               | 501 5.5.4 Bad PROTO syntax: LMTP",
      "XCLIENT NAME=bad/name            | 501 5.5.4 Bad NAME syntax: bad/name",
      "XCLIENT HELO=a+0Db               | 501 5.5.4 Bad HELO syntax: a+0Db",
      "XCLIENT HELO=a+4                 | 501 5.5.4 Bad HELO syntax: a+4",
      "XCLIENT DESTADDR=192.0.2.1       | 501 5.5.4 Bad XCLIENT attribute name: DESTADDR",
  })
  void badSyntaxFromATrustedFrontEnd(String command, String reply) {
    trusted("s: 220", "c: " + command, "s: " + reply.strip());
  }

  @Test
  void aStrangersBadSyntaxStillLearnsNothingBeyond550() {
    Dialogue.run(SETTINGS, "s: 220", "c: XCLIENT FOO=bar", "s: 550 5.7.0 Error: insufficient authorization");
  }
}

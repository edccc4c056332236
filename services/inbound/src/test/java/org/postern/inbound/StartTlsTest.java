package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS on the wire (RFC 3207): command injection across the upgrade (CVE-2011-0411), required
 * TLS, the replies around STARTTLS, and a node whose certificate cannot be used.
 */
class StartTlsTest {

  @TempDir
  Path dir;

  // ---- CVE-2011-0411: plaintext sent after STARTTLS must never be executed inside TLS ----

  @Test
  void commandPipelinedAfterStartTlsIsDiscarded() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.connect()) {
      c.expect(220);
      c.send("EHLO x\r\n");
      assertTrue(c.expect(250).has("STARTTLS"));
      c.send("STARTTLS\r\nRSET\r\n");
      c.expect("220 2.0.0 Ready to start TLS");
      c.startTls();
      c.send("EHLO inside.test\r\n");
      SmtpClient.Reply first = c.readReply();
      assertTrue(first.lines().size() > 1 && first.lines().get(0).startsWith("250-" + InboundFixture.HOSTNAME),
          "the first reply inside TLS must answer our EHLO, not the injected RSET: " + first);
      // Nothing else is queued behind it: the next reply is the NOOP's.
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
    }
  }

  @Test
  void injectedTransactionInSameSegmentIsDiscarded() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      // The classic exploit: a whole transaction after STARTTLS, in the same TCP segment.
      c.send("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@example.net>\r\n");
      c.expect("220 2.0.0");
      c.startTls();
      c.send("EHLO inside.test\r\n");
      SmtpClient.Reply ehlo = c.readReply();
      assertTrue(ehlo.lines().get(0).startsWith("250-" + InboundFixture.HOSTNAME), ehlo.text());
      // Had the injected MAIL survived, this would be "503 5.5.1 Error: nested MAIL command".
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<good@example.org>").text());
    }
  }

  @Test
  void partialLineBeforeHandshakeDoesNotJoinLineAfterIt() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      // "MAIL FROM:<evil@attacker.test" without its CRLF before the handshake, ">" + CRLF after it:
      // a parser carried across the upgrade would assemble and execute an injected MAIL.
      c.send("STARTTLS\r\nMAIL FROM:<evil@attacker.test");
      c.expect("220 2.0.0");
      c.startTls();
      c.send(">\r\n");
      c.expect("500 5.5.1");
      c.send("EHLO inside.test\r\n");
      c.expect(250);
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<good@example.org>").text());
    }
  }

  // ---- required TLS ----

  @Test
  void requiredListenerRefusesMailBeforeStartTls() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.listeners=127.0.0.1:0 required").start();
        SmtpClient c = f.connect()) {
      assertRequiredTlsDialogue(c);
    }
  }

  @Test
  void tlsRequiredNetworkRefusesMailBeforeStartTls() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("policy.tls_required_networks=127.0.0.0/8").start();
        SmtpClient c = f.connect()) {
      assertRequiredTlsDialogue(c);
    }
  }

  private static void assertRequiredTlsDialogue(SmtpClient c) throws Exception {
    c.expect(220);
    assertTrue(c.command("EHLO client.test").has("STARTTLS"));
    assertEquals("530 5.7.0 Must issue a STARTTLS command first", c.command("MAIL FROM:<a@b.example>").text());
    assertEquals("530 5.7.0 Must issue a STARTTLS command first", c.command("RCPT TO:<c@d.example>").text());
    assertEquals("530 5.7.0 Must issue a STARTTLS command first", c.command("DATA").text());
    assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
    assertEquals("250 2.0.0 Ok", c.command("RSET").text());
    assertEquals("250 " + InboundFixture.HOSTNAME, c.command("HELO client.test").text());
    assertTrue(c.command("EHLO client.test").has("STARTTLS"));
    c.starttls();
    assertFalse(c.command("EHLO client.test").has("STARTTLS"));
    assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@b.example>").text());
    assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<c@d.example>").text());
    assertEquals("221 2.0.0 Bye", c.command("QUIT").text());
  }

  @Test
  void quitWorksBeforeStartTlsOnRequiredListener() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.listeners=127.0.0.1:0 required").start();
        SmtpClient c = f.greeted()) {
      assertEquals("221 2.0.0 Bye", c.command("QUIT").text());
      assertEquals("", c.readUntilClosed());
    }
  }

  // ---- the replies around STARTTLS ----

  @Test
  void startTlsWithParameterIsSyntaxError() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      assertEquals("501 5.5.4 Syntax error (no parameters allowed)", c.command("STARTTLS foo").text());
      // Still plaintext and still usable.
      assertEquals("250 2.0.0 Ok", c.command("NOOP").text());
    }
  }

  @Test
  void secondStartTlsIsRefusedAndEhloInsideTlsLacksStartTls() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      SSLSocket ssl = c.starttls();
      assertTrue(ssl.getSession().getProtocol().startsWith("TLSv1."), ssl.getSession().getProtocol());
      SmtpClient.Reply ehlo = c.command("EHLO client.test");
      assertEquals(250, ehlo.code());
      assertFalse(ehlo.has("STARTTLS"), ehlo.text());
      assertTrue(ehlo.has("PIPELINING"), ehlo.text());
      assertEquals("554 5.5.1 Error: TLS already active", c.command("STARTTLS").text());
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@b.example>").text());
    }
  }

  @Test
  void startTlsForgetsEhloSoMailNeedsNewEhlo() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).start(); SmtpClient c = f.greeted()) {
      c.starttls();
      assertEquals("503 5.5.1 Error: send HELO/EHLO first", c.command("MAIL FROM:<a@b.example>").text());
    }
  }

  @Test
  void unusableCertificateMeans454AndPlaintextContinues() throws Exception {
    Path missing = dir.resolve("missing.pem");
    try (InboundFixture f = InboundFixture.in(dir)
            .set("tls.cert_chain=" + missing, "tls.key=" + dir.resolve("missing.key")).start();
        SmtpClient c = f.connect()) {
      c.expect(220);
      SmtpClient.Reply ehlo = c.command("EHLO client.test");
      assertEquals(250, ehlo.code());
      assertFalse(ehlo.has("STARTTLS"), "no STARTTLS without a usable certificate: " + ehlo);
      assertEquals("454 4.7.0 TLS not available due to temporary reason", c.command("STARTTLS").text());
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@b.example>").text());
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<c@d.example>").text());
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: plain\r\n\r\nstill plaintext\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as ");
    }
  }

  @Test
  void noneListenerDoesNotOfferStartTls() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.listeners=127.0.0.1:0 none").start();
        SmtpClient c = f.connect()) {
      c.expect(220);
      assertFalse(c.command("EHLO client.test").has("STARTTLS"));
      assertEquals("454 4.7.0 TLS not available due to temporary reason", c.command("STARTTLS").text());
    }
  }

  @Test
  void clientThatNeverHandshakesIsDisconnected() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir).set("inbound.tls_handshake_timeout=1s").start();
        SmtpClient c = f.greeted()) {
      c.send("STARTTLS\r\n");
      c.expect("220 2.0.0");
      c.timeout(5_000);
      long t0 = System.nanoTime();
      c.readUntilClosed();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms < 4_000, "closed after " + ms + " ms, expected about 1 s");
    }
  }
}

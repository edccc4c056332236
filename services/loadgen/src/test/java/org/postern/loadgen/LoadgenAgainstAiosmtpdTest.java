package org.postern.loadgen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postern.testkit.SmtpSink;

/**
 * The generator against a third-party server: Python's aiosmtpd (through the test kit), which
 * stores each message as it arrived, so the generated content and its dot-stuffing are checked
 * byte for byte, and the TLS facts are compared with what the server saw.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoadgenAgainstAiosmtpdTest {

  private static final String FROM = "loadgen@loadgen.invalid";
  private static final String RCPT = "sink@sink.invalid";

  private static LoadSettings to(SmtpSink sink) {
    return new LoadSettings().target(new InetSocketAddress(Loopback.address(SmtpSink.HOST), sink.port()))
        .duration(Duration.ofSeconds(40)).mailFrom(FROM).rcptTo(RCPT);
  }

  @Test
  void plaintext() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.defaults())) {
      Report r = Reports.run(to(sink).sessions(4).messages(20).size(2500));
      Reports.assertConsistent(r);
      assertTrue(r.clean(), r.toText());
      assertEquals(20, r.messagesOk());
      List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(20, Duration.ofSeconds(20));
      assertEquals(20, got.size());
      byte[] expected = MessageBody.content(2500, FROM, RCPT);
      for (SmtpSink.ReceivedMessage m : got) {
        assertArrayEquals(expected, m.content(), "stored exactly as generated, dot-stuffing undone");
        assertEquals(FROM, m.mailFrom());
        assertEquals(List.of(RCPT), m.rcptTos());
        assertFalse(m.tls());
      }
    }
  }

  @Test
  void startTls() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(true))) {
      Report r = Reports.run(to(sink).sessions(2).messages(10).perSession(2).starttlsPercent(100).size(600));
      Reports.assertConsistent(r);
      assertTrue(r.clean(), r.toText());
      assertEquals(10, r.messagesOk());
      assertEquals(5, r.handshakesOk());
      List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(10, Duration.ofSeconds(20));
      assertEquals(10, got.size());
      byte[] expected = MessageBody.content(600, FROM, RCPT);
      for (SmtpSink.ReceivedMessage m : got) {
        assertTrue(m.tls(), "every message came over TLS");
        assertArrayEquals(expected, m.content());
      }
      // What the client saw is what the server saw.
      assertEquals(Map.of(got.get(0).tlsVersion(), 5L), r.tlsVersions());
      assertEquals(1, r.ciphers().size());
    }
  }

  @Test
  void refusalsAreCountedByReplyCodeAndTheSessionGoesOn() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.defaults())) {
      // aiosmtpd's test handler answers 550 to recipients whose local part starts with "reject".
      Report r = Reports.run(to(sink).sessions(1).messages(3).rcptTo("reject@sink.invalid"));
      Reports.assertConsistent(r);
      assertEquals(3, r.messagesFailed());
      assertEquals(0, r.messagesOk());
      assertEquals(Map.of("550 at RCPT", 3L), r.replyErrors());
      assertEquals(1, r.sessionsCompleted(), "RSET after each refusal, then QUIT");
      assertTrue(r.exceptions().isEmpty());
      assertFalse(r.clean());
      assertEquals(0, sink.received().size());
    }
  }
}

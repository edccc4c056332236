package org.postern.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/** The sink against a hand-driven SMTP client: what it records is what tests will rely on. */
class SmtpSinkTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void recordsPlaintextMessageByteExactAndAppliesReplyRules() throws IOException {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.defaults());
        Socket s = new Socket(SmtpSink.HOST, sink.port())) {
      Client c = new Client(s);
      c.expect("220");
      String ehlo = c.command("EHLO client.test", "250");
      assertFalse(ehlo.contains("STARTTLS"), ehlo);
      c.command("MAIL FROM:<a@example.org>", "250");
      c.command("RCPT TO:<defer1@example.net>", "451 4.3.0");
      c.command("RCPT TO:<reject1@example.net>", "550 5.1.1");
      c.command("RCPT TO:<ok@example.net>", "250");
      c.command("DATA", "354");
      c.command("Subject: t\r\n\r\n..leading dot\r\nlast\r\n.", "250");
      c.command("QUIT", "221");

      List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(1, WAIT);
      assertEquals(1, got.size());
      SmtpSink.ReceivedMessage m = got.get(0);
      assertEquals("a@example.org", m.mailFrom());
      assertEquals(List.of("ok@example.net"), m.rcptTos());
      assertArrayEquals("Subject: t\r\n\r\n.leading dot\r\nlast\r\n".getBytes(StandardCharsets.US_ASCII), m.content());
      assertFalse(m.tls());
    }
  }

  @Test
  void offersStarttlsAndRecordsTheSessionsTlsFacts() throws Exception {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(true));
        Socket plain = new Socket(SmtpSink.HOST, sink.port())) {
      Client c = new Client(plain);
      c.expect("220");
      assertTrue(c.command("EHLO client.test", "250").contains("STARTTLS"));
      c.command("STARTTLS", "220");
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustOnly(sink.certificate())}, null);
      try (SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, SmtpSink.HOST, sink.port(), true)) {
        tls.startHandshake();
        Client t = new Client(tls);
        t.command("EHLO client.test", "250");
        t.command("MAIL FROM:<>", "250");
        t.command("RCPT TO:<ok@example.net>", "250");
        t.command("DATA", "354");
        t.command("x\r\n.", "250");
        t.command("QUIT", "221");
      }
      SmtpSink.ReceivedMessage m = sink.awaitMessages(1, WAIT).get(0);
      assertTrue(m.tls());
      assertTrue(m.tlsVersion().equals("TLSv1.3") || m.tlsVersion().equals("TLSv1.2"), m.tlsVersion());
      assertFalse(m.cipher().isEmpty());
      assertEquals("", m.mailFrom());
    }
  }

  @Test
  void tempfailDataRecordsNothing() throws IOException {
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.defaults().withTempfailData(true));
        Socket s = new Socket(SmtpSink.HOST, sink.port())) {
      Client c = new Client(s);
      c.expect("220");
      c.command("EHLO client.test", "250");
      c.command("MAIL FROM:<a@example.org>", "250");
      c.command("RCPT TO:<ok@example.net>", "250");
      c.command("DATA", "354");
      c.command("x\r\n.", "451 4.3.0");
      c.command("QUIT", "221");
      assertEquals(List.of(), sink.received());
    }
  }

  /** Blocking line client: fine on a test thread. */
  private static final class Client {
    private final BufferedReader in;
    private final OutputStream out;

    Client(Socket s) throws IOException {
      in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      out = s.getOutputStream();
    }

    String command(String line, String expectedPrefix) throws IOException {
      out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return expect(expectedPrefix);
    }

    String expect(String expectedPrefix) throws IOException {
      StringBuilder reply = new StringBuilder();
      String line;
      do {
        line = in.readLine();
        if (line == null) {
          throw new IOException("connection closed; so far: " + reply);
        }
        reply.append(line).append('\n');
      } while (line.length() > 3 && line.charAt(3) == '-');
      assertTrue(line.startsWith(expectedPrefix), "expected " + expectedPrefix + " but got " + reply);
      return reply.toString();
    }
  }

  /** Trusts exactly the sink's certificate. */
  private static final class TrustOnly implements X509TrustManager {
    private final X509Certificate cert;

    TrustOnly(X509Certificate cert) {
      this.cert = cert;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      if (!chain[0].equals(cert)) {
        throw new java.security.cert.CertificateException("not the sink's certificate");
      }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}

package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * The walking skeleton's promise, end to end with real processes: {@code deploy/postern run}
 * starts a node; real clients (swaks, Python's smtplib) hand it mail over STARTTLS; it reaches a
 * real sink (aiosmtpd) over STARTTLS, with a Received header carrying the TLS facts and the body
 * byte for byte.
 */
class RelayEndToEndIT {

  @TempDir
  static Path work;

  static SmtpSink sink;
  static NodeProcess node;
  static int port;

  @BeforeAll
  static void startNodeAndSink() throws Exception {
    sink = SmtpSink.start(SmtpSink.Options.starttls(true));
    port = FreePorts.loopback();
    node = NodeProcess.start(work, List.of(
        "inbound.listeners=127.0.0.1:" + port + " may",
        "outbound.transport=*=[127.0.0.1]:" + sink.port(),
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "queue.spool_dir=" + work.resolve("data/spool")));
    node.awaitLog("node started", Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (sink != null) {
      sink.close();
    }
  }

  @Test
  void startupLogsListenerEngineAndFingerprint() throws Exception {
    node.awaitLog("listening on 127\\.0\\.0\\.1:" + port + " may", Duration.ofSeconds(5));
    node.awaitLog("TLS engine: OpenSSL", Duration.ofSeconds(5));
    node.awaitLog("SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}", Duration.ofSeconds(5));
    Path key = work.resolve("data/tls/selfsigned.key");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
  }

  @Test
  void smtplibOverStartTlsArrivesByteExactAtTheSinkOverTls() throws Exception {
    byte[] message = ("From: sender@example.org\r\nTo: someone@example.net\r\nSubject: byte-exact\r\n"
        + "Message-ID: <e2e-1@example.org>\r\n\r\nfirst line\r\n.a line that needs dot-stuffing\r\n"
        + "trailing spaces   \r\n\r\nlast line\r\n").getBytes(StandardCharsets.US_ASCII);
    Clients.Result r = Clients.smtplib(work, port, "sender@example.org", "someone@example.net", message, true);
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("TLS TLSv1.3"), r.output());
    Matcher m = Pattern.compile("DATA 250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})").matcher(r.output());
    assertTrue(m.find(), r.output());
    String queueId = m.group(1);

    SmtpSink.ReceivedMessage got = awaitMatching(msg -> contains(msg.content(), "e2e-1@example.org"),
        Duration.ofSeconds(60));
    assertTrue(got.tls(), "outbound leg must use STARTTLS");
    assertTrue(got.tlsVersion().startsWith("TLSv1."), got.tlsVersion());
    assertEquals("sender@example.org", got.mailFrom());
    assertEquals(List.of("someone@example.net"), got.rcptTos());

    String text = new String(got.content(), StandardCharsets.US_ASCII);
    int end = text.indexOf("\r\nFrom: sender@example.org") + 2;
    String received = text.substring(0, end);
    assertTrue(received.startsWith("Received: from client.test (unknown [127.0.0.1])\r\n"), received);
    assertTrue(received.contains("\r\n\t(using TLSv1.3 with cipher TLS_"), received);
    // Asked for a certificate by default (as sendmail asks), and smtplib has none to send.
    assertTrue(received.contains(" bits))\r\n\t(Client did not present a certificate)\r\n"), received);
    assertTrue(received.contains("\tby mx.postern.test (Postern) with ESMTPS id " + queueId + "\r\n"), received);
    assertTrue(received.contains("\tfor <someone@example.net>; "), received);
    assertArrayEquals(message, Arrays.copyOfRange(got.content(), end, got.content().length),
        "the body must arrive byte for byte after our Received header");

    node.awaitLog("STARTTLS=server, relay=\\[127\\.0\\.0\\.1\\], version=TLSv1\\.3, verify=NO, cipher=TLS_\\S+, bits=\\d+/\\d+",
        Duration.ofSeconds(5));
    node.awaitLog("STARTTLS=client, relay=\\S*\\[127\\.0\\.0\\.1\\]:\\d+, version=TLSv1\\.[23], verify=\\w+, cipher=\\S+, bits=",
        Duration.ofSeconds(5));
    node.awaitLog("TLS handshakes are performed by the OpenSSL engine", Duration.ofSeconds(5));
    node.awaitLog(queueId + ": removed", Duration.ofSeconds(30));
  }

  @Test
  void swaksWithTlsRelaysThroughTheNode() throws Exception {
    Clients.Result r = Clients.swaks("--to", "someone@example.net", "--from", "swaks@example.org",
        "--server", "127.0.0.1:" + port, "--tls", "--helo", "swaks.test",
        "--header", "Subject: swaks e2e", "--body", "sent by swaks");
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("<-  220 2.0.0 Ready to start TLS"), r.output());
    assertTrue(r.output().contains("<-  250-STARTTLS"), "offered before TLS: " + r.output());
    assertTrue(!r.output().contains("<~  250-STARTTLS"), "not offered again inside TLS: " + r.output());
    assertTrue(Pattern.compile("<~  250 2\\.0\\.0 Ok: queued as [0-9A-F]{16}").matcher(r.output()).find(), r.output());
    SmtpSink.ReceivedMessage got = awaitMatching(msg -> contains(msg.content(), "Subject: swaks e2e"),
        Duration.ofSeconds(60));
    assertTrue(got.tls());
    assertTrue(contains(got.content(), "Received: from swaks.test (unknown [127.0.0.1])"));
  }

  /** The first message at the sink that satisfies {@code p}; fails when none arrives in time. */
  private static SmtpSink.ReceivedMessage awaitMatching(java.util.function.Predicate<SmtpSink.ReceivedMessage> p,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int n = 1;
    while (true) {
      List<SmtpSink.ReceivedMessage> got = sink.awaitMessages(n, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      for (SmtpSink.ReceivedMessage m : got) {
        if (p.test(m)) {
          return m;
        }
      }
      n = got.size() + 1;
    }
  }

  private static boolean contains(byte[] content, String s) {
    return new String(content, StandardCharsets.ISO_8859_1).contains(s);
  }
}

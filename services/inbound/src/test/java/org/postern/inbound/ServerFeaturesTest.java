package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sendmail's {@code Srv_Features:} on the wire: {@code S} takes STARTTLS out of the EHLO reply
 * and answers STARTTLS with 454 (python smtplib, bound to a second loopback address so that a
 * client without the entry is served by the same listener), and {@code V} leaves the
 * CertificateRequest out of the handshake (openssl s_client {@code -state}) and logs
 * {@code verify=NOT} where a client asked for a certificate that sent none is {@code verify=NO}.
 */
class ServerFeaturesTest {

  @TempDir
  Path dir;

  private static final String EHLO_AND_STARTTLS = String.join("\n",
      "import smtplib, sys",
      "with smtplib.SMTP(timeout=10, source_address=(sys.argv[2], 0)) as s:",
      "    s.connect('127.0.0.1', int(sys.argv[1]))",
      "    s.ehlo('client.test')",
      "    print('STARTTLS offered', s.has_extn('starttls'))",
      "    print('STARTTLS reply', *s.docmd('STARTTLS'))",
      "");

  private String ehloAndStartTls(int port, String from) throws Exception {
    Path script = dir.resolve("starttls.py");
    Files.writeString(script, EHLO_AND_STARTTLS, StandardCharsets.UTF_8);
    InteropTest.Result r = InteropTest.run(dir, "/usr/bin/python3", script.toString(), String.valueOf(port), from);
    assertEquals(0, r.exit(), r.output());
    return r.output();
  }

  @Test
  void capitalSWithdrawsStartTlsFromThatClientOnly() throws Exception {
    Path access = Files.writeString(dir.resolve("access"), "Srv_Features:127.0.0.2 S\n");
    try (InboundFixture f = InboundFixture.in(dir).set("policy.access_map=" + access).start()) {
      String named = ehloAndStartTls(f.port, "127.0.0.2");
      assertTrue(named.contains("STARTTLS offered False"), named);
      assertTrue(named.contains("STARTTLS reply 503 b'5.5.0 TLS not available'"), named);
      String other = ehloAndStartTls(f.port, "127.0.0.1");
      assertTrue(other.contains("STARTTLS offered True"), other);
      assertTrue(other.contains("STARTTLS reply 220"), other);
    }
  }

  /** One s_client session to the end; returns its {@code -state} trace (stderr). */
  private static String handshakeTrace(Path work, InboundFixture f) throws Exception {
    Files.createDirectories(work);
    try (InteropTest.SClient c = new InteropTest.SClient(work, f.port, "-state")) {
      assertTrue(c.command("EHLO desktop.example.net").startsWith("250 "));
      assertEquals("221 2.0.0 Bye", c.command("QUIT"));
      assertEquals("<EOF>", c.finalLine());
      c.exit();
    }
    return Files.readString(work.resolve("s_client.err"), StandardCharsets.UTF_8);
  }

  @Test
  void capitalVAsksThatClientForNoCertificate() throws Exception {
    String listener = "inbound.listeners=127.0.0.1:0 may ccert=request";
    try (InboundFixture f = InboundFixture.in(dir.resolve("asked")).set(listener).start()) {
      String trace = handshakeTrace(dir.resolve("asked-client"), f);
      assertTrue(trace.contains("read server certificate request"), "the listener asks by default: " + trace);
      f.awaitLog("verify=NO");
    }
    Path access = Files.writeString(dir.resolve("access"), "Srv_Features:127.0.0.1 V\n");
    try (InboundFixture f = InboundFixture.in(dir.resolve("not-asked")).set(listener, "policy.access_map=" + access)
        .start()) {
      String trace = handshakeTrace(dir.resolve("not-asked-client"), f);
      assertTrue(trace.contains("read server certificate"), "the handshake ran: " + trace);
      assertFalse(trace.contains("certificate request"), trace);
      f.awaitLog("verify=NOT");
    }
  }
}

package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.Peers;

/**
 * XCLIENT sent by Python's smtplib: from a front end in inbound.xclient_networks it changes the
 * client that policy (Connect: entries, relay networks), the Received header and the log see;
 * from anyone else it gets 550 5.7.0 and changes nothing.
 */
class XclientTest {

  @TempDir
  Path dir;

  private InboundFixture.Builder fixture() throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "Connect:192.0.2.66 REJECT\n");
    return InboundFixture.in(dir).set("inbound.xclient_networks=127.0.0.5/32", "policy.access_map=" + access,
        // The front end itself may relay: after XCLIENT its trust must not carry over to the client.
        "policy.trusted_networks=127.0.0.5/32, 127.0.0.6/32");
  }

  private List<String> smtplib(int port, String from, String... commands) throws Exception {
    Path script = Path.of("src/test/python/smtp_lines.py").toAbsolutePath();
    List<String> cmd = new ArrayList<>(List.of(Peers.python(), script.toString(), String.valueOf(port), from));
    cmd.addAll(List.of(commands));
    InteropTest.Result r = InteropTest.run(dir, cmd.toArray(String[]::new));
    assertEquals(0, r.exit(), r.output());
    return r.output().lines().toList();
  }

  @Test
  void aTrustedFrontEndNamesTheClientForPolicyReceivedAndLog() throws Exception {
    try (InboundFixture f = fixture().start()) {
      List<String> out = smtplib(f.port, "127.0.0.5", "EHLO frontend.test",
          "XCLIENT ADDR=192.0.2.7 NAME=client.example PORT=40001 HELO=client.example",
          "EHLO frontend.test", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "RSET",
          "XCLIENT LOGIN=joe", "EHLO frontend.test", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>",
          "MESSAGE", "QUIT");
      assertTrue(out.get(1).contains("XCLIENT NAME ADDR PORT PROTO HELO LOGIN"), out.toString());
      assertEquals("220 " + InboundFixture.HOSTNAME + " ESMTP Postern", out.get(2));
      // 127.0.0.5 may relay, 192.0.2.7 may not: policy judges the client XCLIENT named.
      assertTrue(out.get(5).startsWith("554 5.7.1"), out.toString());
      // LOGIN from a trusted front end counts as authenticated (policy.relay_authenticated).
      assertEquals("220 " + InboundFixture.HOSTNAME + " ESMTP Postern", out.get(7));
      assertTrue(out.get(10).startsWith("250"), out.toString());
      assertTrue(out.get(11).startsWith("250 2.0.0 Ok: queued as"), out.toString());
      String body = f.onlySpooled().bodyText();
      assertTrue(body.startsWith("Received: from client.example (client.example [192.0.2.7])"), body);
      f.awaitLog("xclient: unknown[127.0.0.5] now client.example[192.0.2.7] port 40001, helo=client.example");
      f.awaitLog("client=client.example[192.0.2.7]");
    }
  }

  @Test
  void theNamedClientIsJudgedAsAtConnect() throws Exception {
    try (InboundFixture f = fixture().start()) {
      List<String> out = smtplib(f.port, "127.0.0.5", "EHLO frontend.test", "XCLIENT ADDR=192.0.2.66", "NOOP");
      assertEquals("554 5.7.1 Access denied", out.get(2));
      assertEquals("closed", out.get(3));
      f.awaitLog("reject: XCLIENT from unknown[127.0.0.5]: unknown[192.0.2.66]: 554 5.7.1 Access denied");
    }
  }

  @Test
  void anyoneElseGets550AndKeepsItsOwnAddress() throws Exception {
    try (InboundFixture f = fixture().start()) {
      List<String> out = smtplib(f.port, "127.0.0.6", "EHLO other.test", "XCLIENT ADDR=192.0.2.7 LOGIN=joe",
          "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "MESSAGE", "QUIT");
      assertTrue(!out.get(1).contains("XCLIENT"), out.toString());
      assertEquals("550 5.7.0 Error: insufficient authorization", out.get(2));
      assertTrue(out.get(5).startsWith("250 2.0.0 Ok: queued as"), out.toString());
      assertTrue(f.onlySpooled().bodyText().startsWith("Received: from other.test (unknown [127.0.0.6])"));
    }
  }
}

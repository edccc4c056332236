package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.DnsServer;

/**
 * The client's host name, from a real DNS server (dnsmasq): forward-confirmed reverse DNS decides
 * whether host keys of the access map apply, and the name shows in the Received header and the log.
 *
 * <pre>
 * 127.0.0.2  PTR desktop.example.net, and desktop.example.net A 127.0.0.2   confirmed
 * 127.0.0.3  PTR forged.example.net,  but forged.example.net A 127.0.0.9    not confirmed
 * 127.0.0.1  no PTR at all                                                   unknown
 * </pre>
 */
class ClientNameTest {

  static DnsServer dns;

  @TempDir
  Path dir;

  @BeforeAll
  static void startDns() {
    dns = DnsServer.start(List.of(
        // --host-record gives both the A record and the PTR record.
        "--host-record=desktop.example.net,127.0.0.2",
        "--ptr-record=3.0.0.127.in-addr.arpa,forged.example.net",
        "--host-record=forged.example.net,127.0.0.9"));
  }

  @AfterAll
  static void stopDns() {
    if (dns != null) {
      dns.close();
    }
  }

  private InboundFixture node(String... more) throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "TLS_Clt:desktop.example.net VERIFY:128\n");
    InboundFixture.Builder b = InboundFixture.in(dir)
        .set("inbound.dns_servers=" + dns.address(), "inbound.dns_timeout=5s", "policy.access_map=" + access,
            "policy.trusted_networks=127.0.0.0/8");
    for (String s : more) {
      b.set(s);
    }
    return b.start();
  }

  @Test
  void theSeedsTlsCltEntryAppliesToTheClientWhosePtrIsConfirmed() throws Exception {
    try (InboundFixture f = node(); SmtpClient c = f.connectFrom("127.0.0.2")) {
      c.expect(220);
      c.send("EHLO desktop.example.net\r\n");
      c.expect(250);
      // TLS_Clt needs TLS: without STARTTLS nothing can meet it.
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect("530 5.7.0 Must issue a STARTTLS command first");
      c.send("STARTTLS\r\n");
      c.expect(220);
      c.startTls();
      // The listener asks for a certificate (the default) and this client sends none, so the
      // session cannot be VERIFY: sendmail's tls_client answer, to every command but QUIT (RFC 3207
      // section 4.1).
      c.send("EHLO desktop.example.net\r\n");
      c.expect("403 4.7.0 not authenticated");
      f.awaitLog("access:1 TLS_Clt:desktop.example.net VERIFY:128");
      f.awaitLog("STARTTLS=server, relay=desktop.example.net [127.0.0.2]");
    }
  }

  @Test
  void aPtrThatTheForwardLookupDoesNotConfirmIsNotBelieved() throws Exception {
    try (InboundFixture f = node(); SmtpClient c = f.connectFrom("127.0.0.3")) {
      c.expect(220);
      c.send("EHLO desktop.example.net\r\n");
      c.expect(250);
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect("250 2.1.0 Ok");
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect(250);
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: forged\r\n\r\nhi\r\n.\r\n");
      c.expect(250);
      f.awaitLog("hostname forged.example.net does not resolve to address 127.0.0.3");
      String received = f.onlySpooled().bodyText();
      assertTrue(received.startsWith("Received: from desktop.example.net (unknown [127.0.0.3])\r\n"), received);
    }
  }

  @Test
  void theConfirmedNameIsInTheReceivedHeader() throws Exception {
    // Without TLS_Clt this time, so that the name's client can send in plaintext.
    try (InboundFixture f = node("policy.access_map="); SmtpClient c = f.connectFrom("127.0.0.2")) {
      c.expect(220);
      c.send("HELO helo.example\r\n");
      c.expect(250);
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect(250);
      c.send("RCPT TO:<b@example.net>\r\n");
      c.expect(250);
      c.send("DATA\r\n");
      c.expect(354);
      c.send("Subject: named\r\n\r\nhi\r\n.\r\n");
      c.expect(250);
      String received = f.onlySpooled().bodyText();
      assertTrue(received.startsWith("Received: from helo.example (desktop.example.net [127.0.0.2])\r\n"), received);
      f.awaitLog("client=desktop.example.net[127.0.0.2]");
    }
  }

  @Test
  void aLoopbackClientWithoutPtrIsUnknownAtOnceNotAfterTheDeadline() throws Exception {
    // A deadline longer than the client waits for its greeting: only an immediate answer passes.
    try (InboundFixture f = node("inbound.dns_timeout=60s", "policy.access_map=");
        SmtpClient c = f.connectFrom("127.0.0.1")) {
      c.expect(220);
      c.send("QUIT\r\n");
      c.expect(221);
    }
  }

  @Test
  void aDnsServerThatNeverAnswersLeavesTheClientUnknownAfterTheDeadline() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        InboundFixture f = node("inbound.dns_servers=127.0.0.1:" + silent.getLocalPort(), "inbound.dns_timeout=1s");
        SmtpClient c = f.connectFrom("127.0.0.2")) {
      // Unknown: the desktop.example.net entry does not apply, so no STARTTLS is needed.
      c.expect(220);
      c.send("EHLO desktop.example.net\r\n");
      c.expect(250);
      c.send("MAIL FROM:<a@example.org>\r\n");
      c.expect("250 2.1.0 Ok");
      f.awaitLog("no host name for [127.0.0.2]");
    }
  }
}

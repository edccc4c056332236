package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a relay owes and refuses to clients it does not trust, on the wire: mail to the postmaster
 * is accepted (RFC 5321 §4.5.1) and queued for the configured address; sender-specified routing
 * through a relay domain is refused (Postfix's allow_untrusted_routing = no).
 */
class RelayDutiesTest {

  @TempDir
  Path dir;

  /** Loopback is not trusted here: the test client is a stranger that may send to relay.example only. */
  private InboundFixture stranger(String... more) throws Exception {
    return InboundFixture.in(dir).set("policy.trusted_networks=192.0.2.0/24", "policy.relay_domains=relay.example")
        .set(more).start();
  }

  @Test
  void postmasterMailFromAStrangerIsAcceptedAndQueuedForThePostmasterAddress() throws Exception {
    try (InboundFixture f = stranger("inbound.postmaster_address=hostmaster@admin.example"); SmtpClient c = f.greeted()) {
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<someone@example.org>").text());
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<Postmaster>").text());
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<postmaster@" + InboundFixture.HOSTNAME + ">").text());
      assertEquals("554 5.7.1 <postmaster@elsewhere.example>: Relay access denied",
          c.command("RCPT TO:<postmaster@elsewhere.example>").text(), "only our own postmaster");
      assertEquals(354, c.command("DATA").code());
      c.send("Subject: your relay\r\n\r\nhello\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as");
      String envelope = f.onlySpooled().envelope().encode();
      assertEquals(2, envelope.split("hostmaster@admin\\.example", -1).length - 1, envelope);
      assertFalse(envelope.toLowerCase(java.util.Locale.ROOT).contains("postmaster"), envelope);
    }
  }

  @Test
  void byDefaultPostmasterMailGoesToTheParentDomainOfOurName() throws Exception {
    try (InboundFixture f = stranger(); SmtpClient c = f.greeted()) {
      c.command("MAIL FROM:<someone@example.org>");
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<postmaster>").text());
      c.command("DATA");
      c.send("Subject: hi\r\n\r\n.\r\n");
      c.expect("250 2.0.0 Ok: queued as");
      String envelope = f.onlySpooled().envelope().encode();
      assertTrue(envelope.contains("postmaster@postern.test"), envelope);
      assertFalse(envelope.contains("postmaster@" + InboundFixture.HOSTNAME), envelope);
    }
  }

  @Test
  void senderSpecifiedRoutingThroughARelayDomainIsRefused() throws Exception {
    try (InboundFixture f = stranger(); SmtpClient c = f.greeted()) {
      assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<someone@example.org>").text());
      for (String to : List.of("user%other.example@relay.example", "other.example!user@relay.example",
          "\"user@other.example\"@relay.example")) {
        assertEquals("554 5.7.1 <" + to + ">: Relay access denied", c.command("RCPT TO:<" + to + ">").text());
      }
      f.awaitLog("rule=config:policy.allow_untrusted_routing=no");
      assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<user@relay.example>").text());
    }
  }
}

package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inbound.client_limit_exceptions} (Postfix's smtpd_client_event_limit_exceptions): by
 * default the trusted networks, whose application servers may open many sessions at once, open
 * them fast, and make mistakes without being cut off; everyone else keeps the per-client limits.
 */
class ClientLimitExceptionsTest {

  @TempDir
  Path dir;

  private static final String HOST = InboundFixture.HOSTNAME;

  @Test
  void aTrustedClientIsHeldToNoPerClientLimitByDefault() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir)
        .set("inbound.max_connections_per_ip=2", "inbound.connection_rate_per_ip=3", "inbound.max_errors=2").start()) {
      List<SmtpClient> open = new ArrayList<>();
      try {
        // Loopback is in policy.trusted_networks by default: five sessions at once, over both limits.
        for (int i = 0; i < 5; i++) {
          SmtpClient c = f.connect();
          open.add(c);
          c.expect(220);
        }
        SmtpClient c = open.get(0);
        for (int i = 0; i < 4; i++) {
          assertEquals("500 5.5.1 Error: command not recognized", c.command("WHAT").text());
        }
        assertEquals("250 2.0.0 Ok", c.command("NOOP").text(), "no error limit either");
      } finally {
        for (SmtpClient c : open) {
          c.close();
        }
      }
    }
  }

  @Test
  void theExceptionsFollowTheTrustedNetworksAndOthersKeepTheLimits() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir)
        .set("policy.trusted_networks=127.0.0.2/32", "inbound.max_connections_per_ip=1", "inbound.max_errors=2")
        .start();
        SmtpClient trusted1 = f.connectFrom("127.0.0.2"); SmtpClient trusted2 = f.connectFrom("127.0.0.2");
        SmtpClient other = f.connect()) {
      trusted1.expect(220);
      trusted2.expect(220);
      other.expect(220);
      try (SmtpClient second = f.connect()) {
        assertEquals("421 4.7.0 " + HOST + " Error: too many connections from 127.0.0.1\r\n", second.readUntilClosed());
      }
      assertEquals("500 5.5.1 Error: command not recognized", other.command("WHAT").text());
      other.send("WHAT\r\n");
      assertEquals("500 5.5.1 Error: command not recognized\r\n421 4.7.0 " + HOST + " Error: too many errors\r\n",
          other.readUntilClosed());
    }
  }

  @Test
  void anExplicitListReplacesTheDefault() throws Exception {
    try (InboundFixture f = InboundFixture.in(dir)
        .set("inbound.client_limit_exceptions=127.0.0.3/32", "inbound.max_connections_per_ip=1").start();
        SmtpClient a = f.connectFrom("127.0.0.3"); SmtpClient b = f.connectFrom("127.0.0.3");
        SmtpClient c = f.connect()) {
      a.expect(220);
      b.expect(220);
      c.expect(220);
      try (SmtpClient d = f.connect()) {
        assertEquals("421 4.7.0 " + HOST + " Error: too many connections from 127.0.0.1\r\n", d.readUntilClosed(),
            "loopback is trusted to relay, but no longer exempt");
      }
    }
  }
}

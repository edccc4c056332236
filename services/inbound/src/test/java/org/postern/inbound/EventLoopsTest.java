package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * A listener on several event loops ({@code inbound.event_loops}): the instances share the port,
 * every one of them completes STARTTLS (Vert.x 5.1.5 needs {@link SharedPortTls} for the second
 * and later ones), and the connection limits hold for the listener as a whole.
 */
class EventLoopsTest {

  @TempDir
  Path dir;

  private InboundFixture.Builder twoLoops(String... sets) {
    InboundFixture.Builder b = InboundFixture.in(dir).instances(2)
        .set("inbound.listeners=127.0.0.1:" + FreePorts.loopback() + " may");
    return b.set(sets);
  }

  @Test
  void startTlsWorksOnEveryEventLoop() throws Exception {
    try (InboundFixture f = twoLoops().start()) {
      // Vert.x hands new connections to the instances in turn: eight sessions reach both.
      for (int i = 0; i < 8; i++) {
        try (SmtpClient c = f.greeted()) {
          SSLSocket tls = c.starttls();
          assertTrue(tls.getSession().isValid());
          assertEquals(250, c.command("EHLO again.example").code(), "session " + i);
          assertEquals(221, c.command("QUIT").code());
        }
      }
      f.awaitLog("STARTTLS=server, relay=");
      assertEquals(2, f.logThreads("STARTTLS=server, relay=").size(),
          "handshakes ran on both event loops: " + f.logThreads("STARTTLS=server, relay="));
    }
  }

  @Test
  void connectionLimitsAreSharedByTheEventLoops() throws Exception {
    try (InboundFixture f = twoLoops("inbound.max_connections_per_ip=3",
        // Loopback is exempt from per-client limits by default.
        "inbound.client_limit_exceptions=").start()) {
      List<SmtpClient> held = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          held.add(f.greeted());
        }
        // The fourth lands on either instance; both count the three held sessions.
        for (int i = 0; i < 2; i++) {
          try (SmtpClient c = f.connect()) {
            assertEquals("421 4.7.0 " + InboundFixture.HOSTNAME + " Error: too many connections from 127.0.0.1\r\n",
                c.readUntilClosed());
          }
        }
      } finally {
        for (SmtpClient c : held) {
          c.close();
        }
      }
    }
  }
}

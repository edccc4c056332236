package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.config.ConfigLoader;
import org.postern.config.PosternConfig;

/**
 * Postern is never an open relay: a client outside the trusted networks may send only to the
 * relay domains, and every other recipient gets 554 5.7.1 at RCPT. Loopback is trusted by default,
 * so these tests move the trusted network elsewhere to play an outside client.
 */
class OpenRelayTest {

  @TempDir
  Path work;

  private Node node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private int start(String... extra) throws Exception {
    List<String> sets = new ArrayList<>(List.of(
        "inbound.listeners=127.0.0.1:0 may",
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "queue.spool_dir=" + work.resolve("spool"),
        // Deliveries, if any were attempted, go to a closed port on loopback and stay queued.
        "outbound.transport=*=[127.0.0.1]:9"));
    sets.addAll(List.of(extra));
    PosternConfig cfg = ConfigLoader.load(null, sets);
    node = Node.start(cfg, EnumSet.allOf(Role.class)).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return node.inboundPorts().get(0);
  }

  private static final byte[] MESSAGE = "Subject: relay test\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);

  @Test
  void outsideClientCannotRelayToForeignDomain() throws Exception {
    int port = start("policy.trusted_networks=192.0.2.0/24", "policy.relay_domains=example.net");
    Clients.Result r = Clients.smtplib(work, port, "a@example.org", "victim@elsewhere.test", MESSAGE, true);
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("RCPT victim@elsewhere.test 554 5.7.1 <victim@elsewhere.test>: Relay access denied"),
        r.output());
    assertTrue(!r.output().contains("DATA "), "no DATA without an accepted recipient: " + r.output());
  }

  @Test
  void outsideClientMaySendToRelayDomainsOnly() throws Exception {
    int port = start("policy.trusted_networks=192.0.2.0/24", "policy.relay_domains=example.net, .example.com");
    Clients.Result r = Clients.smtplib(work, port, "a@example.org",
        "ok@example.net,ok@sub.example.com,no@example.com,no@notexample.net", MESSAGE, false);
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("RCPT ok@example.net 250 2.1.5"), r.output());
    assertTrue(r.output().contains("RCPT ok@sub.example.com 250 2.1.5"), r.output());
    assertTrue(r.output().contains("RCPT no@example.com 554 5.7.1"), r.output());
    assertTrue(r.output().contains("RCPT no@notexample.net 554 5.7.1"), r.output());
    assertTrue(r.output().matches("(?s).*DATA 250 2\\.0\\.0 Ok: queued as [0-9A-F]{16}.*"), r.output());
  }

  @Test
  void loopbackIsTrustedByDefault() throws Exception {
    int port = start();
    Clients.Result r = Clients.smtplib(work, port, "a@example.org", "anyone@anywhere.test", MESSAGE, true);
    assertTrue(r.output().contains("RCPT anyone@anywhere.test 250 2.1.5"), r.output());
  }
}

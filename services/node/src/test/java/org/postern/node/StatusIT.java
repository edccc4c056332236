package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * {@code postern status --config FILE}, a real process against a real node: its listener, its
 * queue counts (one deferred message), its certificate's expiry, as text and as JSON.
 */
class StatusIT {

  @TempDir
  Path work;

  private QueueCli.Run postern(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString()));
    cmd.addAll(List.of(args));
    return QueueCli.run(work, cmd);
  }

  @Test
  void statusShowsListenersQueueCountsAndCertificate() throws Exception {
    int port = FreePorts.loopback();
    Path conf = work.resolve("postern.conf");
    Files.writeString(conf, "inbound.listeners = 127.0.0.1:" + port + " may\n"
        + "node.hostname = mx.postern.test\n"
        + "node.data_dir = " + work.resolve("data") + "\n"
        + "node.admin_listen = 127.0.0.1:" + FreePorts.loopback() + "\n"
        + "queue.spool_dir = " + work.resolve("data/spool") + "\n"
        // Port 9 on loopback is closed: the message is deferred and stays.
        + "outbound.transport = *=[127.0.0.1]:9\n");
    try (NodeProcess node = NodeProcess.run(work, List.of("--config", conf.toString()), List.of())) {
      node.awaitLog("node started", Duration.ofSeconds(60));
      byte[] msg = "From: a@example.org\r\nTo: b@example.net\r\nSubject: s\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
      Clients.Result sent = Clients.smtplib(work, port, "a@example.org", "b@example.net", msg, true);
      assertEquals(0, sent.exitCode(), sent.output());
      node.awaitLog("to=<b@example.net>, .*status=deferred", Duration.ofSeconds(30));

      JsonObject json;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      do {
        QueueCli.Run r = postern("status", "--json", "--config", conf.toString());
        assertEquals(0, r.exit(), r.stdout() + r.stderr());
        json = new JsonObject(r.stdout());
        assertTrue(System.nanoTime() < deadline, "the queue counts the deferred message: " + json.encodePrettily());
      } while (json.getJsonObject("queue").getInteger("deferred", 0) != 1);
      assertEquals("mx.postern.test", json.getString("node"));
      assertEquals(List.of("policy", "queue", "outbound", "inbound"), json.getJsonArray("roles").getList());
      JsonObject listener = json.getJsonArray("listeners").getJsonObject(0);
      assertEquals("127.0.0.1:" + port, listener.getString("address"));
      assertEquals("may", listener.getString("tls"));
      assertEquals(1, json.getJsonObject("queue").getInteger("total"));
      JsonObject cert = json.getJsonArray("certificates").getJsonObject(0);
      assertTrue(cert.getString("subject").contains("mx.postern.test"), cert.encode());
      assertTrue(cert.getLong("daysLeft") > 0, cert.encode());
      assertTrue(!json.containsKey("cluster"), "standalone: no members");

      QueueCli.Run text = postern("status", "--config", conf.toString());
      assertEquals(0, text.exit(), text.stderr());
      assertTrue(text.stdout().contains("node:         mx.postern.test (postern "), text.stdout());
      assertTrue(text.stdout().contains("listener:     127.0.0.1:" + port + " tls=may ccert="), text.stdout());
      assertTrue(text.stdout().matches("(?s).*queue: +total 1, .*deferred 1.*"), text.stdout());
      assertTrue(text.stdout().matches("(?s).*certificate: +CN=mx\\.postern\\.test.*, \\d+ days left.*"), text.stdout());
      assertTrue(text.stdout().contains("cluster:      standalone"), text.stdout());
      System.out.println("postern status said:\n" + text.stdout());
    }
  }
}

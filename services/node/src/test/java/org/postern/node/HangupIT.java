package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * SIGHUP (systemd's ExecReload=) rereads the configuration file, the policy files and the
 * certificates at once: what may change live is applied, what needs a restart is named, and the
 * node runs on. With policy.reload_interval = 0, only the signal can bring the new map in.
 */
class HangupIT {

  @TempDir
  Path work;

  private static String greeting(int port) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }
  }

  @Test
  void sighupRereadsTheConfigurationAndThePolicyFiles() throws Exception {
    int port = FreePorts.loopback();
    Path map = work.resolve("access");
    Files.writeString(map, "# nothing yet\n");
    Path conf = work.resolve("postern.conf");
    String common = "inbound.listeners = 127.0.0.1:" + port + " may\n"
        + "node.hostname = mx.postern.test\n"
        + "node.data_dir = " + work.resolve("data") + "\n"
        + "node.admin_listen = 127.0.0.1:" + FreePorts.loopback() + "\n"
        + "queue.spool_dir = " + work.resolve("data/spool") + "\n"
        + "policy.access_map = " + map + "\n"
        + "policy.reload_interval = 0\n";
    Files.writeString(conf, common + "queue.min_backoff = 300s\ninbound.max_recipients = 100\n");
    try (NodeProcess node = NodeProcess.run(work, List.of("--config", conf.toString()), List.of())) {
      node.awaitLog("node started", Duration.ofSeconds(60));
      assertTrue(greeting(port).startsWith("220 "));

      Files.writeString(map, "Connect:127.0.0.1 REJECT\n");
      Files.writeString(conf, common + "queue.min_backoff = 600s\ninbound.max_recipients = 200\n");
      node.signal("HUP");
      node.awaitLog("SIGHUP: reload done", Duration.ofSeconds(30));
      assertTrue(node.isAlive(), "the node runs on after SIGHUP");
      String refused = greeting(port);
      assertTrue(refused.startsWith("554 "), "the new access map is in force: " + refused);
      node.awaitLog("reload: queue\\.min_backoff changed; it takes effect at the next restart", Duration.ofSeconds(1));
      node.awaitLog("reload: listener limits, TLS settings and certificates reread", Duration.ofSeconds(1));
      assertTrue(!node.log().contains("inbound.max_recipients changed"), "a live setting is applied, not deferred");
    }
  }
}

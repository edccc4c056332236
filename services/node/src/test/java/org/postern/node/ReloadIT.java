package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * {@code postern reload --config FILE} asks the running node for SIGHUP's reload through the admin
 * API and prints what it applied and what needs a restart; a configuration that does not read is
 * refused with its cause (exit 1) and changes nothing.
 */
class ReloadIT {

  @TempDir
  Path work;

  private static String greeting(int port) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }
  }

  private QueueCli.Run postern(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString()));
    cmd.addAll(List.of(args));
    return QueueCli.run(work, cmd);
  }

  @Test
  void reloadAppliesLiveSettingsNamesRestartKeysAndRefusesABadFile() throws Exception {
    int port = FreePorts.loopback();
    Path open = work.resolve("open");
    Files.writeString(open, "# nothing\n");
    Path closed = work.resolve("closed");
    Files.writeString(closed, "Connect:127.0.0.1 REJECT\n");
    Path conf = work.resolve("postern.conf");
    String common = "inbound.listeners = 127.0.0.1:" + port + " may\n"
        + "node.hostname = mx.postern.test\n"
        + "node.data_dir = " + work.resolve("data") + "\n"
        + "node.admin_listen = 127.0.0.1:" + FreePorts.loopback() + "\n"
        + "queue.spool_dir = " + work.resolve("data/spool") + "\n"
        + "policy.reload_interval = 0\n";
    Files.writeString(conf, common + "policy.access_map = " + open + "\nqueue.min_backoff = 300s\n");
    try (NodeProcess node = NodeProcess.run(work, List.of("--config", conf.toString()), List.of())) {
      node.awaitLog("node started", Duration.ofSeconds(60));
      assertTrue(greeting(port).startsWith("220 "));

      // A live key (another access map) and a restart-only one.
      Files.writeString(conf, common + "policy.access_map = " + closed + "\nqueue.min_backoff = 600s\n");
      QueueCli.Run ok = postern("reload", "--config", conf.toString());
      assertEquals(0, ok.exit(), ok.stdout() + ok.stderr());
      assertTrue(ok.stdout().contains("applied: policy.access_map\n"), ok.stdout());
      assertTrue(ok.stdout().contains("needs a restart: queue.min_backoff\n"), ok.stdout());
      assertTrue(greeting(port).startsWith("554 "), "the new access map is in force on the wire");
      node.awaitLog("admin API: reload done", Duration.ofSeconds(5));

      // A value that does not parse: exit 1 naming the file, line, key and cause, and nothing
      // applied (the open map it also names is not taken). Asked of the node (--admin and
      // --data-dir, so the command does not read the file itself), then with --config alone.
      Files.writeString(conf, common + "policy.access_map = " + open + "\ninbound.max_recipients = lots\n");
      int admin = Integer.parseInt(node.awaitLog("admin API listening on 127\\.0\\.0\\.1:\\d+", Duration.ofSeconds(1))
          .replaceAll(".*admin API listening on 127\\.0\\.0\\.1:(\\d+).*", "$1"));
      for (QueueCli.Run bad : List.of(
          postern("reload", "--admin", "127.0.0.1:" + admin, "--data-dir", work.resolve("data").toString()),
          postern("reload", "--config", conf.toString()))) {
        assertEquals(1, bad.exit(), bad.stdout() + bad.stderr());
        assertTrue(bad.stderr().contains("configuration error: " + conf + ":8: inbound.max_recipients: expected a whole"
            + " number, got 'lots'"), bad.stderr());
        assertTrue(bad.stderr().contains("nothing applied"), bad.stderr());
        assertTrue(!bad.stderr().contains("Exception"), bad.stderr());
        assertTrue(greeting(port).startsWith("554 "), "the running access map is kept");
        System.out.println("refused reload said:\n" + bad.stderr());
      }
      node.awaitLog("reload: configuration error: .*inbound.max_recipients.*; nothing changed", Duration.ofSeconds(1));
      assertTrue(node.isAlive());
    }
  }

  @Test
  void noNodeAnsweringIsExitTwo() throws Exception {
    Path conf = work.resolve("postern.conf");
    Files.writeString(conf, "node.data_dir = " + work.resolve("data") + "\n"
        + "node.admin_listen = 127.0.0.1:" + FreePorts.loopback() + "\n");
    Files.createDirectories(work.resolve("data"));
    Files.writeString(work.resolve("data/admin.token"), "x\n");
    QueueCli.Run none = postern("reload", "--config", conf.toString());
    assertEquals(2, none.exit(), none.stdout() + none.stderr());
    assertTrue(none.stderr().contains("no node is answering"), none.stderr());
  }
}

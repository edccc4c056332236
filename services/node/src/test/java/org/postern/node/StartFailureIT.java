package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.TestCa;

/**
 * Every failure to start ends the process within seconds, with a non-zero status and one line
 * that names the cause, through the command the README gives (deploy/postern run). A node that
 * hung instead would look up to a supervisor and to a health check on its admin API.
 */
class StartFailureIT {

  /** How long a failing start may take: the JVM's start, a certificate, then the failure. */
  static final Duration QUICK = Duration.ofSeconds(30);

  @TempDir
  Path work;

  record Exit(int status, String stderr) {}

  /** {@code deploy/postern run SETS...}, killed (and failed) if it has not exited within {@link #QUICK}. */
  private Exit run(List<String> sets) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString(), "run"));
    cmd.addAll(List.of("--set", "node.hostname=mx.postern.test", "--set", "node.data_dir=" + work.resolve("data"),
        "--set", "node.admin_listen=127.0.0.1:" + FreePorts.loopback()));
    for (String s : sets) {
      cmd.add("--set");
      cmd.add(s);
    }
    Path err = Files.createTempFile(work, "stderr", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile());
    pb.environment().put("POSTERN_JAR", NodeProcess.JAR.toString());
    Process p = pb.start();
    boolean exited = p.waitFor(QUICK.toSeconds(), TimeUnit.SECONDS);
    if (!exited) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertTrue(exited, "the node did not exit within " + QUICK + " of a failed start; log:\n" + stderr);
    return new Exit(p.exitValue(), stderr);
  }

  /** The launcher's own line (not a log line), which must name the cause. */
  private static String cause(Exit e) {
    return e.stderr().lines().filter(l -> l.startsWith("postern: ")).findFirst()
        .orElseThrow(() -> new AssertionError("no 'postern: ...' line; stderr:\n" + e.stderr()));
  }

  private static void noStackTrace(Exit e) {
    assertTrue(!e.stderr().contains("\tat "), "no stack trace: " + e.stderr());
  }

  private String listener(int port) {
    return "inbound.listeners=127.0.0.1:" + port + " may";
  }

  @Test
  void anSmtpPortInUseStopsTheStart() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Exit e = run(List.of(listener(taken.getLocalPort()), "queue.spool_dir=" + work.resolve("spool")));
      assertEquals(1, e.status(), e.stderr());
      assertEquals("postern: cannot start: inbound.listeners: cannot listen on 127.0.0.1:" + taken.getLocalPort()
          + " may: Address already in use", cause(e));
      assertTrue(!e.stderr().contains("admin API listening"), "the admin API never answered for a node that did not start");
      noStackTrace(e);
    }
  }

  @Test
  void anAuthUsersFileTheGroupCanReadIsRefused() throws Exception {
    Path users = work.resolve("users");
    Files.writeString(users, "alice:$2a$10$" + "a".repeat(53) + "\n");
    Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-r-----"));
    Exit e = run(List.of(listener(FreePorts.loopback()), "inbound.auth_users=" + users,
        "queue.spool_dir=" + work.resolve("spool")));
    assertEquals(1, e.status(), e.stderr());
    String line = cause(e);
    assertTrue(line.startsWith("postern: cannot start: inbound.auth_users: ") && line.contains(users.toString())
        && line.contains("chmod"), line);
    noStackTrace(e);
  }

  @Test
  void aSpoolUnderARegularFileIsNamed() throws Exception {
    Path file = work.resolve("file");
    Files.writeString(file, "not a directory");
    Exit e = run(List.of(listener(FreePorts.loopback()), "queue.spool_dir=" + file.resolve("spool")));
    assertEquals(1, e.status(), e.stderr());
    assertEquals("postern: cannot start: queue.spool_dir: cannot create " + file.resolve("spool") + ": " + file
        + " exists and is not a directory", cause(e));
    noStackTrace(e);
  }

  @Test
  void aCertificateWhoseKeyDoesNotMatchIsRefused() throws Exception {
    TestCa ca = TestCa.create(work.resolve("ca"), "Test CA");
    TestCa.Issued one = ca.issueServer("mx.postern.test");
    TestCa.Issued other = ca.issueServer("mx.postern.test");
    Files.setPosixFilePermissions(other.key(), PosixFilePermissions.fromString("rw-------"));
    Exit e = run(List.of(listener(FreePorts.loopback()), "tls.cert_chain=" + one.chain(), "tls.key=" + other.key(),
        "queue.spool_dir=" + work.resolve("spool")));
    assertEquals(1, e.status(), e.stderr());
    String line = cause(e);
    assertTrue(line.startsWith("postern: cannot start: tls.cert_chain: cannot use the server certificate: ")
        && line.contains("does not belong to the first certificate in " + one.chain()), line);
    noStackTrace(e);
  }

  @Test
  void aSecondNodeOnTheSameSpoolIsRefusedNamingTheFirst() throws Exception {
    Path spool = work.resolve("spool");
    try (NodeProcess first = NodeProcess.start(work, List.of(listener(FreePorts.loopback()),
        "node.hostname=mx.postern.test", "node.data_dir=" + work.resolve("data"),
        "node.admin_listen=127.0.0.1:" + FreePorts.loopback(), "queue.spool_dir=" + spool))) {
      first.awaitLog("node started", Duration.ofSeconds(60));
      Exit e = run(List.of(listener(FreePorts.loopback()), "queue.spool_dir=" + spool));
      assertEquals(1, e.status(), e.stderr());
      assertEquals("postern: cannot start: queue.spool_dir: " + spool + " is in use by another node (pid " + first.pid()
          + ", lock " + spool.resolve("lock") + "); one node per spool: stop it, or give this node its own"
          + " queue.spool_dir", cause(e));
      assertTrue(first.isAlive(), "the first node runs on");
    }
  }
}

package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * Session resumption on the inbound listener, with the real OpenSSL client: a session saved with
 * {@code s_client -sess_out} resumes ({@code Reused,}) on every event loop of the node, after the
 * node restarts, and on another node that reads the same {@code tls.session_ticket_key_file}; a
 * node with another secret makes a full handshake ({@code New,}). The "other node" is a second
 * standalone node process: ticket keys never travel over the cluster, so joining one would test
 * nothing more (ClusteredSessionResumptionIT shows it with a cluster all the same).
 */
class SessionResumptionIT {

  private static final Duration START = Duration.ofSeconds(90);
  /** Connections per check: each lands on the next event loop, which had its own key before. */
  private static final int TRIES = 6;

  @TempDir
  Path work;
  /** What the last {@link #handshake} printed. */
  private String lastOutput = "";

  @Test
  void tls13AndTls12ResumeOnEveryEventLoopAndAfterARestart() throws Exception {
    Path secret = secret("secret");
    int port = FreePorts.loopback();
    Path s13 = work.resolve("tls13.session");
    Path s12 = work.resolve("tls12.session");
    try (NodeProcess node = start("a", port, "tls.session_ticket_key_file=" + secret)) {
      node.awaitLog("TLS session tickets: keys from tls.session_ticket_key_file " + secret, START);
      assertEquals("New, TLSv1.3", handshake(port, "-tls1_3", "-sess_out", s13));
      assertEquals("New, TLSv1.2", handshake(port, "-tls1_2", "-sess_out", s12));
      for (int i = 0; i < TRIES; i++) {
        assertEquals("Reused, TLSv1.3", handshake(port, "-tls1_3", "-sess_in", s13), "connection " + i);
        assertEquals("Reused, TLSv1.2", handshake(port, "-tls1_2", "-sess_in", s12), "connection " + i);
      }
      // A resumed session is logged like a new one (the listener asks for a certificate by default;
      // s_client sends none, so NO).
      long logged = node.log().lines().filter(l -> l.contains("STARTTLS=server, relay=[127.0.0.1], version=TLSv1.3,"
          + " verify=NO, cipher=TLS_AES_")).count();
      assertEquals(1 + TRIES, logged, node.log());
    }
    try (NodeProcess again = start("a", port, "tls.session_ticket_key_file=" + secret)) {
      for (int i = 0; i < TRIES; i++) {
        assertEquals("Reused, TLSv1.3", handshake(port, "-tls1_3", "-sess_in", s13), "after the restart, connection " + i);
        assertEquals("Reused, TLSv1.2", handshake(port, "-tls1_2", "-sess_in", s12), "after the restart, connection " + i);
      }
    }
  }

  @Test
  void aSessionFromOneNodeResumesOnAnotherWithTheSameSecretOnly() throws Exception {
    Path secret = secret("shared");
    Path other = secret("other");
    int portA = FreePorts.loopback();
    int portB = FreePorts.loopback();
    int portC = FreePorts.loopback();
    Path s13 = work.resolve("tls13.session");
    try (NodeProcess a = start("a", portA, "tls.session_ticket_key_file=" + secret);
        NodeProcess b = start("b", portB, "tls.session_ticket_key_file=" + secret);
        NodeProcess c = start("c", portC, "tls.session_ticket_key_file=" + other)) {
      assertEquals("New, TLSv1.3", handshake(portA, "-tls1_3", "-sess_out", s13));
      for (int i = 0; i < TRIES; i++) {
        assertEquals("Reused, TLSv1.3", handshake(portB, "-tls1_3", "-sess_in", s13), "node b, connection " + i);
      }
      assertEquals("New, TLSv1.3", handshake(portC, "-tls1_3", "-sess_in", s13), "node c has another secret");
    }
  }

  @Test
  void withoutASecretFileResumptionEndsAtARestart() throws Exception {
    int port = FreePorts.loopback();
    Path s13 = work.resolve("tls13.session");
    try (NodeProcess node = start("a", port)) {
      node.awaitLog("TLS session tickets: keys from a random secret made at start", START);
      assertEquals("New, TLSv1.3", handshake(port, "-tls1_3", "-sess_out", s13));
      for (int i = 0; i < TRIES; i++) {
        assertEquals("Reused, TLSv1.3", handshake(port, "-tls1_3", "-sess_in", s13), "connection " + i);
      }
    }
    try (NodeProcess again = start("a", port)) {
      assertEquals("New, TLSv1.3", handshake(port, "-tls1_3", "-sess_in", s13));
    }
  }

  @Test
  void ticketsOffSendsNoTls13Ticket() throws Exception {
    int port = FreePorts.loopback();
    Path s13 = work.resolve("tls13.session");
    try (NodeProcess node = start("a", port, "tls.session_tickets=no")) {
      node.awaitLog("TLS session tickets: off", START);
      assertEquals("New, TLSv1.3", handshake(port, "-tls1_3", "-sess_out", s13));
      assertTrue(!lastOutput.contains("New Session Ticket arrived"), "a ticket came: " + lastOutput);
      // s_client saves a TLS 1.3 session only when a ticket arrives.
      assertTrue(!Files.exists(s13), "s_client saved a session");
    }
  }

  @Test
  void aSecretFileOthersCanReadStopsTheStart() throws Exception {
    Path secret = secret("loose");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
    try (NodeProcess node = start("a", FreePorts.loopback(), "tls.session_ticket_key_file=" + secret)) {
      assertTrue(node.awaitExit(START) != 0);
      node.awaitLog("tls.session_ticket_key_file " + secret + ": the secret is accessible by group or others; fix with:"
          + " chmod 600 " + secret, Duration.ofSeconds(5));
      assertTrue(!node.log().contains("\tat "), "no stack trace: " + node.log());
    }
  }

  private Path secret(String name) throws IOException {
    return secret(work, name);
  }

  /** A fresh ticket secret {@code dir/name.key}, 0600, as deploy/README.md tells an operator to make one. */
  static Path secret(Path dir, String name) throws IOException {
    byte[] random = new byte[48];
    new SecureRandom().nextBytes(random);
    Path file = dir.resolve(name + ".key");
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, Base64.getEncoder().encodeToString(random) + "\n");
    return file;
  }

  private NodeProcess start(String name, int port, String... sets) throws Exception {
    Path dir = work.resolve(name);
    Files.createDirectories(dir);
    List<String> all = new ArrayList<>(List.of("inbound.listeners=127.0.0.1:" + port + " may",
        "node.data_dir=" + dir.resolve("data"), "queue.spool_dir=" + dir.resolve("spool"), "node.admin_listen="));
    all.addAll(List.of(sets));
    NodeProcess node = NodeProcess.start(dir, all);
    if (node.findLog("node started with roles|configuration error|cannot start|stopping", START) == null) {
      node.close();
      throw new AssertionError("node " + name + " did not start: " + node.log());
    }
    return node;
  }

  /** One {@link ResumingClient} session without mail; the summary's first two words, e.g. {@code Reused, TLSv1.3}. */
  private String handshake(int port, String version, String sessionOption, Path sessionFile) throws Exception {
    ResumingClient.Session s = ResumingClient.run(port, version, sessionOption, sessionFile, null);
    lastOutput = s.output();
    return s.handshake();
  }
}

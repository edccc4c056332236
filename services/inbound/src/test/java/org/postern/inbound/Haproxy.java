package org.postern.inbound;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.postern.testkit.FreePorts;

/**
 * A real HAProxy (Debian's package) in TCP mode on loopback, in front of one listener, sending the
 * PROXY header its {@code server} line names ({@code send-proxy} or {@code send-proxy-v2}). A
 * missing binary fails the test: install it with {@code apt-get install -y haproxy}.
 */
final class Haproxy implements AutoCloseable {

  static final String BINARY = "/usr/sbin/haproxy";

  final int port;
  private final Process process;
  private final Path log;

  private Haproxy(int port, Process process, Path log) {
    this.port = port;
    this.process = process;
    this.log = log;
  }

  /** Starts HAProxy listening on a free loopback port, forwarding to 127.0.0.1:{@code backend}. */
  static Haproxy inFrontOf(Path dir, int backend, String sendProxy) throws Exception {
    return inFrontOf(dir, List.of(backend), sendProxy, "");
  }

  /**
   * HAProxy in front of the listeners on 127.0.0.1:{@code backends} (round robin), each server
   * line ending in {@code serverOptions}, with more lines for the backend section (e.g. a check).
   */
  static Haproxy inFrontOf(Path dir, List<Integer> backends, String serverOptions, String backendLines)
      throws Exception {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw new IllegalStateException(BINARY + " not found: apt-get install -y haproxy");
    }
    int port = FreePorts.loopback();
    Path cfg = dir.resolve("haproxy-" + port + ".cfg");
    List<String> lines = new ArrayList<>(List.of(
        "global",
        "  maxconn 64",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "frontend smtp",
        "  bind 127.0.0.1:" + port,
        "  default_backend nodes",
        "backend nodes",
        "  balance roundrobin",
        backendLines));
    for (int i = 0; i < backends.size(); i++) {
      lines.add("  server node" + (i + 1) + " 127.0.0.1:" + backends.get(i) + " " + serverOptions);
    }
    Files.writeString(cfg, String.join("\n", lines) + "\n");
    Path log = dir.resolve("haproxy-" + port + ".log");
    Process p = new ProcessBuilder(BINARY, "-db", "-f", cfg.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    p.getOutputStream().close();
    Haproxy h = new Haproxy(port, p, log);
    h.awaitListening();
    return h;
  }

  /** Polls (with a deadline) until the frontend accepts connections. */
  private void awaitListening() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("haproxy exited: " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("haproxy did not listen on " + port + " in 20 s: " + Files.readString(log));
        }
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}

package org.postern.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real DNS server on 127.0.0.1 for tests (outbound's MX routing, inbound's client names):
 * dnsmasq (Debian's dnsmasq-base) as a child process, answering for the names it is given
 * ({@code --host-record}, {@code --ptr-record}, {@code --mx-host}, ...) and for nothing else. With
 * {@code --local=/test/} it answers NXDOMAIN for names it does not know and an empty answer
 * (NODATA) for a known name without records of the asked type, as a real zone would; no query
 * ever leaves the machine ({@code --no-resolv}).
 *
 * <p>Blocking: use it from test threads, never from an event loop.
 */
public final class DnsServer implements AutoCloseable {

  public static final String BINARY = "/usr/sbin/dnsmasq";

  private final Process process;
  private final int port;
  private final Path log;

  private DnsServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Records in dnsmasq's own option syntax, e.g. {@code --mx-host=a.test,mx1.a.test,10}. */
  public static DnsServer start(List<String> records) {
    IllegalStateException last = null;
    // A free TCP port is almost always a free UDP port too; when it is not, dnsmasq exits at once.
    for (int tries = 0; tries < 3; tries++) {
      try {
        return startOn(FreePorts.loopback(), records);
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw last;
  }

  private static DnsServer startOn(int port, List<String> records) {
    Path log;
    try {
      log = Files.createTempFile("postern-dnsmasq", ".log");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new ArrayList<>(List.of(BINARY, "--keep-in-foreground", "--no-resolv", "--no-hosts",
        "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
        "--pid-file=", "--local=/test/", "--local-ttl=60", "--log-queries", "--log-facility=-"));
    command.addAll(records);
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + BINARY + " (apt-get install dnsmasq-base): " + e.getMessage(), e);
    }
    DnsServer server = new DnsServer(process, port, log);
    server.awaitReady();
    return server;
  }

  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:port}, as outbound.dns_servers and inbound.dns_servers take it. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** What dnsmasq logged: the queries it answered, or why it did not start. */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read the dnsmasq log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      Files.deleteIfExists(log);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // A leftover temp file is harmless.
    }
  }

  /** Asks for the SOA of "test" until an answer comes: then the server is listening. */
  private void awaitReady() {
    byte[] query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 4, 't', 'e', 's', 't', 0, 0, 6, 0, 1};
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(200);
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("dnsmasq exited with status " + process.exitValue() + ": " + log());
        }
        socket.send(new DatagramPacket(query, query.length, InetAddress.getLoopbackAddress(), port));
        try {
          socket.receive(new DatagramPacket(new byte[512], 512));
          return;
        } catch (SocketTimeoutException e) {
          // Not listening yet: ask again.
        }
      }
    } catch (IOException e) {
      close();
      throw new IllegalStateException("cannot probe dnsmasq on port " + port + ": " + e.getMessage(), e);
    }
    close();
    throw new IllegalStateException("dnsmasq did not answer on 127.0.0.1:" + port + " within 10 s: " + log());
  }
}

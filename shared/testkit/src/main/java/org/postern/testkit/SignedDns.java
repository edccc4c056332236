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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * DNSSEC on loopback for tests, with the parts an operator would run: zones signed with
 * ldns-signzone (ldnsutils), served by NSD, and unbound validating them with their keys as trust
 * anchors. Ask unbound ({@link #resolver()}); NSD only answers unbound. Zones are signed at start,
 * so their records can hold TLSA data computed from certificates made a moment before.
 *
 * <p>Blocking: use it from test threads, never from an event loop.
 */
public final class SignedDns implements AutoCloseable {

  /** How a zone is served. */
  public enum Signing {
    /** Signed, and its key is a trust anchor: answers validate (secure). */
    SIGNED,
    /** Not signed and not anchored: answers come without validation (insecure). */
    UNSIGNED,
    /** Signed with signatures that expired long ago, its key anchored: answers are bogus. */
    EXPIRED
  }

  /**
   * One zone: {@code name} and its records in zone-file syntax, relative to the zone
   * ({@code "mx IN A 127.0.0.1"}); SOA and NS are added.
   *
   * @param forged owner names (relative, as in {@code records}) whose signatures are spoiled after
   *     signing: their answers are bogus while the rest of the zone validates
   */
  public record Zone(String name, Signing signing, List<String> records, List<String> forged) {
    public Zone(String name, Signing signing, List<String> records) {
      this(name, signing, records, List.of());
    }
  }

  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

  private final Path dir;
  private final List<Process> processes;
  private final int port;

  private SignedDns(Path dir, List<Process> processes, int port) {
    this.dir = dir;
    this.processes = processes;
    this.port = port;
  }

  public static SignedDns start(List<Zone> zones) {
    Path dir;
    try {
      dir = Files.createTempDirectory("postern-dnssec");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Process> processes = new ArrayList<>();
    try {
      StringBuilder anchors = new StringBuilder();
      StringBuilder nsdZones = new StringBuilder();
      StringBuilder stubs = new StringBuilder();
      int nsdPort = FreePorts.loopback();
      for (Zone z : zones) {
        String file = writeZone(dir, z);
        if (z.signing() != Signing.UNSIGNED) {
          String key = run(dir, "ldns-keygen", "-a", "ECDSAP256SHA256", "-k", z.name()).strip();
          LocalDate today = LocalDate.now(ZoneOffset.UTC);
          List<String> sign = new ArrayList<>(List.of("ldns-signzone", "-f", file + ".signed"));
          if (z.signing() == Signing.EXPIRED) {
            sign.addAll(List.of("-i", today.minusDays(60).format(DAY), "-e", today.minusDays(30).format(DAY)));
          } else {
            sign.addAll(List.of("-i", today.minusDays(1).format(DAY)));
          }
          sign.addAll(List.of(file, key));
          run(dir, sign.toArray(String[]::new));
          file = file + ".signed";
          forge(dir.resolve(file), z);
          anchors.append(Files.readString(dir.resolve(key + ".key")));
        }
        nsdZones.append("zone:\n  name: \"").append(z.name()).append("\"\n  zonefile: \"").append(file).append("\"\n");
        stubs.append("stub-zone:\n  name: \"").append(z.name()).append("\"\n  stub-addr: 127.0.0.1@").append(nsdPort)
            .append('\n');
      }
      Files.writeString(dir.resolve("anchors"), anchors.toString());
      Files.writeString(dir.resolve("nsd.conf"), "server:\n  ip-address: 127.0.0.1\n  port: " + nsdPort
          + "\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"" + dir + "\"\n  database: \"\"\n  pidfile: \"" + dir
          + "/nsd.pid\"\n  logfile: \"" + dir + "/nsd.log\"\n  xfrdfile: \"" + dir + "/xfrd.state\"\n"
          + "  zonelistfile: \"" + dir + "/zone.list\"\n  server-count: 1\n  do-ip6: no\n"
          + "remote-control:\n  control-enable: no\n" + nsdZones);
      int port = FreePorts.loopback();
      Files.writeString(dir.resolve("unbound.conf"), "server:\n  interface: 127.0.0.1\n  port: " + port
          + "\n  do-ip6: no\n  chroot: \"\"\n  username: \"\"\n  directory: \"" + dir + "\"\n  pidfile: \"" + dir
          + "/unbound.pid\"\n  use-syslog: no\n  logfile: \"" + dir + "/unbound.log\"\n  verbosity: 1\n"
          + "  log-queries: yes\n"
          + "  val-log-level: 2\n  num-threads: 1\n  do-not-query-localhost: no\n"
          + "  trust-anchor-file: \"" + dir + "/anchors\"\n"
          // RFC 6761's test. is one of unbound's built-in empty zones.
          + "  local-zone: \"test.\" nodefault\n  module-config: \"validator iterator\"\n"
          + "remote-control:\n  control-enable: no\n" + stubs);
      processes.add(spawn(dir, "nsd", "/usr/sbin/nsd", "-d", "-c", dir.resolve("nsd.conf").toString()));
      awaitAnswer(processes.get(0), nsdPort, zones.get(0).name(), dir);
      processes.add(spawn(dir, "unbound", "/usr/sbin/unbound", "-d", "-c", dir.resolve("unbound.conf").toString()));
      awaitAnswer(processes.get(1), port, zones.get(0).name(), dir);
      return new SignedDns(dir, processes, port);
    } catch (IOException | RuntimeException e) {
      processes.forEach(Process::destroy);
      throw new IllegalStateException("cannot start NSD and unbound (apt-get install nsd unbound ldnsutils): "
          + e.getMessage() + "\n" + logs(dir), e);
    }
  }

  /** {@code 127.0.0.1:port} of the validating resolver, as outbound.dns_servers takes it. */
  public String resolver() {
    return "127.0.0.1:" + port;
  }

  /** How many queries for {@code name} (absolute, with the final dot) and {@code type} unbound has logged. */
  public long queries(String name, String type) {
    try {
      String line = " " + name + " " + type + " IN";
      return Files.readAllLines(dir.resolve("unbound.log")).stream().filter(l -> l.contains(line)).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What NSD and unbound logged (unbound's validation failures among it). */
  public String log() {
    return logs(dir);
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroy();
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // A leftover temp directory is harmless.
    }
  }

  private static String writeZone(Path dir, Zone z) throws IOException {
    String file = z.name() + ".zone";
    StringBuilder sb = new StringBuilder("$ORIGIN " + z.name() + ".\n$TTL 60\n");
    sb.append("@ IN SOA ns.").append(z.name()).append(". hostmaster.").append(z.name()).append(". 1 3600 600 86400 60\n");
    sb.append("@ IN NS ns.").append(z.name()).append(".\nns IN A 127.0.0.1\n");
    z.records().forEach(r -> sb.append(r).append('\n'));
    Files.writeString(dir.resolve(file), sb.toString());
    return file;
  }

  /** Changes one character of the signature of every RRSIG owned by a name in {@code z.forged()}. */
  private static void forge(Path signed, Zone z) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(signed)) {
      String[] f = line.split("\\s+");
      boolean hit = f.length > 8 && f[3].equals("RRSIG")
          && z.forged().stream().anyMatch(o -> f[0].equalsIgnoreCase(o + "." + z.name() + "."));
      if (hit) {
        int at = line.length() - 10;
        char c = line.charAt(at);
        line = line.substring(0, at) + (c == 'A' ? 'B' : 'A') + line.substring(at + 1);
      }
      out.add(line);
    }
    Files.write(signed, out);
  }

  /** Runs {@code command} in {@code dir}, returns its output; throws with it when it fails. */
  static String run(Path dir, String... command) throws IOException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    return out;
  }

  private static Process spawn(Path dir, String name, String... command) throws IOException {
    return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".out").toFile()).start();
  }

  /** Asks for the SOA of {@code zone} until an answer comes: then the server is listening and loaded. */
  private static void awaitAnswer(Process process, int port, String zone, Path dir) throws IOException {
    java.io.ByteArrayOutputStream q = new java.io.ByteArrayOutputStream();
    // CD (checking disabled): a zone whose signatures expired still answers, so readiness shows.
    q.write(new byte[] {0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0}, 0, 12);
    for (String label : zone.split("\\.")) {
      q.write(label.length());
      q.write(label.getBytes(StandardCharsets.US_ASCII), 0, label.length());
    }
    q.write(new byte[] {0, 0, 6, 0, 1}, 0, 5);
    byte[] query = q.toByteArray();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(200);
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(process.info().command().orElse("server") + " exited with status "
              + process.exitValue());
        }
        socket.send(new DatagramPacket(query, query.length, InetAddress.getLoopbackAddress(), port));
        try {
          DatagramPacket answer = new DatagramPacket(new byte[1500], 1500);
          socket.receive(answer);
          // RCODE NOERROR: the zone is loaded (a server still loading answers SERVFAIL or REFUSED).
          if ((answer.getData()[3] & 0x0F) == 0) {
            return;
          }
        } catch (SocketTimeoutException e) {
          // Not listening yet: ask again.
        }
      }
    }
    throw new IllegalStateException("no answer for " + zone + " on port " + port + " within 20 s");
  }

  private static String logs(Path dir) {
    StringBuilder sb = new StringBuilder();
    for (String f : List.of("nsd.out", "nsd.log", "unbound.out", "unbound.log")) {
      try {
        Path p = dir.resolve(f);
        if (Files.exists(p)) {
          sb.append("--- ").append(f).append('\n').append(Files.readString(p));
        }
      } catch (IOException e) {
        sb.append("(cannot read ").append(f).append(")\n");
      }
    }
    return sb.toString();
  }
}

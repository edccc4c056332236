package org.postern.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * The generator against Postfix's own benchmark sink, {@code smtp-sink} (installed with the
 * postfix package by .ci/run): a third-party server written in C, which dumps every transaction
 * it accepts to a file, so what the generator counts is checked against what the server stored.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoadgenAgainstPostfixSmtpSinkTest {

  private static final Path SMTP_SINK = Path.of("/usr/sbin/smtp-sink");

  @TempDir
  Path dir;

  /** A running smtp-sink on a free loopback port; {@code extra} are its options. */
  private record Sink(Process process, int port) implements AutoCloseable {
    static Sink start(Path dumpDir, String... extra) throws Exception {
      assertTrue(Files.isExecutable(SMTP_SINK), SMTP_SINK + " is missing: install the postfix package");
      int port = FreePorts.loopback();
      List<String> cmd = new ArrayList<>(List.of(SMTP_SINK.toString()));
      if ("root".equals(System.getProperty("user.name"))) {
        cmd.addAll(List.of("-u", "nobody")); // smtp-sink refuses to keep super-user privileges
      }
      cmd.addAll(List.of("-d", dumpDir + "/%H%M%S."));
      cmd.addAll(List.of(extra));
      cmd.addAll(List.of("127.0.0.1:" + port, "64"));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(dumpDir.resolveSibling("smtp-sink.out").toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 500);
          return new Sink(p, port);
        } catch (IOException notYet) {
          if (!p.isAlive() || System.nanoTime() > deadline) {
            p.destroyForcibly();
            throw new AssertionError("smtp-sink did not start: "
                + Files.readString(dumpDir.resolveSibling("smtp-sink.out")));
          }
          Thread.sleep(50);
        }
      }
    }

    @Override
    public void close() throws Exception {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Path dumps() throws IOException {
    Path d = dir.resolve("dumps");
    Files.createDirectories(d);
    // smtp-sink writes as the unprivileged user it switched to, which must reach the directory.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
    return d;
  }

  private static LoadSettings to(Sink sink) {
    return new LoadSettings().target(new InetSocketAddress(Loopback.address("127.0.0.1"), sink.port()))
        .duration(Duration.ofSeconds(40));
  }

  @Test
  void everyMessageCountedIsOneTheSinkStored() throws Exception {
    Path dumps = dumps();
    try (Sink sink = Sink.start(dumps)) {
      Report r = Reports.run(to(sink).sessions(4).messages(40).perSession(10).size(4096));
      Reports.assertConsistent(r);
      assertTrue(r.clean(), r.toText());
      assertEquals(40, r.messagesOk());
    }
    try (Stream<Path> files = Files.list(dumps)) {
      List<Path> stored = files.toList();
      assertEquals(40, stored.size(), "one dump file per accepted message");
      String first = Files.readString(stored.get(0));
      assertTrue(first.contains("X-Mail-Args: <loadgen@loadgen.invalid>"), first);
      assertTrue(first.contains("Subject: postern loadgen"), first);
    }
  }

  @Test
  void refusalsAreCountedByReplyCodeAndStage() throws Exception {
    Path dumps = dumps();
    // -r RCPT: smtp-sink answers every RCPT with a 450.
    try (Sink sink = Sink.start(dumps, "-r", "RCPT")) {
      Report r = Reports.run(to(sink).sessions(2).messages(6));
      Reports.assertConsistent(r);
      assertEquals(0, r.messagesOk());
      assertEquals(6, r.messagesFailed());
      assertEquals(Map.of("450 at RCPT", 6L), r.replyErrors());
    }
    try (Stream<Path> files = Files.list(dumps)) {
      assertEquals(0, files.count(), "nothing was stored");
    }
  }

  @Test
  void aServerWithoutStartTlsIsAnErrorWhenTlsIsAsked() throws Exception {
    try (Sink sink = Sink.start(dumps())) {
      Report r = Reports.run(to(sink).sessions(2).messages(4).starttlsPercent(100));
      Reports.assertConsistent(r);
      assertEquals(0, r.messagesOk());
      assertTrue(r.exceptions().containsKey("NoStartTls"), r.toText());
    }
  }
}

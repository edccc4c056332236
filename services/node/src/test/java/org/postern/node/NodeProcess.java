package org.postern.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A real node process started through {@code deploy/postern run}, exactly as the README tells an
 * operator to, with its log (stderr) captured line by line.
 */
final class NodeProcess implements AutoCloseable {

  static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
  /**
   * The jar the tests run: this build's, or the one {@code POSTERN_TEST_JAR} names (to run the
   * tests against an earlier build, e.g. to see a new test fail without its fix).
   */
  static final Path JAR = System.getenv("POSTERN_TEST_JAR") != null ? Path.of(System.getenv("POSTERN_TEST_JAR"))
      : REPO.resolve("services/node/target/postern.jar");

  private final Process process;
  private final LinkedBlockingQueue<String> unread = new LinkedBlockingQueue<>();
  private final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());

  private NodeProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          all.add(line);
          unread.add(line);
        }
      } catch (IOException e) {
        unread.add("<log stream closed: " + e + ">");
      }
    }, "node-log-reader");
    reader.setDaemon(true);
    reader.start();
  }

  static NodeProcess start(Path workDir, List<String> sets) throws IOException {
    return run(workDir, List.of(), sets);
  }

  /** {@code deploy/postern run OPTIONS... --set S...}, e.g. with {@code --cluster} and {@code --roles}. */
  static NodeProcess run(Path workDir, List<String> options, List<String> sets) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", REPO.resolve("deploy/postern").toString(), "run"));
    cmd.addAll(options);
    for (String s : sets) {
      cmd.add("--set");
      cmd.add(s);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("POSTERN_JAR", JAR.toString());
    return new NodeProcess(pb.start());
  }

  /** Waits for a log line matching {@code regex}; fails with the log so far if it does not come. */
  String awaitLog(String regex, Duration timeout) throws InterruptedException {
    String line = findLog(regex, timeout);
    if (line == null) {
      throw new AssertionError("no log line matching /" + regex + "/ within " + timeout + "; log:\n" + log());
    }
    return line;
  }

  /** The first log line matching {@code regex}, waiting up to {@code timeout}; null if none came. */
  String findLog(String regex, Duration timeout) throws InterruptedException {
    Pattern p = Pattern.compile(regex);
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (all) {
      for (String line : all) {
        if (p.matcher(line).find()) {
          return line;
        }
      }
    }
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left <= 0 ? null : unread.poll(left, TimeUnit.NANOSECONDS);
      if (line == null) {
        return null;
      }
      if (p.matcher(line).find()) {
        return line;
      }
    }
  }

  String log() {
    synchronized (all) {
      return String.join("\n", all);
    }
  }

  /** kill -9: the process gets no chance to flush, close or clean up. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Sends a signal by name ({@code TERM}, {@code HUP}) to the node, as kill(1) or systemd does. */
  void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** Waits for the node to exit and returns its status; fails with the log if it does not exit in time. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the node did not exit within " + timeout + "; log:\n" + log());
    }
    return process.exitValue();
  }

  /** The node's process id (deploy/postern execs java, so this is the JVM). */
  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}

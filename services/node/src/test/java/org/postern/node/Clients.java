package org.postern.node;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.postern.testkit.Peers;

/** Real clients, run as processes: swaks, Python's smtplib (send.py), and openssl. */
final class Clients {

  record Result(int exitCode, String output) {
    List<String> lines() {
      return output.lines().toList();
    }
  }

  private Clients() {}

  static Result swaks(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("swaks");
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  /** Sends {@code message} with smtplib; {@code rcpts} comma-separated. */
  static Result smtplib(Path work, int port, String from, String rcpts, byte[] message, boolean starttls)
      throws IOException, InterruptedException {
    Path script = work.resolve("send.py");
    try (InputStream in = Clients.class.getResourceAsStream("send.py")) {
      Files.write(script, in.readAllBytes());
    }
    Path msg = Files.createTempFile(work, "msg", ".eml");
    Files.write(msg, message);
    return run(List.of(Peers.python(), script.toString(), "127.0.0.1", String.valueOf(port), from, rcpts,
        msg.toString(), starttls ? "starttls" : "plain"));
  }

  /** The real openssl command line tool, with no input. */
  static Result openssl(Object... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    for (Object a : args) {
      cmd.add(a.toString());
    }
    return run(cmd);
  }

  private static Result run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd.get(0) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}

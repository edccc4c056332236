package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One run of {@code deploy/postern} to completion, as an operator types it. */
final class Launcher {

  record Run(int exit, String stdout, String stderr) {
    /** Whether stderr shows a stack trace, which an expected error must never print. */
    boolean hasStackTrace() {
      return stderr.contains("Exception") || stderr.contains("\tat ");
    }
  }

  private Launcher() {}

  static Run run(Path workDir, String stdin, String... args) throws IOException, InterruptedException {
    return run(workDir, Map.of(), stdin, args);
  }

  /** The same with {@code env} added to the environment, as {@code VAR=value postern ...} does. */
  static Run run(Path workDir, Map<String, String> env, String stdin, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    pb.environment().putAll(env);
    pb.environment().put("POSTERN_JAR", NodeProcess.JAR.toString());
    Process p = pb.start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "postern " + String.join(" ", args) + " did not finish");
    return new Run(p.exitValue(), out, err);
  }
}

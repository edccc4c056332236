package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@code deploy/postern queue ...} as an operator runs it: a real process, its exit status and output. */
final class QueueCli {

  record Run(int exit, String stdout, String stderr) {}

  private QueueCli() {}

  /** {@code deploy/postern queue ARGS --admin 127.0.0.1:PORT --data-dir DATA}, run in {@code workDir}. */
  static Run queue(Path workDir, int adminPort, Path dataDir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", NodeProcess.REPO.resolve("deploy/postern").toString(), "queue"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--admin", "127.0.0.1:" + adminPort, "--data-dir", dataDir.toString()));
    return run(workDir, cmd);
  }

  static Run run(Path workDir, List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    pb.environment().put("POSTERN_JAR", NodeProcess.REPO.resolve("services/node/target/postern.jar").toString());
    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (IOException e) {
        return new byte[0];
      }
    });
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "postern queue did not finish");
    String stderr = new String(err.join(), StandardCharsets.UTF_8);
    return new Run(p.exitValue(), out, stderr);
  }
}

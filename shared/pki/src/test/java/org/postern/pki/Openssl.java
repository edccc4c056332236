package org.postern.pki;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real {@code openssl} command (installed by .ci/run), run as a checker of what we wrote. */
final class Openssl {

  /** Exit code and everything it printed (stdout then stderr). */
  record Result(int exit, String output) {
    Result ok() {
      assertTrue(exit == 0, "openssl failed (exit " + exit + "): " + output);
      return this;
    }
  }

  private Openssl() {}

  static Result run(Object... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    for (Object a : args) {
      cmd.add(a.toString());
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl did not finish: " + cmd);
    return new Result(p.exitValue(), out);
  }
}

package org.postern.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Where the external peers that tests talk to live. A missing peer fails the test with the command
 * that installs it: tests are never skipped because a tool is absent.
 */
public final class Peers {

  /** System property that points at another Python 3 interpreter. */
  public static final String PYTHON_PROPERTY = "postern.test.python";

  static final String INSTALL_HINT = "install python3-aiosmtpd: apt-get install -y python3-aiosmtpd";

  private static volatile String checkedPython;

  private Peers() {}

  /**
   * The Debian Python 3, which has python3-aiosmtpd ({@code /usr/bin/python3}; a pyenv
   * {@code python3} on PATH usually lacks it), or the {@code postern.test.python} property.
   *
   * @throws IllegalStateException when that interpreter cannot import aiosmtpd
   */
  public static String python() {
    String python = System.getProperty(PYTHON_PROPERTY, "/usr/bin/python3");
    if (python.equals(checkedPython)) {
      return python;
    }
    String problem = importProblem(python);
    if (problem != null) {
      throw new IllegalStateException(python + " cannot import aiosmtpd (" + problem + "); " + INSTALL_HINT
          + " (or set -D" + PYTHON_PROPERTY + "=/path/to/python3)");
    }
    checkedPython = python;
    return python;
  }

  /** Why {@code python} cannot import aiosmtpd, or null when it can. */
  private static String importProblem(String python) {
    try {
      Process p = new ProcessBuilder(python, "-c", "import aiosmtpd").redirectErrorStream(true).start();
      p.getOutputStream().close();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "the import did not finish within 30 s";
      }
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + lastLine(output);
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private static String lastLine(String s) {
    int nl = s.lastIndexOf('\n');
    return nl < 0 ? s : s.substring(nl + 1);
  }
}

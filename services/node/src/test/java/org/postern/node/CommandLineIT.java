package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as an operator meets it: precise errors, no stack traces, working helpers. */
class CommandLineIT {

  @TempDir
  Path work;

  private Launcher.Run postern(String stdin, String... args) throws IOException, InterruptedException {
    return Launcher.run(work, stdin, args);
  }

  @Test
  void aBadConfigurationStopsTheNodeWithOneLinePerProblem() throws Exception {
    Path conf = work.resolve("postern.conf");
    Files.writeString(conf, "inbound.listeners = 127.0.0.1:2525 maybe\nqueue.min_backof = 5m\n");
    Launcher.Run r = postern("", "run", "--config", conf.toString(), "--set", "inbound.max_recipients=5");
    assertEquals(2, r.exit(), r.stderr());
    assertEquals(List.of(
        "postern: configuration error: " + conf + ":2: queue.min_backof: unknown setting (did you mean queue.min_backoff?)",
        // Unknown keys are found while reading the file; bad values when they are parsed, after it.
        "postern: configuration error: " + conf + ":1: inbound.listeners: listener tls must be none, may or required, got 'maybe'",
        "postern: configuration error: --set: inbound.max_recipients: must be between 100 and 100000, got 5"),
        r.stderr().lines().toList());
    assertTrue(!r.stderr().contains("Exception") && !r.stderr().contains("\tat "), "no stack trace: " + r.stderr());
  }

  @Test
  void unknownRoleIsNamed() throws Exception {
    Launcher.Run r = postern("", "run", "--roles", "inbound,mailer");
    assertEquals(2, r.exit());
    assertEquals("postern: --roles: unknown role 'mailer' (roles: inbound, policy, queue, outbound)", r.stderr().strip());
  }

  @Test
  void authHashPrintsALineThatVerifies() throws Exception {
    Launcher.Run r = postern("correct horse\n", "auth", "hash", "--cost", "10", "alice");
    assertEquals(0, r.exit(), r.stderr());
    String line = r.stdout().strip();
    assertTrue(line.matches("alice:\\$2a\\$10\\$[./A-Za-z0-9]{53}"), line);
    assertTrue(BCrypt.verifyer().verify("correct horse".toCharArray(), line.substring(6)).verified);
    assertEquals(2, postern("", "auth", "hash", "alice").exit(), "an empty password is refused");
  }
}

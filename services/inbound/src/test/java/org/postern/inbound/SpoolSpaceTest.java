package org.postern.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * queue.min_free_space at MAIL: a spool without room answers 452 4.3.1 before the client sends any
 * text, and room reserved by one session (its SIZE) is not promised to another until released.
 */
class SpoolSpaceTest {

  @TempDir
  Path dir;

  private static final String FULL = "452 4.3.1 Insufficient system storage";

  @Test
  void aSpoolBelowTheThresholdRefusesMailAtMailNotAfterTheText() throws Exception {
    // A petabyte: no test machine has that much free, so the spool is below the threshold.
    try (InboundFixture f = InboundFixture.in(dir).set("queue.min_free_space=1000000000000000").start();
        SmtpClient c = f.greeted()) {
      assertEquals(FULL, c.command("MAIL FROM:<a@example.org>").text());
      assertEquals(FULL, c.command("MAIL FROM:<a@example.org> SIZE=1000").text());
      assertEquals("221 2.0.0 Bye", c.command("QUIT").text());
    }
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed (the test needs root, as FullDiskTest): " + out);
  }

  @Test
  void roomDeclaredWithSizeIsReservedAcrossSessionsUntilReleased() throws Exception {
    // A real 4 MiB file system (as FullDiskTest's): 3 MiB above a 1 MiB threshold, room for one
    // 2,000,000-octet message and not for two.
    Path mount = Files.createDirectories(dir.resolve("mnt"));
    run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString());
    try {
      try (InboundFixture f = InboundFixture.in(dir).set("queue.spool_dir=" + mount.resolve("spool"),
          "queue.min_free_space=1m").start(); SmtpClient a = f.greeted(); SmtpClient b = f.greeted()) {
        assertEquals("250 2.1.0 Ok", a.command("MAIL FROM:<a@example.org> SIZE=2000000").text());
        assertEquals(FULL, b.command("MAIL FROM:<b@example.org> SIZE=2000000").text(), "a's reservation counts");
        assertEquals("250 2.0.0 Ok", a.command("RSET").text());
        assertEquals("250 2.1.0 Ok", b.command("MAIL FROM:<b@example.org> SIZE=2000000").text(),
            "a's RSET gave the room back");
        assertEquals("250 2.1.5 Ok", b.command("RCPT TO:<c@example.net>").text());
        assertEquals(354, b.command("DATA").code());
        b.send("Subject: fits\r\n\r\nsmall\r\n.\r\n");
        b.expect("250 2.0.0 Ok: queued as ");
        // b's message is queued: its reservation went with it, so a can have the room again
        // (less what b's message took).
        assertEquals("250 2.1.0 Ok", a.command("MAIL FROM:<a@example.org> SIZE=2000000").text());
      }
    } finally {
      run("umount", mount.toString());
    }
  }
}

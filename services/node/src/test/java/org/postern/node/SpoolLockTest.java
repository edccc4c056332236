package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One node per spool, within one process too; the lock file names its holder. */
class SpoolLockTest {

  @TempDir
  Path dir;

  @Test
  void theSecondLockIsRefusedUntilTheFirstIsReleased() throws Exception {
    Path spool = dir.resolve("spool");
    SpoolLock first = SpoolLock.acquire(spool);
    assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(spool.resolve("lock")));
    SpoolLock.Refused refused = assertThrows(SpoolLock.Refused.class, () -> SpoolLock.acquire(spool));
    assertTrue(refused.getMessage().startsWith("queue.spool_dir: " + spool + " is in use by another node (pid "
        + ProcessHandle.current().pid() + ", lock " + spool.resolve("lock") + ")"), refused.getMessage());
    first.release();
    SpoolLock.acquire(spool).release();
  }
}

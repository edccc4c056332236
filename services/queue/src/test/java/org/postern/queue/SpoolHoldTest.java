package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.QueueIds;

/** Hold markers on disk, and the header section {@code postern queue show} reads. */
class SpoolHoldTest {

  @TempDir
  Path dir;

  @Test
  void aHoldMarkerIsRecoveredAndGoesWithItsMessage() throws Exception {
    Spool spool = new Spool(dir);
    String held = QueueIds.next();
    String free = QueueIds.next();
    Buffer body = Buffer.buffer("Subject: x\r\n\r\nbody\r\n");
    spool.store(SpoolTest.message(held), body);
    spool.store(SpoolTest.message(free), body);
    spool.setHeld(List.of(held), true);
    spool.setHeld(List.of(held), true); // idempotent

    List<Spool.Loaded> loaded = new Spool(dir).recover();
    assertEquals(2, loaded.size());
    for (Spool.Loaded l : loaded) {
      assertEquals(l.message().queueId().equals(held), l.held(), l.message().queueId());
      assertEquals(body.length(), l.size());
    }

    spool.setHeld(List.of(held), false);
    assertFalse(new Spool(dir).recover().stream().anyMatch(Spool.Loaded::held), "released");

    spool.setHeld(List.of(held), true);
    spool.delete(held);
    assertFalse(JournalTest.held(dir, held), "finishing a message ends its hold");
    assertThrows(NoSuchFileException.class, () -> spool.setHeld(List.of(held), true), "no hold without a message");
  }

  @Test
  void aMarkerLeftWithoutItsMessageIsRemovedAtRecovery() throws Exception {
    Spool spool = new Spool(dir);
    String gone = QueueIds.next();
    Files.createFile(dir.resolve("active/" + gone + ".hold"));
    assertEquals(List.of(), spool.recover());
    assertFalse(Files.exists(dir.resolve("active/" + gone + ".hold")));
  }

  @Test
  void theHeaderSectionEndsAtTheFirstEmptyLineOrTheLimit() throws Exception {
    Spool spool = new Spool(dir);
    String id = QueueIds.next();
    spool.store(SpoolTest.message(id), Buffer.buffer("Subject: s\u00e9\r\nX-A: 1\r\n\r\nbody\r\n\r\nmore\r\n"));
    Spool.HeaderSection h = spool.headerSection(id, 1000);
    assertEquals("Subject: s\u00e9\r\nX-A: 1\r\n", h.text());
    assertFalse(h.truncated());
    Spool.HeaderSection cut = spool.headerSection(id, 8);
    assertEquals("Subject:", cut.text());
    assertTrue(cut.truncated());
  }
}

package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.QueueIds;

/** The finished-recipient lists a replica holder keeps beside its replicas. */
class ReplicaAreaTest {

  @TempDir
  Path dir;

  private String hold(ReplicaArea area, String owner) throws Exception {
    String id = QueueIds.next();
    Buffer body = Buffer.buffer("Subject: r\r\n\r\nreplica\r\n");
    ReplicaArea.Incoming in = area.begin(owner, SpoolTest.message(id), body.length());
    area.append(in, body);
    area.commit(in);
    return id;
  }

  @Test
  void aLateOlderReportDoesNotShrinkTheList() throws Exception {
    Spool spool = new Spool(dir);
    ReplicaArea area = new ReplicaArea(dir, spool.tmpDir());
    String id = hold(area, "node-a");

    assertTrue(area.markDone("node-a", id, Set.of("b@example.net", "c@example.com")));
    assertTrue(area.markDone("node-a", id, Set.of("b@example.net")), "an older report, arriving late");

    Path list = area.file("node-a", id).resolveSibling(id + ".rcpt");
    assertEquals(Set.of("b@example.net", "c@example.com"), Spool.readDone(list));
  }

  @Test
  void noListIsKeptForAReplicaNotHeldAndADropTakesTheListAlong() throws Exception {
    Spool spool = new Spool(dir);
    ReplicaArea area = new ReplicaArea(dir, spool.tmpDir());
    String unknown = QueueIds.next();
    assertFalse(area.markDone("node-a", unknown, Set.of("b@example.net")));
    assertFalse(Files.exists(area.file("node-a", unknown).resolveSibling(unknown + ".rcpt")));

    String id = hold(area, "node-a");
    area.markDone("node-a", id, Set.of("b@example.net"));
    assertEquals(1, area.drop(List.of(id)));
    try (var left = Files.list(area.file("node-a", id).getParent())) {
      assertEquals(List.of(), left.toList(), "neither the replica nor its list is left");
    }
  }

  @Test
  void aTakenOverReplicaKeepsItsFinishedRecipientsAcrossARestart() throws Exception {
    Spool spool = new Spool(dir);
    ReplicaArea area = new ReplicaArea(dir, spool.tmpDir());
    String id = hold(area, "node-a");
    area.markDone("node-a", id, Set.of("c@example.com"));

    Spool.Loaded adopted = spool.adopt(area.file("node-a", id));
    assertEquals(Set.of("c@example.com"), adopted.doneRecipients());

    List<Spool.Loaded> recovered = new Spool(dir).recover();
    assertEquals(1, recovered.size());
    assertEquals(Set.of("c@example.com"), recovered.get(0).doneRecipients(),
        "the list moved into active/ with the message");
  }
}

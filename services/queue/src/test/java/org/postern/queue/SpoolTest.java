package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ClientInfo;
import org.postern.bus.QueueIds;
import org.postern.smtp.Envelope;

class SpoolTest {

  @TempDir
  Path dir;

  static SpooledMessage message(String id) {
    Envelope env = new Envelope(org.postern.smtp.Path.parseMailbox("a@example.org"),
        List.of(org.postern.smtp.Path.parseMailbox("b@example.net"), org.postern.smtp.Path.parseMailbox("c@example.com")),
        Map.of("BODY", "8BITMIME"));
    return new SpooledMessage(id, env, new ClientInfo("127.0.0.1", "client.test", "ESMTPS", null),
        Instant.parse("2026-11-24T03:00:00Z"));
  }

  @Test
  void storedMessageIsRecoveredWithItsBodyAndProgress() throws Exception {
    Spool spool = new Spool(dir);
    String id = QueueIds.next();
    spool.store(message(id), Buffer.buffer("Subject: x\r\n\r\nbody\r\n"));
    spool.markDone(id, Set.of("b@example.net"));

    List<Spool.Loaded> loaded = new Spool(dir).recover();
    assertEquals(1, loaded.size());
    assertEquals(message(id), loaded.get(0).message());
    assertEquals(Set.of("b@example.net"), loaded.get(0).doneRecipients());
    assertEquals("Subject: x\r\n\r\nbody\r\n", spool.body(id).toString());
  }

  @Test
  void storingTheSameIdTwiceKeepsOneCopy() throws Exception {
    Spool spool = new Spool(dir);
    String id = QueueIds.next();
    spool.store(message(id), Buffer.buffer("first"));
    spool.store(message(id), Buffer.buffer("second"));
    assertEquals(1, spool.recover().size());
    assertEquals("first", spool.body(id).toString(), "a retried enqueue must not replace the stored message");
  }

  @Test
  void halfWrittenFilesAreDiscardedAndCorruptOnesSetAside() throws Exception {
    Spool spool = new Spool(dir);
    String good = QueueIds.next();
    spool.store(message(good), Buffer.buffer("ok"));
    Files.writeString(dir.resolve("tmp/" + QueueIds.next()), "POSTERN-QUEUE-1 999 999\n{\"trunc");
    // A file of one message, as earlier versions wrote small ones too, cut short.
    String bad = QueueIds.next();
    Path badFile = dir.resolve("active/" + bad + ".msg");
    Buffer whole = Buffer.buffer(QueueRecord.head(message(bad), 17)).appendString("will be truncated");
    Files.write(badFile, whole.getBytes(0, whole.length() - 5));

    List<Spool.Loaded> loaded = new Spool(dir).recover();
    assertEquals(List.of(good), loaded.stream().map(l -> l.message().queueId()).toList());
    try (var tmp = Files.list(dir.resolve("tmp"))) {
      assertEquals(0, tmp.count(), "tmp/ holds only unacknowledged writes and is emptied at start");
    }
    assertTrue(Files.exists(dir.resolve("active/" + bad + ".msg.corrupt")), "a corrupt file is kept for the operator");
  }

  @Test
  void deleteRemovesBothFilesAndIsIdempotent() throws Exception {
    Spool spool = new Spool(dir);
    String id = QueueIds.next();
    spool.store(message(id), Buffer.buffer("x"));
    spool.markDone(id, Set.of("b@example.net"));
    spool.delete(id);
    spool.delete(id);
    assertEquals(0, spool.recover().size());
    try (var active = Files.list(dir.resolve("active"))) {
      // What is left is the spare segment the recovered spool made ready, empty.
      assertEquals(List.of(0L), active.map(p -> p.toFile().length()).toList());
    }
  }

  @Test
  void aQueueIdThatIsNotOneIsRefusedBeforeItBecomesAFileName() throws Exception {
    Spool spool = new Spool(dir);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> spool.body("../../etc/passwd"));
  }

  @Test
  void aFreshBodyIsDeliveredFromMemoryUntilItsFirstAttemptEnds() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      Spool spool = new Spool(dir);
      spool.recover();
      String id = QueueIds.next();
      spool.store(message(id), Buffer.buffer("Subject: x\r\n\r\nbody\r\n"));
      // The file changes under the spool: only a read from memory still gives the stored body.
      Path file = dir.resolve("active/" + spool.fileOf(id));
      byte[] all = Files.readAllBytes(file);
      all[all.length - 3] = 'B';
      Files.write(file, all);
      org.postern.bus.MessageBody first = spool.deliverable(vertx, id);
      assertEquals("Subject: x\r\n\r\nbody\r\n", first.read(0, 1000).await(5, java.util.concurrent.TimeUnit.SECONDS).toString());
      spool.markDone(id, Set.of());
      org.postern.bus.MessageBody retry = spool.deliverable(vertx, id);
      assertEquals("Subject: x\r\n\r\nbodB\r\n", retry.read(0, 1000).await(5, java.util.concurrent.TimeUnit.SECONDS).toString(),
          "a retry reads the file");
    } finally {
      vertx.close().await(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}

package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.QueueIds;

/**
 * Messages stored in one commit round share one batch file: what is finished is marked, what is
 * not comes back at recovery, and the file goes with its last message, crash or not.
 */
class SpoolBatchTest {

  @TempDir
  Path dir;

  private static List<Spool.Write> writes(int n, int size) {
    List<Spool.Write> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = QueueIds.next();
      out.add(new Spool.Write(SpoolTest.message(id), Buffer.buffer(("Subject: " + i + "\r\n\r\n").repeat(1)
          + "x".repeat(size) + "\r\n")));
    }
    return out;
  }

  private Set<String> files(String glob) throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("active"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> dir.getFileSystem().getPathMatcher("glob:" + glob).matches(Path.of(n)))
          .collect(Collectors.toSet());
    }
  }

  private static Set<String> ids(List<Spool.Loaded> loaded) {
    return loaded.stream().map(l -> l.message().queueId()).collect(Collectors.toSet());
  }

  @Test
  void oneRoundOfSmallMessagesIsOneFileAndEachBodyReadsBack() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> w = writes(5, 4000);
    List<IOException> results = spool.storeAll(w);
    results.forEach(r -> assertNull(r));
    assertEquals(1, files("*.batch").size());
    assertEquals(Set.of(), files("*.msg"));
    for (Spool.Write x : w) {
      assertEquals(x.body(), spool.body(x.message().queueId()));
    }
    Spool after = new Spool(dir);
    List<Spool.Loaded> loaded = after.recover();
    assertEquals(5, loaded.size());
    for (Spool.Write x : w) {
      assertEquals(x.body(), after.body(x.message().queueId()), "read back after recovery");
    }
    assertEquals(4000 + "Subject: 0\r\n\r\n\r\n".length(), loaded.stream()
        .filter(l -> l.message().queueId().equals(w.get(0).message().queueId())).findFirst().orElseThrow().size());
  }

  @Test
  void finishedMessagesAreMarkedAndTheFileGoesWithTheLast() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> w = writes(4, 100);
    spool.storeAll(w);
    String a = w.get(0).message().queueId();
    String b = w.get(1).message().queueId();
    spool.markDone(a, Set.of("b@example.net"));
    spool.deleteAll(List.of(a, b));
    assertEquals(Set.of(), files("*.{done,rcpt,inflight,hold}"), "the state is in the journal, not in files");
    assertEquals(1, files("*.batch").size(), "two of four finished: the file stays");

    Spool after = new Spool(dir);
    List<Spool.Loaded> loaded = after.recover();
    assertEquals(Set.of(w.get(2).message().queueId(), w.get(3).message().queueId()), ids(loaded));
    after.delete(w.get(2).message().queueId());
    assertEquals(1, files("*.batch").size());
    after.delete(w.get(3).message().queueId());
    assertEquals(Set.of(), files("*.batch"), "the last message took the file with it");
    assertEquals(Set.of(), files("*.done"));
    assertEquals(0, new Spool(dir).recover().size());
    after.delete(w.get(3).message().queueId()); // idempotent
  }

  @Test
  void aBatchWhoseMessagesWereAllFinishedBeforeACrashIsRemovedAtRecovery() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> w = writes(3, 100);
    spool.storeAll(w);
    // The crash came after every marker was durable and before the file's removal.
    for (Spool.Write x : w) {
      Files.createFile(dir.resolve("active/" + x.message().queueId() + ".done"));
    }
    Files.createFile(dir.resolve("active/" + QueueIds.next() + ".done")); // of no batch at all
    assertEquals(0, new Spool(dir).recover().size());
    assertEquals(Set.of(), files("*.batch"));
    assertEquals(Set.of(), files("*.done"));
  }

  @Test
  void largeBodiesGetAFileOfTheirOwnAndBatchesStayBounded() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> w = new ArrayList<>(writes(2, 100));
    w.addAll(writes(1, Spool.MAX_BATCHED_BODY + 1));
    w.addAll(writes(300, 4000)); // about 1.2 MB: more than one batch file
    spool.storeAll(w).forEach(r -> assertNull(r));
    assertEquals(Set.of(w.get(2).message().queueId() + ".msg"), files("*.msg"));
    assertEquals(2, files("*.batch").size(), "300 bodies of 4 KB in two batch files");
    for (String f : files("*.batch")) {
      assertTrue(Files.size(dir.resolve("active/" + f)) <= Spool.MAX_BATCH_OCTETS,
          f + " holds at most " + Spool.MAX_BATCH_OCTETS + " octets");
    }
    assertEquals(303, new Spool(dir).recover().size());
  }

  @Test
  void anIdTwiceInARoundOrAlreadyStoredIsWrittenOnce() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> first = writes(2, 10);
    spool.storeAll(first);
    String stored = first.get(0).message().queueId();
    String fresh = QueueIds.next();
    List<Spool.Write> again = List.of(
        new Spool.Write(SpoolTest.message(stored), Buffer.buffer("replaced?")),
        new Spool.Write(SpoolTest.message(fresh), Buffer.buffer("one")),
        new Spool.Write(SpoolTest.message(fresh), Buffer.buffer("two")),
        new Spool.Write(SpoolTest.message(QueueIds.next()), Buffer.buffer("three")),
        new Spool.Write(SpoolTest.message(QueueIds.next()), Buffer.buffer()));
    spool.storeAll(again).forEach(r -> assertNull(r));
    assertEquals(first.get(0).body(), spool.body(stored));
    assertEquals("one", spool.body(fresh).toString());
    assertEquals(0, spool.body(again.get(4).message().queueId()).length(), "an empty body last in the file");
    assertEquals(5, new Spool(dir).recover().size());
  }

  @Test
  void aTruncatedBatchIsSetAsideNotDelivered() throws Exception {
    Spool spool = new Spool(dir);
    spool.storeAll(writes(3, 100));
    Path batch = dir.resolve("active/" + files("*.batch").iterator().next());
    byte[] all = Files.readAllBytes(batch);
    Files.write(batch, java.util.Arrays.copyOf(all, all.length - 10));
    assertEquals(0, new Spool(dir).recover().size());
    assertTrue(Files.exists(batch.resolveSibling(batch.getFileName() + ".corrupt")));
  }

  @Test
  void aHeldMessageOfABatchStaysHeldAcrossRecovery() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> w = writes(2, 10);
    spool.storeAll(w);
    String held = w.get(1).message().queueId();
    spool.setHeld(List.of(held), true);
    List<Spool.Loaded> loaded = new Spool(dir).recover();
    assertEquals(Set.of(held), loaded.stream().filter(Spool.Loaded::held).map(l -> l.message().queueId())
        .collect(Collectors.toSet()));
    assertFalse(loaded.stream().filter(l -> !l.message().queueId().equals(held)).anyMatch(Spool.Loaded::held));
  }
}

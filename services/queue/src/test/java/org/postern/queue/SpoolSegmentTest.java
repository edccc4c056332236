package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.bus.QueueIds;

/**
 * Messages appended to long-lived segments: a round creates no file, what is finished is marked,
 * what is not comes back at recovery, a torn tail is ignored, a rolled segment goes with its last
 * message or has its few live ones copied forward (crash or not), and the files of the format
 * before segments are still read.
 */
class SpoolSegmentTest {

  @TempDir
  Path dir;

  private static List<Spool.Write> writes(int n, int size) {
    List<Spool.Write> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = QueueIds.next();
      out.add(new Spool.Write(SpoolTest.message(id), Buffer.buffer("Subject: " + i + "\r\n\r\n" + "x".repeat(size)
          + "\r\n")));
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

  /** Segments that hold something (the spare is empty). */
  private Set<String> segmentsInUse() throws IOException {
    return files("*.seg").stream().filter(f -> dir.resolve("active/" + f).toFile().length() > 0)
        .collect(Collectors.toSet());
  }

  private static Map<String, Spool.Loaded> byId(List<Spool.Loaded> loaded) {
    Map<String, Spool.Loaded> m = new HashMap<>();
    loaded.forEach(l -> assertNull(m.put(l.message().queueId(), l), "loaded once: " + l.message().queueId()));
    return m;
  }

  private static String id(Spool.Write w) {
    return w.message().queueId();
  }

  /** A recovered spool whose segments roll at {@code rollAt} and are copied forward at once. */
  private Spool small(long rollAt, Journal.Steps steps) throws IOException {
    Spool s = new Spool(dir, Spool.COMPACT_AT, rollAt, 0, steps);
    s.recover();
    return s;
  }

  @Test
  void roundsAppendToOneSegmentCreatedBeforehandAndEachBodyReadsBack() throws Exception {
    Spool spool = new Spool(dir);
    spool.recover();
    assertEquals(1, files("*.seg").size(), "the spare is made at recovery, not in a round");
    long created = spool.segmentsCreated();
    List<Spool.Write> all = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      List<Spool.Write> w = writes(5, 4000);
      spool.storeAll(w).forEach(r -> assertNull(r));
      all.addAll(w);
    }
    assertEquals(created, spool.segmentsCreated(), "no round created a file");
    assertEquals(1, files("*").size(), "three rounds, one file: " + files("*"));
    assertEquals(Set.of(), files("*.msg"));
    for (Spool.Write x : all) {
      assertEquals(x.body(), spool.body(id(x)));
    }
    spool.close();
    Spool after = new Spool(dir);
    Map<String, Spool.Loaded> loaded = byId(after.recover());
    assertEquals(15, loaded.size());
    for (Spool.Write x : all) {
      assertEquals(x.body(), after.body(id(x)), "read back after recovery");
    }
    assertEquals(all.get(0).body().length(), loaded.get(id(all.get(0))).size());
  }

  @Test
  void aSegmentRollsIntoTheSpareAndGoesOnceRolledAndFinished() throws Exception {
    Spool spool = small(16 * 1024, Journal.Steps.NONE);
    List<Spool.Write> first = writes(4, 4000); // past the roll size
    spool.storeAll(first);
    String firstSegment = spool.fileOf(id(first.get(0)));
    spool.deleteAll(first.stream().map(SpoolSegmentTest::id).toList());
    assertTrue(files("*.seg").contains(firstSegment), "appended to: it stays though empty");
    List<Spool.Write> second = writes(1, 100);
    spool.storeAll(second);
    assertFalse(firstSegment.equals(spool.fileOf(id(second.get(0)))), "rolled into the spare");
    assertTrue(spool.upkeepDue(), "the spare was taken");
    spool.upkeep();
    assertFalse(files("*.seg").contains(firstSegment), "rolled and finished: removed");
    assertEquals(2, files("*.seg").size(), "the current segment and a new spare");
    assertEquals(Set.of(id(second.get(0))), byId(new Spool(dir).recover()).keySet());
  }

  @Test
  void aTornTailIsIgnoredAndTheNextRoundsGoToANewSegment() throws Exception {
    Spool spool = small(Spool.SEGMENT_SIZE, Journal.Steps.NONE);
    List<Spool.Write> w = writes(3, 1000);
    spool.storeAll(w);
    spool.close();
    Path segment = dir.resolve("active/" + spool.fileOf(id(w.get(0))));
    byte[] all = Files.readAllBytes(segment);
    // A crash in the middle of the next round's write: a frame cut short, after a whole one.
    List<Spool.Write> torn = writes(2, 1000);
    Files.write(segment, frame(torn.get(0)), StandardOpenOption.APPEND);
    byte[] cut = frame(torn.get(1));
    Files.write(segment, java.util.Arrays.copyOf(cut, cut.length - 7), StandardOpenOption.APPEND);

    Spool after = new Spool(dir);
    Map<String, Spool.Loaded> loaded = byId(after.recover());
    Set<String> expected = new java.util.HashSet<>(w.stream().map(SpoolSegmentTest::id).toList());
    expected.add(id(torn.get(0))); // whole and checksummed: recovered though never acknowledged
    assertEquals(expected, loaded.keySet());
    List<Spool.Write> next = writes(1, 10);
    after.storeAll(next);
    assertFalse(segment.getFileName().toString().equals(after.fileOf(id(next.get(0)))), "never appended after a torn tail");
    assertEquals(all.length + frame(torn.get(0)).length + cut.length - 7, Files.size(segment));
  }

  @Test
  void aDamagedOrZeroedTailEndsTheSegment() throws Exception {
    Spool spool = small(Spool.SEGMENT_SIZE, Journal.Steps.NONE);
    List<Spool.Write> w = writes(3, 1000);
    spool.storeAll(w.subList(0, 2));
    spool.storeAll(w.subList(2, 3));
    spool.close();
    Path segment = dir.resolve("active/" + spool.fileOf(id(w.get(0))));
    byte[] all = Files.readAllBytes(segment);
    all[all.length - 10] ^= 1; // the last record's checksum fails
    Files.write(segment, all);
    Files.write(segment, new byte[4096], StandardOpenOption.APPEND); // a zeroed tail, as after a power loss
    assertEquals(Set.of(id(w.get(0)), id(w.get(1))), byId(new Spool(dir).recover()).keySet());
  }

  /** A write as a round frames it in a segment. */
  private static byte[] frame(Spool.Write w) {
    byte[] head = QueueRecord.head(w.message(), w.body().length());
    byte[] body = w.body().getBytes();
    return Buffer.buffer(Segments.frame(head, body).array()).appendBytes(head).appendBytes(body).getBytes();
  }

  @Test
  void theFewLiveMessagesOfAMostlyFinishedSegmentAreCopiedForwardWithTheirState() throws Exception {
    Spool spool = small(32 * 1024, Journal.Steps.NONE);
    List<Spool.Write> w = writes(16, 4000); // two segments' worth: the next round rolls
    for (Spool.Write x : w) {
      spool.storeAll(List.of(x));
    }
    String heldId = id(w.get(0));
    String doneId = id(w.get(9));
    Set<String> segmentsBefore = segmentsInUse();
    assertEquals(2, segmentsBefore.size(), segmentsBefore.toString());
    spool.setHeld(List.of(heldId), true);
    spool.markDone(doneId, Set.of("b@example.net"));
    List<String> finished = w.stream().map(SpoolSegmentTest::id).filter(i -> !i.equals(heldId) && !i.equals(doneId))
        .toList();
    spool.deleteAll(finished);
    spool.storeAll(writes(1, 10));
    spool.upkeep();
    assertEquals(Set.of(spool.fileOf(heldId)), segmentsInUse(), "the old segments went, their live messages copied");
    assertEquals(spool.fileOf(heldId), spool.fileOf(doneId));
    assertEquals(w.get(0).body(), spool.body(heldId), "read from its new place");
    spool.close();

    Map<String, Spool.Loaded> loaded = byId(new Spool(dir).recover());
    assertTrue(loaded.keySet().containsAll(Set.of(heldId, doneId)));
    assertEquals(3, loaded.size());
    assertTrue(loaded.get(heldId).held());
    assertEquals(Set.of("b@example.net"), loaded.get(doneId).doneRecipients());
  }

  /** A crash at each step of a copy forward: the next start has every live message once, with its state. */
  @ParameterizedTest
  @ValueSource(strings = {"copied", "moved"})
  void aCopyForwardStoppedAtAnyStepLosesNothingAndDuplicatesNothing(String step) throws Exception {
    class Crash extends IOException {}
    Spool spool = small(32 * 1024, s -> {
      if (s.equals(step)) {
        throw new Crash();
      }
    });
    List<Spool.Write> w = writes(16, 4000);
    for (Spool.Write x : w) {
      spool.storeAll(List.of(x));
    }
    String heldId = id(w.get(1));
    String liveId = id(w.get(9));
    spool.setHeld(List.of(heldId), true);
    spool.deleteAll(w.stream().map(SpoolSegmentTest::id).filter(i -> !i.equals(heldId) && !i.equals(liveId)).toList());
    List<Spool.Write> extra = writes(1, 10);
    spool.storeAll(extra);
    assertThrows(Crash.class, spool::upkeep);

    Spool after = new Spool(dir);
    Map<String, Spool.Loaded> loaded = byId(after.recover());
    assertEquals(3, loaded.size());
    assertTrue(loaded.get(heldId).held());
    assertFalse(loaded.get(liveId).held());
    assertEquals(w.get(1).body(), after.body(heldId));
    // Finished now, they never come back, whichever copy was loaded (the other shares its file
    // with a message still queued).
    after.deleteAll(List.of(heldId, liveId));
    after.close();
    assertEquals(Set.of(id(extra.get(0))), byId(new Spool(dir).recover()).keySet());
  }

  @Test
  void theFilesOfTheFormatBeforeSegmentsAreRecoveredAndGoAsTheirMessagesFinish() throws Exception {
    // A spool as the previous version left it: a batch file of three, one of them finished in the
    // journal, and a file of one message with a recipient done in a marker file.
    List<Spool.Write> batch = writes(3, 500);
    Buffer content = Buffer.buffer();
    for (Spool.Write x : batch) {
      content.appendBytes(QueueRecord.head(x.message(), x.body().length())).appendBuffer(x.body());
    }
    Files.createDirectories(dir.resolve("active"));
    String batchName = QueueIds.next() + ".batch";
    Files.write(dir.resolve("active/" + batchName), content.getBytes());
    Spool.Write single = writes(1, 500).get(0);
    Files.write(dir.resolve("active/" + id(single) + ".msg"),
        Buffer.buffer(QueueRecord.head(single.message(), single.body().length())).appendBuffer(single.body()).getBytes());
    Files.writeString(dir.resolve("active/" + id(single) + ".rcpt"), "{\"done\":[\"b@example.net\"]}");
    new Journal(dir.resolve("journal"), Journal.Steps.NONE)
        .append(List.of(new JsonArray().add("F").add(id(batch.get(0))).add(batchName)), true);

    Spool spool = new Spool(dir);
    Map<String, Spool.Loaded> loaded = byId(spool.recover());
    assertEquals(Set.of(id(batch.get(1)), id(batch.get(2)), id(single)), loaded.keySet());
    assertEquals(Set.of("b@example.net"), loaded.get(id(single)).doneRecipients());
    assertEquals(batch.get(2).body(), spool.body(id(batch.get(2))));
    List<Spool.Write> fresh = writes(2, 100);
    spool.storeAll(fresh);
    assertTrue(spool.fileOf(id(fresh.get(0))).endsWith(".seg"), "new mail goes to a segment");
    spool.deleteAll(List.of(id(batch.get(1)), id(batch.get(2)), id(single)));
    assertEquals(Set.of(), files("*.{batch,msg,rcpt}"), "the old files went with their messages");
    spool.close();
    assertEquals(Set.of(id(fresh.get(0)), id(fresh.get(1))), byId(new Spool(dir).recover()).keySet());
  }

  @Test
  void largeBodiesGetAFileOfTheirOwn() throws Exception {
    Spool spool = new Spool(dir);
    spool.recover();
    List<Spool.Write> w = new ArrayList<>(writes(2, 100));
    w.addAll(writes(1, Spool.MAX_BATCHED_BODY + 1));
    w.addAll(writes(30, 4000));
    spool.storeAll(w).forEach(r -> assertNull(r));
    assertEquals(Set.of(id(w.get(2)) + ".msg"), files("*.msg"));
    assertEquals(1, segmentsInUse().size());
    spool.close();
    assertEquals(33, new Spool(dir).recover().size());
  }

  @Test
  void anIdTwiceInARoundOrAlreadyStoredIsWrittenOnce() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> first = writes(2, 10);
    spool.storeAll(first);
    String stored = id(first.get(0));
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
    assertEquals(0, spool.body(id(again.get(4))).length(), "an empty body last in the segment");
    assertEquals(5, new Spool(dir).recover().size());
  }

  @Test
  void aTruncatedBatchFileOfAnEarlierVersionIsSetAsideNotDelivered() throws Exception {
    Files.createDirectories(dir.resolve("active"));
    Buffer content = Buffer.buffer();
    for (Spool.Write x : writes(3, 100)) {
      content.appendBytes(QueueRecord.head(x.message(), x.body().length())).appendBuffer(x.body());
    }
    Path batch = dir.resolve("active/" + QueueIds.next() + ".batch");
    Files.write(batch, content.getBytes(0, content.length() - 10));
    assertEquals(0, new Spool(dir).recover().size());
    assertTrue(Files.exists(batch.resolveSibling(batch.getFileName() + ".corrupt")));
  }

  @Test
  void aHeldMessageOfASegmentStaysHeldAcrossRecovery() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> w = writes(2, 10);
    spool.storeAll(w);
    String held = id(w.get(1));
    spool.setHeld(List.of(held), true);
    List<Spool.Loaded> loaded = new Spool(dir).recover();
    assertEquals(Set.of(held), loaded.stream().filter(Spool.Loaded::held).map(l -> l.message().queueId())
        .collect(Collectors.toSet()));
    assertFalse(loaded.stream().filter(l -> !l.message().queueId().equals(held)).anyMatch(Spool.Loaded::held));
  }
}

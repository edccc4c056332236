package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postern.bus.QueueIds;

/**
 * The state journal: records replay in order, a torn tail is ignored, and a compaction stopped at
 * any step (a crash) leaves a spool that recovers the same messages with the same state.
 */
class JournalTest {

  @TempDir
  Path dir;

  /** Whether the spool in {@code spoolDir} has {@code id} on hold, as its journal says now. */
  static boolean held(Path spoolDir, String id) throws IOException {
    boolean held = false;
    for (JsonArray r : new Journal(spoolDir.resolve("journal"), Journal.Steps.NONE).replay()) {
      if (r.size() > 1 && id.equals(r.getValue(1))) {
        switch (r.getString(0)) {
          case "H" -> held = true;
          case "U", "F" -> held = false;
          default -> { }
        }
      }
    }
    return held;
  }

  private static List<Spool.Write> writes(int n) {
    List<Spool.Write> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Spool.Write(SpoolTest.message(QueueIds.next()), Buffer.buffer("Subject: " + i + "\r\n\r\nbody\r\n")));
    }
    return out;
  }

  private static Map<String, Spool.Loaded> byId(List<Spool.Loaded> loaded) {
    return loaded.stream().collect(Collectors.toMap(l -> l.message().queueId(), Function.identity()));
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("journal"))) {
      return s.filter(p -> p.toString().endsWith(".log")).sorted().toList();
    }
  }

  @Test
  void recordsReplayInOrderAndATornTailIsIgnored() throws Exception {
    Journal j = new Journal(dir.resolve("journal"), Journal.Steps.NONE);
    j.append(List.of(new JsonArray().add("H").add("a"), new JsonArray().add("U").add("a")), true);
    j.append(List.of(new JsonArray().add("H").add("b")), false);
    Path segment = segments().get(0);
    long whole = Files.size(segment);
    j.append(List.of(new JsonArray().add("R").add("c").add(new JsonArray().add("x@example.net"))), true);
    // A crash in the middle of the last append: its record is cut short.
    byte[] all = Files.readAllBytes(segment);
    Files.write(segment, java.util.Arrays.copyOf(all, (int) whole + 11));
    List<JsonArray> replayed = new Journal(dir.resolve("journal"), Journal.Steps.NONE).replay();
    assertEquals(List.of("[\"H\",\"a\"]", "[\"U\",\"a\"]", "[\"H\",\"b\"]"),
        replayed.stream().map(JsonArray::encode).toList());

    // A record whose octets were damaged fails its checksum and ends the segment too.
    all = Files.readAllBytes(segment);
    all[all.length - 14] ^= 0x20;
    Files.write(segment, all);
    assertEquals(2, new Journal(dir.resolve("journal"), Journal.Steps.NONE).replay().size());
  }

  @Test
  void aSpoolWithATornJournalTailRecoversEveryAcknowledgedChange() throws Exception {
    Spool spool = new Spool(dir);
    List<Spool.Write> w = writes(3);
    spool.storeAll(w);
    String a = w.get(0).message().queueId();
    String b = w.get(1).message().queueId();
    spool.markDone(a, Set.of("b@example.net"));
    spool.delete(b);
    // Half a record after the acknowledged ones, as a kill during an append leaves it.
    Path segment = segments().get(segments().size() - 1);
    Files.write(segment, new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);
    Map<String, Spool.Loaded> loaded = byId(new Spool(dir).recover());
    assertEquals(Set.of(a, w.get(2).message().queueId()), loaded.keySet());
    assertEquals(Set.of("b@example.net"), loaded.get(a).doneRecipients());
    // Recovery compacted the journal: appends after it are not lost behind the torn record.
    Spool after = new Spool(dir);
    after.recover();
    after.delete(a);
    assertEquals(Set.of(w.get(2).message().queueId()), byId(new Spool(dir).recover()).keySet());
  }

  @Test
  void stateChangesOfManyMessagesShareOneSync() throws Exception {
    Spool spool = new Spool(dir);
    spool.recover();
    List<Spool.Write> w = writes(20);
    List<Spool.Mark> marks = new ArrayList<>();
    for (Spool.Write x : w.subList(0, 10)) {
      marks.add(new Spool.InFlight(x.message().queueId(), true));
      marks.add(new Spool.Finished(x.message().queueId()));
    }
    for (Spool.Write x : w.subList(10, 15)) {
      marks.add(new Spool.Done(x.message().queueId(), Set.of("b@example.net")));
    }
    marks.add(new Spool.Held(w.get(15).message().queueId(), true));
    spool.storeAll(w);
    long before = spool.journalSyncs();
    Spool.Round round = spool.commit(List.of(), marks);
    assertEquals(null, round.marks());
    assertEquals(before + 1, spool.journalSyncs(), "one fdatasync for 26 records");

    Map<String, Spool.Loaded> loaded = byId(new Spool(dir).recover());
    assertEquals(10, loaded.size());
    for (Spool.Write x : w.subList(10, 15)) {
      assertEquals(Set.of("b@example.net"), loaded.get(x.message().queueId()).doneRecipients());
    }
    assertTrue(loaded.get(w.get(15).message().queueId()).held());
    assertEquals(1, loaded.values().stream().filter(Spool.Loaded::held).count());
  }

  @Test
  void anInFlightMarkIsReportedOnceAndAnEndedOneNotAtAll() throws Exception {
    Spool spool = new Spool(dir);
    spool.recover();
    List<Spool.Write> w = writes(2);
    spool.storeAll(w);
    String under = w.get(0).message().queueId();
    String ended = w.get(1).message().queueId();
    spool.markInFlight(under, true);
    spool.markInFlight(ended, true);
    spool.markInFlight(ended, false);
    Map<String, Spool.Loaded> loaded = byId(new Spool(dir).recover());
    assertTrue(loaded.get(under).wasInFlight());
    assertFalse(loaded.get(ended).wasInFlight());
    assertFalse(byId(new Spool(dir).recover()).get(under).wasInFlight(), "reported by the first recovery only");
  }

  @Test
  void aFileGoesWithItsLastMessageAndNeverComesBackAfterCompaction() throws Exception {
    // Not recovered: each round's segment is closed after it, so it goes with its last message.
    Spool spool = new Spool(dir);
    List<Spool.Write> w = writes(3);
    spool.storeAll(w);
    spool.deleteAll(w.stream().map(x -> x.message().queueId()).toList());
    try (Stream<Path> s = Files.list(dir.resolve("active"))) {
      assertEquals(0, s.count(), "the segment went with its last message");
    }
    spool.compact();
    assertEquals(0, new Spool(dir).recover().size());
  }

  @Test
  void compactionKeepsTheLiveStateAndStartsANewSegment() throws Exception {
    Spool spool = new Spool(dir, 1, Journal.Steps.NONE);
    spool.recover();
    List<Spool.Write> w = writes(4);
    spool.storeAll(w);
    String a = w.get(0).message().queueId();
    String b = w.get(1).message().queueId();
    String c = w.get(2).message().queueId();
    spool.markDone(a, Set.of("b@example.net"));
    spool.setHeld(List.of(b), true);
    spool.delete(c);
    Path before = segments().get(0);
    assertTrue(spool.compactIfLarge());
    assertEquals(1, segments().size());
    assertFalse(segments().get(0).equals(before));
    spool.markDone(a, Set.of("b@example.net", "c@example.com"));
    Map<String, Spool.Loaded> loaded = byId(new Spool(dir).recover());
    assertEquals(Set.of(a, b, w.get(3).message().queueId()), loaded.keySet());
    assertEquals(Set.of("b@example.net", "c@example.com"), loaded.get(a).doneRecipients());
    assertTrue(loaded.get(b).held());
  }

  /** A crash at each step of a compaction: the next start recovers the state from before it. */
  @ParameterizedTest
  @ValueSource(strings = {"written", "synced", "renamed", "directory synced", "deleted"})
  void aCompactionStoppedAtAnyStepLosesNothing(String step) throws Exception {
    Spool spool = new Spool(dir);
    spool.recover();
    List<Spool.Write> w = writes(5);
    spool.storeAll(w);
    String a = w.get(0).message().queueId();
    String b = w.get(1).message().queueId();
    String c = w.get(2).message().queueId();
    spool.markDone(a, Set.of("b@example.net"));
    spool.setHeld(List.of(b), true);
    spool.delete(c);
    spool.markInFlight(w.get(3).message().queueId(), true);
    class Crash extends IOException {}
    Spool crashing = new Spool(dir, 1, s -> {
      if (s.startsWith(step)) {
        throw new Crash();
      }
    });
    // The recovery's own compaction is the one stopped: the process "dies" at that step.
    assertThrows(Crash.class, crashing::recover);

    Map<String, Spool.Loaded> loaded = byId(new Spool(dir).recover());
    assertEquals(Set.of(a, b, w.get(3).message().queueId(), w.get(4).message().queueId()), loaded.keySet());
    assertEquals(Set.of("b@example.net"), loaded.get(a).doneRecipients());
    assertTrue(loaded.get(b).held());
    assertFalse(loaded.get(a).held());
    assertFalse(Files.exists(dir.resolve("journal/next.tmp")), "a half-written compaction is discarded");
    Set<String> inFlight = new HashSet<>();
    loaded.values().stream().filter(Spool.Loaded::wasInFlight).forEach(l -> inFlight.add(l.message().queueId()));
    // The in-flight mark is reported unless the stopped recovery had already written the new state.
    assertTrue(inFlight.equals(Set.of(w.get(3).message().queueId())) || inFlight.isEmpty(), inFlight.toString());
  }

  @Test
  void aMessageCededAndTakenBackUnderTheSameFileNameIsNotFinishedByItsPast() throws Exception {
    Spool spool = new Spool(dir);
    spool.recover();
    String id = QueueIds.next();
    Buffer body = Buffer.buffer("Subject: x\r\n\r\nbody\r\n");
    spool.store(SpoolTest.message(id), body);
    spool.delete(id);
    spool.store(SpoolTest.message(id), body);
    assertEquals(Set.of(id), byId(new Spool(dir).recover()).keySet());
  }
}

package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.postern.bus.QueueIds;

/** Rendezvous placement: deterministic, never the owner, balanced, and minimal movement when a node leaves. */
class PlacementTest {

  static final List<String> NODES = List.of("node-a", "node-b", "node-c", "node-d");

  @Test
  void theSameIdAndMembersGiveTheSameOrderInAnyInputOrder() {
    String id = QueueIds.next();
    List<String> one = Placement.ranked(id, NODES, "node-a");
    List<String> other = Placement.ranked(id, List.of("node-d", "node-c", "node-a", "node-b"), "node-a");
    assertEquals(one, other);
    assertEquals(3, one.size());
    assertFalse(one.contains("node-a"), "the owner never holds its own replica");
  }

  @Test
  void replicasSpreadOverTheNodesAndOnlyTheLeaversMove() {
    Map<String, Integer> per = new HashMap<>();
    int moved = 0;
    int onLeaver = 0;
    for (int i = 0; i < 4000; i++) {
      String id = String.format("%016X", 0x1234_0000_0000L + i * 7919L);
      String before = Placement.ranked(id, NODES, "node-a").get(0);
      per.merge(before, 1, Integer::sum);
      String after = Placement.ranked(id, List.of("node-a", "node-b", "node-c"), "node-a").get(0);
      if (before.equals("node-d")) {
        onLeaver++;
      } else if (!before.equals(after)) {
        moved++;
      }
    }
    assertEquals(Set.of("node-b", "node-c", "node-d"), per.keySet());
    per.values().forEach(n -> assertTrue(n > 1000 && n < 1700, "balanced: " + per));
    assertEquals(0, moved, "a replica whose holder stays keeps its holder");
    assertTrue(onLeaver > 0);
  }

  @Test
  void aLoneNodeHasNoCandidate() {
    assertTrue(Placement.ranked(QueueIds.next(), List.of("node-a"), "node-a").isEmpty());
  }
}

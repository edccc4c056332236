package org.postern.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postern.bus.QueueIds;

/**
 * Claims on Vert.x's async map (the same API a cluster backs with Hazelcast): one winner among
 * racing claimers, a returning owner cedes to a live claimer, a dead claimer's claim can be taken.
 */
class ClaimsTest {

  Vertx vertx;
  Claims claims;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    AsyncMap<String, String> map = vertx.sharedData().<String, String>getAsyncMap(Claims.MAP).await(5, TimeUnit.SECONDS);
    claims = new Claims(map, Duration.ofDays(1));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void ofManyRacingSurvivorsExactlyOneWins() throws Exception {
    Set<String> live = Set.of("m-b", "m-c", "m-d");
    for (int i = 0; i < 50; i++) {
      String id = QueueIds.next();
      List<Claims.Outcome> outcomes = Future.all(List.of(
          claims.claim(id, "node-b", "m-b", live), claims.claim(id, "node-c", "m-c", live),
          claims.claim(id, "node-d", "m-d", live))).await(5, TimeUnit.SECONDS).list();
      assertEquals(1, outcomes.stream().filter(Claims.Outcome::ours).count(), "one winner: " + outcomes);
      String winner = outcomes.stream().filter(Claims.Outcome::ours).findFirst().orElseThrow().holder();
      outcomes.stream().filter(o -> !o.ours()).forEach(o -> assertEquals(winner, o.holder()));
    }
  }

  @Test
  void aReturningOwnerCedesToTheLiveNodeThatTookItOver() throws Exception {
    String id = QueueIds.next();
    // B took it over while C was away; C comes back with a new member id.
    assertTrue(claims.claim(id, "node-b", "m-b", Set.of("m-b")).await(5, TimeUnit.SECONDS).ours());
    Claims.Outcome back = claims.claim(id, "node-c", "m-c2", Set.of("m-b", "m-c2")).await(5, TimeUnit.SECONDS);
    assertFalse(back.ours());
    assertEquals("node-b", back.holder());
  }

  @Test
  void aNodeKeepsItsOwnClaimAcrossARestart() throws Exception {
    String id = QueueIds.next();
    assertTrue(claims.claim(id, "node-c", "m-c1", Set.of("m-c1", "m-b")).await(5, TimeUnit.SECONDS).ours());
    // C restarts (new member id); B is live and tries to take it over: C's old member is dead...
    assertTrue(claims.claim(id, "node-c", "m-c2", Set.of("m-c2", "m-b")).await(5, TimeUnit.SECONDS).ours(),
        "C claims again first, under its new member id");
    Claims.Outcome b = claims.claim(id, "node-b", "m-b", Set.of("m-c2", "m-b")).await(5, TimeUnit.SECONDS);
    assertFalse(b.ours(), "C is live again: B must not take it");
  }

  @Test
  void theClaimOfANodeThatDiedTooCanBeTaken() throws Exception {
    String id = QueueIds.next();
    assertTrue(claims.claim(id, "node-b", "m-b", Set.of("m-b", "m-d")).await(5, TimeUnit.SECONDS).ours());
    // B died as well; D holds a copy and claims it.
    assertTrue(claims.claim(id, "node-d", "m-d", Set.of("m-d")).await(5, TimeUnit.SECONDS).ours());
    assertFalse(claims.claim(id, "node-b", "m-b2", Set.of("m-d", "m-b2")).await(5, TimeUnit.SECONDS).ours(),
        "B, back, cedes to D");
  }
}

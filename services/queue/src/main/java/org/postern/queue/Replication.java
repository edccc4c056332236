package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.shareddata.AsyncMap;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.postern.bus.BodyTransfer;
import org.postern.bus.Contracts;
import org.postern.bus.EnqueueInline;
import org.postern.bus.ReplicaIds;
import org.postern.bus.ReplicaOffer;
import org.postern.bus.ReplicaProgress;
import org.postern.config.QueueConfig;

/**
 * Replicas, takeover and rejoin ({@code queue.replicas = 1} on a clustered node).
 *
 * <p><b>Owner side.</b> A message is stored in the owner's spool and, at the same time, offered to
 * one other live queue node chosen by {@link Placement}; the receipt (hence the 250) waits for both.
 * When the owner finishes a message it tells the holder to drop its copy.
 *
 * <p><b>Commit.</b> Once both copies are durable the owner commits the replica ({@code COMMIT}),
 * and only when the holder has confirmed does the receipt (hence the 250) go out. Until then the
 * replica is <em>pending</em>: it is never taken over, and when the run of the owner that offered
 * it leaves the cluster (killed during DATA, say) it is dropped, because its message was never
 * acknowledged and the client sends it again. So a node killed while storing and restarted does
 * not leave replicas behind that a later takeover would deliver as duplicates.
 *
 * <p><b>Holder side.</b> Replicas sit in {@link ReplicaArea}, never scheduled. When their owner has
 * been out of the cluster (Hazelcast's membership) for {@code queue.takeover_delay}, the holder
 * claims each committed one in {@link Claims} and, if it wins, moves it into its own spool as
 * owner, replicates it again when another queue node is live, and schedules it. Whether a replica
 * is pending is kept in memory only: replicas found on disk at the holder's start count as
 * committed (a possible duplicate, never a loss), and are checked with their owner when it is live.
 *
 * <p><b>Rejoin.</b> A node that starts with an old spool claims every message in it before
 * scheduling any, and cedes (removes) those another node took over meanwhile; it asks each live
 * owner which of the replicas it holds are still queued, and drops the rest.
 *
 * <p>Queue nodes find each other through the cluster map {@value #NODES}: stable node id to
 * current member id. A node is live when its member id is in Hazelcast's member list.
 *
 * <p>Runs on the queue verticle's event loop; file work goes to workers.
 */
final class Replication {

  private static final Logger LOG = Logger.getLogger("postern.queue");
  static final String NODES = "postern.queue.nodes";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DROP_TIMEOUT = Duration.ofSeconds(10);
  /**
   * A pending replica older than this is dropped even while its owner is live: the owner's own
   * requests (offer, transfer, commit) have timed out by then, so it has answered 451 and undone.
   */
  private static final Duration PENDING_LIMIT = REQUEST_TIMEOUT.multipliedBy(2);
  /**
   * An owner run that has just joined may send offers before this node's membership lists it:
   * "its member is not live" counts only for a pending replica at least this old.
   */
  private static final Duration MEMBERSHIP_LAG = Duration.ofSeconds(5);
  /** How often membership is read and replicas of dead owners are looked at. */
  private static final long SWEEP_MILLIS = 1000;

  /** What the queue verticle does for replication. */
  interface Local {
    /** Whether this node still has {@code queueId} queued (not finished). */
    boolean holds(String queueId);

    /** A replica taken over: now this node's message, to schedule. */
    void adopted(Spool.Loaded loaded);
  }

  /** Counters, read by the metrics registry from another thread. */
  static final class Counts {
    final LongAdder replicated = new LongAdder();
    final LongAdder refusedNoReplica = new LongAdder();
    final LongAdder takenOver = new LongAdder();
    final LongAdder ceded = new LongAdder();
    final LongAdder possibleDuplicates = new LongAdder();
    final LongAdder replicasDropped = new LongAdder();
    final LongAdder replacedReplicas = new LongAdder();
    final LongAdder unacknowledgedDiscarded = new LongAdder();
    /** Replicas this node stored for other owners. */
    final LongAdder replicasStored = new LongAdder();
    /** Replicas dropped because their owner never committed them (the message was never acknowledged). */
    final LongAdder uncommittedDropped = new LongAdder();
  }

  /** No other queue node is live to hold a replica. */
  static final class NoReplicaHolder extends IOException {
    NoReplicaHolder(String message) {
      super(message);
    }
  }

  private final Vertx vertx;
  private final QueueConfig config;
  private final ClusterView view;
  private final Spool spool;
  private final Clock clock;
  private final Local local;
  private final Counts counts;
  private volatile ReplicaArea area;
  private Claims claims;
  private AsyncMap<String, String> nodes;
  /** Stable node id to member id of every queue node that ever registered, as last read. */
  private Map<String, String> queueNodes = Map.of();
  /** Replicas held, by owner: kept in step with {@link ReplicaArea} on this loop. */
  private final Map<String, Set<String>> held = new HashMap<>();
  /**
   * Replicas stored here whose owner has not committed them yet, by queue id (see the class
   * comment); on this loop only.
   */
  private final Map<String, Pending> pending = new HashMap<>();
  /** Pending replicas being dropped: a commit that arrives now is refused, not confirmed. */
  private final Set<String> droppingUncommitted = new HashSet<>();

  /** A replica not committed yet: by which run of its owner, and since when. */
  private record Pending(String owner, String ownerMember, Instant since) {}

  /** Offers accepted whose body has not come yet. */
  private final Map<String, ReplicaOffer> offered = new HashMap<>();
  /** Owners first seen dead at this instant. */
  private final Map<String, Instant> deadSince = new HashMap<>();
  /** Owners to ask, once they are live, which replicas they still need (after our restart). */
  private final Set<String> toReconcile = new HashSet<>();
  /** Every queue node out of the cluster, and since when; read by owners whose replica holder left. */
  private final Map<String, Instant> departed = new HashMap<>();
  private boolean sweeping;
  /** Set once this node's own recovered messages are loaded and scheduled. */
  private boolean recovered;

  Replication(Vertx vertx, QueueConfig config, ClusterView view, Spool spool, Clock clock, Local local, Counts counts) {
    this.counts = counts;
    this.vertx = vertx;
    this.config = config;
    this.view = view;
    this.spool = spool;
    this.clock = clock;
    this.local = local;
  }

  String self() {
    return view.nodeId();
  }

  /** Opens the replica area and the cluster maps, registers this node and its consumers. */
  Future<Void> start(java.nio.file.Path spoolDir) {
    return vertx.executeBlocking(() -> {
      ReplicaArea a = new ReplicaArea(spoolDir, spool.tmpDir());
      return new Object[] {a, a.list()};
    }, false).compose(r -> {
      area = (ReplicaArea) r[0];
      @SuppressWarnings("unchecked")
      Map<String, List<String>> found = (Map<String, List<String>>) r[1];
      found.forEach((owner, ids) -> {
        if (!ids.isEmpty()) {
          held.computeIfAbsent(owner, o -> new HashSet<>()).addAll(ids);
          toReconcile.add(owner);
        }
      });
      if (!held.isEmpty()) {
        LOG.info("holding " + held.values().stream().mapToInt(Set::size).sum() + " replica(s) for "
            + held.keySet() + " from before this start; each owner is asked which it still needs");
      }
      return vertx.sharedData().<String, String>getAsyncMap(Claims.MAP);
    }).compose(m -> {
      claims = new Claims(m, config.maxLifetime().plusDays(1));
      return vertx.sharedData().<String, String>getAsyncMap(NODES);
    }).compose(m -> {
      nodes = m;
      return nodes.put(self(), view.memberId());
    }).compose(v -> vertx.eventBus().<Object>consumer(ReplicaOffer.address(self()), this::request).completion())
        .compose(v -> vertx.eventBus().<Object>consumer(ReplicaIds.DROP_ADDRESS, this::request).completion())
        .compose(v -> BodyTransfer.receive(vertx, ReplicaOffer.bodyAddress(self()), this::openReplica,
            BodyTransfer.Options.defaults()))
        .compose(c -> refresh())
        .onSuccess(v -> {
          LOG.info("queue replicas: this queue node is " + self() + " (queue.replicas = " + config.replicas()
              + ", queue.takeover_delay = " + config.takeoverDelay().toSeconds() + "s); live queue nodes "
              + liveQueueNodes());
          vertx.setPeriodic(SWEEP_MILLIS, t -> sweep());
        });
  }

  /** The stable ids of the queue nodes whose member is live now, this one included. */
  Set<String> liveQueueNodes() {
    Set<String> live = view.liveMembers();
    return queueNodes.entrySet().stream().filter(e -> live.contains(e.getValue())).map(Map.Entry::getKey)
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  private Future<Void> refresh() {
    return nodes.entries().map(m -> {
      queueNodes = Map.copyOf(m);
      return null;
    });
  }

  // ---- owner side -----------------------------------------------------------------------------

  /**
   * Stores a replica of {@code m} on another live queue node, the first in rendezvous order, or
   * the second if the first fails; completes with the holder's node id once it is durable there.
   */
  Future<String> replicate(SpooledMessage m, Buffer body) {
    if (Placement.ranked(m.queueId(), liveQueueNodes(), self()).isEmpty()) {
      // The list is read every second: a node that has just joined may not be in it yet.
      return refresh().compose(v -> replicateAmong(m, body));
    }
    return replicateAmong(m, body);
  }

  private Future<String> replicateAmong(SpooledMessage m, Buffer body) {
    List<String> candidates = Placement.ranked(m.queueId(), liveQueueNodes(), self());
    if (candidates.isEmpty()) {
      counts.refusedNoReplica.increment();
      return Future.failedFuture(new NoReplicaHolder("no other queue node is live to hold a replica"
          + " (queue.replicas = 1; live queue nodes: " + liveQueueNodes() + ")"));
    }
    Future<String> first = replicateTo(candidates.get(0), m, body);
    if (candidates.size() == 1) {
      return first;
    }
    return first.recover(e -> {
      LOG.warning(() -> m.queueId() + ": replica on " + candidates.get(0) + " failed (" + e.getMessage()
          + "); trying " + candidates.get(1));
      return replicateTo(candidates.get(1), m, body);
    });
  }

  private Future<String> replicateTo(String holder, SpooledMessage m, Buffer body) {
    // A small body goes with the offer: one round trip instead of two, and no transfer to set up.
    boolean inline = body.length() <= EnqueueInline.MAX_BODY;
    ReplicaOffer offer = new ReplicaOffer(m.queueId(), self(), view.memberId(), m.envelope(), m.client(), m.arrival(),
        body.length(), inline ? body : null);
    return Contracts.request(vertx, ReplicaOffer.address(holder), offer, REQUEST_TIMEOUT, ReplicaIds.class)
        .compose(answer -> {
          if (inline) {
            return answer.kind() == ReplicaIds.Kind.HELD && answer.queueIds().contains(m.queueId())
                ? Future.<Void>succeededFuture()
                : Future.<Void>failedFuture(holder + " answered " + answer.kind() + " to an inline replica");
          }
          return answer.kind() == ReplicaIds.Kind.READY
              ? BodyTransfer.send(vertx, ReplicaOffer.bodyAddress(holder), m.queueId(), body,
                  BodyTransfer.Options.defaults())
              : Future.<Void>failedFuture(holder + " answered " + answer.kind() + " to a replica offer");
        })
        .map(v -> {
          counts.replicated.increment();
          return holder;
        });
  }

  /**
   * Commits the replica of {@code queueId} on {@code holder}: call once this node's own copy is
   * durable too, and acknowledge the message only when this succeeds. Until then the holder keeps
   * the replica pending, never to be taken over.
   */
  Future<Void> commit(String queueId, String holder) {
    return Contracts.request(vertx, ReplicaOffer.address(holder), new ReplicaIds(ReplicaIds.Kind.COMMIT, self(),
        List.of(queueId)), DROP_TIMEOUT, ReplicaIds.class).compose(answer -> answer.queueIds().contains(queueId)
            ? Future.<Void>succeededFuture()
            : Future.<Void>failedFuture(holder + " holds no replica of " + queueId + " to commit"));
  }

  /** A replica for a message this node already holds durably: made, then committed at once. */
  Future<String> replicateCommitted(SpooledMessage m, Buffer body) {
    return replicate(m, body).compose(holder -> commit(m.queueId(), holder).map(holder));
  }

  /**
   * The owner finished {@code queueId}: the holder drops its replica. Best effort: asked directly
   * when the holder is known, published to every queue node when it is not (or did not answer).
   */
  Future<Void> finished(String queueId, String holder) {
    ReplicaIds drop = new ReplicaIds(ReplicaIds.Kind.DROP, self(), List.of(queueId));
    if (holder == null) {
      vertx.eventBus().publish(ReplicaIds.DROP_ADDRESS, drop);
      return Future.succeededFuture();
    }
    return Contracts.request(vertx, ReplicaOffer.address(holder), drop, DROP_TIMEOUT, ReplicaIds.class)
        .<Void>mapEmpty().recover(e -> {
          LOG.warning(() -> queueId + ": replica holder " + holder + " did not confirm the drop (" + e.getMessage()
              + "); published to every queue node instead");
          vertx.eventBus().publish(ReplicaIds.DROP_ADDRESS, drop);
          return Future.succeededFuture();
        });
  }

  /**
   * Tells {@code holder} the recipients of {@code queueId} that are finished
   * ({@link ReplicaProgress}); never fails: a lost report costs possible duplicates after a
   * takeover, nothing more.
   */
  void progress(String queueId, String holder, List<org.postern.smtp.Path> done) {
    Contracts.request(vertx, ReplicaOffer.address(holder), new ReplicaProgress(self(), queueId, done), DROP_TIMEOUT,
        ReplicaIds.class).onComplete(ar -> {
          if (ar.failed()) {
            LOG.warning(() -> queueId + ": replica holder " + holder + " did not record the finished recipients ("
                + ar.cause().getMessage() + "); after a takeover they may get the message twice");
          } else if (ar.result().queueIds().isEmpty()) {
            LOG.warning(() -> queueId + ": replica holder " + holder + " holds no replica of it");
          }
        });
  }

  /**
   * Before anything recovered is scheduled: first drops what was never acknowledged (no other node
   * holds a replica of it), then claims each remaining message; those another node took over while
   * this one was away are removed here, not delivered. Returns the messages this node keeps.
   *
   * <p>The replica question comes before the claims: once this node has claimed a message, a holder
   * that loses its own claim drops the replica, and the answer would no longer mean anything.
   */
  Future<List<Spool.Loaded>> cede(List<Spool.Loaded> recovered) {
    return withoutUnacknowledged(recovered).compose(acknowledged -> {
      List<Spool.Loaded> kept = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (int i = 0; i < acknowledged.size(); i += 64) {
        List<Spool.Loaded> batch = acknowledged.subList(i, Math.min(acknowledged.size(), i + 64));
        chain = chain.compose(v -> Future.all(batch.stream().map(l -> claims.claim(l.message().queueId(), self(),
            view.memberId(), view.liveMembers()).compose(o -> o.ours() ? keep(kept, l) : cedeOne(l, o.holder())))
            .toList()).mapEmpty());
      }
      return chain.map(v -> kept);
    });
  }

  /** Directory syncs the replicas stored here cost so far; fewer than replicas when they were shared. */
  long replicaDirectorySyncs() {
    ReplicaArea a = area;
    return a == null ? 0 : a.directorySyncs();
  }

  /** This node's recovered messages are loaded: holders may now ask which it still needs. */
  void recovered() {
    recovered = true;
  }

  /**
   * The recovered messages that may have been acknowledged. The receipt (so the 250) waits until a
   * replica is durable on another queue node, so a message that no other node holds a replica of
   * was stored here just before this node died and its client was told 4xx: delivering it would
   * duplicate the copy the client sends again. This is known only when every other queue node
   * ever registered is live and answers; otherwise everything is kept, as Postfix keeps a queue
   * file whose client may not have seen the 250 (a possible duplicate, never a loss).
   */
  private Future<List<Spool.Loaded>> withoutUnacknowledged(List<Spool.Loaded> loaded) {
    Set<String> others = new java.util.TreeSet<>(queueNodes.keySet());
    others.remove(self());
    if (loaded.isEmpty() || others.isEmpty()) {
      // No other queue node registered: after a restart of the whole cluster the map is new.
      return Future.succeededFuture(loaded);
    }
    Set<String> live = liveQueueNodes();
    if (!live.containsAll(others)) {
      Set<String> away = new java.util.TreeSet<>(others);
      away.removeAll(live);
      LOG.info("mail from before this start is all kept: queue node(s) " + away + " are not in the cluster to say which"
          + " replicas they hold (a message stored here just before the stop may be delivered twice)");
      return Future.succeededFuture(loaded);
    }
    List<String> ids = loaded.stream().map(l -> l.message().queueId()).toList();
    List<Future<ReplicaIds>> answers = new ArrayList<>();
    for (String node : others) {
      for (int i = 0; i < ids.size(); i += ReplicaIds.MAX_IDS) {
        answers.add(Contracts.request(vertx, ReplicaOffer.address(node), new ReplicaIds(ReplicaIds.Kind.HOLDING, self(),
            ids.subList(i, Math.min(ids.size(), i + ReplicaIds.MAX_IDS))), REQUEST_TIMEOUT, ReplicaIds.class));
      }
    }
    Set<String> mayBeAcknowledged = new HashSet<>();
    return Future.all(answers).compose(all -> {
      answers.forEach(a -> mayBeAcknowledged.addAll(a.result().queueIds()));
      // One that another node took over and has finished meanwhile has no replica left either,
      // but it was acknowledged: its claim says so, and the claims below cede it.
      List<Future<String>> claimers = loaded.stream().filter(l -> !mayBeAcknowledged.contains(l.message().queueId()))
          .map(l -> claims.claimer(l.message().queueId()).onSuccess(c -> {
            if (c != null && !c.equals(self())) {
              mayBeAcknowledged.add(l.message().queueId());
            }
          })).toList();
      return Future.all(claimers);
    }).compose(all -> {
      List<Spool.Loaded> unacknowledged = loaded.stream()
          .filter(l -> !mayBeAcknowledged.contains(l.message().queueId())).toList();
      if (unacknowledged.isEmpty()) {
        return Future.succeededFuture(loaded);
      }
      return vertx.executeBlocking(() -> {
        for (Spool.Loaded l : unacknowledged) {
          spool.delete(l.message().queueId());
        }
        return null;
      }, false).map(v -> {
        counts.unacknowledgedDiscarded.add(unacknowledged.size());
        unacknowledged.forEach(l -> LOG.info(() -> l.message().queueId() + ": discarded: no queue node holds a"
            + " replica of it, so its client never had the 250 (it was stored here just before this node stopped)"));
        return loaded.stream().filter(l -> mayBeAcknowledged.contains(l.message().queueId())).toList();
      });
    }, e -> {
      LOG.info("mail from before this start is all kept: not every queue node said which replicas it holds ("
          + e.getMessage() + "); a message stored here just before the stop may be delivered twice");
      return Future.succeededFuture(loaded);
    });
  }

  private Future<Void> keep(List<Spool.Loaded> kept, Spool.Loaded l) {
    kept.add(l);
    return Future.succeededFuture();
  }

  private Future<Void> cedeOne(Spool.Loaded l, String holder) {
    String id = l.message().queueId();
    return vertx.executeBlocking(() -> {
      spool.delete(id);
      return null;
    }, false).onSuccess(v -> {
      counts.ceded.increment();
      if (l.wasInFlight()) {
        // Our attempt was under way when we died: its next hop may have it, and so will the node
        // that took it over.
        counts.possibleDuplicates.increment();
      }
      LOG.info(() -> id + ": ceded to " + holder + ", which took it over while this node was away; not delivered"
          + " here" + (l.wasInFlight() ? "; possible duplicate: a delivery attempt was under way when this node"
          + " stopped" : ""));
    }).mapEmpty();
  }

  // ---- holder side ----------------------------------------------------------------------------

  /** Offers, drops and checks addressed to this node (or published to all). */
  private void request(Message<Object> m) {
    Object body = m.body();
    if (body instanceof ReplicaOffer offer) {
      accept(offer, m);
    } else if (body instanceof ReplicaIds ids) {
      switch (ids.kind()) {
        case DROP -> drop(ids.node(), ids.queueIds(), "finished by its owner").onComplete(ar -> {
          if (ar.succeeded()) {
            m.reply(new ReplicaIds(ReplicaIds.Kind.DROPPED, self(), ids.queueIds()));
          } else {
            m.fail(451, "4.3.0 cannot drop replicas: " + ar.cause().getMessage());
          }
        });
        case CHECK -> {
          if (!recovered) {
            // Our own messages are not all loaded yet: "not held" now would make the holder drop
            // replicas we still need. It asks again on its next sweep.
            m.fail(451, "4.3.0 recovering: ask again");
          } else {
            m.reply(new ReplicaIds(ReplicaIds.Kind.HELD, self(), ids.queueIds().stream().filter(local::holds).toList()));
          }
        }
        case HOLDING -> {
          // A committed replica, or one this node took over and still has queued. A pending one
          // is not counted: its message was never acknowledged.
          Set<String> mine = held.getOrDefault(ids.node(), Set.of());
          m.reply(new ReplicaIds(ReplicaIds.Kind.HELD, self(), ids.queueIds().stream()
              .filter(id -> (mine.contains(id) && !pending.containsKey(id)) || local.holds(id)).toList()));
        }
        case COMMIT -> {
          // Idempotent: a commit repeated after a lost answer finds the replica committed already.
          Set<String> mine = held.getOrDefault(ids.node(), Set.of());
          List<String> committed = ids.queueIds().stream()
              .filter(id -> mine.contains(id) && !droppingUncommitted.contains(id)).toList();
          committed.forEach(pending::remove);
          m.reply(new ReplicaIds(ReplicaIds.Kind.HELD, self(), committed));
        }
        default -> m.fail(400, "unexpected " + ids.kind());
      }
    } else if (body instanceof ReplicaProgress progress) {
      recordProgress(progress, m);
    } else {
      m.fail(400, "expected ReplicaOffer, ReplicaIds or ReplicaProgress");
    }
  }

  /** Keeps the owner's list of finished recipients beside its replica. */
  private void recordProgress(ReplicaProgress progress, Message<Object> m) {
    if (progress.owner().equals(self())) {
      m.fail(400, "a node does not hold its own replicas");
      return;
    }
    Set<String> done = new java.util.LinkedHashSet<>();
    progress.done().forEach(p -> done.add(p.mailbox()));
    vertx.executeBlocking(() -> area.markDone(progress.owner(), progress.queueId(), done), false).onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(new ReplicaIds(ReplicaIds.Kind.HELD, self(), ar.result() ? List.of(progress.queueId()) : List.of()));
      } else {
        m.fail(451, "4.3.0 cannot record finished recipients: " + ar.cause().getMessage());
      }
    });
  }

  private void accept(ReplicaOffer offer, Message<Object> m) {
    if (offer.owner().equals(self())) {
      m.fail(400, "a node does not hold its own replicas");
      return;
    }
    if (offer.body() != null) {
      holdInline(offer, m);
      return;
    }
    offered.put(offer.queueId(), offer);
    // An offer whose body never comes is forgotten.
    vertx.setTimer(REQUEST_TIMEOUT.toMillis() * 2, t -> offered.remove(offer.queueId(), offer));
    m.reply(new ReplicaIds(ReplicaIds.Kind.READY, self(), List.of(offer.queueId())));
  }

  /** A replica whose body came with its offer: stored, fsync'd, then confirmed {@code HELD}. */
  private void holdInline(ReplicaOffer offer, Message<Object> m) {
    SpooledMessage sm = new SpooledMessage(offer.queueId(), offer.envelope(), offer.client(), offer.arrival());
    vertx.executeBlocking(() -> {
      ReplicaArea.Incoming in = area.begin(offer.owner(), sm, offer.bodyLength());
      try {
        area.append(in, offer.body());
        area.commit(in);
      } catch (IOException | RuntimeException e) {
        area.abort(in);
        throw e;
      }
      return null;
    }, false).onSuccess(v -> {
      held.computeIfAbsent(offer.owner(), o -> new HashSet<>()).add(offer.queueId());
      pending.put(offer.queueId(), new Pending(offer.owner(), offer.ownerMember(), clock.instant()));
      counts.replicasStored.increment();
      LOG.fine(() -> offer.queueId() + ": replica held for " + offer.owner());
      m.reply(new ReplicaIds(ReplicaIds.Kind.HELD, self(), List.of(offer.queueId())));
    }).onFailure(e -> {
      LOG.warning(() -> offer.queueId() + ": replica for " + offer.owner() + " not stored: " + e.getMessage());
      m.fail(451, "4.3.0 cannot store the replica: " + e.getMessage());
    });
  }

  private Future<BodyTransfer.Sink> openReplica(String queueId, long total) {
    ReplicaOffer offer = offered.remove(queueId);
    if (offer == null) {
      return Future.failedFuture("no replica offer for " + queueId);
    }
    if (offer.bodyLength() != total) {
      return Future.failedFuture("body of " + total + " octets, " + offer.bodyLength() + " offered");
    }
    SpooledMessage m = new SpooledMessage(offer.queueId(), offer.envelope(), offer.client(), offer.arrival());
    return vertx.executeBlocking(() -> area.begin(offer.owner(), m, total), false).map(in -> new BodyTransfer.Sink() {
      @Override
      public Future<Void> write(Buffer data) {
        return vertx.executeBlocking(() -> {
          area.append(in, data);
          return null;
        }, false);
      }

      @Override
      public Future<Void> end() {
        return vertx.<Void>executeBlocking(() -> {
          area.commit(in);
          return null;
        }, false).onSuccess(v -> {
          held.computeIfAbsent(offer.owner(), o -> new HashSet<>()).add(queueId);
          pending.put(queueId, new Pending(offer.owner(), offer.ownerMember(), clock.instant()));
          counts.replicasStored.increment();
          LOG.fine(() -> queueId + ": replica held for " + offer.owner());
        });
      }

      @Override
      public void abort(String reason) {
        LOG.warning(() -> queueId + ": replica for " + offer.owner() + " abandoned: " + reason);
        vertx.executeBlocking(() -> {
          area.abort(in);
          return null;
        }, false);
      }
    });
  }

  private Future<Void> drop(String why, List<String> ids, String reason) {
    return vertx.executeBlocking(() -> area.drop(ids), false).map(n -> {
      held.values().forEach(s -> s.removeAll(ids));
      ids.forEach(pending::remove);
      counts.replicasDropped.add(n);
      if (n > 0) {
        LOG.fine(() -> n + " replica(s) dropped (" + why + ": " + reason + ")");
      }
      return null;
    });
  }

  /**
   * Whether queue node {@code node} has been out of the cluster for queue.takeover_delay: the
   * replicas it held are then as good as lost, and their owners make new ones elsewhere. Before
   * that delay a restarting node keeps its replicas, as an owner keeps its mail.
   */
  boolean goneForGood(String node) {
    Instant since = departed.get(node);
    return since != null && !since.plus(config.takeoverDelay()).isAfter(clock.instant());
  }

  // ---- takeover and reconciliation ------------------------------------------------------------

  private void sweep() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    refresh().compose(v -> {
      Set<String> live = liveQueueNodes();
      Instant now = clock.instant();
      for (String node : queueNodes.keySet()) {
        if (live.contains(node)) {
          departed.remove(node);
        } else if (!node.equals(self())) {
          departed.putIfAbsent(node, now);
        }
      }
      List<Future<Void>> work = new ArrayList<>();
      work.add(dropUncommitted(now));
      for (Map.Entry<String, Set<String>> e : held.entrySet()) {
        String owner = e.getKey();
        if (e.getValue().isEmpty()) {
          continue;
        }
        if (live.contains(owner)) {
          deadSince.remove(owner);
          if (toReconcile.remove(owner)) {
            work.add(reconcile(owner, List.copyOf(e.getValue())));
          }
          continue;
        }
        Instant since = deadSince.computeIfAbsent(owner, o -> {
          LOG.info("queue node " + o + " is not in the cluster; its " + e.getValue().size()
              + " replica(s) here are taken over in " + config.takeoverDelay().toSeconds() + "s unless it returns");
          return now;
        });
        if (!since.plus(config.takeoverDelay()).isAfter(now)) {
          work.add(takeOver(owner, List.copyOf(e.getValue())));
        }
      }
      return Future.join(work).mapEmpty();
    }).onComplete(ar -> {
      sweeping = false;
      if (ar.failed()) {
        LOG.warning("replica sweep: " + ar.cause().getMessage());
      }
    });
  }

  /**
   * Drops the pending replicas whose owner run has left the cluster (it can no longer commit them:
   * their messages were never acknowledged) or that waited past {@link #PENDING_LIMIT}. A commit
   * that arrives while they are being dropped is refused, so its owner answers 451.
   */
  private Future<Void> dropUncommitted(Instant now) {
    Set<String> liveMembers = view.liveMembers();
    Map<String, List<String>> gone = new HashMap<>();
    pending.forEach((id, p) -> {
      boolean ownerGone = !liveMembers.contains(p.ownerMember()) && !p.since().plus(MEMBERSHIP_LAG).isAfter(now);
      if (ownerGone || !p.since().plus(PENDING_LIMIT).isAfter(now)) {
        gone.computeIfAbsent(p.owner(), o -> new ArrayList<>()).add(id);
      }
    });
    List<Future<Void>> drops = new ArrayList<>();
    gone.forEach((owner, ids) -> {
      droppingUncommitted.addAll(ids);
      // They stay pending until the drop is done, so no takeover of this sweep picks them; the next
      // sweep starts only once this one's work has ended.
      drops.add(drop(owner, ids, "never committed by its owner")
          .onComplete(ar -> ids.forEach(droppingUncommitted::remove))
          .onSuccess(v -> {
            counts.uncommittedDropped.add(ids.size());
            LOG.info(() -> "replicas for " + owner + ": " + ids.size() + " dropped, never committed (their messages"
                + " were never acknowledged: the owner stopped or gave up while storing them) " + ids);
          }));
    });
    return Future.join(drops).mapEmpty();
  }

  /** Asks a live owner which replicas it still needs; the others were finished while we were away. */
  private Future<Void> reconcile(String owner, List<String> ids) {
    List<Future<Void>> parts = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += ReplicaIds.MAX_IDS) {
      List<String> part = ids.subList(i, Math.min(ids.size(), i + ReplicaIds.MAX_IDS));
      parts.add(Contracts.request(vertx, ReplicaOffer.address(owner), new ReplicaIds(ReplicaIds.Kind.CHECK, self(), part),
          REQUEST_TIMEOUT, ReplicaIds.class).compose(answer -> {
            Set<String> still = new HashSet<>(answer.queueIds());
            List<String> gone = part.stream().filter(Predicate.not(still::contains)).toList();
            LOG.info("replicas for " + owner + ": " + still.size() + " still queued there, " + gone.size()
                + " finished while this node was away (dropped)");
            return drop(owner, gone, "finished while this node was away");
          }));
    }
    return Future.join(parts).<Void>mapEmpty().onFailure(e -> toReconcile.add(owner));
  }

  private Future<Void> takeOver(String owner, List<String> ids) {
    Future<Void> chain = Future.succeededFuture();
    int[] outcome = new int[2];
    for (String id : ids) {
      if (pending.containsKey(id)) {
        continue; // never acknowledged: dropped by dropUncommitted, never delivered
      }
      chain = chain.compose(v -> claims.claim(id, self(), view.memberId(), view.liveMembers())).compose(o -> {
        if (!o.ours()) {
          outcome[1]++;
          return drop(owner, List.of(id), o.holder() + " delivers it");
        }
        outcome[0]++;
        return vertx.executeBlocking(() -> spool.adopt(area.file(owner, id)), false).map(loaded -> {
          held.getOrDefault(owner, new HashSet<>()).remove(id);
          counts.takenOver.increment();
          LOG.info(() -> id + ": taken over from " + owner + ", which left the cluster; delivered from this node"
              + " (possible duplicate if " + owner + " delivered it just before it died)");
          local.adopted(loaded);
          return null;
        });
      }).recover(e -> {
        if (e instanceof java.nio.file.NoSuchFileException) {
          held.getOrDefault(owner, new HashSet<>()).remove(id); // dropped meanwhile: nothing to take over
          return Future.succeededFuture();
        }
        LOG.warning(() -> id + ": takeover from " + owner + " failed: " + e.getMessage() + "; will retry");
        return Future.succeededFuture();
      });
    }
    return chain.onSuccess(v -> LOG.info("takeover from " + owner + ": " + outcome[0] + " message(s) taken over, "
        + outcome[1] + " claimed by other nodes"));
  }
}

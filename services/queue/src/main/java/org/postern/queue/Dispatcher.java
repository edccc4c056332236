package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.MessageBody;
import org.postern.config.QueueConfig;
import org.postern.smtp.Dsn;
import org.postern.smtp.Envelope;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;

/**
 * The ready side of the queue (KumoMTA's dispatcher): a message the {@link Scheduler} found due
 * becomes one attempt, a delivery per recipient domain still pending, each waiting its turn in that
 * destination's {@link ReadyQueues} and then handed to this node's outbound. When every delivery
 * has answered, the attempt ends here: the answers are recorded per recipient, expired mail fails,
 * the {@link Notices} go, and the message is either finished (its record in the journal, its
 * replicas dropped) or recorded and handed back to the scheduler with its back-off.
 *
 * <p>Threading: the queue verticle's event loop only; the journal records go through the
 * {@link GroupCommitter}, whose fsync runs on a worker.
 */
final class Dispatcher {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private final Vertx vertx;
  private final QueueConfig config;
  private final Clock clock;
  private final Spool spool;
  private final GroupCommitter committer;
  private final ReadyQueues ready;
  private final QueueIndex index;
  private final Scheduler scheduler;
  private final Notices notices;
  private final ReplicaUpkeep replicas;
  private final QueueMetrics metrics;
  /** Attempts started and not yet recorded in the spool; {@link #idle} waits for none. */
  private int attemptsInFlight;
  private Promise<Void> drained;

  Dispatcher(Vertx vertx, QueueConfig config, Clock clock, Spool spool, GroupCommitter committer, QueueIndex index,
      Scheduler scheduler, Notices notices, ReplicaUpkeep replicas, QueueMetrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.clock = clock;
    this.spool = spool;
    this.committer = committer;
    this.ready = new ReadyQueues(config.destinationConcurrency());
    this.index = index;
    this.scheduler = scheduler;
    this.notices = notices;
    this.replicas = replicas;
    this.metrics = metrics;
  }

  /** Attempts under way now. */
  int underWay() {
    return attemptsInFlight;
  }

  /**
   * Completes once no attempt is under way, each having recorded its outcome in the spool. Only
   * meaningful once the scheduler stopped starting new ones.
   */
  Future<Void> idle() {
    if (drained == null) {
      drained = Promise.promise();
    }
    if (attemptsInFlight == 0) {
      drained.tryComplete();
    }
    return drained.future();
  }

  /** One delivery attempt: a request per recipient domain still pending, all in parallel. */
  void attempt(Scheduled s) {
    s.inFlight = true;
    s.attempts++;
    attemptsInFlight++;
    Map<String, List<Path>> byDomain = new LinkedHashMap<>();
    for (Path r : s.message.envelope().recipients()) {
      if (!s.done.contains(r.mailbox())) {
        byDomain.computeIfAbsent(r.domainKey(), d -> new ArrayList<>()).add(r);
      }
    }
    String id = s.message.queueId();
    // The in-flight mark (a journal record) is written when the first of the attempt's deliveries
    // leaves its ready queue, not when the attempt is due: a message waiting behind
    // queue.destination_concurrency has not reached any next hop, so a restart cannot make it a
    // duplicate.
    HandOff handOff = new HandOff(id);
    // The index in memory knows where the body is: no hand-off to a worker to learn it.
    MessageBody found = spool.deliverable(vertx, id);
    (found == null ? Future.<MessageBody>failedFuture(new NoSuchFileException(id + " is no longer in the spool"))
        : Future.succeededFuture(found))
        .compose(body -> Future.join(byDomain.entrySet().stream()
            .map(e -> ready.submit(e.getKey(), () -> handOff.marked().compose(v -> deliver(s, e.getValue(), body))))
            .toList()))
        .eventually(() -> {
          s.inFlight = false;
          return finish(s).eventually(handOff::unmark).eventually(() -> {
            if (--attemptsInFlight == 0 && drained != null) {
              drained.tryComplete();
            }
            return Future.succeededFuture();
          });
        });
  }

  /**
   * The in-flight mark of one attempt: a journal record written once, in the next commit round,
   * before its first delivery starts.
   */
  private final class HandOff {
    private final String id;
    private Future<Void> marker;

    HandOff(String id) {
      this.id = id;
    }

    /** Completes once the mark is in the journal (or could not be written: it is advisory). */
    Future<Void> marked() {
      if (marker == null) {
        marker = committer.mark(new Spool.InFlight(id, true)).recover(e -> {
          LOG.warning(() -> id + ": cannot mark the delivery as under way: " + e.getMessage());
          return Future.succeededFuture();
        });
      }
      return marker;
    }

    /**
     * Ends the mark, if a delivery started at all and the message is still queued (a finished
     * message's record ends it already). Nobody waits for it to be synced.
     */
    Future<Void> unmark() {
      if (marker == null) {
        return Future.succeededFuture();
      }
      return marker.compose(v -> {
        if (!index.contains(id)) {
          return Future.succeededFuture();
        }
        return committer.mark(new Spool.InFlight(id, false)).recover(e -> Future.succeededFuture());
      });
    }
  }

  private Future<Void> deliver(Scheduled s, List<Path> rcpts, MessageBody body) {
    Envelope env = s.message.envelope();
    DeliveryRequest req = new DeliveryRequest(s.message.queueId(), env.sender(), rcpts,
        rcpts.stream().map(env::paramsOf).toList(), env.mailParams(), body, s.attempts,
        s.message.arrival().toEpochMilli());
    // The body goes by reference to this node's outbound, never across the network: in a cluster a
    // queue node runs the outbound role too (the node refuses to start otherwise).
    return Contracts.requestLocal(vertx, DeliveryRequest.ADDRESS, req, config.deliveryTimeout(), DeliveryReport.class)
        .recover(e -> {
          Reply why = Reply.of(451, "4.3.0", "delivery service unavailable: " + e.getMessage());
          List<DeliveryReport.RecipientResult> results = rcpts.stream()
              .map(r -> new DeliveryReport.RecipientResult(r, DeliveryReport.Status.DEFERRED, why, "none"))
              .toList();
          return Future.succeededFuture(new DeliveryReport(s.message.queueId(), results));
        })
        .map(report -> {
          s.remember(Attempt.of(clock.instant(), report));
          record(s, rcpts, report);
          metrics.delivered(report, rcpts, s.message.arrival());
          return null;
        });
  }

  /**
   * Records outbound's answer for the recipients {@code rcpts} it was asked about: sent and bounced
   * recipients are done (with a "relayed" or failure notice to come), deferred ones keep their last
   * reply for the next attempt, the operator and the notices.
   */
  static void record(Scheduled s, List<Path> rcpts, DeliveryReport report) {
    Envelope env = s.message.envelope();
    for (DeliveryReport.RecipientResult r : report.results()) {
      if (!rcpts.contains(r.recipient())) {
        continue; // outbound answered for a recipient it was not asked about: ignore it
      }
      Map<String, String> params = env.paramsOf(r.recipient());
      switch (r.status()) {
        case SENT -> {
          s.done.add(r.recipient().mailbox());
          // RFC 3461 §4.1: with NOTIFY=SUCCESS and a next hop that cannot report, we report "relayed".
          if (!r.dsnPassedOn() && Dsn.wants(params, "SUCCESS")) {
            s.relayed.add(new Bounce.Failure(r.recipient(), r.reply(), r.relay(), params));
          }
        }
        case BOUNCED -> {
          s.done.add(r.recipient().mailbox());
          s.failures.add(new Bounce.Failure(r.recipient(), r.reply(), r.relay(), params));
        }
        case DEFERRED -> s.lastDeferral.put(r.recipient().mailbox(), r);
      }
    }
  }

  /**
   * {@code queue.max_lifetime}: once it has passed, the recipients still {@code pending} fail with
   * their last deferral (or 4.4.7 when they never had one) and are done. Whether it expired.
   */
  static boolean expire(Scheduled s, List<Path> pending, Instant now, Duration maxLifetime) {
    boolean expired = Duration.between(s.message.arrival(), now).compareTo(maxLifetime) >= 0;
    if (pending.isEmpty() || !expired) {
      return false;
    }
    for (Path r : pending) {
      DeliveryReport.RecipientResult last = s.lastDeferral.get(r.mailbox());
      Reply why = last == null ? Reply.of(451, "4.4.7", "message expired") : last.reply();
      s.failures.add(new Bounce.Failure(r, why, last == null ? "none" : last.relay(), s.message.envelope().paramsOf(r)));
      s.done.add(r.mailbox());
    }
    return true;
  }

  /** The attempt's outcome into the spool, then the message's end or its next attempt. */
  private Future<Void> finish(Scheduled s) {
    String id = s.message.queueId();
    if (s.deleted) {
      LOG.info(() -> id + ": delivery attempt ended after the message was removed by the operator");
      return Future.succeededFuture();
    }
    List<Path> pending = s.pending();
    if (expire(s, pending, clock.instant(), config.maxLifetime())) {
      // The real age, not the limit: a message found expired late (after a restart, a long
      // attempt) is older than queue.max_lifetime.
      long age = Duration.between(s.message.arrival(), clock.instant()).toSeconds();
      LOG.info(() -> id + ": message expired after " + age + "s in the queue (queue.max_lifetime "
          + config.maxLifetime().toSeconds() + "s)");
      metrics.expired(pending.size());
      pending = List.of();
    }
    Future<Void> sent = notices.afterAttempt(s, pending);
    if (pending.isEmpty()) {
      // The replica goes before the spool file: a crash in between leaves our own copy, which is
      // delivered again at restart and counted, rather than a lone replica taken over unnoticed.
      return sent.compose(v -> notices.failed(s))
          .compose(v -> replicas.drop(s))
          .compose(v -> committer.mark(new Spool.Finished(id))).<Void>mapEmpty().onSuccess(v -> {
            index.remove(id);
            LOG.info(() -> id + ": removed");
          }).onFailure(e -> {
            LOG.severe(() -> id + ": cannot finish: " + e + "; will retry");
            scheduler.schedule(s, config.minBackoff());
          });
    }
    Duration delay = scheduler.retryDelay(s);
    Set<String> done = Set.copyOf(s.done);
    return sent.compose(v -> s.deleted ? Future.succeededFuture() : committer.mark(new Spool.Done(id, done)))
        .<Void>mapEmpty().onSuccess(v -> replicas.progress(s)).onComplete(ar -> scheduler.schedule(s, delay));
  }
}

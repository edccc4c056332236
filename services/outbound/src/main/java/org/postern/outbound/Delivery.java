package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.PolicyQuestions;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * Carries out one {@link DeliveryRequest}: waits for a delivery slot of the destination, asks
 * policy for the destination's TLS level, routes, tries the next-hop addresses in order until one
 * holds a session (a cached idle one first, else a new connection within the node's connection
 * limit), and reports one result per recipient. The returned future never fails: whatever goes
 * wrong becomes a reply.
 */
final class Delivery {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  /** How long policy may take: without its answer we must not connect at all. */
  static final Duration POLICY_DEADLINE = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final NetClient client;
  private final Router router;
  private final SessionSettings settings;
  private final SessionPool pool;
  private final ConnectionLimits limits;
  private final BrokenTlsPeers brokenTls;
  private final TlsResumption resumption;
  private final StsGate sts;
  private final Dane dane;
  /** How policy is asked: this node's in process, or over the bus. */
  private final PolicyQuestions questions;

  Delivery(Vertx vertx, NetClient client, Router router, SessionSettings settings, SessionPool pool,
      ConnectionLimits limits, BrokenTlsPeers brokenTls, TlsResumption resumption, StsGate sts, Dane dane,
      PolicyQuestions questions) {
    this.vertx = vertx;
    this.questions = questions;
    this.client = client;
    this.router = router;
    this.settings = settings;
    this.pool = pool;
    this.limits = limits;
    this.brokenTls = brokenTls;
    this.resumption = resumption;
    this.sts = sts;
    this.dane = dane;
  }

  /**
   * The outcome of one request, after logging one line per recipient; {@code transactionNanos} is
   * when its transaction began, 0 when none did.
   */
  private record Outcome(List<RecipientResult> results, TlsFacts tls, int connUse, long transactionNanos) {}

  Future<DeliveryReport> deliver(DeliveryRequest request) {
    long started = System.nanoTime();
    long startedMillis = System.currentTimeMillis();
    long[] slot = {started}; // when the destination's slot was granted: set once, on this context
    return limits.destination(request.domain()).compose(release -> Future.<Void>succeededFuture()
        .andThen(v -> slot[0] = System.nanoTime())
        // Inside compose, so that even an exception thrown while building a step ends up below.
        .compose(v -> policy(request.domain()))
        .compose(policy -> sts.plan(request, policy).compose(plan -> router.route(request.domain())
            .compose(plan::targets)
            .compose(targets -> tryTargets(request, plan, router.nexthop(request.domain()), targets, 0, null))))
        .map(result -> fromSession(request, result))
        .recover(t -> Future.succeededFuture(failedAll(request, t)))
        .onComplete(ar -> release.run()))
        .map(outcome -> {
          DeliveryLog.Delays delays = delays(request, startedMillis, started, slot[0], outcome.transactionNanos(),
              System.nanoTime());
          for (RecipientResult r : outcome.results()) {
            LOG.info(DeliveryLog.line(request.queueId(), r, delays, outcome.tls(), outcome.connUse()));
          }
          return new DeliveryReport(request.queueId(), outcome.results(), outcome.tls());
        });
  }

  /**
   * Postfix's four parts, from the queue's arrival time (an unknown or future one counts as now:
   * clocks of two nodes may differ) to the end; a transaction that never began leaves d at 0.
   */
  static DeliveryLog.Delays delays(DeliveryRequest request, long startedMillis, long started, long slot,
      long transaction, long end) {
    double queued = request.arrivalMillis() == 0 ? 0 : Math.max(0, startedMillis - request.arrivalMillis()) / 1e3;
    long setUpEnd = transaction == 0 ? end : transaction;
    return new DeliveryLog.Delays(queued, (slot - started) / 1e9, (setUpEnd - slot) / 1e9, (end - setUpEnd) / 1e9);
  }

  /** The destination's TLS level: asked of policy before any connection. */
  private Future<DestinationTls> policy(String domain) {
    return Future.<Void>succeededFuture()
        .compose(v -> questions.destinationTls(new DestinationTlsCheck(domain)))
        .recover(t -> {
          LOG.log(Level.WARNING, "TLS policy for " + domain + " unavailable: " + Replies.reason(t));
          return Future.failedFuture(new DeliveryFailure(Replies.ours(451, "4.3.0", "TLS policy unavailable"),
              "none"));
        });
  }

  private Future<AttemptResult> tryTargets(DeliveryRequest request, StsGate.StsPlan stsPlan, String nexthop,
      List<Target> targets, int i, TargetFailure last) {
    if (i >= targets.size()) {
      return Future.failedFuture(last != null ? last
          : new DeliveryFailure(Replies.ours(451, "4.4.3", "no address to deliver to"), "none"));
    }
    Target target = targets.get(i);
    // Policy answers per address (Try_TLS, TLS_Srv and [host]:port entries) before we connect,
    // and judges every transaction's session (tls_server, tls_rcpt), a reused one included.
    TlsPolicyGate gate = new TlsPolicyGate(questions, request, target, nexthop);
    // MTA-STS enforce raises a default level to verify with the MX name (never a dane level: DANE
    // wins, RFC 8461 §2); levels dane and dane-only become, per address, what DNSSEC and TLSA
    // records allow.
    return gate.level().map(stsPlan::level)
        .compose(answer -> dane.plan(answer.level(), request.queueId(), nexthop, target)
            .compose(plan -> transact(request, gate, stsPlan, target, plan,
                NameMatch.of(plan.level(), answer.match(), target.host(), nexthop))))
        .recover(t -> {
          if (!(t instanceof TargetFailure f)) {
            return Future.failedFuture(t);
          }
          LOG.fine(() -> request.queueId() + ": " + target.relay() + " failed: " + f.reply());
          stsPlan.refused(target, f);
          return tryTargets(request, stsPlan, nexthop, targets, i + 1, f);
        });
  }

  /**
   * One transaction over a session to {@code target}: a cached one first. A cached session found
   * out of step at the RSET heading its transaction ({@link StaleSession}) was closed before any
   * content went, and the next session takes over, as when a cached session fails its RSET in
   * the pool.
   */
  private Future<AttemptResult> transact(DeliveryRequest request, TlsPolicyGate gate, StsGate.StsPlan stsPlan,
      Target target, Dane.Plan plan, NameMatch names) {
    return session(request, target, plan, names)
        .onSuccess(stsPlan::observe)
        .compose(session -> gate.judge(session.tls, session.verify, session.peer)
            .onFailure(t -> pool.offer(session)) // nothing was sent: the session serves other mail
            .compose(refused -> new MailTransaction(session, request, refused).run()
                .onComplete(ar -> {
                  if (ar.succeeded()) {
                    pool.offer(session);
                  } else {
                    session.conn.quit();
                  }
                })))
        .recover(t -> t instanceof StaleSession
            ? transact(request, gate, stsPlan, target, plan, names)
            : Future.failedFuture(t));
  }

  /** A cached idle session to {@code target} at this level, else a new one in a free connection slot. */
  private Future<OpenSession> session(DeliveryRequest request, Target target, Dane.Plan plan, NameMatch names) {
    return pool.take(OpenSession.poolKey(target, plan.level(), names)).compose(cached -> cached != null
        ? Future.succeededFuture(cached)
        : limits.connection(pool::evictOne).compose(release -> new DeliveryAttempt(vertx, client, settings, target,
            plan, request.queueId(), names, brokenTls, resumption).open(release)));
  }

  private static Outcome fromSession(DeliveryRequest request, AttemptResult result) {
    List<RecipientResult> results = new ArrayList<>();
    for (int i = 0; i < request.recipients().size(); i++) {
      Reply r = result.replies().get(i);
      results.add(new RecipientResult(request.recipients().get(i), Replies.status(r), r, result.target().relay(),
          result.dsn() && r.isPositive()));
    }
    return new Outcome(results, result.tls(), result.connUse(), result.startedNanos());
  }
  private static Outcome failedAll(DeliveryRequest request, Throwable t) {
    Reply reply;
    String relay;
    TlsFacts tls = null;
    if (t instanceof TargetFailure f) {
      // Every address failed. Even a 5xx from one of them is no verdict on the recipients: the
      // others might have taken the message, so this is a deferral (Postfix does the same).
      reply = Replies.softened(f.reply());
      relay = f.relay();
      tls = f.tls();
    } else if (t instanceof DeliveryFailure f) {
      reply = f.reply();
      relay = f.relay();
      tls = f.tls();
    } else {
      // Not a failure we foresaw: a bug or an exotic error. Unknown means transient.
      LOG.log(Level.WARNING, request.queueId() + ": delivery failed unexpectedly", t);
      reply = Replies.ours(451, "4.3.0", "internal error: " + Replies.reason(t));
      relay = "none";
    }
    List<RecipientResult> results = new ArrayList<>();
    for (Path rcpt : request.recipients()) {
      results.add(new RecipientResult(rcpt, Replies.status(reply), reply, relay));
    }
    return new Outcome(results, tls, 0, 0);
  }
}

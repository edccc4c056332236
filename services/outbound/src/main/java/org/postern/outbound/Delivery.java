package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postern.bus.Contracts;
import org.postern.bus.DeliveryReport;
import org.postern.bus.DeliveryReport.RecipientResult;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.bus.DestinationTlsCheck;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;

/**
 * Carries out one {@link DeliveryRequest}: asks policy for the destination's TLS level, routes,
 * tries the next-hop addresses in order until one holds a session, and reports one result per
 * recipient. The returned future never fails: whatever goes wrong becomes a reply.
 */
final class Delivery {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  /** How long policy may take: without its answer we must not connect at all. */
  static final Duration POLICY_DEADLINE = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final NetClient client;
  private final Router router;
  private final SessionSettings settings;

  Delivery(Vertx vertx, NetClient client, Router router, SessionSettings settings) {
    this.vertx = vertx;
    this.client = client;
    this.router = router;
    this.settings = settings;
  }

  /** The outcome of one request, after logging one line per recipient. */
  private record Outcome(List<RecipientResult> results, TlsFacts tls) {}

  Future<DeliveryReport> deliver(DeliveryRequest request) {
    long started = System.nanoTime();
    return Future.<Void>succeededFuture()
        // Inside compose, so that even an exception thrown while building a step ends up below.
        .compose(v -> policy(request.domain()))
        .compose(policy -> router.route(request.domain())
            .compose(targets -> tryTargets(request, policy.level(), targets, 0, null)))
        .map(result -> fromSession(request, result))
        .recover(t -> Future.succeededFuture(failedAll(request, t)))
        .map(outcome -> {
          double delay = (System.nanoTime() - started) / 1e9;
          for (RecipientResult r : outcome.results()) {
            LOG.info(DeliveryLog.line(request.queueId(), r, delay, outcome.tls()));
          }
          return new DeliveryReport(request.queueId(), outcome.results());
        });
  }

  private Future<DestinationTls> policy(String domain) {
    return Future.<Void>succeededFuture()
        .compose(v -> Contracts.request(vertx, DestinationTlsCheck.ADDRESS, new DestinationTlsCheck(domain),
            POLICY_DEADLINE, DestinationTls.class))
        .recover(t -> {
          LOG.log(Level.WARNING, "TLS policy for " + domain + " unavailable: " + Replies.reason(t));
          return Future.failedFuture(new DeliveryFailure(Replies.ours(451, "4.3.0", "TLS policy unavailable"),
              "none"));
        });
  }

  private Future<AttemptResult> tryTargets(DeliveryRequest request, TlsLevel level, List<Target> targets, int i,
      TargetFailure last) {
    if (i >= targets.size()) {
      return Future.failedFuture(last != null ? last
          : new DeliveryFailure(Replies.ours(451, "4.4.3", "no address to deliver to"), "none"));
    }
    return new DeliveryAttempt(vertx, client, settings, targets.get(i), level, request).run()
        .recover(t -> {
          if (!(t instanceof TargetFailure f)) {
            return Future.failedFuture(t);
          }
          LOG.fine(() -> request.queueId() + ": " + targets.get(i).relay() + " failed: " + f.reply());
          return tryTargets(request, level, targets, i + 1, f);
        });
  }

  private static Outcome fromSession(DeliveryRequest request, AttemptResult result) {
    List<RecipientResult> results = new ArrayList<>();
    for (int i = 0; i < request.recipients().size(); i++) {
      Reply r = result.replies().get(i);
      results.add(new RecipientResult(request.recipients().get(i), Replies.status(r), r, result.target().relay(),
          result.dsn() && r.isPositive()));
    }
    return new Outcome(results, result.tls());
  }

  private static Outcome failedAll(DeliveryRequest request, Throwable t) {
    Reply reply;
    String relay;
    if (t instanceof TargetFailure f) {
      // Every address failed. Even a 5xx from one of them is no verdict on the recipients: the
      // others might have taken the message, so this is a deferral (Postfix does the same).
      reply = Replies.softened(f.reply());
      relay = f.relay();
    } else if (t instanceof DeliveryFailure f) {
      reply = f.reply();
      relay = f.relay();
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
    return new Outcome(results, null);
  }
}

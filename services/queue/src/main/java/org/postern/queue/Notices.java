package org.postern.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.postern.bus.ClientInfo;
import org.postern.bus.DeliveryReport;
import org.postern.bus.QueueIds;
import org.postern.config.QueueConfig;
import org.postern.smtp.Dsn;
import org.postern.smtp.Envelope;
import org.postern.smtp.Path;

/**
 * Delivery status notifications to the sender (RFC 3464, asked for per recipient as RFC 3461
 * says): non-delivery, delay warnings and "relayed" reports. Decides which recipients a notice is
 * about, builds it ({@link Bounce}) and queues it from the null sender as a message of this node,
 * scheduled like any other. Never about a message with a null sender (RFC 5321 §6.1).
 *
 * <p>Threading: called on the queue verticle's event loop; the notice is built and stored on a
 * worker (it reads the original body), and enters the index and the schedule back on the loop.
 */
final class Notices {

  private static final Logger LOG = Logger.getLogger("postern.queue");

  private final Vertx vertx;
  private final QueueConfig config;
  private final String hostname;
  private final Clock clock;
  private final Spool spool;
  private final QueueIndex index;
  private final Scheduler scheduler;

  Notices(Vertx vertx, QueueConfig config, String hostname, Clock clock, Spool spool, QueueIndex index,
      Scheduler scheduler) {
    this.vertx = vertx;
    this.config = config;
    this.hostname = hostname;
    this.clock = clock;
    this.spool = spool;
    this.index = index;
    this.scheduler = scheduler;
  }

  /**
   * After an attempt: "relayed" for the recipients a next hop took without passing the DSN request
   * on, then, once per message, a delay warning when {@code queue.delay_warning_time} has passed
   * and recipients that asked for one ({@code NOTIFY=DELAY}) are still {@code pending}.
   */
  Future<Void> afterAttempt(Scheduled s, List<Path> pending) {
    Future<Void> notices = notice(s, Bounce.Kind.RELAYED, drain(s.relayed));
    if (!pending.isEmpty() && !s.delayWarned && !config.delayWarningTime().isZero()
        && Duration.between(s.message.arrival(), clock.instant()).compareTo(config.delayWarningTime()) >= 0) {
      s.delayWarned = true;
      List<Bounce.Failure> late = new ArrayList<>();
      for (Path r : pending) {
        DeliveryReport.RecipientResult last = s.lastDeferral.get(r.mailbox());
        Map<String, String> params = s.message.envelope().paramsOf(r);
        if (last != null && Dsn.wants(params, "DELAY")) {
          late.add(new Bounce.Failure(r, last.reply(), last.relay(), params));
        }
      }
      notices = notices.compose(v -> notice(s, Bounce.Kind.DELAYED, late));
    }
    return notices;
  }

  /** The message is finished: a non-delivery notice for its failed recipients that want one. */
  Future<Void> failed(Scheduled s) {
    SpooledMessage m = s.message;
    // RFC 3461 §4.1: a recipient with NOTIFY=NEVER or without FAILURE gets no failure report.
    List<Bounce.Failure> wanted = s.failures.stream().filter(f -> Dsn.wants(f.rcptParams(), "FAILURE")).toList();
    if (wanted.size() < s.failures.size()) {
      LOG.info(() -> m.queueId() + ": " + (s.failures.size() - wanted.size())
          + " failed recipient(s) asked for no failure notice (NOTIFY)");
    }
    return notice(s, Bounce.Kind.FAILED, wanted);
  }

  private static List<Bounce.Failure> drain(List<Bounce.Failure> list) {
    List<Bounce.Failure> out = List.copyOf(list);
    list.clear();
    return out;
  }

  /** Queues a delivery status notification to the sender, from the null sender. */
  private Future<Void> notice(Scheduled s, Bounce.Kind kind, List<Bounce.Failure> about) {
    SpooledMessage m = s.message;
    if (about.isEmpty()) {
      return Future.succeededFuture();
    }
    if (m.envelope().sender().isNull()) {
      // RFC 5321 §6.1: a notification is never sent about a notification.
      LOG.info(() -> m.queueId() + ": no " + kind.name().toLowerCase(java.util.Locale.ROOT) + " notice for a message with a null sender");
      return Future.succeededFuture();
    }
    String noticeId = QueueIds.next();
    ZonedDateTime until = Bounce.utc(m.arrival().plus(config.maxLifetime()));
    return vertx.executeBlocking(() -> {
      byte[] original = spool.body(m.queueId()).getBytes();
      Bounce.Report report = new Bounce.Report(kind, hostname, m.queueId(), m.envelope().sender(),
          Bounce.utc(m.arrival()), until, about, m.envelope().mailParams(), original, config.bounceSizeLimit());
      byte[] text = Bounce.build(report, Bounce.utc(clock.instant()), noticeId);
      Envelope env = new Envelope(Path.NULL, List.of(m.envelope().sender()), Map.of());
      SpooledMessage notice = new SpooledMessage(noticeId, env,
          new ClientInfo("127.0.0.1", hostname, "SMTP", null), clock.instant());
      spool.store(notice, Buffer.buffer(text));
      return new Scheduled(notice, text.length);
    }, false).map(b -> {
      LOG.info(() -> m.queueId() + ": sender " + switch (kind) {
        case FAILED -> "non-delivery notification";
        case DELAYED -> "delay notification";
        case RELAYED -> "delivery status notification (relayed)";
      } + ": " + noticeId);
      index.put(b);
      scheduler.schedule(b, Duration.ZERO);
      return null;
    });
  }
}

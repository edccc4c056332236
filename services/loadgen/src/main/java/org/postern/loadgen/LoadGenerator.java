package org.postern.loadgen;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ClientSSLOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postern.tls.ClientTls;
import org.postern.tls.TlsEngine;

/**
 * One load run: its own Vert.x instance (one event loop per core unless told otherwise), one
 * {@link LaneGroup} per event loop, a deadline at {@link LoadSettings#duration()}, and a
 * {@link Report} at the end. Non-blocking throughout; {@link #result()} is the only thing to wait on.
 */
public final class LoadGenerator {

  /** Netty's switch for the OpenSSL client session cache, read once when its SSL classes load. */
  static final String NETTY_CLIENT_SESSION_CACHE = "io.netty.handler.ssl.openssl.sessionCacheClient";

  private final LoadSettings settings;
  private final RunState run;
  private final TlsEngine engine;
  private final Vertx vertx;
  private final List<LaneGroup> groups = new ArrayList<>();
  private final CompletableFuture<Report> result = new CompletableFuture<>();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private long deadlineTimer = -1;

  private LoadGenerator(LoadSettings settings) {
    this.settings = settings;
    if (!settings.tlsResume() && System.getProperty(NETTY_CLIENT_SESSION_CACHE) == null) {
      // Full handshakes only, unless asked otherwise. Effective if Netty's OpenSSL classes are
      // not loaded yet (always so from the command line); the report counts resumptions anyway.
      System.setProperty(NETTY_CLIENT_SESSION_CACHE, "false");
    }
    this.engine = TlsEngine.choose(settings.tlsEngine());
    this.run = new RunState(settings);
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(settings.eventLoops()));
  }

  /**
   * Validates the settings and starts a run.
   *
   * @throws IllegalArgumentException for bad settings, before anything connects
   */
  public static LoadGenerator start(LoadSettings settings) {
    settings.validate();
    LoadGenerator g = new LoadGenerator(settings);
    g.deploy();
    return g;
  }

  private void deploy() {
    Buffer body = MessageBody.wire(MessageBody.content(settings.size(), settings.mailFrom(), settings.rcptTo()));
    ClientSSLOptions ssl = ClientTls.opportunistic(List.of("TLSv1.2", "TLSv1.3"), settings.replyTimeout());
    int loops = settings.eventLoops();
    int perGroupOpening = (settings.maxOpening() + loops - 1) / loops;
    List<Future<String>> deployed = new ArrayList<>();
    for (int i = 0; i < loops; i++) {
      int lanes = settings.sessions() / loops + (i < settings.sessions() % loops ? 1 : 0);
      LaneGroup g = new LaneGroup(run, lanes, perGroupOpening, engine, ssl, body);
      groups.add(g);
      // Each deployment gets its own event-loop context, so the groups spread over the loops.
      deployed.add(vertx.deployVerticle(g));
    }
    long left = settings.duration().toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - run.startNanos);
    deadlineTimer = vertx.setTimer(Math.max(1, left), id -> stop());
    Future.all(deployed)
        .compose(v -> Future.all(groups.stream().map(LaneGroup::finished).toList()))
        .onComplete(ar -> {
          if (ar.failed()) {
            result.completeExceptionally(ar.cause());
          }
          finish();
        });
  }

  private void finish() {
    vertx.cancelTimer(deadlineTimer);
    long end = System.nanoTime();
    GroupStats total = new GroupStats();
    for (LaneGroup g : groups) {
      total.merge(g.stats);
    }
    Report report = Report.of(settings, engine, total, run, end);
    run.allSettled.complete(null);
    vertx.close().onComplete(ar -> result.complete(report));
  }

  /** Ends the run now, as its duration would: held sessions say QUIT, busy ones are cut off. */
  public void stop() {
    if (stopped.compareAndSet(false, true)) {
      groups.forEach(LaneGroup::stopFromAnyThread);
    }
  }

  /** The report, once every session is accounted for and the Vert.x instance is closed. */
  public CompletableFuture<Report> result() {
    return result;
  }

  /** In hold mode: completes when every session is held or has failed (at the latest, at the end). */
  public CompletableFuture<Void> allSettled() {
    return run.allSettled;
  }

  /**
   * Hold mode: sessions held now, and sessions that failed before they were held.
   */
  public record HoldStatus(long held, long failed) {}

  public HoldStatus holdStatus() {
    return new HoldStatus(run.held.get(), run.settled() - run.everHeld.get());
  }

  /** The client TLS engine, as the report names it. */
  public String engineDescription() {
    return engine.description();
  }

  /** A live view for the progress line. */
  public Progress.Snapshot snapshot() {
    return new Progress.Snapshot(
        Duration.ofNanos(System.nanoTime() - run.startNanos),
        run.open.get(), run.held.get(), run.setUp.sum(), run.messagesOk.sum(), run.messagesFailed.sum(),
        run.handshakes.sum());
  }
}

package org.postern.loadgen;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.postern.tls.TlsEngine;

/**
 * The sessions of one event loop. A "lane" runs sessions one after another while the run has work
 * for it; the group has {@code lanes} of them, so at most that many sessions are open at once, and
 * at most {@code maxOpening} are in set-up (connect, greeting, EHLO, STARTTLS) at once.
 */
final class LaneGroup extends VerticleBase {

  /** How long held sessions get to say QUIT, and busy ones to close, once the run has ended. */
  static final long STOP_GRACE_MS = 2000;

  final RunState run;
  final GroupStats stats = new GroupStats();
  private final int lanes;
  private final int maxOpening;
  private final TlsEngine engine;
  private final ClientSSLOptions sslOptions;
  private final Buffer body;
  private final List<NetClient> clients = new ArrayList<>();
  private final ArrayDeque<ClientSession> waitingForSlot = new ArrayDeque<>();
  private final Set<ClientSession> active = new LinkedHashSet<>();
  private final Promise<Void> finished = Promise.promise();
  private int opening;
  private int lanesRunning;
  private boolean stopping;

  LaneGroup(RunState run, int lanes, int maxOpening, TlsEngine engine, ClientSSLOptions sslOptions, Buffer body) {
    this.run = run;
    this.lanes = lanes;
    this.maxOpening = maxOpening;
    this.engine = engine;
    this.sslOptions = sslOptions;
    this.body = body;
  }

  @Override
  public Future<?> start() {
    LoadSettings s = run.settings;
    List<InetAddress> sources = s.sources().isEmpty() ? java.util.Collections.singletonList(null) : s.sources();
    for (InetAddress source : sources) {
      NetClientOptions o = new NetClientOptions()
          .setSsl(false)
          .setSslEngineOptions(engine.options())
          .setTcpNoDelay(true)
          .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, s.connectTimeout().toMillis()));
      if (source != null) {
        o.setLocalAddress(source.getHostAddress());
      }
      clients.add(vertx.createNetClient(o));
    }
    lanesRunning = lanes;
    for (int i = 0; i < lanes; i++) {
      nextSession();
    }
    checkDone();
    return Future.succeededFuture();
  }

  Vertx vertx() {
    return vertx;
  }

  NetClient client(long sessionNumber) {
    return clients.get((int) (sessionNumber % clients.size()));
  }

  ClientSSLOptions sslOptions() {
    return sslOptions;
  }

  Buffer body() {
    return body;
  }

  boolean stopping() {
    return stopping;
  }

  /** Completes when every lane has ended and every session is accounted for. */
  Future<Void> finished() {
    return finished.future();
  }

  /** Ends the run for this group, on its own event loop. */
  void stopFromAnyThread() {
    context.runOnContext(v -> stop0());
  }

  private void stop0() {
    if (stopping) {
      return;
    }
    stopping = true;
    for (ClientSession cs : new ArrayList<>(waitingForSlot)) {
      cs.abort();
    }
    waitingForSlot.clear();
    for (ClientSession cs : new ArrayList<>(active)) {
      cs.stop();
    }
    checkDone();
    vertx.setTimer(STOP_GRACE_MS, id -> {
      for (ClientSession cs : new ArrayList<>(active)) {
        cs.forceFinish();
      }
      finished.tryComplete();
    });
  }

  private void nextSession() {
    long claim = stopping ? -1 : run.claimSession();
    if (claim < 0) {
      lanesRunning--;
      return;
    }
    long number = run.nextSessionNumber();
    ClientSession cs = new ClientSession(this, number, run.settings.usesTls(number), claim);
    active.add(cs);
    if (opening < maxOpening) {
      opening++;
      cs.begin();
    } else {
      waitingForSlot.add(cs);
    }
  }

  /** A session finished its set-up (or failed in it): the next waiting one may start. */
  void openingDone() {
    opening--;
    ClientSession next = waitingForSlot.poll();
    if (next != null) {
      opening++;
      next.begin();
    }
  }

  void sessionEnded(ClientSession cs) {
    active.remove(cs);
    waitingForSlot.remove(cs);
    nextSession();
    checkDone();
  }

  private void checkDone() {
    if (lanesRunning <= 0 && active.isEmpty()) {
      finished.tryComplete();
    }
  }

  @Override
  public Future<?> stop() {
    return Future.all(clients.stream().map(NetClient::close).toList());
  }
}

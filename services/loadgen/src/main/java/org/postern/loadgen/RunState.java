package org.postern.loadgen;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What all event loops of one run share: the work left to hand out, the session numbering, the
 * rate gate, and the live counters the progress line reads. Everything here is thread-safe; the
 * detailed statistics are kept per event loop in {@link GroupStats} and merged at the end.
 */
final class RunState {

  final LoadSettings settings;
  final long startNanos = System.nanoTime();
  /** Samples and rates count from here: the end of the warm-up. */
  final long measureFromNanos;
  private final AtomicLong messagesLeft;
  private final AtomicLong connectionsLeft;
  private final AtomicLong sessionNumbers = new AtomicLong();
  private final AtomicLong lastActivity = new AtomicLong(startNanos);
  final RateGate rate;

  // Live counters (progress line and report).
  final AtomicLong open = new AtomicLong();
  final AtomicLong peakOpen = new AtomicLong();
  final AtomicLong held = new AtomicLong();
  final AtomicLong peakHeld = new AtomicLong();
  final AtomicLong everHeld = new AtomicLong();
  final LongAdder setUp = new LongAdder();
  final LongAdder messagesOk = new LongAdder();
  final LongAdder messagesFailed = new LongAdder();
  final LongAdder handshakes = new LongAdder();
  final LongAdder sessionsEnded = new LongAdder();

  /** In hold mode: sessions whose set-up has finished, held or failed. */
  private final AtomicLong settled = new AtomicLong();
  /** Completes when every hold session is held or has failed. */
  final CompletableFuture<Void> allSettled = new CompletableFuture<>();

  RunState(LoadSettings settings) {
    this.settings = settings;
    this.measureFromNanos = startNanos + settings.warmup().toNanos();
    this.messagesLeft = new AtomicLong(settings.messages());
    this.connectionsLeft = new AtomicLong(settings.hold() ? settings.sessions() : settings.effectiveConnections());
    this.rate = new RateGate(settings.rate());
    if (settings.hold() && settings.sessions() == 0) {
      allSettled.complete(null);
    }
  }

  /**
   * Claims the start of one new session and the messages it is to send (taken from the pool now,
   * so that a message run has exactly {@code ceil(messages / perSession)} sessions when nothing
   * fails), or returns -1 when no session should start. With messages, sessions start while
   * messages are left; without, while connections are left. In hold mode exactly {@code sessions}
   * sessions start, each with its share of the messages (possibly none).
   */
  long claimSession() {
    if (settings.hold() || settings.messages() == 0) {
      if (connectionsLeft.getAndUpdate(v -> v > 0 ? v - 1 : 0) <= 0) {
        return -1;
      }
      return settings.messages() == 0 ? 0 : claimMessages();
    }
    long n = claimMessages();
    return n == 0 ? -1 : n;
  }

  private long claimMessages() {
    int per = settings.effectivePerSession();
    while (true) {
      long left = messagesLeft.get();
      long take = Math.min(per, left);
      if (messagesLeft.compareAndSet(left, left - take)) {
        return take;
      }
    }
  }

  /** Gives back messages a session claimed but never started; a later session may send them. */
  void returnMessages(long n) {
    if (n > 0) {
      messagesLeft.addAndGet(n);
    }
  }

  /** Messages never handed to a session. */
  long messagesNotStarted() {
    return messagesLeft.get();
  }

  /** Whether an event at {@code nanos} counts in the rates and histograms (after the warm-up). */
  boolean measuring(long nanos) {
    return nanos - measureFromNanos >= 0;
  }

  long nextSessionNumber() {
    return sessionNumbers.getAndIncrement();
  }

  long sessionsStarted() {
    return sessionNumbers.get();
  }

  void activity() {
    long now = System.nanoTime();
    lastActivity.accumulateAndGet(now, Math::max);
  }

  long lastActivityNanos() {
    return lastActivity.get();
  }

  void opened() {
    long n = open.incrementAndGet();
    peakOpen.accumulateAndGet(n, Math::max);
  }

  void closed() {
    open.decrementAndGet();
  }

  void heldOne() {
    everHeld.incrementAndGet();
    long n = held.incrementAndGet();
    peakHeld.accumulateAndGet(n, Math::max);
    settledOne();
  }

  void releasedOne() {
    held.decrementAndGet();
  }

  long settled() {
    return settled.get();
  }

  /** A hold session finished its set-up: held, or failed on the way. */
  void settledOne() {
    if (settings.hold() && settled.incrementAndGet() >= settings.sessions()) {
      allSettled.complete(null);
    }
  }
}

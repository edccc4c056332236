package org.postern.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postern.bus.DeliveryReport;

/**
 * A message's schedule: what is done, what failed, and when to try again. Lives on the queue
 * verticle's event loop only (in {@link QueueIndex}).
 */
final class Scheduled {

  /** What {@code postern queue list} shows, as Postfix's mailq marks its queues. */
  enum State {
    /** Never tried since the node started, or being delivered now. */
    ACTIVE,
    /** Tried, and waiting for its next attempt. */
    DEFERRED,
    /** Put on hold by an operator: no attempts until released. */
    HELD
  }

  final SpooledMessage message;
  /** Octets of the message body; 0 when unknown. */
  final long size;
  final Set<String> done = new HashSet<>();
  final List<Bounce.Failure> failures = new ArrayList<>();
  final List<Bounce.Failure> relayed = new ArrayList<>();
  boolean delayWarned;
  final Map<String, DeliveryReport.RecipientResult> lastDeferral = new HashMap<>();
  /** The last {@link Attempt#KEPT} attempts, oldest first; in memory only. */
  final java.util.ArrayDeque<Attempt> history = new java.util.ArrayDeque<>();
  /** Delivery attempts since the node started. */
  int attempts;
  /** {@link #attempts} when an operator last requeued it: the back-off counts from there. */
  int backoffBase;
  boolean inFlight;
  /** Vert.x timer ids start at 0, so "no timer" is {@link #NO_TIMER}, not 0. */
  long timer = NO_TIMER;
  static final long NO_TIMER = -1;
  /** When the timer fires, or null when none is set. */
  Instant nextAttempt;
  /** On hold: no attempt starts, and no timer is set, until an operator releases it. */
  boolean held;
  /** An operator's flush: the next schedule goes ahead even under queue.defer_deliveries. */
  boolean flushed;
  /** The queue node holding this message's replica, when known (not after a restart). */
  String replicaHolder;
  /**
   * Set once a replica was made again because its holder left the cluster: the old holder may come
   * back with its copy, so the drop at the end goes to every queue node, not only the holder.
   */
  boolean replicatedAgain;
  /** A new replica is being made (the holder left); event-loop only. */
  boolean replicating;
  /** Removed by an operator: an attempt under way ends without effect. */
  boolean deleted;

  Scheduled(SpooledMessage message, long size) {
    this.message = message;
    this.size = size;
  }

  /** A message read back from the spool (at start, or a replica taken over), as the spool left it. */
  static Scheduled recovered(Spool.Loaded l) {
    Scheduled s = new Scheduled(l.message(), l.size());
    s.done.addAll(l.doneRecipients());
    s.held = l.held();
    return s;
  }

  State state() {
    if (held) {
      return State.HELD;
    }
    return inFlight || attempts == 0 ? State.ACTIVE : State.DEFERRED;
  }

  /** Adds an attempt to {@link #history}, dropping the oldest beyond {@link Attempt#KEPT}. */
  void remember(Attempt a) {
    history.addLast(a);
    while (history.size() > Attempt.KEPT) {
      history.removeFirst();
    }
  }

  /** Recipients neither delivered nor bounced yet, in envelope order. */
  List<org.postern.smtp.Path> pending() {
    return message.envelope().recipients().stream().filter(r -> !done.contains(r.mailbox())).toList();
  }

  /** Whether a recipient not yet done is in {@code domain} (lower case). */
  boolean pendingIn(String domain) {
    return pending().stream().anyMatch(r -> r.domainKey().equals(domain));
  }
}

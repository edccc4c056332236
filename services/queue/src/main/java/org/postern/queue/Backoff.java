package org.postern.queue;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Retry delays: exponential from the minimum, doubling per attempt, capped at the maximum, with
 * ±10% jitter so that messages deferred together do not retry in lock-step.
 */
public final class Backoff {

  private final Duration min;
  private final Duration max;
  private final RandomGenerator random;

  public Backoff(Duration min, Duration max, RandomGenerator random) {
    this.min = min;
    this.max = max;
    this.random = random;
  }

  /** The delay after failed attempt number {@code attempt} (1-based). */
  public Duration after(int attempt) {
    long base = min.toMillis();
    for (int i = 1; i < attempt && base < max.toMillis(); i++) {
      base *= 2;
    }
    base = Math.min(base, max.toMillis());
    double jitter = 0.9 + 0.2 * random.nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (base * jitter)));
  }
}

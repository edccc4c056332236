package org.postern.config;

import java.time.Duration;

/** Spool and retry settings ({@code queue.*}). */
public record QueueConfig(
    String spoolDir,
    Duration minBackoff,
    Duration maxBackoff,
    Duration maxLifetime,
    Duration deliveryTimeout,
    int maxCommitBatch,
    long minFreeSpace) {}

package org.postern.config;

import java.time.Duration;

/** Spool and retry settings ({@code queue.*}). */
public record QueueConfig(
    String spoolDir,
    Duration minBackoff,
    Duration maxBackoff,
    Duration maxLifetime,
    Duration deliveryTimeout,
    Duration delayWarningTime,
    int bounceSizeLimit,
    int destinationConcurrency,
    int maxCommitBatch,
    long minFreeSpace,
    boolean deferDeliveries,
    int replicas,
    Duration takeoverDelay,
    long journalCompactSize,
    long segmentSize) {}

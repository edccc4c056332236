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
    int maxCommitBatch,
    long minFreeSpace) {}

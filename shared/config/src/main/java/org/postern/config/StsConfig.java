package org.postern.config;

import java.time.Duration;

/**
 * MTA-STS settings ({@code outbound.mta_sts*}), part of {@link OutboundConfig}.
 *
 * @param enabled whether outbound looks for and applies MTA-STS policies at all
 * @param caFile PEM CAs trusted for policy hosts besides the JDK's, empty for none
 * @param fetchTimeout the deadline of one policy fetch (resolving, connecting, reading)
 * @param cacheSize the most domains whose policies one node keeps
 * @param cacheFile where policies persist across restarts, empty to keep them in memory only
 */
public record StsConfig(boolean enabled, String caFile, Duration fetchTimeout, int cacheSize, String cacheFile) {}

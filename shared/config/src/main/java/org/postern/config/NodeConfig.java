package org.postern.config;

/** Settings of the node process ({@code node.*}). */
public record NodeConfig(String hostname, String dataDir, String log, String logLevel) {}

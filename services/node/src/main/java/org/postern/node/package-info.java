/**
 * The node: one process, one runnable jar. It reads and validates the configuration, sets up
 * logging, loads (or generates) the TLS credentials off the event loop, chooses the TLS engine, and
 * deploys the verticles for the roles it is given: inbound, policy, queue, outbound. The services
 * never call each other directly, only over the event bus, so the same jar runs any subset of
 * roles.
 *
 * <p>Beside the roles it keeps the server certificates current ({@code TlsReloader}: file watch on
 * the async file system, loading on a worker, swap for new connections) and watched for expiry
 * ({@code CertificateExpiry}, logged and exported at {@code GET /metrics} of the admin API), and it
 * carries the operator's commands, one file per concern: {@code pki}, {@code queue} (with
 * {@code QueueShape}), {@code config} (with {@code ConfigShow} and {@code ConfigDiff}), {@code check},
 * {@code auth}, {@code loadgen}, {@code version}; those that talk to a running node find it through
 * {@code AdminOptions}. Every node answers signed configuration pushes ({@link org.postern.node.push}).
 * With {@code --cluster} the event bus is clustered ({@link org.postern.node.cluster}); the
 * verticles are deployed the same way.
 */
package org.postern.node;

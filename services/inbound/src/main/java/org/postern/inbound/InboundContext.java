package org.postern.inbound;

import java.time.Clock;
import org.postern.bus.PolicyQuestions;
import org.postern.bus.QueueHandoff;
import org.postern.config.InboundConfig;
import org.postern.smtp.BodyMemory;
import org.postern.tls.ClientCertVerifier;
import org.postern.tls.TlsEngine;

/**
 * What every connection of the inbound verticle shares: settings, the TLS engine, the client
 * certificate verifier, the AUTH users and a clock.
 *
 * @param authUsers the AUTH credentials, or null when AUTH is not configured
 * @param queue how accepted messages reach the queue: this node's, or a queue node's in chunks
 * @param bodyMemory the node's budget of message text in memory, shared by every instance
 * @param policy how a session's policy questions are asked: this node's policy in process, or the bus
 * @param metrics what the listeners count, shared by every instance
 */
record InboundContext(InboundConfig config, String hostname, TlsEngine engine, ClientCertVerifier clientCerts,
    AuthUsers authUsers, PolicyQuestions policy, Clock clock, QueueHandoff queue, BodyMemory bodyMemory,
    InboundMetrics metrics) {}

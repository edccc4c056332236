/**
 * TLS for both legs: which engine runs the handshakes (BoringSSL through netty-tcnative by
 * default, the JDK's as a fallback), the server credentials (loaded from PEM, or a self-signed
 * certificate generated with Bouncy Castle on first start; several of them chosen per client by
 * SNI name and key type), key-file hygiene, client-certificate verdicts against the operator's
 * CAs and CRL, and the facts of a finished handshake in sendmail's vocabulary.
 *
 * <p>Everything here that touches files or generates keys blocks, and is called from worker
 * threads or at start-up, never from an event loop.
 */
package org.postern.tls;

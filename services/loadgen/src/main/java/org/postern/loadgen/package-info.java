/**
 * The load generator and its sink: {@code postern loadgen}.
 *
 * <p><b>Job:</b> put measured SMTP load on a Postern listener (or any SMTP server) on this machine:
 * many concurrent non-blocking sessions on one Vert.x instance, each connecting, optionally
 * upgrading with STARTTLS, sending generated messages and checking every reply; and a fast sink
 * that accepts and discards mail so a node's deliveries cost as little as possible. <b>Talks
 * to:</b> loopback addresses only: a target or a listen address that is not 127.0.0.0/8 or ::1 is
 * refused before anything connects. <b>Bounded:</b> every run stops by itself, after its count of
 * messages (or connections, or held sessions) and at its {@code --duration} at the latest.
 *
 * <p>Not part of a node: the command lives in the node jar only so that benchmarks need no second
 * build. See {@code deploy/bench/} for the benchmarks that use it.
 */
package org.postern.loadgen;

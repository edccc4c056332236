/**
 * JMH microbenchmarks of the pure SMTP protocol code (parser, DATA reader, session state
 * machine) and of the compiled policy model ({@link org.postern.bench.PolicyBench}). Run them with
 * {@code deploy/bench/jmh.sh}; figures are in deploy/README.md and, for policy,
 * services/policy/README.md.
 */
package org.postern.bench;

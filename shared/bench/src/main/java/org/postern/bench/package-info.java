/**
 * JMH microbenchmarks of the pure SMTP protocol code (parser, DATA reader, session state
 * machine). Run them with {@code deploy/bench/jmh.sh}; figures are in deploy/README.md.
 */
package org.postern.bench;

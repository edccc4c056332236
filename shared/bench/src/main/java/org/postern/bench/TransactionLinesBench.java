package org.postern.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.infra.Blackhole;
import org.postern.smtp.CommandParser;

/** A pipelined transaction's three commands, to set against the whole-session benchmark. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TransactionLinesBench {

  @Benchmark
  public void mailRcptData(Blackhole bh) {
    bh.consume(CommandParser.parse("MAIL FROM:<sender@example.org> SIZE=4096"));
    bh.consume(CommandParser.parse("RCPT TO:<recipient@example.com>"));
    bh.consume(CommandParser.parse("DATA"));
  }
}

package org.postern.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.postern.smtp.Command;
import org.postern.smtp.CommandParser;

/**
 * The command-line parser alone, one command per operation. The lines are what a relay sees most:
 * a short EHLO, a MAIL with ESMTP parameters, a RCPT with DSN parameters, and a line the parser
 * must refuse, since refusals are the cheap path an attacker would hammer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CommandParserBench {

  @Param({
      "EHLO client.example.net",
      "MAIL FROM:<sender@example.org> SIZE=4096 BODY=8BITMIME RET=HDRS ENVID=QQ314159",
      "RCPT TO:<recipient@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;recipient@example.com",
      "DATA",
      "MAIL FROM:<bad address@example.org>"
  })
  public String line;

  @Benchmark
  public Command parse() {
    return CommandParser.parse(line);
  }
}
